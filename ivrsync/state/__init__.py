"""The last-applied state: its file format, the write-ahead journal, the lock, and the store.

Other packages import from here only, never from the modules inside, so the state's layout on
disk and in code can change without touching its users.
"""

from ivrsync.state.store import LockHolder, StateLock, StateStore, StateView, render_state_document

__all__ = ["LockHolder", "StateLock", "StateStore", "StateView", "render_state_document"]
