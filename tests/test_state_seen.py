"""The compact copy of a checked state (`ivrsync.state.seen`): read back as it was, and anything
else refused (then the state file is checked in full)."""

from __future__ import annotations

import json

import pytest

from ivrsync.body import body_from_document, digest_body
from ivrsync.model import State, StateEntry
from ivrsync.state.seen import checked_copy, state_seen_before
from tests.testing.documents import ivr_document


def _state(*ids: int) -> State:
    entries = {}
    for ivr_id in ids:
        body = body_from_document(ivr_document(ivr_id))
        entries[ivr_id] = StateEntry(
            ivr_id, body, digest_body(body), f"ivr-configs/{ivr_id}.yaml", "2026-11-26T23:30:00Z"
        )
    return State(lineage="6d0ad7d4-3d71-4c4e-9f43-6fb1f7a2b5a0", serial=3, entries=entries)


def test_a_copy_reads_back_as_the_state() -> None:
    state = _state(1, 2, 30)
    copy = checked_copy(state)
    assert copy is not None

    assert state_seen_before(copy) == state
    assert state_seen_before(checked_copy(_state()) or b"") == _state()


@pytest.mark.parametrize(
    "forge",
    [
        lambda flat: flat[:-1],  # an item short
        lambda flat: ["state copy 1", *flat[1:]],  # another format
        lambda flat: [*flat[:4], "1", *flat[5:]],  # an id as text
        lambda flat: [*flat[:4], -1, *flat[5:]],  # no id
        lambda flat: [*flat[:5], 7, *flat[6:]],  # a digest as a number
        lambda flat: [*flat[:3], 3, *flat[4 + 18 :], *flat[4 : 4 + 18]],  # out of order
        lambda flat: {"not": "a list"},
    ],
)
def test_anything_else_is_no_copy(forge: object) -> None:
    flat = json.loads(checked_copy(_state(1, 2, 3)) or b"")
    assert callable(forge)

    assert state_seen_before(json.dumps(forge(flat)).encode()) is None


def test_a_body_with_other_fields_leaves_no_copy() -> None:
    state = _state(1)
    entry = state.entries[1]
    odd = StateEntry(1, {**entry.body, "extra": 1}, entry.digest, entry.source, entry.applied_at)

    assert checked_copy(State(state.lineage, state.serial, {1: odd})) is None


@pytest.mark.parametrize("column", [4 + 3, 4, 4 + 12, 4 + 13])  # timeout, name, the menu
def test_a_body_value_of_the_wrong_type_is_no_copy(column: int) -> None:
    flat = json.loads(checked_copy(_state(1, 2)) or b"")
    value = flat[column]
    flat[column] = str(value) if isinstance(value, int) else (7 if isinstance(value, str) else [1])

    assert state_seen_before(json.dumps(flat).encode()) is None
