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
from dataclasses import dataclass
from typing import Any, Literal

from ivrsync.errors import ConflictError
from ivrsync.model import Action, Body, Change, FieldChange, IvrRef, Plan, State
from ivrsync.plan.diff import diff_bodies
from ivrsync.smartflo.readshape import LiveIvr

FieldStatus = Literal["conflict", "converged", "overwrite", "drift"]

#: Actions whose apply sends a PUT with the whole body.
_PUT_ACTIONS: frozenset[Action] = frozenset({"update", "adopt"})


@dataclass(frozen=True)
class FieldRefresh:
    """One field the live IVR has differently from the state (or, for adopt, from the YAML).

    `state`, `yaml` and `live` are the field's three values (a menu key's destination for
    `menu.<key>` fields; None where the option does not exist, and `state` None for an adopt).
    `yaml` is what the next PUT sends; for an IVR the plan does not PUT it equals `state`.
    """

    field: str
    state: Any
    yaml: Any
    live: Any
    status: FieldStatus


@dataclass(frozen=True)
class RefreshedIvr:
    """One IVR of the plan, seen three ways.

    `action` is the plan's action, None when the plan leaves the IVR unchanged. `repo` is the
    plan's field changes (state -> YAML). `fields` is every field the portal changed, classified,
    in the plan's field order. `live_missing` is true when the server no longer lists the IVR.
    `warnings` are the live IVR's mapping warnings (portal-only settings), kept only when the
    plan PUTs the IVR, since only a PUT can clear them.
    """

    id: int
    name: str
    source: str
    action: Action | None
    repo: tuple[FieldChange, ...]
    fields: tuple[FieldRefresh, ...]
    live_missing: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def puts(self) -> bool:
        """True when applying the plan sends this IVR's body to the server."""
        return self.action in _PUT_ACTIONS

    def with_status(self, status: FieldStatus) -> tuple[FieldRefresh, ...]:
        return tuple(item for item in self.fields if item.status == status)

    @property
    def is_clean(self) -> bool:
        """Nothing to tell: no portal change, the IVR exists, no portal-only settings at risk."""
        return not (self.fields or self.live_missing or self.warnings)


@dataclass(frozen=True)
class Conflict:
    """A field changed both in the YAML and in the portal, to different values."""

    id: int
    name: str
    field: str
    state: Any
    yaml: Any
    live: Any


@dataclass(frozen=True)
class RefreshedPlan:
    """A plan with the live state folded in. `ivrs` has one entry per IVR of the plan, by id."""

    plan: Plan
    ivrs: tuple[RefreshedIvr, ...]
    live_count: int

    def count(self, status: FieldStatus) -> int:
        """How many fields, over all IVRs, have this status."""
        return sum(len(ivr.with_status(status)) for ivr in self.ivrs)

    @property
    def missing(self) -> tuple[RefreshedIvr, ...]:
        return tuple(ivr for ivr in self.ivrs if ivr.live_missing)


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
        Conflict(ivr.id, ivr.name, item.field, item.state, item.yaml, item.live)
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
    puts = change.action in _PUT_ACTIONS
    return RefreshedIvr(
        id=change.id,
        name=change.name,
        source=change.source,
        action=change.action,
        repo=change.fields,
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
        repo=(),
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
            status = "overwrite" if change.action in _PUT_ACTIONS else "drift"
            kept = item.before  # the YAML did not change it: the state's value is the YAML's
            classified.append(FieldRefresh(item.field, item.before, kept, item.after, status))
    return tuple(classified)


def _adopt_fields(desired: Body, live_body: Body) -> tuple[FieldRefresh, ...]:
    return tuple(
        FieldRefresh(d.field, None, d.after, d.before, "overwrite")
        for d in diff_bodies(live_body, desired)
    )
