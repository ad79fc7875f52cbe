"""compute_plan: actions, field changes per DTMF key, targets, ordering, the digest fast path."""

from __future__ import annotations

from typing import Any

import pytest

from ivrsync.body import body_from_document, digest_body
from ivrsync.commands.plan import check_targets
from ivrsync.errors import UsageError
from ivrsync.model import Body, Change, FieldChange, IvrConfig, IvrRef, Plan, State, StateEntry
from ivrsync.plan.diff import compute_plan, diff_bodies, unknown_targets
from tests.testing.documents import ivr_document


def config(ivr_id: int, **overrides: Any) -> IvrConfig:
    body = body_from_document(ivr_document(ivr_id, **overrides))
    return IvrConfig(
        ivr_id, body["name"], f"ivr-configs/ivr-{ivr_id}.yaml", body, digest_body(body)
    )


def entry(ivr_id: int, **overrides: Any) -> StateEntry:
    body = body_from_document(ivr_document(ivr_id, **overrides))
    return StateEntry(
        ivr_id, body, digest_body(body), f"ivr-configs/ivr-{ivr_id}.yaml", "2026-01-01T00:00:00Z"
    )


def state_of(*entries: StateEntry, lineage: str | None = "L-1", serial: int = 4) -> State:
    return State(lineage=lineage, serial=serial, entries={e.id: e for e in entries})


def menu(*pairs: tuple[Any, str]) -> list[dict[str, Any]]:
    return [{"option": key, "destination": dest} for key, dest in pairs]


BASE_MENU = menu(("1", "extension|05047530002"), ("2", "extension|845"))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"timeout": 30}, (FieldChange("timeout", 20, 30),)),
        (
            {"timeout": 30, "name": "Renamed"},
            (FieldChange("name", "IVR 349", "Renamed"), FieldChange("timeout", 20, 30)),
        ),
        ({"timeout": "20"}, (FieldChange("timeout", 20, "20"),)),
        (
            {"menu": menu(("1", "extension|05047530002"), ("2", "ringgroup|17839"))},
            (FieldChange("menu.2", "extension|845", "ringgroup|17839"),),
        ),
        (
            {"menu": [*BASE_MENU, {"option": "3", "destination": "ivr|350"}]},
            (FieldChange("menu.3", None, "ivr|350"),),
        ),
        (
            {"menu": menu(("1", "extension|05047530002"))},
            (FieldChange("menu.2", "extension|845", None),),
        ),
        (
            # Every key different: still per key, never the menu (or an index) as a whole.
            {"menu": menu(("#", "hangup|1"), ("*", "ivr|1"))},
            (
                FieldChange("menu.1", "extension|05047530002", None),
                FieldChange("menu.2", "extension|845", None),
                FieldChange("menu.*", None, "ivr|1"),
                FieldChange("menu.#", None, "hangup|1"),
            ),
        ),
        (
            # Removing option 1 shifts array indexes; the diff must not.
            {"menu": menu(("2", "extension|845"), ("3", "ivr|350"))},
            (
                FieldChange("menu.1", "extension|05047530002", None),
                FieldChange("menu.3", None, "ivr|350"),
            ),
        ),
    ],
    ids=[
        "one-scalar",
        "scalars-in-body-order",
        "type-change",
        "menu-destination",
        "menu-added",
        "menu-removed",
        "menu-all-keys-replaced",
        "menu-no-index-shift",
    ],
)
def test_update_lists_exactly_the_changed_fields(
    overrides: dict[str, Any], expected: tuple[FieldChange, ...]
) -> None:
    before = entry(349)
    after = config(349, **overrides)

    plan = compute_plan([after], state_of(before))

    assert plan == Plan(
        lineage="L-1",
        serial=4,
        changes=(
            Change(
                id=349,
                name=after.name,
                action="update",
                source="ivr-configs/ivr-349.yaml",
                fields=expected,
                body=after.body,
                digest=after.digest,
                state_digest=before.digest,
            ),
        ),
        unchanged=(),
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"menu": list(reversed(BASE_MENU))},
        {"menu": menu((1, "extension|05047530002"), (2, "extension|845"))},
    ],
    ids=["menu-reordered", "int-keys"],
)
def test_equivalent_documents_are_unchanged(overrides: dict[str, Any]) -> None:
    plan = compute_plan([config(349, **overrides)], state_of(entry(349)))

    assert plan.changes == ()
    assert plan.unchanged == (IvrRef(349, "IVR 349", "ivr-configs/ivr-349.yaml"),)


def test_adopt_lists_every_field_from_nothing() -> None:
    new = config(350)

    plan = compute_plan([new], state_of())

    assert plan.changes == (
        Change(
            id=350,
            name="IVR 350",
            action="adopt",
            source="ivr-configs/ivr-350.yaml",
            fields=(
                FieldChange("name", None, "IVR 350"),
                FieldChange("description", None, "IVR for the support team"),
                FieldChange("recording", None, "recording|0231"),
                FieldChange("timeout", None, 20),
                FieldChange("incorrect_count", None, 5),
                FieldChange("invalid_recording", None, "recording|349"),
                FieldChange("invalid_destination", None, "extension|05047530002"),
                FieldChange("timeout_retry_recording", None, "recording|52156"),
                FieldChange("timeout_recording", None, "recording|123"),
                FieldChange("timeout_destination", None, "extension|05047530002"),
                FieldChange("timeout_tries", None, 3),
                FieldChange("recording_invalid", None, "recording|58999"),
                FieldChange("menu.1", None, "extension|05047530002"),
                FieldChange("menu.2", None, "extension|845"),
            ),
            body=new.body,
            digest=new.digest,
            state_digest=None,
        ),
    )


def test_forget_takes_name_and_source_from_state_and_puts_nothing() -> None:
    old = entry(351, name="Old IVR")

    plan = compute_plan([], state_of(old))

    assert plan.changes == (
        Change(
            id=351,
            name="Old IVR",
            action="forget",
            source="ivr-configs/ivr-351.yaml",
            fields=(),
            body=None,
            digest=None,
            state_digest=old.digest,
        ),
    )


def test_mixed_plan_is_sorted_by_id_whatever_the_input_order() -> None:
    configs = [config(30, timeout=99), config(10), config(20), config(5)]
    state = state_of(entry(40), entry(30), entry(20))

    plan = compute_plan(configs, state)

    assert [(c.id, c.action) for c in plan.changes] == [
        (5, "adopt"),
        (10, "adopt"),
        (30, "update"),
        (40, "forget"),
    ]
    assert [ref.id for ref in plan.unchanged] == [20]
    assert plan.targets is None
    assert compute_plan(list(reversed(configs)), state) == plan


@pytest.mark.parametrize(
    ("targets", "planned", "unchanged"),
    [
        ([30], [(30, "update")], []),
        ([40, 5], [(5, "adopt"), (40, "forget")], []),
        ([20, 20], [], [20]),
    ],
    ids=["update-only", "forget-when-targeted", "duplicates-collapse"],
)
def test_targets_restrict_the_plan(
    targets: list[int], planned: list[tuple[int, str]], unchanged: list[int]
) -> None:
    configs = [config(30, timeout=99), config(20), config(5)]
    state = state_of(entry(40), entry(30), entry(20))

    plan = compute_plan(configs, state, targets=targets)

    assert [(c.id, c.action) for c in plan.changes] == planned
    assert [ref.id for ref in plan.unchanged] == unchanged
    assert plan.targets == tuple(sorted(set(targets)))


def test_unknown_targets_are_named_and_plan_nothing() -> None:
    configs, state = [config(5)], state_of(entry(6))

    assert unknown_targets(configs, state, [5, 8, 7, 6, 8]) == [7, 8]
    plan = compute_plan(configs, state, targets=[5, 7])
    assert [c.id for c in plan.changes] == [5]
    assert plan.targets == (5, 7)


def test_unknown_target_is_an_error_naming_it() -> None:
    with pytest.raises(UsageError, match=r"--target 7, 8: no IVR with this id") as caught:
        check_targets([5, 7, 8, 6], [config(5)], state_of(entry(6)))

    assert caught.value.hint


def test_empty_state_lineage_and_serial_are_carried() -> None:
    plan = compute_plan([], State(lineage=None, serial=0, entries={}))

    assert plan == Plan(lineage=None, serial=0, changes=(), unchanged=())
    assert plan.is_empty


def test_equal_digests_skip_the_field_diff() -> None:
    # The fast path trusts digests: a state entry whose digest matches is unchanged even when
    # its stored body differs, which proves the body was never compared.
    desired = config(349)
    stale_body: Body = body_from_document(ivr_document(349, timeout=1))
    recorded = StateEntry(349, stale_body, desired.digest, desired.source, "2026-01-01T00:00:00Z")

    plan = compute_plan([desired], state_of(recorded))

    assert plan.changes == ()


def test_diff_bodies_of_equal_bodies_is_empty() -> None:
    body = body_from_document(ivr_document(349))

    assert diff_bodies(body, dict(body)) == ()


def test_extra_body_fields_are_diffed_after_the_known_ones() -> None:
    before = {**body_from_document(ivr_document(349)), "sms_template": ["a"]}
    after = {**before, "timeout": 9, "sms_template": ["a", "b"]}

    assert diff_bodies(before, after) == (
        FieldChange("timeout", 20, 9),
        FieldChange("sms_template", ["a"], ["a", "b"]),
    )


@pytest.mark.parametrize(
    ("before", "after", "fields"),
    [
        ({"timeout": 20}, {"timeout": 20.0}, ["timeout"]),
        ({"timeout": 1}, {"timeout": True}, ["timeout"]),
        ({"extra": [1]}, {"extra": [True]}, ["extra"]),
        ({"extra": {"a": 1, "b": 2}}, {"extra": {"b": 2, "a": 1}}, []),
        ({"extra": None}, {}, ["extra"]),
        ({}, {"extra": None}, ["extra"]),
    ],
    ids=["int-float", "int-bool", "nested-int-bool", "key-order", "removed-none", "added-none"],
)
def test_fields_differ_exactly_as_json_values_do(
    before: dict[str, Any], after: dict[str, Any], fields: list[str]
) -> None:
    """Type-strict, all the way down: a PUT of `true` is not a PUT of `1`."""
    empty_menu = {"option": [], "destination": []}

    changes = diff_bodies({**before, **empty_menu}, {**after, **empty_menu})

    assert [change.field for change in changes] == fields
