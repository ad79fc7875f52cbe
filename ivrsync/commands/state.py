"""`state list|show|unlock`: read the last-applied state, or remove a stale lock."""

from __future__ import annotations

from pathlib import Path

from ivrsync.errors import StateError
from ivrsync.model import LockHolder, StateEntry, StateView
from ivrsync.state import StateStore


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
