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
    """The `update`/`forget` changes when the plan exceeds the safety rail, else ().

    Managed IVRs are those in the state; `adopt` does not count (nothing managed changes), a
    `create` does (a new IVR is a change to the account: a wrong folder can create many). A plan
    of creates alone that trips the rail returns () here: see `tripped`.
    """
    touched = tuple(c for c in plan.changes if c.action in ("update", "forget"))
    return touched if tripped(plan, state, rail) else ()


def tripped(plan: Plan, state: State, rail: Rail = Rail()) -> bool:
    """Does the plan exceed the safety rail (updates, forgets and creates together)?"""
    managed = len(state.entries)
    touched = sum(1 for c in plan.changes if c.action in ("update", "forget"))
    touched += len(plan.creates)
    if forgets_everything(plan, state):
        return True
    return managed >= rail.minimum and touched > rail.ratio * managed


def forgets_everything(plan: Plan, state: State) -> bool:
    """Would the plan stop managing every managed IVR? Whatever the count, that is almost always
    an empty or wrong config folder, never a review-sized change."""
    forgets = {c.id for c in plan.changes if c.action == "forget"}
    return bool(state.entries) and forgets >= state.entries.keys()


def check_mass_change(
    plan: Plan, state: State, *, allow: bool = False, rail: Rail = Rail()
) -> None:
    """Raise MassChangeError listing the IVRs when the plan trips the safety rail (unless allow)."""
    refusal = mass_change_refusal(plan, state, rail, sent_nothing=True)
    if refusal is not None and not allow:
        raise refusal


def mass_change_refusal(
    plan: Plan, state: State, rail: Rail = Rail(), *, sent_nothing: bool = False
) -> MassChangeError | None:
    """Why apply would refuse this plan, or None; `plan` shows it before the merge, apply
    raises it (`sent_nothing` adds that nothing was sent)."""
    if not tripped(plan, state, rail):
        return None
    touched = mass_change(plan, state, rail)
    managed = len(state.entries)
    tail = "; nothing was sent" if sent_nothing else ""
    if forgets_everything(plan, state):
        return MassChangeError(
            f"this plan would forget every managed IVR ({managed} of {managed}): the configs "
            f"have none of them{tail}",
            hint="check the config folder (--config-dir, [paths] config_dir); if ivrsync should "
            "really stop managing them all, rerun with --allow-mass-change",
        )
    count = len(touched) + len(plan.creates)
    share = 100 * count / managed
    lines = [
        f"this plan would change {count} of {managed} managed IVRs ({share:.0f}%, more than"
        f" {rail.ratio:.0%}){tail}:",
        *(f"  create {c.name}" for c in plan.creates),
        *(f"  {c.action} {c.id} {c.name}" for c in touched),
    ]
    return MassChangeError(
        "\n".join(lines),
        hint="check that this is intended (a deleted folder? a wrong --config-dir?), then rerun"
        " with --allow-mass-change",
    )
