"""The journal (ivrsync.state.journal): replay, torn lines, corruption, hostile input."""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from ivrsync.errors import StateError
from ivrsync.model import State
from ivrsync.state import StateStore
from tests.testing.hang import no_hang
from tests.testing.hostile import HOSTILE_LINES
from tests.testing.state import LINEAGE, applied, entry_of, files_in, journal_bytes, write_state


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / ".ivrsync" / "state.json")


# ---------------------------------------------------------------------------------------------
# The journal


def test_load_replays_a_lingering_journal_without_writing(store: StateStore) -> None:
    original = write_state(store.path, entry_of(1), entry_of(2), serial=3)
    journal = journal_bytes(
        LINEAGE, 3, applied(entry_of(3)), {"op": "forgotten", "id": 1}, applied(entry_of(2, "x"))
    )
    store.journal_path.write_bytes(journal)

    view = store.read()

    assert view.journal_records == 3
    assert view.state == State(LINEAGE, 6, {2: entry_of(2, "x"), 3: entry_of(3)})
    assert store.load() == view.state
    assert store.path.read_bytes() == original
    assert store.journal_path.read_bytes() == journal


def test_the_next_lock_merges_a_lingering_journal_on_commit(store: StateStore) -> None:
    write_state(store.path, entry_of(1), serial=3)
    store.journal_path.write_bytes(journal_bytes(LINEAGE, 3, applied(entry_of(2))))

    with store.lock(command="ivrsync apply") as lock:
        assert lock.state() == State(LINEAGE, 4, {1: entry_of(1), 2: entry_of(2)})
        lock.record_applied(entry_of(3))

    assert store.load() == State(LINEAGE, 5, {1: entry_of(1), 2: entry_of(2), 3: entry_of(3)})
    assert files_in(store.path.parent) == ["state.json"]


def test_a_journal_started_before_the_first_write_binds_to_no_lineage(store: StateStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.journal_path.write_bytes(journal_bytes(None, 0, applied(entry_of(5))))

    assert store.load() == State(None, 1, {5: entry_of(5)})
    with store.lock(command="ivrsync apply") as lock:
        committed = lock.commit()

    assert committed.lineage is not None
    assert store.load() == State(committed.lineage, 1, {5: entry_of(5)})


TORN_TAILS = [
    (b'{"op": "applied", "entry": {"id": 9, "bo', "no-newline"),
    (b"\x00\x00\x00\x00\n", "garbage-with-newline"),
    (b'{"op": "forgotten", "id": 1}', "complete-json-without-newline"),
]


@pytest.mark.parametrize("tail", [t for t, _ in TORN_TAILS], ids=[i for _, i in TORN_TAILS])
def test_a_torn_last_line_is_ignored_and_cut_before_appending(
    store: StateStore, tail: bytes
) -> None:
    write_state(store.path, entry_of(1), serial=3)
    store.journal_path.write_bytes(journal_bytes(LINEAGE, 3, applied(entry_of(2))) + tail)

    assert store.load() == State(LINEAGE, 4, {1: entry_of(1), 2: entry_of(2)})
    lock = store.lock(command="ivrsync apply")
    lock.record_applied(entry_of(3))
    # Before the commit: the journal must read back cleanly, the torn line gone.
    assert store.load() == State(LINEAGE, 5, {1: entry_of(1), 2: entry_of(2), 3: entry_of(3)})
    lock.close()

    assert store.load() == State(LINEAGE, 5, {1: entry_of(1), 2: entry_of(2), 3: entry_of(3)})


BAD_JOURNALS = [
    (
        journal_bytes(LINEAGE, 3) + b"not json\n" + b'{"id": 1, "op": "forgotten"}\n',
        "line 2 is not valid JSON",
        "garbage-middle-line",
    ),
    (
        journal_bytes(LINEAGE, 3, {"op": "renamed", "id": 1}, applied(entry_of(2))),
        "line 2 is not a journal record (op 'applied' or 'forgotten')",
        "unknown-op",
    ),
    (
        journal_bytes(LINEAGE, 3, {"op": "forgotten", "id": "1"}, applied(entry_of(2))),
        "line 2: the IVR id must be a positive integer, found '1'",
        "id-as-text",
    ),
    (
        journal_bytes(
            LINEAGE,
            3,
            {**applied(entry_of(2)), "entry": {**applied(entry_of(2))["entry"], "digest": "x"}},
            applied(entry_of(3)),
        ),
        "line 2 entry.digest does not match its body",
        "digest-mismatch",
    ),
    (
        b'{"op": "forgotten", "id": 1}\n' + journal_bytes(LINEAGE, 3, applied(entry_of(2))),
        "it has no 'journal_version'",
        "no-header",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"),
    [(d, m) for d, m, _ in BAD_JOURNALS],
    ids=[i for *_, i in BAD_JOURNALS],
)
def test_a_corrupt_journal_line_before_the_last_is_an_error(
    store: StateStore, data: bytes, message: str
) -> None:
    state_data = write_state(store.path, entry_of(1), serial=3)
    store.journal_path.write_bytes(data)

    with pytest.raises(StateError) as raised:
        store.load()
    with pytest.raises(StateError):
        store.lock(command="ivrsync apply")

    assert raised.value.message.startswith(f"the state journal {store.journal_path} is corrupt: ")
    assert message in raised.value.message
    assert "move it away" in raised.value.hint
    assert store.journal_path.read_bytes() == data
    assert store.path.read_bytes() == state_data
    assert not store.lock_path.exists()


def test_a_journal_of_a_newer_ivrsync_is_refused(store: StateStore) -> None:
    write_state(store.path, serial=3)
    header = {"journal_version": 2, "lineage": LINEAGE, "serial": 3}
    store.journal_path.write_text(json.dumps(header) + "\n", encoding="utf-8")

    with pytest.raises(StateError, match="written by a newer ivrsync \\(journal version 2"):
        store.load()


@pytest.mark.parametrize(
    ("lineage", "serial"),
    [(str(uuid.UUID(int=7)), 3), (LINEAGE, 2), (LINEAGE, 9), (None, 0)],
    ids=["other-lineage", "older-serial", "newer-serial", "no-lineage"],
)
def test_a_journal_of_another_state_file_is_an_error(
    store: StateStore, lineage: str | None, serial: int
) -> None:
    write_state(store.path, entry_of(1), serial=3)
    data = journal_bytes(lineage, serial, applied(entry_of(2)), applied(entry_of(3)))
    store.journal_path.write_bytes(data)

    with pytest.raises(StateError) as raised:
        store.load()

    assert raised.value.message == (
        f"the state journal {store.journal_path} belongs to another state file: it extends "
        f"lineage {lineage or 'none (a new state)'} at serial {serial}, but {store.path} has "
        f"lineage {LINEAGE} at serial 3 (the state file was replaced, e.g. by `git pull`, "
        "while an interrupted apply's journal was waiting to be merged)"
    )
    assert "holds 2 change(s) already applied" in raised.value.hint
    assert store.journal_path.read_bytes() == data


def test_a_journal_already_merged_is_ignored_and_removed_by_the_next_lock(
    store: StateStore,
) -> None:
    # The run died after replacing the state file and before removing the journal.
    write_state(store.path, entry_of(1), entry_of(2), serial=5)
    store.journal_path.write_bytes(
        journal_bytes(LINEAGE, 3, applied(entry_of(2)), {"op": "forgotten", "id": 3})
    )

    assert store.read().journal_records == 0
    assert store.load() == State(LINEAGE, 5, {1: entry_of(1), 2: entry_of(2)})
    with store.lock(command="ivrsync apply"):
        assert not store.journal_path.exists()


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("last", [False, True], ids=["middle", "last-line"])
@pytest.mark.parametrize(
    ("line", "message"),
    [(line, m) for line, m, _ in HOSTILE_LINES],
    ids=[i for *_, i in HOSTILE_LINES],
)
def test_a_hostile_journal_line_is_a_clean_error_naming_file_and_line(
    store: StateStore, line: bytes, message: str, last: bool
) -> None:
    # As the last line it is complete JSON text, not a torn write: not silently cut either.
    state_data = write_state(store.path, entry_of(1), serial=3)
    after = b"" if last else journal_bytes(None, 0, applied(entry_of(3))).split(b"\n", 1)[1]
    data = journal_bytes(LINEAGE, 3) + line + b"\n" + after
    store.journal_path.write_bytes(data)

    with pytest.raises(StateError) as raised:
        store.load()
    with pytest.raises(StateError) as raised_by_lock:
        store.lock(command="ivrsync apply")

    assert raised.value.message.startswith(
        f"the state journal {store.journal_path} is corrupt: {store.journal_path} line 2"
    )
    assert message in raised.value.message
    assert raised_by_lock.value.message == raised.value.message
    assert store.journal_path.read_bytes() == data
    assert store.path.read_bytes() == state_data
    assert not store.lock_path.exists()


def test_a_hostile_header_is_a_clean_error_naming_line_1(store: StateStore) -> None:
    write_state(store.path, serial=3)
    store.journal_path.write_bytes(
        b'{"journal_version": 1, "lineage": null, "serial": 1' + b"0" * 5000 + b"}\n"
    )

    with pytest.raises(StateError, match="line 1: it holds an integer longer than 4300 digits"):
        store.load()


# ---------------------------------------------------------------------------------------------
# Planted files: the journal is ivrsync's own, never followed, never a special file


def test_a_journal_planted_as_a_symlink_is_refused_and_its_target_left_alone(
    store: StateStore,
) -> None:
    # Before, the lock would cut the "torn" tail of the link's target: os.truncate follows links.
    write_state(store.path, entry_of(1), serial=3)
    victim = store.path.parent / "victim.txt"
    victim_data = journal_bytes(LINEAGE, 3, applied(entry_of(2))) + b"my notes, no newline"
    victim.write_bytes(victim_data)
    store.journal_path.symlink_to(victim)

    with pytest.raises(StateError) as raised:
        store.load()
    with pytest.raises(StateError) as raised_by_lock:
        store.lock(command="ivrsync apply")

    refusal = f"{store.journal_path} is a symbolic link; ivrsync does not write through"
    assert raised.value.message.startswith(f"cannot read the state journal {store.journal_path}: ")
    assert refusal in raised.value.message
    assert raised_by_lock.value.message.startswith(
        f"cannot open the state journal {store.journal_path}: "
    )
    assert refusal in raised_by_lock.value.message
    assert "ivrsync creates" in raised_by_lock.value.hint
    assert victim.read_bytes() == victim_data
    assert store.journal_path.is_symlink()
    assert not store.lock_path.exists()


def test_a_dangling_journal_symlink_is_refused_and_nothing_is_created(store: StateStore) -> None:
    write_state(store.path, entry_of(1), serial=3)
    store.journal_path.symlink_to(store.path.parent / "elsewhere")

    with pytest.raises(StateError, match="is a symbolic link"):
        store.lock(command="ivrsync apply")

    assert not (store.path.parent / "elsewhere").exists()


@pytest.mark.parametrize("kind", ["fifo", "folder", "dev-zero"])
def test_a_journal_that_is_not_a_regular_file_is_refused_without_blocking(
    store: StateStore, kind: str
) -> None:
    write_state(store.path, entry_of(1), serial=3)
    if kind == "fifo":
        os.mkfifo(store.journal_path)
        what = "a FIFO (named pipe)"
    elif kind == "folder":
        store.journal_path.mkdir()
        what = "a folder"
    else:
        os.mknod(store.journal_path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero
        what = "a character device"

    with no_hang(), pytest.raises(StateError) as raised:
        store.load()
    with no_hang(), pytest.raises(StateError) as raised_by_lock:
        store.lock(command="ivrsync apply")

    assert f"{store.journal_path} is {what}, not a regular file" in raised.value.message
    assert f"{store.journal_path} is {what}, not a regular file" in raised_by_lock.value.message
    assert not store.lock_path.exists()


def test_a_journal_over_the_size_bound_is_refused(store: StateStore) -> None:
    write_state(store.path, entry_of(1), serial=3)
    with store.journal_path.open("wb") as handle:
        handle.truncate((64 << 20) + 1)  # sparse

    with pytest.raises(StateError) as raised:
        store.load()

    assert raised.value.message == (
        f"cannot read the state journal {store.journal_path}: {store.journal_path} is larger "
        "than 64 MiB, the most ivrsync reads from such a file"
    )
