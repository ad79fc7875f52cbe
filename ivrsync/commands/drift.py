"""`drift`: what changed in the portal since ivrsync last applied. Read-only: no lock, no write."""

from __future__ import annotations

from ivrsync.commands.live import read_live
from ivrsync.commands.runtime import Runtime
from ivrsync.model import DriftReport
from ivrsync.plan.drift import compute_drift
from ivrsync.state import StateStore


def drift(runtime: Runtime) -> DriftReport:
    """Compare the live IVRs with the last-applied state; mapping warnings go to `warn`."""
    runtime.check_base_url()
    credentials = runtime.credentials()
    # Loaded before the network call, so a corrupt state fails without touching the account.
    state = StateStore(runtime.settings.paths.state).load()
    with runtime.open_client(runtime.settings.smartflo, credentials) as client:
        # A managed IVR that cannot be read cannot be compared: an error. Others are left out.
        account = read_live(client, runtime, needed=state.entries)
    report = compute_drift(state, account.ivrs)
    for warning in report.warnings:
        runtime.warn(warning)
    return report
