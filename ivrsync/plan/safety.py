"""The safety rail: a plan that changes too much of what is managed needs an explicit override.

Like octoDNS's update thresholds, the rail guards against a deleted folder or a wrong
`--config-dir` quietly rewriting or forgetting most of the account. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivrsync.errors import MassChangeError
from ivrsync.model import Change, Plan, State


@dataclass(frozen=True)
class Rail:
    """The safety rail: more than `ratio` of the managed IVRs changing at once needs an
    override, once at least `minimum` IVRs are managed (3 of 5 is not a mass change). The
    values are the `[apply] mass_change_ratio` and `mass_change_minimum` settings."""

    ratio: float = 0.3
    minimum: int = 10


def mass_change(plan: Plan, state: State, rail: Rail = Rail()) -> tuple[Change, ...]:
    """The `update`/`forget` changes when they exceed the safety rail, else ().

    Managed IVRs are those in the state; `adopt` does not count (nothing managed changes).
    """
    managed = len(state.entries)
    touched = tuple(c for c in plan.changes if c.action in ("update", "forget"))
    if managed < rail.minimum or len(touched) <= rail.ratio * managed:
        return ()
    return touched


def check_mass_change(
    plan: Plan, state: State, *, allow: bool = False, rail: Rail = Rail()
) -> None:
    """Raise MassChangeError listing the IVRs when the plan trips the safety rail (unless allow)."""
    touched = mass_change(plan, state, rail)
    if not touched or allow:
        return
    managed = len(state.entries)
    share = 100 * len(touched) / managed
    lines = [
        f"this plan would change {len(touched)} of {managed} managed IVRs ({share:.0f}%, more than"
        f" {rail.ratio:.0%}); nothing was sent:",
        *(f"  {c.action} {c.id} {c.name}" for c in touched),
    ]
    raise MassChangeError(
        "\n".join(lines),
        hint="check that this is intended (a deleted folder? a wrong --config-dir?), then rerun"
        " with --allow-mass-change",
    )
