"""`state list|show|unlock`: read the last-applied state, or remove a stale lock."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ivrsync.errors import StateError, UsageError
from ivrsync.files import write_atomically
from ivrsync.model import LockHolder, State, StateEntry, StateView
from ivrsync.state import (
    StateStore,
    encode_state_document,
    merge_states,
    read_state_document,
    read_state_file,
)


def list_state(state_path: str | Path) -> StateView:
    """The state with any journal of an interrupted apply replayed (read-only)."""
    return StateStore(Path(state_path)).read()


def show_entry(state_path: str | Path, ivr_id: int) -> StateEntry:
    """What was last applied to `ivr_id`; StateError when the state does not manage it."""
    entry = StateStore(Path(state_path)).load().entries.get(ivr_id)
    if entry is None:
        raise StateError(
            f"IVR {ivr_id} is not in the state {state_path}",
            hint="`ivrsync state list` shows the managed IVRs",
        )
    return entry


def unlock(state_path: str | Path, *, force: bool) -> tuple[Path, LockHolder]:
    """Remove the lock; returns its path and who held it. See `StateStore.unlock`."""
    store = StateStore(Path(state_path))
    return store.lock_path, store.unlock(force=force)


def merge(
    state_path: Path, *, ours: str | None, theirs: str | None, base: str | None, out: Path
) -> State:
    """Merge two states (files, or git's index stages 2 and 3 of the state file when no files
    are given, with stage 1 as the base) and write the result to `out` atomically."""
    if (ours is None) != (theirs is None):
        raise UsageError("give both OURS and THEIRS, or neither (then git's index is read)")
    if ours is not None and theirs is not None:
        sides = [_read(Path(ours)), _read(Path(theirs)), _read(Path(base)) if base else None]
    else:
        sides = [_stage(state_path, 2), _stage(state_path, 3), _stage(state_path, 1, missing=True)]
    mine, other, common = sides
    assert mine is not None
    assert other is not None
    merged = merge_states(mine, other, common)
    try:
        write_atomically(out, encode_state_document(merged))
    except OSError as exc:
        raise StateError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return merged


def _read(path: Path) -> State:
    if not path.exists():
        raise StateError(f"cannot read {path}: no such file")
    state, _ = read_state_file(path, for_writing=False)
    return state


def _stage(state_path: Path, stage: int, *, missing: bool = False) -> State | None:
    """The state file as git's index holds it at `stage` (1 base, 2 ours, 3 theirs)."""
    folder = state_path.parent if state_path.parent.is_dir() else Path.cwd()
    try:
        found = subprocess.run(
            ["git", "show", f":{stage}:./{state_path.name}"],
            cwd=folder,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StateError(f"cannot run git to read the conflicted state: {exc}") from exc
    if found.returncode != 0:
        if missing:
            return None
        raise StateError(
            f"git's index holds no conflicting versions of {state_path}",
            hint="run this during a merge or rebase that conflicts on the state file, or pass "
            "the two files: `ivrsync state merge OURS THEIRS`",
        )
    return read_state_document(found.stdout, f"{state_path} (git stage {stage})")
