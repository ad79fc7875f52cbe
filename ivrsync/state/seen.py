"""State files this ivrsync checked before, read again from a compact copy of what it found.

Checking a state file (`document.parse_state`) recomputes every entry's digest and looks at every
value, after decoding ten megabytes of indented JSON for 10,000 IVRs: most of a warm plan. What
it finds depends on the file's bytes and on this code alone, so after a full check the commands
keep a compact copy of the result (`checked_copy`) in the cache under the file's bytes (see
`ivrsync.config.cache.SeenBytes`), and the next read of the same bytes takes the copy. A copy is
read from disk too: anything unexpected in it is no copy, and the file is checked in full.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Protocol

from ivrsync import __version__
from ivrsync.model import BODY_FIELDS, State, StateEntry

_BODY_KEYS = frozenset(BODY_FIELDS)


class Memo(Protocol):
    """What the cache keeps for a state file's bytes (`ivrsync.config.cache.SeenBytes` is one):
    the compact copy `checked_copy` made of them after they passed the full check. `seen_file`
    finds it by the file's status alone; `get` and `put` by the bytes, read after `before`
    (the file's status then)."""

    def seen_file(self, path: str) -> bytes | None: ...

    def get(self, data: bytes, *, path: str, before: os.stat_result) -> bytes | None: ...

    def put(self, data: bytes, payload: bytes, *, path: str, before: os.stat_result) -> None: ...


def fingerprint() -> bytes:
    """What checking a state file depends on besides its bytes: this code, ivrsync's version,
    Python (and its int-string limit, which the JSON decoding enforces)."""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent.parent
    for source in (*sorted((package / "state").glob("*.py")), package / "body.py"):
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"unreadable " + str(source).encode("utf-8", "surrogatepass"))
    parts = ("state", __version__, sys.version, str(sys.get_int_max_str_digits()))
    return "\0".join((*parts, digest.hexdigest())).encode("utf-8")


def checked_copy(state: State) -> bytes:
    """A compact copy of a state that passed the full check, quick to read back.

    `[lineage, serial, [[id, digest, source, applied_at, body], ...]]`, a body as its values in
    `BODY_FIELDS` order when it has exactly those fields (nearly always), else as an object.
    """
    entries = [
        [
            entry.id,
            entry.digest,
            entry.source,
            entry.applied_at,
            list(entry.body.values()) if entry.body.keys() == _BODY_KEYS else dict(entry.body),
        ]
        for entry in state.entries.values()
    ]
    document = [state.lineage, state.serial, entries]
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def state_seen_before(payload: bytes) -> State | None:
    """The State in a `checked_copy`; None when it is not one (then the caller checks the
    state file in full)."""
    try:
        lineage, serial, raw_entries = json.loads(payload)
        _require(type(lineage) is str and type(serial) is int and type(raw_entries) is list)
        entries: dict[int, StateEntry] = {}
        fields = len(BODY_FIELDS)
        for ivr_id, digest, source, applied_at, body in raw_entries:
            if type(body) is list and len(body) == fields:
                body = dict(zip(BODY_FIELDS, body))  # noqa: B905 - the lengths are checked
            # One expression per entry: a state holds thousands.
            if not (
                type(ivr_id) is int
                and ivr_id > 0
                and type(digest) is type(source) is type(applied_at) is str
                and type(body) is dict
            ):
                return None
            entries[ivr_id] = StateEntry(ivr_id, body, digest, source, applied_at)
        _require(len(entries) == len(raw_entries))  # no id twice
        if list(entries) != sorted(entries):  # a checked state is sorted: the copy keeps it
            return None
        return State(lineage=lineage, serial=serial, entries=entries)
    except (_Refused, ValueError, TypeError, RecursionError):
        return None


class _Refused(Exception):
    pass


def _require(condition: bool) -> None:
    if not condition:
        raise _Refused
