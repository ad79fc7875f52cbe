"""The call flow of IVRs as a graph; the part of it some IVRs reach; what a plan changes in it.

Pure functions of bodies (`ivrsync.body` conventions): no I/O. Every IVR has one edge per menu
key plus a `timeout` and an `invalid` edge, so an IVR is never a dead end in the graph.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence

from ivrsync.body import dtmf_rank, menu_of
from ivrsync.model import (
    DTMF_KEYS,
    INVALID,
    PUT_ACTIONS,
    TIMEOUT,
    Body,
    CallFlow,
    EdgeStatus,
    FlowEdge,
    FlowNode,
    IvrConfig,
    Plan,
    State,
)

_KEY_RANK = {TIMEOUT: len(DTMF_KEYS), INVALID: len(DTMF_KEYS) + 1}


def ivr_ref(ivr_id: int) -> str:
    """`ivr|<id>`: how destinations name an IVR."""
    return f"ivr|{ivr_id}"


def ivr_id_of(ref: str) -> int | None:
    """The IVR id of an `ivr|<id>` reference; None for any other reference."""
    # Most references name no IVR: the prefix test first (it runs for every edge of every IVR).
    if not ref.startswith("ivr|"):
        return None
    ident = ref[4:]
    return int(ident) if ident.isascii() and ident.isdigit() else None


def key_rank(key: str) -> int:
    """Sort rank of an edge key: DTMF keys in menu order, then `timeout`, then `invalid`."""
    rank = _KEY_RANK.get(key)
    return dtmf_rank(key) if rank is None else rank


def edges_of(ivr_id: int, body: Body) -> list[FlowEdge]:
    """The edges out of one IVR: its menu keys in order, then `timeout`, then `invalid`."""
    source = ivr_ref(ivr_id)
    edges = [FlowEdge(source, target, key) for key, target in menu_of(body).items()]
    edges.append(
        FlowEdge(
            source,
            body["timeout_destination"],
            TIMEOUT,
            after=body["timeout_tries"] + 1,
        )
    )
    edges.append(
        FlowEdge(
            source,
            body["invalid_destination"],
            INVALID,
            after=body["incorrect_count"] + 1,
        )
    )
    return edges


def targets_of(body: Body) -> list[str]:
    """Every destination of one IVR (menu, timeout, invalid), in YAML form, repeats kept."""
    raw = [*body["destination"], body["timeout_destination"], body["invalid_destination"]]
    return raw


def call_flow(configs: Iterable[IvrConfig]) -> CallFlow:
    """The whole call flow of a config set: every IVR, every destination, every edge."""
    ordered = sorted(configs, key=lambda config: config.id)
    ivrs = {ivr_ref(config.id): config for config in ordered}
    # Made in order (IVRs by id, each IVR's edges by key), so they need no sorting.
    edges = [edge for config in ordered for edge in edges_of(config.id, config.body)]
    return _assemble(ivrs, edges, set(ivrs), edges_sorted=True)


def reachable_flow(flow: CallFlow, starts: Sequence[str], *, depth: int | None = None) -> CallFlow:
    """The part of `flow` callers reach from the IVRs `starts` (references) in `depth` presses.

    Breadth first: a node at distance d is kept when d <= depth (all reachable nodes when depth
    is None), and its edges are kept when d < depth. `starts` not in the graph are ignored.
    """
    out: dict[str, list[FlowEdge]] = {}
    for edge in flow.edges:
        out.setdefault(edge.source, []).append(edge)
    known = {node.ref for node in flow.nodes}
    distance = {ref: 0 for ref in starts if ref in known}
    queue = deque(distance)
    kept: list[FlowEdge] = []
    while queue:
        ref = queue.popleft()
        if depth is not None and distance[ref] >= depth:
            continue
        for edge in out.get(ref, ()):
            kept.append(edge)
            if edge.target not in distance:
                distance[edge.target] = distance[ref] + 1
                queue.append(edge.target)
    nodes = tuple(node for node in flow.nodes if node.ref in distance)
    order = {node.ref: index for index, node in enumerate(nodes)}
    kept.sort(key=lambda edge: (order[edge.source], key_rank(edge.key)))
    return CallFlow(nodes, tuple(kept))


def plan_flow(plan: Plan, state: State) -> CallFlow:
    """What `plan` changes in the call flow: last-applied (the state) against the state with the
    plan's PUTs applied. See `flow_change`; a forget changes no routing, so it is not shown."""
    before = {
        entry.id: IvrConfig(entry.id, entry.body["name"], entry.source, entry.body, entry.digest)
        for entry in state.entries.values()
    }
    after = dict(before)
    candidates = []
    for change in plan.changes:
        if change.action in PUT_ACTIONS and change.body is not None:
            after[change.id] = IvrConfig(
                change.id, change.name, change.source, change.body, change.digest or ""
            )
            candidates.append(change.id)
    return flow_change(before, after, candidates)


def flow_change(
    before: Mapping[int, IvrConfig], after: Mapping[int, IvrConfig], candidates: Collection[int]
) -> CallFlow:
    """The edges of `candidates` that differ between `before` and `after`, in context.

    The focus is every candidate with at least one added, removed, rerouted or changed edge
    (an IVR whose recordings alone change is no part of it). The flow holds the focus IVRs with
    all their edges before and after (each with its status), the edges other IVRs route into
    them, and the nodes at the ends of those edges. Empty when no routing changes.
    """
    edges: list[FlowEdge] = []
    focus: set[str] = set()
    for ivr_id in sorted(set(candidates)):
        old = {e.key: e for e in _edges_in(before, ivr_id)}
        new = {e.key: e for e in _edges_in(after, ivr_id)}
        compared = [_compare(old.get(key), new.get(key)) for key in {**old, **new}]
        if any(edge.status != "unchanged" for edge in compared):
            focus.add(ivr_ref(ivr_id))
            edges.extend(compared)
    if not focus:
        return CallFlow((), ())
    for config in after.values():
        ref = ivr_ref(config.id)
        if ref not in focus and any(target in focus for target in targets_of(config.body)):
            edges.extend(e for e in edges_of(config.id, config.body) if e.target in focus)
    ivrs = {ivr_ref(i): c for i, c in before.items()} | {ivr_ref(i): c for i, c in after.items()}
    return _assemble(ivrs, edges, focus, focus=focus)


def _edges_in(configs: Mapping[int, IvrConfig], ivr_id: int) -> list[FlowEdge]:
    config = configs.get(ivr_id)
    return [] if config is None else edges_of(ivr_id, config.body)


def _compare(old: FlowEdge | None, new: FlowEdge | None) -> FlowEdge:
    if new is None:
        assert old is not None
        return _with_status(old, "removed")
    if old is None:
        return _with_status(new, "added")
    if old.target != new.target:
        was_after = old.after if old.after != new.after else None
        return _with_status(new, "rerouted", was_target=old.target, was_after=was_after)
    if old.after != new.after:
        return _with_status(new, "changed", was_after=old.after)
    return new


def _with_status(
    edge: FlowEdge,
    status: EdgeStatus,
    *,
    was_target: str | None = None,
    was_after: int | None = None,
) -> FlowEdge:
    return FlowEdge(edge.source, edge.target, edge.key, edge.after, status, was_target, was_after)


def _assemble(
    ivrs: Mapping[str, IvrConfig],
    edges: list[FlowEdge],
    include: Collection[str],
    *,
    focus: Collection[str] = (),
    edges_sorted: bool = False,
) -> CallFlow:
    """Nodes for `include` and both ends of every edge; both sorted (see `CallFlow`)."""
    refs = set(include)
    refs.update(edge.target for edge in edges)
    refs.update(edge.source for edge in edges)
    nodes = sorted((_node(ref, ivrs, ref in focus) for ref in refs), key=_node_order)
    if not edges_sorted:
        order = {node.ref: index for index, node in enumerate(nodes)}
        edges.sort(key=lambda edge: (order[edge.source], key_rank(edge.key)))
    return CallFlow(tuple(nodes), tuple(edges))


def _node(ref: str, ivrs: Mapping[str, IvrConfig], focus: bool) -> FlowNode:
    config = ivrs.get(ref)
    if config is not None:
        return FlowNode(ref, "ivr", name=config.name, source=config.source, focus=focus)
    return FlowNode(ref, "unmanaged" if ivr_id_of(ref) is not None else "terminal")


def _node_order(node: FlowNode) -> tuple[int, int, str, str, str]:
    if node.kind != "terminal":
        return (0, int(node.ident), "", "", "")
    ident = node.ident
    # Numeric ids in numeric order (department|7 before department|12).
    natural = ident.zfill(24) if ident.isascii() and ident.isdigit() else ident
    return (1, 0, node.type, natural, ident)
