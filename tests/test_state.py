"""The state store: file format, corruption, journal replay, locking, durability under kill -9."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from ivrsync import __version__
from ivrsync.body import digest_body
from ivrsync.errors import StateError, StateLockedError
from ivrsync.model import State, StateEntry
from ivrsync.state import LockHolder, StateStore, render_state_document

APPLIED_AT = "2026-11-26T23:30:00Z"
LINEAGE = "0b7f3c1e-8f43-4c4e-9a57-3f0c2f9d5a11"


def body_of(ivr_id: int, name: str | None = None) -> dict[str, Any]:
    return {
        "name": name or f"IVR {ivr_id}",
        "description": "",
        "recording": "recording|0231",
        "timeout": 20,
        "incorrect_count": 5,
        "invalid_recording": "recording|349",
        "invalid_destination": "extension|05047530002",
        "timeout_retry_recording": "recording|52156",
        "timeout_recording": "recording|123",
        "timeout_destination": "extension|05047530002",
        "timeout_tries": 3,
        "recording_invalid": "recording|58999",
        "option": ["1", "2"],
        "destination": ["extension|05047530002", "extension|845"],
    }


def entry_of(ivr_id: int, name: str | None = None, source: str | None = None) -> StateEntry:
    body = body_of(ivr_id, name)
    return StateEntry(
        id=ivr_id,
        body=body,
        digest=digest_body(body),
        source=source or f"ivr-configs/ivr-{ivr_id}.yaml",
        applied_at=APPLIED_AT,
    )


def write_state(path: Path, *entries: StateEntry, serial: int = 3) -> bytes:
    state = State(lineage=LINEAGE, serial=serial, entries={e.id: e for e in entries})
    data = render_state_document(state).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def journal_bytes(lineage: str | None, serial: int, *records: dict[str, Any]) -> bytes:
    header = {"journal_version": 1, "lineage": lineage, "serial": serial}
    return b"".join(
        json.dumps(line, sort_keys=True).encode("utf-8") + b"\n" for line in (header, *records)
    )


def applied(entry: StateEntry) -> dict[str, Any]:
    return {
        "op": "applied",
        "entry": {
            "id": entry.id,
            "body": dict(entry.body),
            "digest": entry.digest,
            "source": entry.source,
            "applied_at": entry.applied_at,
        },
    }


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


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
    [(data, message) for data, message, _ in CORRUPT_FILES],
    ids=[case_id for *_, case_id in CORRUPT_FILES],
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
# Locking

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from ivrsync.state import StateStore
    lock = StateStore(sys.argv[1]).lock(command="ivrsync apply")
    print("locked", flush=True)
    time.sleep(60)
    """
)


@pytest.fixture
def holder_process(store: StateStore) -> Any:
    """A python process holding the lock; yields the Popen, killed (-9) at the end."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(store.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "locked\n"
        yield process
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_a_lock_held_by_another_process_fails_at_once_naming_it(
    store: StateStore, holder_process: subprocess.Popen[str]
) -> None:
    holder = store.lock_holder()

    with pytest.raises(StateLockedError) as raised:
        store.lock(command="ivrsync apply")

    assert holder is not None
    assert holder.pid == holder_process.pid
    assert holder.host == socket.gethostname()
    assert raised.value.message == (
        f"the state {store.path} is locked by pid {holder_process.pid} on "
        f"{socket.gethostname()} since {holder.started_at} (ivrsync apply)"
    )
    assert "ivrsync state unlock" in raised.value.hint


def test_a_second_open_file_in_the_same_process_is_refused(store: StateStore) -> None:
    with store.lock(command="ivrsync apply"):
        with pytest.raises(StateLockedError, match=f"locked by pid {os.getpid()} "):
            StateStore(store.path).lock(command="ivrsync apply")
        assert store.lock_path.exists()

    assert not store.lock_path.exists()
    with store.lock(command="again"):
        pass


def test_a_lock_left_by_a_killed_process_is_taken_over(
    store: StateStore, holder_process: subprocess.Popen[str]
) -> None:
    holder_process.send_signal(signal.SIGKILL)
    holder_process.wait()
    assert store.lock_path.exists()

    with store.lock(command="ivrsync apply --again") as lock:
        assert lock.holder.pid == os.getpid()
        assert store.lock_holder() == lock.holder

    assert not store.lock_path.exists()


def test_unlock_refuses_a_live_holder_without_force(
    store: StateStore, holder_process: subprocess.Popen[str]
) -> None:
    with pytest.raises(StateLockedError, match="which is still running"):
        store.unlock()
    assert store.lock_path.exists()

    removed = store.unlock(force=True)

    assert removed.pid == holder_process.pid
    assert not store.lock_path.exists()


def _write_lock_file(store: StateStore, *, pid: int, host: str) -> LockHolder:
    holder = LockHolder(pid=pid, host=host, started_at=APPLIED_AT, command="ivrsync apply")
    store.lock_path.parent.mkdir(parents=True, exist_ok=True)
    store.lock_path.write_text(json.dumps(holder.__dict__), encoding="utf-8")
    return holder


def test_unlock_removes_a_lock_whose_process_is_gone(store: StateStore) -> None:
    holder = _write_lock_file(store, pid=999_999_999, host=socket.gethostname())

    assert store.unlock() == holder
    assert not store.lock_path.exists()


def test_a_lock_from_another_host_needs_force(store: StateStore) -> None:
    holder = _write_lock_file(store, pid=42, host="build-agent-7")

    with pytest.raises(StateLockedError, match="locked by pid 42 on build-agent-7 since"):
        store.lock(command="ivrsync apply")
    with pytest.raises(StateLockedError, match="that is another host"):
        store.unlock()
    assert store.unlock(force=True) == holder
    with store.lock(command="ivrsync apply"):
        pass


def test_unlock_without_a_lock_is_an_error(store: StateStore) -> None:
    with pytest.raises(StateError, match="is not locked"):
        store.unlock()


def test_an_unreadable_lock_file_is_taken_over(store: StateStore) -> None:
    # The previous holder died between creating the file and writing its details.
    store.lock_path.parent.mkdir(parents=True)
    store.lock_path.write_bytes(b"")

    assert store.lock_holder() == LockHolder(0, "unknown", "unknown", "unknown")
    with store.lock(command="ivrsync apply") as lock:
        assert store.lock_holder() == lock.holder


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


def test_a_forcibly_unlocked_run_does_not_remove_the_next_runs_lock(store: StateStore) -> None:
    first = store.lock(command="ivrsync apply")
    store.unlock(force=True)
    second = StateStore(store.path).lock(command="ivrsync apply --second")

    first.close()

    assert store.lock_holder() == second.holder
    second.close()
    assert not store.lock_path.exists()


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
