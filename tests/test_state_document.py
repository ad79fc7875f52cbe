"""The state file's format (ivrsync.state.document): exact output, strict parsing, hostile input."""

from __future__ import annotations

import json
import math
import os
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivrsync import __version__
from ivrsync.body import digest_body
from ivrsync.errors import StateError
from ivrsync.model import State, StateEntry
from ivrsync.state import StateStore, render_state_document
from ivrsync.state.document import read_state_document
from tests.testing.hostile import HOSTILE_FILES, text_edit
from tests.testing.state import LINEAGE, body_of, entry_of, files_in


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / ".ivrsync" / "state.json")


# ---------------------------------------------------------------------------------------------
# The file format


def test_a_missing_file_is_an_empty_state(store: StateStore) -> None:
    assert store.load() == State(lineage=None, serial=0, entries={})
    assert not store.path.parent.exists()


def test_commit_writes_the_documented_format_byte_for_byte(store: StateStore) -> None:
    entry = entry_of(349, name="Support IVR", source="ivr-configs/support.yaml")

    with store.lock(command="ivrsync apply") as lock:
        lock.record_applied(entry)

    document = json.loads(store.path.read_text(encoding="utf-8"))
    lineage = document["lineage"]
    assert uuid.UUID(lineage).version == 4
    body_lines = json.dumps({"body": entry.body}, sort_keys=True, indent=2).splitlines()[2:-2]
    expected = "\n".join(
        [
            "{",
            '  "ivrs": {',
            '    "349": {',
            '      "applied_at": "2026-11-26T23:30:00Z",',
            '      "body": {',
            *("    " + line for line in body_lines),
            "      },",
            f'      "digest": "{entry.digest}",',
            '      "source": "ivr-configs/support.yaml"',
            "    }",
            "  },",
            f'  "lineage": "{lineage}",',
            '  "serial": 1,',
            '  "version": 1,',
            f'  "written_by": "ivrsync {__version__}"',
            "}",
            "",
        ]
    )
    assert store.path.read_text(encoding="utf-8") == expected


def test_round_trip_keeps_entries_and_lineage_and_counts_serial(store: StateStore) -> None:
    with store.lock(command="ivrsync apply") as lock:
        lock.record_applied(entry_of(2))
        lock.record_applied(entry_of(1000))
        lock.record_applied(entry_of(7, name="Ünïcode ☎"))
    first = store.load()
    first_text = store.path.read_text(encoding="utf-8")

    with store.lock(command="ivrsync apply") as lock:
        lock.record_forgotten(2)
        lock.record_applied(entry_of(7, name="renamed"))
    second = store.load()

    assert first.serial == 3
    assert '"name": "Ünïcode ☎"' in first_text  # readable in git diff, not \u-escaped
    assert first.entries == {2: entry_of(2), 7: entry_of(7, name="Ünïcode ☎"), 1000: entry_of(1000)}
    assert second.lineage == first.lineage
    assert second.serial == 5
    assert second.entries == {7: entry_of(7, name="renamed"), 1000: entry_of(1000)}
    assert list(second.entries[7].body) == list(body_of(7))  # PUT order, not the file's order


def test_a_run_that_records_nothing_writes_nothing(store: StateStore) -> None:
    with store.lock(command="ivrsync apply") as lock:
        assert lock.state() == State(lineage=None, serial=0, entries={})

    assert files_in(store.path.parent) == []


def test_writes_are_atomic_and_leave_no_temporary_files(store: StateStore) -> None:
    for ivr_id in range(1, 4):
        with store.lock(command="ivrsync apply") as lock:
            lock.record_applied(entry_of(ivr_id))

    assert files_in(store.path.parent) == ["state.json"]
    assert oct(store.path.stat().st_mode & 0o777) == oct(0o644)


def test_the_state_never_holds_more_than_bodies(store: StateStore) -> None:
    with store.lock(command="ivrsync apply") as lock:
        lock.record_applied(entry_of(1))

    document = json.loads(store.path.read_text(encoding="utf-8"))
    assert set(document) == {"version", "lineage", "serial", "written_by", "ivrs"}
    assert set(document["ivrs"]["1"]) == {"body", "digest", "source", "applied_at"}


# ---------------------------------------------------------------------------------------------
# Corrupt, unknown and newer files


def _valid_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        render_state_document(State(LINEAGE, 3, {349: entry_of(349)}))
    )
    return document


def _edited(**changes: Any) -> bytes:
    document = _valid_document()
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = document
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return json.dumps(document).encode("utf-8")


_DELETE = object()

CORRUPT_FILES = [
    (b'{"version": 1,', "is corrupt: it is not valid JSON (line 1, column 15", "truncated-json"),
    (b"\xff\xfe{}", "is corrupt: it is not UTF-8 text", "not-utf8"),
    (b"[]", "is corrupt: it must be a JSON object, found list", "not-an-object"),
    (b"", "is corrupt: it is not valid JSON", "empty"),
    (_edited(version=_DELETE), "is corrupt: it has no 'version'", "no-version"),
    (_edited(version="1"), "is corrupt: 'version' must be an integer, found '1'", "version-text"),
    (_edited(version=0), "is corrupt: unknown version 0 (this ivrsync knows version 1)", "v0"),
    (
        _edited(version=2),
        f"was written by a newer ivrsync (format version 2; this ivrsync {__version__} reads "
        "version 1)",
        "newer-version",
    ),
    (_edited(lineage=_DELETE), "is corrupt: it is missing 'lineage'", "no-lineage"),
    (_edited(lineage="abc"), "is corrupt: 'lineage' must be a UUID, found 'abc'", "bad-lineage"),
    (_edited(serial=-1), "'serial' must be a non-negative integer, found -1", "negative-serial"),
    (_edited(serial=True), "'serial' must be a non-negative integer, found True", "bool-serial"),
    (_edited(extra=1), "is corrupt: it has unknown keys: 'extra'", "unknown-top-key"),
    (_edited(ivrs=[]), "is corrupt: 'ivrs' must be an object, found list", "ivrs-list"),
    (
        _edited(ivrs={"0349": _valid_document()["ivrs"]["349"]}),
        "ivrs.0349: the IVR id must be a positive integer, found '0349'",
        "id-leading-zero",
    ),
    (_edited(ivrs__349__digest=_DELETE), "ivrs.349 is missing digest", "entry-no-digest"),
    (_edited(ivrs__349__body=[]), "ivrs.349.body must be an object, found list", "body-list"),
    (_edited(ivrs__349__source=5), "ivrs.349.source must be a string, found int", "source-int"),
    (
        _edited(ivrs__349__applied_at="yesterday"),
        "ivrs.349.applied_at is not an ISO 8601 time: 'yesterday'",
        "bad-time",
    ),
    (_edited(ivrs__349__token="x"), "ivrs.349 has unknown keys: token", "entry-unknown-key"),
    (
        _edited(ivrs__349__body__timeout=99),
        "ivrs.349.digest does not match its body (recorded sha256:",
        "digest-mismatch",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"),
    [(data, message) for data, message, _ in CORRUPT_FILES + HOSTILE_FILES],
    ids=[case_id for *_, case_id in CORRUPT_FILES + HOSTILE_FILES],
)
def test_a_bad_state_file_is_a_clear_error_and_is_never_touched(
    store: StateStore, data: bytes, message: str
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(data)
    before = os.stat(store.path)

    with pytest.raises(StateError) as raised:
        store.load()
    with pytest.raises(StateError) as raised_by_lock:
        store.lock(command="ivrsync apply")

    assert message in raised.value.message
    assert raised.value.message.startswith(f"the state file {store.path} ")
    assert raised.value.hint
    assert raised_by_lock.value.message == raised.value.message
    assert store.path.read_bytes() == data
    assert os.stat(store.path).st_mtime_ns == before.st_mtime_ns
    assert files_in(store.path.parent) == ["state.json"]  # no lock, no journal left behind


def test_an_unreadable_state_file_is_a_state_error(store: StateStore) -> None:
    store.path.mkdir(parents=True)  # a folder where the file should be

    with pytest.raises(StateError, match="cannot read the state file"):
        store.load()


def test_error_messages_quote_file_content_briefly(store: StateStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(text_edit(f'"lineage": "{LINEAGE}"', '"lineage": "' + "x" * 10**6 + '"'))

    with pytest.raises(StateError) as raised:
        store.load()

    assert "'lineage' must be a UUID, found 'xxx" in raised.value.message
    assert len(raised.value.message) < 300 + len(str(store.path))


# ---------------------------------------------------------------------------------------------
# Never render a state the next run cannot read


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        (State(None, 0, {1: entry_of(1)}), "its lineage None is not a UUID"),
        (State("not-a-uuid", 0, {}), "its lineage 'not-a-uuid' is not a UUID"),
        (State(LINEAGE, -1, {}), "its serial -1 is not a non-negative integer"),
        (State(LINEAGE, 1, {0: replace(entry_of(1), id=0)}), "the IVR id 0 is not a positive"),
        (State(LINEAGE, 1, {-5: replace(entry_of(1), id=-5)}), "the IVR id -5 is not a positive"),
        (State(LINEAGE, 1, {True: entry_of(1)}), "the IVR id True is not a positive integer"),
        (State(LINEAGE, 1, {2: entry_of(3)}), "the entry of IVR 2 names IVR 3"),
    ],
    ids=[
        "no-lineage",
        "bad-lineage",
        "negative-serial",
        "id-0",
        "id-negative",
        "id-bool",
        "id-other",
    ],
)
def test_render_refuses_a_state_the_next_run_could_not_read(state: State, problem: str) -> None:
    with pytest.raises(ValueError, match="the state would not read back: ") as raised:
        render_state_document(state)

    assert problem in str(raised.value)


def test_render_refuses_nan_in_a_body() -> None:
    body = {**body_of(1), "timeout": math.nan}
    entry = StateEntry(1, body, "sha256:0", "a.yaml", "2026-11-26T23:30:00Z")

    with pytest.raises(ValueError, match="not JSON compliant"):
        render_state_document(State(LINEAGE, 1, {1: entry}))


_TEXT = st.text(max_size=20)
_VALUE = st.one_of(
    _TEXT, st.integers(-(10**30), 10**30), st.booleans(), st.lists(_TEXT, max_size=4)
)


@given(
    ids=st.lists(st.integers(1, 10**40), unique=True, max_size=5),
    extra=st.dictionaries(_TEXT, _VALUE, max_size=4),
    source=_TEXT,
    serial=st.integers(0, 10**40),
)
def test_whatever_render_writes_reads_back_the_same(
    ids: list[int], extra: dict[str, Any], source: str, serial: int
) -> None:
    entries = {}
    for ivr_id in ids:
        body = {**body_of(ivr_id), **extra}
        entries[ivr_id] = StateEntry(
            ivr_id, body, digest_body(body), source, "2026-11-26T23:30:00Z"
        )
    state = State(str(uuid.UUID(int=serial % 2**128)), serial, entries)

    text = render_state_document(state)

    assert read_state_document(text.encode("utf-8"), "state.json") == state


@pytest.mark.parametrize(("levels", "refused"), [(15, False), (16, False), (17, True)])
def test_a_body_may_nest_16_levels_and_no_more(
    store: StateStore, levels: int, refused: bool
) -> None:
    # The body itself is the first level; "option" adds the rest.
    body = {**body_of(349), "option": json.loads("[" * (levels - 1) + "]" * (levels - 1))}
    entry = StateEntry(349, body, digest_body(body), "a.yaml", "2026-11-26T23:30:00Z")
    store.path.parent.mkdir(parents=True)
    store.path.write_text(render_state_document(State(LINEAGE, 1, {349: entry})), "utf-8")

    if refused:
        with pytest.raises(StateError, match=r"ivrs\.349\.body nests more than 16 levels deep"):
            store.load()
    else:
        assert store.load().entries[349].body == body
