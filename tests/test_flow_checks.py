"""ivrsync.flow.checks: each telephony rule, its levels, and where its problems point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivrsync.config.validate import load_config_set
from ivrsync.flow.checks import RULES, telephony_problems
from ivrsync.flow.graph import targets_of
from ivrsync.model import CheckLevel, TelephonyChecks
from tests.testing.flow import configs, ivr, menu, write_ivrs

PERSON = "extension|05047530002"


def _rules(*documents: dict[str, Any], **options: Any) -> list[tuple[int, str]]:
    """(IVR id, rule) of every problem."""
    found = telephony_problems(configs(*documents), **options)
    return [
        (int(p.file.split("-")[-1].split(".")[0]), p.message.rsplit("[", 1)[1][:-1]) for p in found
    ]


def _loop(a: int, b: int, **extra: str) -> list[dict[str, Any]]:
    """IVRs a and b whose every key, timeout and invalid key leads to the other."""
    to_b, to_a = f"ivr|{b}", f"ivr|{a}"
    return [
        ivr(a, menu(k1=to_b, **extra), timeout_destination=to_b, invalid_destination=to_b),
        ivr(b, menu(k1=to_a), timeout_destination=to_a, invalid_destination=to_a),
    ]


def test_the_rules_and_their_defaults() -> None:
    assert dict(RULES) == {
        "inescapable-loop": "warning",
        "hangup-fallback": "warning",
        "unreachable-ivr": "warning",
        "timeout-length": "warning",
        "no-person-within": "off",
    }


def test_a_set_of_menus_callers_cannot_leave_is_a_loop() -> None:
    assert _rules(*_loop(1, 2)) == [(1, "inescapable-loop"), (2, "inescapable-loop")]


def test_one_way_out_is_no_loop() -> None:
    assert _rules(*_loop(1, 2, k2=PERSON)) == []


def test_an_unmanaged_ivr_counts_as_a_way_out() -> None:
    assert _rules(*_loop(1, 2, k2="ivr|77")) == []


def test_a_menu_that_only_leads_to_itself_is_a_loop() -> None:
    me = "ivr|3"
    alone = ivr(3, menu(k1=me), timeout_destination=me, invalid_destination=me)

    assert _rules(alone) == [(3, "inescapable-loop")]


def test_a_loop_below_an_entry_menu_is_found_too() -> None:
    entry = ivr(9, menu(k1="ivr|1"))

    assert _rules(entry, *_loop(1, 2)) == [(1, "inescapable-loop"), (2, "inescapable-loop")]


def test_loops_are_found_without_recursion_in_a_long_chain() -> None:
    chain = [
        ivr(i, menu(k1=f"ivr|{i + 1}"), timeout_destination=f"ivr|{i + 1}") for i in range(1, 3000)
    ]
    chain.append(
        ivr(3000, menu(k1="ivr|1"), timeout_destination="ivr|1", invalid_destination="ivr|1")
    )
    for document in chain:
        document["invalid_destination"] = document["timeout_destination"]

    assert len(_rules(*chain)) == 3000


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"timeout_destination": "hangup|1"}, [(1, "hangup-fallback")]),
        ({"invalid_destination": "hangup|1"}, [(1, "hangup-fallback")]),
        (
            {"timeout_destination": "hangup|1", "invalid_destination": "hangup|1"},
            [(1, "hangup-fallback")] * 2,
        ),
        ({"timeout": 2}, [(1, "timeout-length")]),
        ({"timeout": 3}, []),
        ({"timeout": 60}, []),
        ({"timeout": 61}, [(1, "timeout-length")]),
    ],
    ids=["timeout-hangup", "invalid-hangup", "both-hangup", "2s", "3s", "60s", "61s"],
)
def test_per_menu_rules(fields: dict[str, Any], expected: list[tuple[int, str]]) -> None:
    assert _rules(ivr(1, **fields)) == expected


def test_a_hangup_key_is_fine() -> None:
    assert _rules(ivr(1, menu(k9="hangup|1"))) == []


def test_unreachable_is_unknown_without_entry_points() -> None:
    assert _rules(ivr(1), ivr(2)) == []


@pytest.mark.parametrize("entry", ["IVR 1", "ivr 1", 1, "1"], ids=["name", "case", "id", "id-text"])
def test_ivrs_no_entry_point_leads_to_are_unreachable(entry: str | int) -> None:
    documents = [ivr(1, menu(k1="ivr|2")), ivr(2), ivr(3), ivr(4, menu(k1="ivr|5")), ivr(5)]

    assert _rules(*documents, entry_points=[entry]) == [
        (3, "unreachable-ivr"),
        (4, "unreachable-ivr"),
        (5, "unreachable-ivr"),
    ]


def test_an_island_of_menus_routing_to_each_other_is_unreachable() -> None:
    documents = [ivr(1), ivr(2, menu(k1="ivr|3")), ivr(3, menu(k1="ivr|2"))]

    found = telephony_problems(configs(*documents), entry_points=[1])

    assert [p.file for p in found] == ["ivr-configs/ivr-2.yaml", "ivr-configs/ivr-3.yaml"]
    assert "only IVRs callers cannot reach route to it (3)" in found[0].message


def test_entry_points_naming_no_ivr_are_ignored() -> None:
    assert _rules(ivr(1), entry_points=["Nobody", 99]) == [(1, "unreachable-ivr")]


def test_no_person_within_is_off_by_default_and_counts_key_presses() -> None:
    far = [
        ivr(1, menu(k1="ivr|2")),
        ivr(2, menu(k1="ivr|3")),
        ivr(3, menu(k1=PERSON, k2="voicemail|1")),
        ivr(4, menu(k1="voicemail|1", k2="hangup|1")),
    ]
    on: dict[str, CheckLevel] = {"no-person-within": "warning"}

    assert _rules(*far) == []
    assert _rules(*far, severities=on) == [(4, "no-person-within")]
    assert _rules(*far, severities=on, person_within=2) == [
        (1, "no-person-within"),
        (4, "no-person-within"),
    ]
    assert _rules(*far, severities=on, person_within=1) == [
        (1, "no-person-within"),
        (2, "no-person-within"),
        (4, "no-person-within"),
    ]


def test_timeouts_do_not_count_as_keys_to_a_person() -> None:
    only_timeout = ivr(1, menu(k1="voicemail|1"), timeout_destination=PERSON)

    assert _rules(only_timeout, severities={"no-person-within": "error"}) == [
        (1, "no-person-within")
    ]


def test_levels_come_from_severities_and_unknown_rules_are_ignored() -> None:
    found = telephony_problems(
        configs(ivr(1, timeout=1, timeout_destination="hangup|1")),
        severities={"timeout-length": "error", "hangup-fallback": "off", "no-such-rule": "error"},
    )

    assert [(p.severity, p.path) for p in found] == [("error", "timeout")]


def test_every_message_names_its_rule() -> None:
    documents = [*_loop(1, 2), ivr(3, timeout=1, timeout_destination="hangup|1"), ivr(4)]
    found = telephony_problems(
        configs(*documents),
        severities={"no-person-within": "warning"},
        entry_points=[3],
        person_within=1,
    )

    assert {p.message.rsplit(" ", 1)[1] for p in found} == {f"[{rule}]" for rule in RULES}


def test_load_config_set_points_at_the_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_ivrs(Path("ivrs"), ivr(1, timeout=90, invalid_destination="hangup|1"), ivr(2))

    result = load_config_set(["ivrs"], checks=TelephonyChecks(entry_points=("IVR 1",)))

    assert [(p.file, p.line, p.column, p.path, p.severity) for p in result.problems] == [
        ("ivrs/ivr-1.yaml", 5, 10, "timeout", "warning"),
        ("ivrs/ivr-1.yaml", 8, 22, "invalid_destination", "warning"),
        ("ivrs/ivr-2.yaml", 2, 7, "name", "warning"),
    ]
    assert result.ok


def test_a_rule_set_to_error_makes_the_set_not_ok_but_keeps_the_ivr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_ivrs(Path("ivrs"), ivr(1, timeout=2))

    result = load_config_set(
        ["ivrs"], checks=TelephonyChecks(severities={"timeout-length": "error"})
    )

    assert not result.ok
    assert [config.id for config in result.configs] == [1]


def test_telephony_checks_wait_until_no_file_has_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_ivrs(Path("ivrs"), ivr(1, timeout=2), ivr(2, timeout=0))

    result = load_config_set(["ivrs"])

    assert [p.file for p in result.problems] == ["ivrs/ivr-2.yaml"]


@given(
    st.dictionaries(
        st.integers(1, 6),
        st.tuples(
            st.lists(st.sampled_from(["ivr|1", "ivr|2", "ivr|3", "ivr|4", "ivr|5", "ivr|6"])),
            st.booleans(),
        ),
        min_size=1,
    )
)
def test_loops_are_the_closed_groups_without_a_way_out(
    graph: dict[int, tuple[list[str], bool]],
) -> None:
    """Against the definition, by brute force: an IVR is in an inescapable loop when every IVR it
    reaches (itself included) reaches it back, none of them has a way out, and no route leaves."""
    documents = []
    for ivr_id, (targets, way_out) in graph.items():
        routes = [*targets[:3], PERSON if way_out else f"ivr|{ivr_id}"]
        keys = {f"k{index}": target for index, target in enumerate(routes[:-1], 1)}
        documents.append(
            ivr(
                ivr_id,
                menu(**keys, k9=routes[-1]),
                timeout_destination=f"ivr|{ivr_id}",
                invalid_destination=f"ivr|{ivr_id}",
            )
        )
    edges = {
        d["id"]: {m["destination"] for m in d["menu"]} | {d["timeout_destination"]}
        for d in documents
    }

    def reach(start: int) -> set[str]:
        seen, todo = set(), [f"ivr|{start}"]
        while todo:
            ref = todo.pop()
            if ref not in seen:
                seen.add(ref)
                if ref.startswith("ivr|") and int(ref[4:]) in edges:
                    todo.extend(edges[int(ref[4:])])
        return seen

    expected = sorted(
        (ivr_id, "inescapable-loop")
        for ivr_id in edges
        if all(r.startswith("ivr|") and int(r[4:]) in edges for r in reach(ivr_id))
        and all(f"ivr|{ivr_id}" in reach(int(r[4:])) for r in reach(ivr_id))
    )

    assert sorted(r for r in _rules(*documents) if r[1] == "inescapable-loop") == expected


@given(
    st.dictionaries(
        st.integers(1, 6),
        st.tuples(
            st.lists(st.sampled_from(["ivr|1", "ivr|2", "ivr|3", "ivr|7", "ivr|x", PERSON])),
            st.sampled_from(["ivr|1", "ivr|4", PERSON]),
        ),
        min_size=1,
    ),
    st.lists(st.integers(1, 6), max_size=2),
)
def test_routes_found_once_give_the_problems_the_bodies_give(
    graph: dict[int, tuple[list[str], str]], entry_points: list[int]
) -> None:
    """`load_config_set` hands the checks each file's `ivr|` destinations, found once (and in
    the file's order, not the body's): the problems are those of the bodies alone."""
    documents = [
        ivr(
            ivr_id,
            menu(**{f"k{index}": target for index, target in enumerate(targets[:9], 1)}),
            timeout_destination=timeout,
            invalid_destination=f"ivr|{ivr_id}",
        )
        for ivr_id, (targets, timeout) in graph.items()
        if targets
    ]
    found = configs(*documents)
    routes = {
        config.id: [t for t in targets_of(config.body) if t.startswith("ivr|")][::-1]
        for config in found
    }
    for points in (entry_points, []):
        assert telephony_problems(found, entry_points=points, routes=routes) == (
            telephony_problems(found, entry_points=points)
        )
