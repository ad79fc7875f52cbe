"""The state store and its lock (ivrsync.state.store): recording, group commit, commit, and
durability under kill -9. The helpers shared by the state tests are in tests/testing/state.py."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from ivrsync.errors import StateError
from ivrsync.model import State, StateEntry
from ivrsync.state import StateStore
from tests.testing.state import (
    APPLIED_AT,
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
