"""A three-way view of a plan: the repository's change apart from the portal's drift. Pure.

Three versions of each IVR meet here: the state (what ivrsync last applied: the common base), the
YAML (the plan's side: `Change.fields` go from state to YAML) and the live IVR (the portal's side:
drift goes from state to live). For every field the portal changed:

- the YAML changed it too, to another value: a **conflict** (`apply --refresh` refuses the IVR
  unless `--overwrite-drift`);
- the YAML changed it to the same value: **converged**, nothing is lost;
- the YAML left it alone and the plan PUTs the IVR: **overwrite**, a warning, since the next PUT
  replaces the portal's value with the YAML's;
- the plan does not PUT the IVR (unchanged, or forget): **drift**, listed; nothing touches it.

An `adopt` has no base (the state has no entry): every field where the live IVR differs from the
YAML is an **overwrite**, since the adopting PUT replaces the whole IVR.
"""

from __future__ import annotations

from collections.abc import Mapping

from ivrsync.errors import ConflictError
from ivrsync.model import (
    PUT_ACTIONS,
    Body,
    Change,
    Conflict,
    FieldChange,
    FieldRefresh,
    FieldStatus,
    IvrRef,
    LiveIvr,
    Plan,
    RefreshedIvr,
    RefreshedPlan,
    State,
)
from ivrsync.plan.diff import diff_bodies


def refresh_plan(plan: Plan, state: State, live: Mapping[int, LiveIvr]) -> RefreshedPlan:
    """Fold the live IVRs into `plan`, made from `state`. Pure and deterministic.

    Covers every IVR in the plan (changes and unchanged, so a partial plan stays partial);
    `ivrs` is sorted by id. Live IVRs the plan does not mention are ignored here (`ivrsync drift`
    lists them). Bodies follow the `ivrsync.body` conventions, so equal values compare equal.
    """
    refreshed = [_refresh_change(change, state, live) for change in plan.changes]
    refreshed.extend(_refresh_unchanged(ref, state, live) for ref in plan.unchanged)
    refreshed.sort(key=lambda ivr: ivr.id)
    return RefreshedPlan(plan=plan, ivrs=tuple(refreshed), live_count=len(live))


def conflicts(refreshed: RefreshedPlan) -> list[Conflict]:
    """Every conflicting field, by IVR id then in the plan's field order."""
    return [
        Conflict(ivr.id, ivr.name, item.field, item.last_applied, item.desired, item.live)
        for ivr in refreshed.ivrs
        for item in ivr.with_status("conflict")
    ]


def check_conflicts(refreshed: RefreshedPlan, *, overwrite_drift: bool) -> None:
    """Raise ConflictError naming each conflicting IVR and field, unless `overwrite_drift`."""
    found = conflicts(refreshed)
    if not found or overwrite_drift:
        return
    listed = "; ".join(f"IVR {c.id} ({c.name}) field {c.field}" for c in found)
    noun = "a field" if len(found) == 1 else f"{len(found)} fields"
    raise ConflictError(
        f"{noun} changed both in the YAML and in the portal since the last apply: {listed}",
        hint=(
            "copy the portal's value into the YAML, or rerun with --overwrite-drift to replace "
            "the portal's value with the YAML's (see `ivrsync plan --refresh`)"
        ),
    )


def _refresh_change(change: Change, state: State, live: Mapping[int, LiveIvr]) -> RefreshedIvr:
    current = live.get(change.id)
    entry = state.entries.get(change.id)
    fields: tuple[FieldRefresh, ...] = ()
    if current is not None and change.action == "adopt" and change.body is not None:
        fields = _adopt_fields(change.body, current.body)
    elif current is not None and entry is not None:
        fields = _classify(change, diff_bodies(entry.body, current.body))
    puts = change.action in PUT_ACTIONS
    return RefreshedIvr(
        id=change.id,
        name=change.name,
        source=change.source,
        action=change.action,
        planned=change.fields,
        fields=fields,
        live_missing=current is None,
        warnings=current.warnings if current is not None and puts else (),
    )


def _refresh_unchanged(ref: IvrRef, state: State, live: Mapping[int, LiveIvr]) -> RefreshedIvr:
    current = live.get(ref.id)
    entry = state.entries.get(ref.id)
    fields: tuple[FieldRefresh, ...] = ()
    if current is not None and entry is not None:
        fields = tuple(
            FieldRefresh(d.field, d.before, d.before, d.after, "drift")
            for d in diff_bodies(entry.body, current.body)
        )
    return RefreshedIvr(
        id=ref.id,
        name=ref.name,
        source=ref.source,
        action=None,
        planned=(),
        fields=fields,
        live_missing=current is None,
    )


def _classify(change: Change, drift: tuple[FieldChange, ...]) -> tuple[FieldRefresh, ...]:
    repo = {item.field: item for item in change.fields}
    classified: list[FieldRefresh] = []
    for item in drift:
        ours = repo.get(item.field)
        if ours is not None:
            status: FieldStatus = "converged" if ours.after == item.after else "conflict"
            classified.append(FieldRefresh(item.field, item.before, ours.after, item.after, status))
        else:
            status = "overwrite" if change.action in PUT_ACTIONS else "drift"
            kept = item.before  # the YAML did not change it: the state's value is the YAML's
            classified.append(FieldRefresh(item.field, item.before, kept, item.after, status))
    return tuple(classified)


def _adopt_fields(desired: Body, live_body: Body) -> tuple[FieldRefresh, ...]:
    return tuple(
        FieldRefresh(d.field, None, d.after, d.before, "overwrite")
        for d in diff_bodies(live_body, desired)
    )
