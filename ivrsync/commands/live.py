"""The one read of the live account that `plan --refresh`, `apply --refresh` and `drift` share."""

from __future__ import annotations

from collections.abc import Collection

from ivrsync.commands.runtime import Runtime
from ivrsync.model import Plan, RefreshedPlan, State
from ivrsync.plan.creates import refuse_taken, taken_names
from ivrsync.plan.refresh import refresh_plan
from ivrsync.smartflo.live import IvrLister, LiveAccount, fetch_live


def read_live(client: IvrLister, runtime: Runtime, *, needed: Collection[int]) -> LiveAccount:
    """One `GET /v1/ivrs`; an unreadable IVR among `needed` raises, others are warned about.

    Raises the client's ApiError subclasses, and ApiError for a live IVR it cannot map among
    `needed`; any other unreadable IVR is left out with a warning.
    """
    account = fetch_live(client, recordings=runtime.settings.smartflo.recordings)
    account.require(needed)
    for warning in account.skipped(needed):
        runtime.warn(warning)
    return account


def fetch_refreshed(client: IvrLister, plan: Plan, state: State, runtime: Runtime) -> RefreshedPlan:
    """`plan` (made from `state`) with the live IVRs folded in: one `GET /v1/ivrs`."""
    involved = {change.id for change in plan.changes} | set(state.entries)
    account = read_live(client, runtime, needed=involved)
    refuse_taken(taken_names(plan.creates, account.names), sent_nothing=False)
    return refresh_plan(plan, state, account.ivrs)
