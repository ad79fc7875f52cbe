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
from itertools import chain
from pathlib import Path
from typing import Protocol

from ivrsync import __version__
from ivrsync.model import BODY_FIELDS, INTEGER_FIELDS, SCALAR_FIELDS, State, StateEntry

_BODY_KEYS = frozenset(BODY_FIELDS)
_INT = frozenset({int})
_TEXT = frozenset({str})
_LIST = frozenset({list})


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


#: A copy's items before its entries: its format, lineage, serial, and the number of entries.
_HEAD = 4
#: The items of one entry: id, digest, source, applied_at, then its body's values.
_STRIDE = 4 + len(BODY_FIELDS)
_FORMAT = "state copy 2"


def checked_copy(state: State) -> bytes | None:
    """A compact copy of a state that passed the full check, quick to read back; None when a
    body has other fields than `BODY_FIELDS` (a state of a newer ivrsync: read it in full).

    One flat JSON array, `[format, lineage, serial, n, <n entries>]`, an entry as its id,
    digest, source and applied_at followed by its body's values in `BODY_FIELDS` order: a
    copy of 10,000 entries is decoded, and its items' types checked, in a few passes in C.
    """
    document: list[object] = [_FORMAT, state.lineage, state.serial, len(state.entries)]
    for entry in state.entries.values():
        if entry.body.keys() != _BODY_KEYS:
            return None
        document += (entry.id, entry.digest, entry.source, entry.applied_at)
        document += (entry.body[name] for name in BODY_FIELDS)
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def state_seen_before(payload: bytes) -> State | None:
    """The State in a `checked_copy`; None when it is not one (then the caller checks the
    state file in full)."""
    try:
        flat = json.loads(payload)
        _require(type(flat) is list and len(flat) >= _HEAD and flat[0] == _FORMAT)
        _, lineage, serial, count = flat[:_HEAD]
        _require(type(lineage) is str and type(serial) is int and type(count) is int)
        _require(len(flat) == _HEAD + count * _STRIDE)
        ids = flat[_HEAD::_STRIDE]
        # Each column's types at once (the strided slices are built in C): a state holds
        # thousands of entries.
        _require(set(map(type, ids)) <= _INT and all(ivr_id > 0 for ivr_id in ids))
        for column in range(1, 4):  # digest, source, applied_at
            _require(set(map(type, flat[_HEAD + column :: _STRIDE])) <= _TEXT)
        # The bodies' values, column by column too: a forged number written as text (or a
        # menu that is no list of text) would crash the plan that compares it.
        for column, name in enumerate(SCALAR_FIELDS, 4):
            kinds = _INT if name in INTEGER_FIELDS else _TEXT
            _require(set(map(type, flat[_HEAD + column :: _STRIDE])) <= kinds)
        for column in (_STRIDE - 2, _STRIDE - 1):  # option, destination
            lists = flat[_HEAD + column :: _STRIDE]
            _require(set(map(type, lists)) <= _LIST)
            _require(set(map(type, chain.from_iterable(lists))) <= _TEXT)
        _require(ids == sorted(set(ids)))  # a checked state is sorted, without repeats
        entries = {
            ivr_id: StateEntry(
                ivr_id,
                dict(zip(BODY_FIELDS, flat[at + 4 : at + _STRIDE])),  # noqa: B905 - counted
                flat[at + 1],
                flat[at + 2],
                flat[at + 3],
            )
            for ivr_id, at in zip(ids, range(_HEAD, len(flat), _STRIDE), strict=True)
        }
        return State(lineage=lineage, serial=serial, entries=entries)
    except (_Refused, ValueError, TypeError, RecursionError):
        return None


class _Refused(Exception):
    pass


def _require(condition: bool) -> None:
    if not condition:
        raise _Refused
