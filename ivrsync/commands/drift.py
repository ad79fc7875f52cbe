"""`drift`: what changed in the portal since ivrsync last applied. Read-only: no lock, no write."""

from __future__ import annotations

from pathlib import Path

from ivrsync.commands.live import read_live
from ivrsync.commands.runtime import Runtime
from ivrsync.model import DriftReport
from ivrsync.plan.drift import compute_drift
from ivrsync.smartflo.credentials import check_base_url, credentials_from_env
from ivrsync.state import StateStore


def drift(*, state_path: str, base_url: str, runtime: Runtime) -> DriftReport:
    """Compare the live IVRs with the last-applied state; mapping warnings go to `warn`."""
    url = check_base_url(base_url)
    credentials = credentials_from_env(runtime.env)
    # Loaded before the network call, so a corrupt state fails without touching the account.
    state = StateStore(Path(state_path)).load()
    with runtime.open_client(base_url=url, credentials=credentials) as client:
        # A managed IVR that cannot be read cannot be compared: an error. Others are left out.
        account = read_live(client, runtime, needed=state.entries)
    report = compute_drift(state, account.ivrs)
    for warning in report.warnings:
        runtime.warn(warning)
    return report
