"""The safety rail: a plan that changes too much of what is managed needs an explicit override.

Like octoDNS's update thresholds, the rail guards against a deleted folder or a wrong
`--config-dir` quietly rewriting or forgetting most of the account. Pure.
"""

from __future__ import annotations

from ivrsync.errors import MassChangeError
from ivrsync.model import Change, Plan, State

#: The safety rail: more than this share of the managed IVRs changing at once needs an override.
MASS_CHANGE_RATIO = 0.3
#: ...but only once there are at least this many managed IVRs (3 of 5 is not a mass change).
MASS_CHANGE_MINIMUM = 10


def mass_change(plan: Plan, state: State) -> tuple[Change, ...]:
    """The `update`/`forget` changes when they exceed the safety rail, else ().

    Managed IVRs are those in the state; `adopt` does not count (nothing managed changes). The
    rail applies only from `MASS_CHANGE_MINIMUM` managed IVRs up, and trips above
    `MASS_CHANGE_RATIO` of them.
    """
    managed = len(state.entries)
    touched = tuple(c for c in plan.changes if c.action in ("update", "forget"))
    if managed < MASS_CHANGE_MINIMUM or len(touched) <= MASS_CHANGE_RATIO * managed:
        return ()
    return touched


def check_mass_change(plan: Plan, state: State, *, allow: bool = False) -> None:
    """Raise MassChangeError listing the IVRs when the plan trips the safety rail (unless allow)."""
    touched = mass_change(plan, state)
    if not touched or allow:
        return
    managed = len(state.entries)
    share = 100 * len(touched) / managed
    lines = [
        f"this plan would change {len(touched)} of {managed} managed IVRs ({share:.0f}%, more than"
        f" {MASS_CHANGE_RATIO:.0%}); nothing was sent:",
        *(f"  {c.action} {c.id} {c.name}" for c in touched),
    ]
    raise MassChangeError(
        "\n".join(lines),
        hint="check that this is intended (a deleted folder? a wrong --config-dir?), then rerun"
        " with --allow-mass-change",
    )
