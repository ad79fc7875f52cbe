"""ivrsync.flow.graph: the call flow of a set, the part some IVRs reach, what a plan changes."""

from __future__ import annotations

import pytest

from ivrsync.flow.graph import call_flow, flow_change, key_rank, plan_flow, reachable_flow
from ivrsync.model import (
    Change,
    FieldChange,
    FlowEdge,
    FlowNode,
    IvrConfig,
    Plan,
    State,
    StateEntry,
)
from tests.testing.flow import configs, ivr, menu

PERSON = "extension|05047530002"


def _main_and_sales() -> list[IvrConfig]:
    return configs(
        ivr(1, menu(k1="ivr|2", k9="hangup|1", star="ivr|7")),
        ivr(2, menu(k1="department|12", k2="department|7", star="ivr|1"), timeout_tries=1),
    )


def test_every_ivr_has_its_keys_then_a_timeout_and_an_invalid_edge() -> None:
    flow = call_flow(_main_and_sales())

    assert flow.edges[:5] == (
        FlowEdge("ivr|1", "ivr|2", "1"),
        FlowEdge("ivr|1", "hangup|1", "9"),
        FlowEdge("ivr|1", "ivr|7", "*"),
        FlowEdge("ivr|1", PERSON, "timeout", after=4),
        FlowEdge("ivr|1", PERSON, "invalid", after=6),
    )
    assert flow.edges[7:9] == (
        FlowEdge("ivr|2", "ivr|1", "*"),
        FlowEdge("ivr|2", PERSON, "timeout", after=2),
    )


def test_nodes_are_ivrs_by_id_then_destinations_in_natural_order() -> None:
    flow = call_flow(_main_and_sales())

    assert flow.nodes == (
        FlowNode("ivr|1", "ivr", "IVR 1", "ivr-configs/ivr-1.yaml"),
        FlowNode("ivr|2", "ivr", "IVR 2", "ivr-configs/ivr-2.yaml"),
        FlowNode("ivr|7", "unmanaged"),
        FlowNode("department|7", "terminal"),
        FlowNode("department|12", "terminal"),
        FlowNode(PERSON, "terminal"),
        FlowNode("hangup|1", "terminal"),
    )


def test_key_rank_orders_keys_as_a_keypad_then_timeout_and_invalid() -> None:
    keys = ["invalid", "#", "timeout", "0", "*", "9"]

    assert sorted(keys, key=key_rank) == ["0", "9", "*", "#", "timeout", "invalid"]


@pytest.mark.parametrize(
    ("depth", "nodes", "edges"),
    [
        (1, ["ivr|2", "ivr|1", "department|7", "department|12", PERSON], 5),
        (2, ["ivr|1", "ivr|2", "ivr|7", "department|7", "department|12", PERSON, "hangup|1"], 10),
        (
            None,
            ["ivr|1", "ivr|2", "ivr|7", "department|7", "department|12", PERSON, "hangup|1"],
            10,
        ),
    ],
    ids=["depth-1", "depth-2", "all"],
)
def test_reachable_flow_follows_presses_up_to_the_depth(
    depth: int | None, nodes: list[str], edges: int
) -> None:
    flow = reachable_flow(call_flow(_main_and_sales()), ["ivr|2"], depth=depth)

    assert sorted(n.ref for n in flow.nodes) == sorted(nodes)
    assert len(flow.edges) == edges
    assert all(edge.source == "ivr|2" for edge in flow.edges) == (depth == 1)


def test_an_ivr_outside_the_set_is_an_unmanaged_dead_end() -> None:
    flow = reachable_flow(call_flow(_main_and_sales()), ["ivr|1"])

    unmanaged = [node for node in flow.nodes if node.kind == "unmanaged"]
    assert unmanaged == [FlowNode("ivr|7", "unmanaged")]
    assert not any(edge.source == "ivr|7" for edge in flow.edges)


# --- what a plan changes --------------------------------------------------------------------


def _by_id(items: list[IvrConfig]) -> dict[int, IvrConfig]:
    return {config.id: config for config in items}


def test_flow_change_marks_added_removed_rerouted_and_changed_edges() -> None:
    before = _by_id(configs(ivr(1, menu(k1="ivr|2", k2=PERSON, k3="extension|845")), ivr(2)))
    after = _by_id(
        configs(ivr(1, menu(k1="ivr|2", k3="ivr|2", k4="voicemail|21"), timeout_tries=1), ivr(2))
    )

    flow = flow_change(before, after, [1])

    assert [(e.key, e.target, e.status, e.was_target, e.was_after) for e in flow.edges] == [
        ("1", "ivr|2", "unchanged", None, None),
        ("2", PERSON, "removed", None, None),
        ("3", "ivr|2", "rerouted", "extension|845", None),
        ("4", "voicemail|21", "added", None, None),
        ("timeout", PERSON, "changed", None, 4),
        ("invalid", PERSON, "unchanged", None, None),
    ]
    assert [node.ref for node in flow.nodes if node.focus] == ["ivr|1"]


def test_flow_change_shows_the_ivrs_that_route_into_a_changed_one() -> None:
    before = _by_id(
        configs(ivr(1, menu(k1="ivr|2")), ivr(2, menu(k1=PERSON)), ivr(3, menu(k5="ivr|2")))
    )
    after = {**before, **_by_id(configs(ivr(2, menu(k1=PERSON, k2="agent|9"))))}

    flow = flow_change(before, after, [2])

    incoming = [(e.source, e.key) for e in flow.edges if e.target == "ivr|2"]
    assert incoming == [("ivr|1", "1"), ("ivr|3", "5")]
    assert {n.ref for n in flow.nodes} == {"ivr|1", "ivr|2", "ivr|3", PERSON, "agent|9"}


def test_flow_change_is_empty_when_no_route_changes() -> None:
    before = _by_id(configs(ivr(1)))
    after = _by_id(configs(ivr(1, description="only the words changed", timeout=25)))

    assert flow_change(before, after, [1]).edges == ()


def test_plan_flow_compares_the_state_with_the_plans_puts_and_ignores_forgets() -> None:
    old, new, gone = configs(ivr(1, menu(k1=PERSON)), ivr(1, menu(k1="ivr|2")), ivr(2))
    state = State(
        "lineage",
        3,
        {
            1: StateEntry(1, old.body, old.digest, old.source, "2026-01-01T00:00:00Z"),
            2: StateEntry(2, gone.body, gone.digest, gone.source, "2026-01-01T00:00:00Z"),
        },
    )
    update = Change(
        1, "IVR 1", "update", new.source, (FieldChange("menu.1", PERSON, "ivr|2"),),
        new.body, new.digest, old.digest,
    )  # fmt: skip
    forget = Change(2, "IVR 2", "forget", gone.source, (), None, None, gone.digest)
    plan = Plan("lineage", 3, (update, forget), ())

    flow = plan_flow(plan, state)

    assert [(e.key, e.status) for e in flow.changed_edges] == [("1", "rerouted")]
    assert [n.ref for n in flow.nodes if n.focus] == ["ivr|1"]
    assert next(n for n in flow.nodes if n.ref == "ivr|2").kind == "ivr"


def test_an_adopted_ivr_has_every_edge_added() -> None:
    (adopted,) = configs(ivr(5, menu(k1=PERSON)))
    change = Change(5, "IVR 5", "adopt", adopted.source, (), adopted.body, adopted.digest, None)

    flow = plan_flow(Plan(None, 0, (change,), ()), State(None, 0, {}))

    assert {e.status for e in flow.edges} == {"added"}
    assert len(flow.edges) == 3
