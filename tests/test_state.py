"""The state store and its lock (ivrsync.state.store): recording, group commit, commit, and
durability under kill -9. The helpers shared by the state tests are in tests/testing/state.py."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import digest_body
from ivrsync.errors import StateError
from ivrsync.model import State, StateEntry
from ivrsync.state import StateStore
from ivrsync.state.store import UnrecordedChangeError
from tests.testing.state import (
    APPLIED_AT,
    LINEAGE,
    body_of,
    entry_of,
    files_in,
    write_state,
)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / ".ivrsync" / "state.json")


def test_records_are_durable_before_commit_and_readable_by_load(store: StateStore) -> None:
    lock = store.lock(command="ivrsync apply")
    try:
        lock.record_applied(entry_of(1))
        lock.record_forgotten(1)
        lock.record_applied(entry_of(2))

        lines = store.journal_path.read_bytes().splitlines()
        assert store.load() == State(None, 3, {2: entry_of(2)})
        assert not store.path.exists()
    finally:
        lock.close()
    assert len(lines) == 4
    assert json.loads(lines[2]) == {"op": "forgotten", "id": 1}


@pytest.mark.parametrize(
    "failure", [RuntimeError("boom"), KeyboardInterrupt()], ids=["exception", "ctrl-c"]
)
def test_leaving_the_lock_commits_also_on_exceptions(
    store: StateStore, failure: BaseException
) -> None:
    def run() -> None:
        with store.lock(command="ivrsync apply") as lock:
            lock.record_applied(entry_of(1))
            raise failure

    with pytest.raises(type(failure)):
        run()

    assert store.load().entries == {1: entry_of(1)}
    assert files_in(store.path.parent) == ["state.json"]


def test_recording_after_release_or_with_a_wrong_digest_is_refused(store: StateStore) -> None:
    with store.lock(command="ivrsync apply") as lock:
        bad = StateEntry(1, body_of(1), "sha256:0", "x.yaml", APPLIED_AT)
        with pytest.raises(StateError, match="IVR 1: the digest to record does not match"):
            lock.record_applied(bad)

    with pytest.raises(StateError, match="was released"):
        lock.record_applied(entry_of(1))
    assert not store.path.exists()


def test_eight_threads_recording_at_once_lose_nothing(store: StateStore) -> None:
    per_thread = 60

    def work(thread: int, lock: Any) -> None:
        for n in range(per_thread):
            lock.record_applied(entry_of(thread * 1000 + n + 1))

    with store.lock(command="ivrsync apply") as lock:
        threads = [threading.Thread(target=work, args=(t, lock)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        journal_lines = len(store.journal_path.read_bytes().splitlines())
        in_flight = lock.state()

    expected = {t * 1000 + n + 1 for t in range(8) for n in range(per_thread)}
    assert journal_lines == 1 + 8 * per_thread
    assert set(in_flight.entries) == expected
    assert in_flight.serial == 8 * per_thread
    assert set(store.load().entries) == expected
    assert store.load().serial == 8 * per_thread


# ---------------------------------------------------------------------------------------------
# kill -9 while recording

RECORD_FOREVER = textwrap.dedent(
    """
    import sys
    from ivrsync.body import digest_body
    from ivrsync.model import StateEntry
    from ivrsync.state import StateStore
    lock = StateStore(sys.argv[1]).lock(command="ivrsync apply")
    n = 0
    while True:
        n += 1
        body = {"name": "x" * (n % 5000), "option": [], "destination": []}
        lock.record_applied(
            StateEntry(n, body, digest_body(body), "a.yaml", "2026-11-26T23:30:00Z")
        )
        print(n, flush=True)
    """
)


def test_sigkill_while_recording_keeps_every_record_that_returned(store: StateStore) -> None:
    write_state(store.path, entry_of(100_000), serial=3)
    process = subprocess.Popen(
        [sys.executable, "-c", RECORD_FOREVER, str(store.path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    confirmed = [int(process.stdout.readline()) for _ in range(200)]
    process.send_signal(signal.SIGKILL)
    process.wait()
    confirmed += [int(line) for line in process.stdout.read().split()]
    process.stdout.close()

    view = store.read()

    assert set(confirmed) <= set(view.state.entries)
    assert 100_000 in view.state.entries
    assert view.journal_records >= len(confirmed)
    assert view.state.serial == 3 + view.journal_records
    assert json.loads(store.path.read_text(encoding="utf-8"))["serial"] == 3
    with store.lock(command="ivrsync apply"):
        pass
    assert store.load() == view.state
    assert files_in(store.path.parent) == ["state.json"]


def test_commit_never_overwrites_a_state_file_replaced_during_the_run(store: StateStore) -> None:
    write_state(store.path, entry_of(1), serial=3)
    lock = store.lock(command="ivrsync apply")
    lock.record_applied(entry_of(2))
    pulled = write_state(store.path, entry_of(1), entry_of(9), serial=8)  # e.g. `git pull`

    with pytest.raises(StateError) as raised:
        lock.close()

    assert raised.value.message == (
        f"the state file {store.path} was changed by another program while this run held its "
        "lock (e.g. by `git pull`); it was not overwritten"
    )
    assert f"1 change(s) are kept in {store.journal_path}" in raised.value.hint
    assert store.path.read_bytes() == pulled
    assert not store.lock_path.exists()
    with pytest.raises(StateError, match="belongs to another state file"):
        store.load()


def test_recording_goes_on_after_a_commit_in_the_middle_of_a_run(store: StateStore) -> None:
    with store.lock(command="ivrsync apply") as lock:
        lock.record_applied(entry_of(1))
        first = lock.commit()
        assert not store.journal_path.exists()
        lock.record_applied(entry_of(2))
        assert store.load() == State(first.lineage, 2, {1: entry_of(1), 2: entry_of(2)})
    lock.close()  # idempotent

    assert first.serial == 1
    assert store.load() == State(first.lineage, 2, {1: entry_of(1), 2: entry_of(2)})
    assert files_in(store.path.parent) == ["state.json"]


# ---------------------------------------------------------------------------------------------
# Never record what the next run cannot read

_NAN_BODY = {**body_of(1), "timeout": float("nan")}
_SURROGATE_BODY = {**body_of(1), "name": "IVR \ud800"}
_SET_BODY: dict[str, Any] = {**body_of(1), "option": {"1", "2"}}
_DEEP_BODY: dict[str, Any] = {**body_of(1), "option": json.loads("[" * 20 + "]" * 20)}

UNREADABLE_ENTRIES = [
    (
        replace(entry_of(1), applied_at="yesterday"),
        "entry.applied_at is not an ISO 8601 time: 'yesterday'",
        "bad-time",
    ),
    (replace(entry_of(1), id=0), "the IVR id must be a positive integer, found 0", "id-0"),
    (replace(entry_of(1), id=-3), "the IVR id must be a positive integer, found -3", "id-neg"),
    (replace(entry_of(1), id=True), "the IVR id must be a positive integer, found True", "bool"),
    (
        StateEntry(1, _NAN_BODY, digest_body(_NAN_BODY), "a.yaml", APPLIED_AT),
        "it cannot be written as JSON (Out of range float values are not JSON compliant",
        "nan-in-body",
    ),
    (
        StateEntry(1, _SURROGATE_BODY, "sha256:0", "a.yaml", APPLIED_AT),
        "it cannot be written as JSON ('utf-8' codec can't encode character '\\ud800'",
        "surrogate-in-body",
    ),
    (
        replace(entry_of(1), source="\udfff.yaml"),
        "it cannot be written as JSON ('utf-8' codec can't encode character '\\udfff'",
        "surrogate-in-source",
    ),
    (
        StateEntry(1, _SET_BODY, "sha256:0", "a.yaml", APPLIED_AT),
        "it cannot be written as JSON (Object of type set is not JSON serializable)",
        "set-in-body",
    ),
    (
        StateEntry(1, _DEEP_BODY, digest_body(_DEEP_BODY), "a.yaml", APPLIED_AT),
        "entry.body nests more than 16 levels deep",
        "deep-body",
    ),
]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [(e, r) for e, r, _ in UNREADABLE_ENTRIES],
    ids=[i for *_, i in UNREADABLE_ENTRIES],
)
def test_an_entry_that_would_not_read_back_is_refused_and_nothing_is_written(
    store: StateStore, entry: StateEntry, reason: str
) -> None:
    # Before, such a record was written, and every later command refused the journal.
    with store.lock(command="ivrsync apply") as lock:
        lock.record_applied(entry_of(2))
        journal = store.journal_path.read_bytes()
        with pytest.raises(UnrecordedChangeError) as raised:
            lock.record_applied(entry)
        assert store.journal_path.read_bytes() == journal
        assert lock.state().entries == {2: entry_of(2)}
        lock.record_applied(entry_of(3))  # the lock goes on working

    assert raised.value.ivr_id == entry.id
    assert raised.value.message.startswith(
        f"IVR {entry.id} is applied but not recorded in the state: the record would not read back: "
    )
    assert reason in raised.value.message
    assert raised.value.hint == (
        f"the next apply sends IVR {entry.id} again (the same body, so harmless); this is a bug "
        "in ivrsync"
    )
    assert store.load().entries == {2: entry_of(2), 3: entry_of(3)}


@pytest.mark.parametrize("ivr_id", [0, -1, True], ids=["zero", "negative", "bool"])
def test_forgetting_an_id_that_would_not_read_back_is_refused(
    store: StateStore, ivr_id: int
) -> None:
    with (
        store.lock(command="ivrsync apply") as lock,
        pytest.raises(UnrecordedChangeError, match="the IVR id must be a positive integer"),
    ):
        lock.record_forgotten(ivr_id)

    assert not store.journal_path.exists()
    assert store.load() == State(None, 0, {})


def test_commit_refuses_a_state_that_would_not_read_back_and_keeps_the_journal(
    store: StateStore,
) -> None:
    write_state(store.path, entry_of(1), serial=3)
    before = store.path.read_bytes()
    lock = store.lock(command="ivrsync apply")
    lock.record_applied(entry_of(2))
    # A bug that slipped an id 0 past the recording checks (defence in depth): reach inside.
    lock._entries[0] = replace(entry_of(1), id=0)

    with pytest.raises(StateError) as raised:
        lock.close()

    assert raised.value.message == (
        f"refusing to write the state file {store.path}: the state would not read back: the "
        "IVR id 0 is not a positive integer"
    )
    assert str(store.journal_path) in raised.value.hint
    assert store.path.read_bytes() == before
    assert store.load() == State(LINEAGE, 4, {1: entry_of(1), 2: entry_of(2)})  # journal kept
    assert not store.lock_path.exists()


def test_commit_refuses_a_state_larger_than_the_reader_accepts(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ivrsync.state.document.MAX_STATE_BYTES", 1 << 10)
    lock = store.lock(command="ivrsync apply")
    lock.record_applied(entry_of(1))
    lock.record_applied(entry_of(2))

    with pytest.raises(
        StateError, match="it would be larger than the bound, the most ivrsync reads back"
    ):
        lock.close()

    assert not store.path.exists()
    assert store.journal_path.exists()


# ---------------------------------------------------------------------------------------------
# Disk full while journaling: the error names the IVR that was acknowledged but not recorded


def _fail_journal_records(monkeypatch: pytest.MonkeyPatch, failure: OSError | int) -> None:
    """os.write of a journal record raises `failure`, or writes only that many bytes."""
    real_write = os.write

    def write(fd: int, data: bytes) -> int:
        if not bytes(data).startswith((b'{"entry":', b'{"id":')):  # only journal records
            return real_write(fd, data)
        if isinstance(failure, int):
            return real_write(fd, bytes(data)[:failure])
        raise failure

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize(
    ("failure", "why"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "Disk quota exceeded"),
        (0, "short write"),
        (10, "short write"),
    ],
    ids=["enospc", "quota", "nothing-written", "part-written"],
)
def test_a_journal_that_cannot_be_appended_to_names_the_unrecorded_ivr(
    store: StateStore, monkeypatch: pytest.MonkeyPatch, failure: OSError | int, why: str
) -> None:
    with store.lock(command="ivrsync apply") as lock:
        lock.record_applied(entry_of(1))
        _fail_journal_records(monkeypatch, failure)
        with pytest.raises(StateError) as raised:
            lock.record_applied(entry_of(349))
        monkeypatch.undo()
        assert 349 not in lock.state().entries
        lock.record_applied(entry_of(2))  # no partial line left in front of it
        assert set(store.load().entries) == {1, 2}

    assert isinstance(raised.value, UnrecordedChangeError)
    assert raised.value.ivr_id == 349
    assert raised.value.message == (
        "IVR 349 is applied but not recorded in the state: cannot append to the state journal "
        f"{store.journal_path}: {why}"
    )
    assert raised.value.hint == (
        "the next apply sends IVR 349 again (the same body, so harmless); fix the cause first "
        "(e.g. free disk space)"
    )
    assert set(store.load().entries) == {1, 2}


def test_a_forget_that_cannot_be_appended_names_the_ivr(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_state(store.path, entry_of(5), serial=3)
    with store.lock(command="ivrsync apply") as lock:
        _fail_journal_records(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
        with pytest.raises(UnrecordedChangeError) as raised:
            lock.record_forgotten(5)

    assert raised.value.ivr_id == 5
    assert raised.value.message.startswith(
        "IVR 5 is not recorded as forgotten in the state: cannot append to the state journal"
    )
    assert raised.value.hint.startswith("the next apply forgets IVR 5 again")
    assert set(store.load().entries) == {5}


def test_a_journal_that_cannot_be_created_names_the_unrecorded_ivr(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(path: Path, data: bytes, **options: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with store.lock(command="ivrsync apply") as lock:
        monkeypatch.setattr("ivrsync.state.store.write_atomically", full)
        with pytest.raises(UnrecordedChangeError) as raised:
            lock.record_applied(entry_of(12))
        monkeypatch.undo()

    assert raised.value.ivr_id == 12
    assert raised.value.message == (
        "IVR 12 is applied but not recorded in the state: cannot create the state journal "
        f"{store.journal_path}: No space left on device"
    )
    assert not store.path.exists()


def test_a_journal_that_cannot_be_synced_says_the_record_may_be_lost(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    with store.lock(command="ivrsync apply") as lock:
        monkeypatch.setattr(os, "fdatasync", broken)
        with pytest.raises(UnrecordedChangeError) as raised:
            lock.record_applied(entry_of(77))
        monkeypatch.undo()

    assert raised.value.ivr_id == 77
    assert raised.value.message == (
        "IVR 77 is applied but may not be recorded in the state: cannot sync the state journal "
        f"{store.journal_path}: [Errno 5] Input/output error"
    )
    assert raised.value.hint.startswith(
        "if the record is lost, the next apply sends IVR 77 again (the same body, so harmless)"
    )


def test_a_released_lock_names_the_ivr_it_could_not_record(store: StateStore) -> None:
    with store.lock(command="ivrsync apply") as lock:
        pass

    with pytest.raises(UnrecordedChangeError) as raised:
        lock.record_applied(entry_of(8))

    assert raised.value.ivr_id == 8
    assert raised.value.message == (
        f"IVR 8 is applied but not recorded in the state: the lock on {store.path} was released; "
        "cannot record"
    )
