"""The last-applied state: its file format, the write-ahead journal, the lock, and the store.

Other packages import from here only, never from the modules inside, so the state's layout on
disk and in code can change without touching its users. Inside: `document` (the state file's
format, pure), `journal` (the journal's format and replay, pure), `lockfile` (the flock-based
run lock), `disk` (reading the state file and journal: regular files only, bounded) and
`store` (`StateStore`, and `StateLock` with its group commit).
"""

from ivrsync.state.document import render_state_document
from ivrsync.state.store import StateLock, StateStore

__all__ = ["StateLock", "StateStore", "render_state_document"]
