"""The last-applied state: its file format, the write-ahead journal, the lock, and the store.

Other packages import from here only, never from the modules inside, so the state's layout on
disk and in code can change without touching its users. Inside: `document` (the state file's
format, pure), `journal` (the journal's format and replay, pure), `lockfile` (the flock-based
run lock), `disk` (reading the state file and journal: regular files only, bounded) and
`store` (`StateStore`, and `StateLock` with its group commit), `merge` (two branches' states),
`intents` (the creates begun and not yet matched to a live id).
"""

from ivrsync.state.disk import read_state_file
from ivrsync.state.document import (
    encode_state_document,
    read_state_document,
    render_state_document,
)
from ivrsync.state.intents import CreateIntents, recorded_ids
from ivrsync.state.merge import merge_states
from ivrsync.state.seen import Memo as StateMemo
from ivrsync.state.seen import fingerprint as state_fingerprint
from ivrsync.state.store import StateLock, StateStore

__all__ = [
    "CreateIntents",
    "StateLock",
    "StateMemo",
    "StateStore",
    "encode_state_document",
    "merge_states",
    "read_state_document",
    "read_state_file",
    "recorded_ids",
    "render_state_document",
    "state_fingerprint",
]
