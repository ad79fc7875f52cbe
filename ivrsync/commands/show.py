"""`show PLANFILE`: a saved plan as `plan` would render it, and whether it is stale."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ivrsync.commands.runtime import Runtime
from ivrsync.errors import PlanFileError
from ivrsync.model import Plan
from ivrsync.plan.planfile import load_plan
from ivrsync.plan.verify import check_plan_current
from ivrsync.state import StateStore


@dataclass(frozen=True)
class ShowResult:
    plan: Plan
    #: Why `apply PLANFILE` would refuse it now (the state moved since), None when current.
    stale: str | None


def show(plan_file: str, runtime: Runtime) -> ShowResult:
    """Load the plan (checksum checked, never written) and compare it with the current state."""
    plan = load_plan(Path(plan_file), key=runtime.plan_key())
    state = StateStore(runtime.settings.paths.state).load()
    try:
        check_plan_current(plan, state)
    except PlanFileError as stale:
        return ShowResult(plan, stale.message.replace("; nothing was sent", ""))
    return ShowResult(plan, None)
