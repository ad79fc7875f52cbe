"""New IVRs in a plan, pure: the creates, the order apply sends them in, and recorded ids.

A file without `id` is a new IVR. The plan shows it as a `create` (the whole body, like an
adopt); apply POSTs it after every new IVR it routes to by name, so no menu ever routes to an
IVR that does not exist (validation refuses loops among new IVRs). Once apply knows the new id,
it records the IVR in the state and writes `id: N` into the file; `settle_recorded` covers a run
stopped between those two steps, so the next plan neither creates the IVR again nor forgets it.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from ivrsync.body import digest_body, referenced_names, resolve_names
from ivrsync.config.validate import with_names_resolved
from ivrsync.errors import CreateConflictError, UsageError
from ivrsync.model import Body, Change, Create, IvrConfig, NewIvrConfig, Plan, State
from ivrsync.plan.diff import all_fields, compute_plan


@dataclass(frozen=True)
class WriteBack:
    """A file that should say `id: <ivr_id>`: apply created the IVR but did not write it yet."""

    source: str
    ivr_id: int
    name: str


@dataclass(frozen=True)
class Settled:
    """The configs once every new IVR the state already records has its id."""

    configs: tuple[IvrConfig, ...]
    new: tuple[NewIvrConfig, ...]
    write_backs: tuple[WriteBack, ...]


def settle_recorded(
    configs: Sequence[IvrConfig],
    new: Sequence[NewIvrConfig],
    state: State,
    recorded: Mapping[str, int],
) -> Settled:
    """Give each new IVR that an earlier apply created and recorded its id, and resolve every
    body's name references to it, so digests match the state.

    `recorded` holds, by name, the ids of creates recorded in the state whose id is not yet in
    the file (the create intents that have an id): a run stopped between recording the IVR and
    writing its id leaves a file without id and an entry no file claims. Only those are
    matched, never an entry that merely shares a name.
    """
    claimed = {config.id for config in configs}
    wanted = {name.strip().casefold(): ivr_id for name, ivr_id in recorded.items()}
    ids: dict[str, int] = {}
    write_backs: list[WriteBack] = []
    for config in new:
        ivr_id = wanted.get(config.name.strip().casefold())
        if ivr_id is not None and ivr_id in state.entries and ivr_id not in claimed:
            ids[config.name.strip()] = ivr_id
            write_backs.append(WriteBack(config.source, ivr_id, config.name))
    if not ids:
        return Settled(tuple(configs), tuple(new), ())
    settled = [with_names_resolved(config, ids) for config in configs]
    remaining: list[NewIvrConfig] = []
    for config in new:
        resolved = with_names_resolved(config, ids)
        ivr_id = ids.get(config.name.strip())
        if ivr_id is None:
            remaining.append(resolved)
        else:
            settled.append(
                IvrConfig(ivr_id, config.name, config.source, resolved.body, resolved.digest)
            )
    settled.sort(key=lambda config: config.id)
    return Settled(tuple(settled), tuple(remaining), tuple(write_backs))


def create_of(config: NewIvrConfig) -> Create:
    """The plan's create of one new IVR."""
    return Create(
        name=config.name,
        source=config.source,
        fields=all_fields(config.body),
        body=config.body,
        digest=config.digest,
        routes_to=referenced_names(config.body),
    )


def creation_order(creates: Sequence[Create]) -> list[Create]:
    """`creates` so that each comes after the new IVRs it routes to, else in name order.

    Raises ValueError on a loop (validation refuses those first, naming file and line).
    """
    by_name = {create.name.strip(): create for create in creates}
    # Kahn's algorithm, smallest name first among the ready: deterministic, and no recursion
    # however long a chain of new IVRs is.
    waiting = {
        name: {t.strip() for t in create.routes_to if t.strip() in by_name} - {name}
        for name, create in by_name.items()
    }
    needed_by: dict[str, list[str]] = {}
    for name, targets in waiting.items():
        for target in targets:
            needed_by.setdefault(target, []).append(name)
    ready = sorted(name for name, targets in waiting.items() if not targets)
    order: list[Create] = []
    while ready:
        name = ready.pop(0)
        order.append(by_name[name])
        for other in needed_by.get(name, ()):
            waiting[other].discard(name)
            if not waiting[other]:
                bisect.insort(ready, other)
    if len(order) != len(by_name):
        stuck = sorted(set(by_name) - {create.name.strip() for create in order})
        raise ValueError(f"new IVRs route to each other in a loop: {stuck}")
    return order


def resolved_body(body: Body, ids: Mapping[str, int]) -> tuple[Body, str]:
    """`body` with the name references `ids` knows resolved, and its digest."""
    resolved = resolve_names(body, ids)
    return resolved, digest_body(resolved)


def resolved_change(change: Change, ids: Mapping[str, int]) -> Change:
    """A change whose body routes to new IVRs by name, with the ids apply now knows."""
    if change.body is None or not referenced_names(change.body):
        return change
    body, digest = resolved_body(change.body, ids)
    return replace(change, body=body, digest=digest)


def plan_desired(
    configs: Sequence[IvrConfig],
    new: Sequence[NewIvrConfig],
    state: State,
    *,
    targets: Collection[int] | None = None,
    recorded: Mapping[str, int] | None = None,
) -> tuple[Plan, tuple[WriteBack, ...]]:
    """The plan from the whole desired side (IVRs with ids and new ones), and the ids apply
    still has to write into files (`recorded`: see `settle_recorded`).

    A partial plan (`targets`) creates nothing, and refuses (UsageError) a targeted change that
    routes by name to a new IVR: without the create it could not be sent.
    """
    settled = settle_recorded(configs, new, state, recorded or {})
    made = compute_plan(settled.configs, state, targets=targets)
    if targets is not None:
        for change in made.changes:
            pending = referenced_names(change.body) if change.body is not None else ()
            if pending:
                raise UsageError(
                    f"--target {change.id}: IVR {change.id} routes to the new IVR "
                    f"{pending[0]!r}, which a partial plan does not create",
                    hint="plan without --target, so the new IVR is created first",
                )
        return made, settled.write_backs
    creates = creation_order([create_of(config) for config in settled.new])
    return replace(made, creates=tuple(creates)), settled.write_backs


def taken_names(
    creates: Sequence[Create], live_names: Mapping[int, str], *, ours: Collection[str] = ()
) -> list[tuple[Create, int]]:
    """The creates whose name a live IVR already has, with that IVR's id.

    Names are compared as the portal shows them (trimmed, case-folded). `ours` are the names of
    creates ivrsync journaled and may have made itself (completed, not refused, by apply).
    """
    live: dict[str, int] = {}
    for ivr_id, name in sorted(live_names.items()):
        live.setdefault(name.strip().casefold(), ivr_id)
    mine = {name.strip().casefold() for name in ours}
    return [
        (create, live[key])
        for create in creates
        if (key := create.name.strip().casefold()) in live and key not in mine
    ]


def refuse_taken(taken: Sequence[tuple[Create, int]], *, sent_nothing: bool) -> None:
    """Raise CreateConflictError naming each live IVR a create would duplicate."""
    if not taken:
        return
    lines = [
        f"{create.source}: the new IVR {create.name!r} already exists live as IVR {ivr_id}: "
        "creating it would make a second one"
        for create, ivr_id in taken
    ]
    if sent_nothing:
        lines.append("nothing was sent")
    first_id = taken[0][1]
    raise CreateConflictError(
        "\n".join(lines),
        hint=f"manage the live IVR instead: `ivrsync import --id {first_id}` writes its file from "
        f"Smartflo (then delete this one), or add `id: {first_id}` to this file (the plan then "
        "shows what differs); or give the new IVR another name",
    )
