"""Desired configs against the last-applied state: the plan, as a pure value.

Digests decide *whether* an IVR changed (cheap: one string comparison per IVR); a comparison of
the two bodies field by field runs only on the IVRs whose digests differ, to say *how*. So a plan
over 10,000 IVRs with a handful changed costs a dictionary walk plus a handful of field diffs.
Bodies are JSON values, so "the same" is exact and type-strict (`20`, `20.0`, `"20"` and `True`
all differ), as a generic deep diff would say, without the cost of one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from ivrsync.body import dtmf_rank, menu_of
from ivrsync.model import (
    BODY_FIELDS,
    MENU_PREFIX,
    Body,
    Change,
    FieldChange,
    IvrConfig,
    IvrRef,
    Plan,
    State,
    StateEntry,
)

#: The prefix of per-DTMF-key menu fields: `menu.2` is the destination of option 2.

_MENU_ARRAYS = ("option", "destination")
_FIELD_RANK = {name: rank for rank, name in enumerate(BODY_FIELDS)}


def compute_plan(
    configs: Sequence[IvrConfig],
    state: State,
    *,
    targets: Collection[int] | None = None,
) -> Plan:
    """The plan that takes `state` to `configs`. Pure and deterministic.

    Precondition: `configs` has at most one config per id (validation reports duplicates).

    Every id in configs or state becomes exactly one of: an `update` (in both, digests differ),
    an `adopt` (only in configs), a `forget` (only in state; apply makes no API call for it) or an
    unchanged `IvrRef` (digests equal). Changes and unchanged refs are sorted by id.

    With `targets`, only those ids are planned (a forget too, when targeted) and `Plan.targets`
    holds them sorted. A target in neither the configs nor the state plans nothing: callers
    refuse those first (`unknown_targets`), since a mistyped id is almost always a mistake.
    """
    by_id = {config.id: config for config in configs}
    entries = state.entries
    if targets is None:
        ids: Iterable[int] = sorted(by_id.keys() | entries.keys())
        plan_targets: tuple[int, ...] | None = None
    else:
        plan_targets = tuple(sorted(set(targets)))
        ids = [i for i in plan_targets if i in by_id or i in entries]

    changes: list[Change] = []
    unchanged: list[IvrRef] = []
    for ivr_id in ids:
        config = by_id.get(ivr_id)
        entry = entries.get(ivr_id)
        if config is None:
            assert entry is not None  # ids come from the union of both
            changes.append(_forget(entry))
        elif entry is None:
            changes.append(_adopt(config))
        elif config.digest == entry.digest:
            unchanged.append(IvrRef(config.id, config.name, config.source))
        else:
            changes.append(_update(config, entry))
    return Plan(
        lineage=state.lineage,
        serial=state.serial,
        changes=tuple(changes),
        unchanged=tuple(unchanged),
        targets=plan_targets,
    )


def diff_bodies(before: Body, after: Body) -> tuple[FieldChange, ...]:
    """Every field that differs between two bodies, scalar fields first, then the menu.

    Scalar fields keep `BODY_FIELDS` order (fields outside it follow, by name). The menu is
    compared per DTMF key, never per array index: `menu.<key>` with the destination before and
    after, None on the side where the option does not exist. A field on one side only differs
    (even when the other's value is None). Equal bodies give `()`.
    """
    old, new = _flatten(before), _flatten(after)
    old_menu, new_menu = old.pop("menu"), new.pop("menu")
    scalar_names = _differing_keys(old, new)
    menu_keys = _differing_keys(old_menu, new_menu)
    changes = [
        FieldChange(name, old.get(name), new.get(name)) for name in sorted(scalar_names, key=_rank)
    ]
    changes.extend(
        FieldChange(MENU_PREFIX + key, old_menu.get(key), new_menu.get(key))
        for key in sorted(menu_keys, key=dtmf_rank)
    )
    return tuple(changes)


def _update(config: IvrConfig, entry: StateEntry) -> Change:
    return Change(
        id=config.id,
        name=config.name,
        action="update",
        source=config.source,
        fields=diff_bodies(entry.body, config.body),
        body=config.body,
        digest=config.digest,
        state_digest=entry.digest,
    )


def _adopt(config: IvrConfig) -> Change:
    return Change(
        id=config.id,
        name=config.name,
        action="adopt",
        source=config.source,
        fields=all_fields(config.body),
        body=config.body,
        digest=config.digest,
        state_digest=None,
    )


def _forget(entry: StateEntry) -> Change:
    # No field changes: forgetting leaves the IVR in Smartflo exactly as it is.
    return Change(
        id=entry.id,
        name=str(entry.body.get("name", "")),
        action="forget",
        source=entry.source,
        fields=(),
        body=None,
        digest=None,
        state_digest=entry.digest,
    )


def all_fields(body: Body) -> tuple[FieldChange, ...]:
    """The whole body as changes from nothing: what an adopt PUTs."""
    flat = _flatten(body)
    menu: dict[str, Any] = flat.pop("menu")
    scalars = [FieldChange(name, None, flat[name]) for name in sorted(flat, key=_rank)]
    options = [FieldChange(MENU_PREFIX + key, None, dest) for key, dest in menu.items()]
    return (*scalars, *options)


def _flatten(body: Body) -> dict[str, Any]:
    """The body with its parallel `option`/`destination` arrays as one {key: destination} map."""
    flat = {name: value for name, value in body.items() if name not in _MENU_ARRAYS}
    flat["menu"] = menu_of(body)
    return flat


_ABSENT = object()


def _differing_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    return {
        key
        for key in before.keys() | after.keys()
        if not _same(before.get(key, _ABSENT), after.get(key, _ABSENT))
    }


def _same(first: Any, second: Any) -> bool:
    """Equal JSON values of the same types all the way down (dict key order aside)."""
    kind = type(first)
    if kind is not type(second):
        return False
    if kind is dict:
        return first.keys() == second.keys() and all(_same(first[k], second[k]) for k in first)
    if kind is list or kind is tuple:
        return len(first) == len(second) and all(map(_same, first, second))
    return bool(first == second)


def _rank(name: str) -> tuple[int, str]:
    return (_FIELD_RANK.get(name, len(_FIELD_RANK)), name)


def unknown_targets(
    configs: Sequence[IvrConfig], state: State, targets: Collection[int]
) -> list[int]:
    """The ids of `targets`, sorted, that are neither in `configs` nor in `state`."""
    known = {config.id for config in configs} | state.entries.keys()
    return sorted(set(targets) - known)
