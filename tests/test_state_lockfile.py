"""The run lock (ivrsync.state.lockfile): flock, holders, takeover, unlock, planted files."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ivrsync.errors import StateError, StateLockedError
from ivrsync.model import LockHolder
from ivrsync.state import StateStore
from tests.testing.hang import no_hang
from tests.testing.state import APPLIED_AT


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / ".ivrsync" / "state.json")


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


def test_a_forcibly_unlocked_run_does_not_remove_the_next_runs_lock(store: StateStore) -> None:
    first = store.lock(command="ivrsync apply")
    store.unlock(force=True)
    second = StateStore(store.path).lock(command="ivrsync apply --second")

    first.close()

    assert store.lock_holder() == second.holder
    second.close()
    assert not store.lock_path.exists()


# ---------------------------------------------------------------------------------------------
# Planted lock files: never followed, never a special file, content never trusted


@pytest.mark.parametrize("target", ["victim.txt", "missing.txt"], ids=["to-a-file", "dangling"])
def test_a_lock_planted_as_a_symlink_is_refused_and_its_target_left_alone(
    store: StateStore, target: str
) -> None:
    # Before, taking the lock truncated and overwrote the link's target.
    store.path.parent.mkdir(parents=True)
    victim = store.path.parent / "victim.txt"
    victim.write_bytes(b"precious")
    store.lock_path.symlink_to(store.path.parent / target)

    with pytest.raises(StateError) as raised:
        store.lock(command="ivrsync apply")

    assert raised.value.message == (
        f"cannot open the state lock {store.lock_path}: {store.lock_path} is a symbolic link; "
        "ivrsync does not write through symbolic links"
    )
    assert raised.value.hint == (
        f"ivrsync creates {store.lock_path} itself: remove what is there, then rerun"
    )
    assert victim.read_bytes() == b"precious"
    assert not (store.path.parent / "missing.txt").exists()
    assert store.lock_path.is_symlink()
    with pytest.raises(StateError, match="is a symbolic link"):
        store.unlock(force=True)
    with pytest.raises(StateError, match="is a symbolic link"):
        store.lock_holder()
    assert victim.read_bytes() == b"precious"


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_lock_that_is_not_a_regular_file_is_refused_without_blocking(
    store: StateStore, kind: str
) -> None:
    store.path.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(store.lock_path)
        what = "a FIFO (named pipe)"
    else:
        store.lock_path.mkdir()
        what = "a folder"

    with no_hang(), pytest.raises(StateError) as raised:
        store.lock(command="ivrsync apply")
    with no_hang(), pytest.raises(StateError) as raised_by_unlock:
        store.unlock()

    expected = f"cannot open the state lock {store.lock_path}: {store.lock_path} is {what}, "
    assert raised.value.message == expected + "not a regular file"
    assert raised_by_unlock.value.message == expected + "not a regular file"


HOSTILE_HOLDERS = [
    (b"[" * 65536, "deep-nesting"),
    (b'{"pid": 1' + b"0" * 5000 + b', "host": "h", "started_at": "t", "command": "c"}', "pid-int"),
    (b'{"pid": true, "host": "h", "started_at": "t", "command": "c"}', "pid-bool"),
    (b'{"pid": -4, "host": "h", "started_at": "t", "command": "c"}', "pid-negative"),
    (b'{"pid": 12, "host": "\\u001b]0;owned\\u0007", "started_at": "t", "command": "c"}', "esc"),
    (b'{"pid": 12, "host": "h", "started_at": "t", "command": "\\ud800"}', "surrogate"),
    (b'{"pid": NaN, "host": "h", "started_at": "t", "command": "c"}', "nan"),
]


@pytest.mark.parametrize(
    "data", [d for d, _ in HOSTILE_HOLDERS], ids=[i for _, i in HOSTILE_HOLDERS]
)
def test_a_hostile_lock_file_reads_as_an_unknown_holder_and_is_taken_over(
    store: StateStore, data: bytes
) -> None:
    # Before, deep nesting crashed the lock (RecursionError), and escape sequences or lone
    # surrogates in the holder reached the terminal in error messages.
    store.path.parent.mkdir(parents=True)
    store.lock_path.write_bytes(data)

    assert store.lock_holder() == LockHolder(0, "unknown", "unknown", "unknown")
    with store.lock(command="ivrsync apply") as lock:
        assert store.lock_holder() == lock.holder
    assert not store.lock_path.exists()
