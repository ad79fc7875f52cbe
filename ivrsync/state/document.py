"""The state file's format, pure: strict parsing, rendering, versions, entry documents.

The state file is one JSON object, written with sorted keys so `git diff` reads well:
`{"version": 1, "lineage": uuid4, "serial": n, "written_by": "ivrsync x.y", "ivrs": {"<id>":
{"body", "digest", "source", "applied_at"}}}`. `serial` grows by one per recorded change;
`lineage` is created on the first write and never changes.

Parsing is strict because a wrong state makes plan send wrong PUTs: anything unexpected is
`CorruptDocument` (or `NewerDocument`), turned into a StateError naming the file by the reader.
The JSON decoding here (`decode_json`) is also the journal's, so both refuse the same inputs.
"""

from __future__ import annotations

import contextlib
import json
import math
import reprlib
import sys
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from ivrsync import __version__
from ivrsync.body import digest_body, in_body_order
from ivrsync.errors import StateError
from ivrsync.model import State, StateEntry
from ivrsync.state.merge import conflict_error, conflict_line

#: The state file format this ivrsync writes and the newest it reads.
STATE_VERSION: Final = 1
#: The largest state file ivrsync reads (or writes). An entry is about 1 KiB, so this holds some
#: 60,000 IVRs, far beyond any Smartflo account; reading it takes about a second. A larger file
#: is not one ivrsync wrote, and reading it whole could exhaust memory.
MAX_STATE_BYTES: Final = 64 << 20
#: How deep a body may nest. Bodies are flat (fields hold scalars or lists of strings); the bound
#: keeps every later recursive step (digest, render, repr) far from Python's recursion limit.
MAX_BODY_DEPTH: Final = 16

_ENTRY_KEYS: Final = frozenset({"body", "digest", "source", "applied_at"})
_STATE_KEYS: Final = frozenset({"version", "lineage", "serial", "written_by", "ivrs"})

# Values quoted in error messages come from the file: bounded in length and depth, escaped.
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 80
_REPR.maxlevel = 3


class CorruptDocument(Exception):
    """A structural problem inside a state or journal document; the caller names the file."""


class NotJson(CorruptDocument):
    """The text is not JSON at all (syntax or encoding): for a journal's last line, a torn write."""

    def __init__(self, error: ValueError) -> None:
        super().__init__(str(error))
        self.error = error


class NewerDocument(Exception):
    """The document is from a newer ivrsync: not corrupt, but unreadable here."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


def shown(value: object) -> str:
    """`repr(value)` for an error message: escaped, at most ~80 characters, 3 levels deep."""
    return _REPR.repr(value)


def plain(text: object) -> str:
    """`text` as is when it is short printable text (a key, a name), else `shown(text)`."""
    if isinstance(text, str) and len(text) <= 80 and text.isprintable():
        return text
    return shown(text)


def listed(names: Iterable[str], *, quoted: bool = False) -> str:
    """`a, b, c` (at most 5, then `and N more`), each through `shown` or `plain`."""
    items = sorted(names)
    words = [shown(item) if quoted else plain(item) for item in items[:5]]
    if len(items) > 5:
        words.append(f"and {len(items) - 5} more")
    return ", ".join(words)


def _no_constant(name: str) -> Any:
    raise CorruptDocument(f"it holds {name}, which is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # e.g. 1e400: Python reads it as infinity, which no JSON writer can write back.
        raise CorruptDocument(f"it holds the number {plain(text)}, too large for a float")
    return value


def decode_json(data: str | bytes) -> Any:
    """`json.loads`, refusing what Python would accept but cannot round-trip or survive.

    Raises NotJson for bad syntax or encoding, and CorruptDocument (a phrase starting with "it")
    for NaN and Infinity, numbers that overflow to infinity, integers longer than Python's
    int-string conversion limit (a ValueError from json.loads) and nesting deep enough for a
    RecursionError: all of these would otherwise escape as a crash.
    """
    try:
        return json.loads(data, parse_constant=_no_constant, parse_float=_finite_float)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NotJson(exc) from None
    except ValueError:
        # json.loads raises no other ValueError: this is int()'s limit on digits.
        raise CorruptDocument(
            f"it holds an integer longer than {sys.get_int_max_str_digits()} digits"
        ) from None
    except RecursionError:
        raise CorruptDocument("it is nested too deeply") from None


def check_version(document: Mapping[str, Any], key: str, supported: int) -> None:
    """Raise NewerDocument above `supported`, CorruptDocument for a missing or unknown version."""
    if key not in document:
        raise CorruptDocument(f"it has no {key!r}")
    version = document[key]
    if isinstance(version, bool) or not isinstance(version, int):
        raise CorruptDocument(f"{key!r} must be an integer, found {shown(version)}")
    if version > supported:
        raise NewerDocument(version)
    if version < 1:
        raise CorruptDocument(
            f"unknown {key} {shown(version)} (this ivrsync knows {key} {supported})"
        )


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def parse_id(value: object, where: str, *, key: bool = False) -> int:
    """The IVR id in `value`, the one id parser of the state and the journal.

    An id is a positive JSON integer; with `key` (the keys of the state's `ivrs`), the object
    key spelling one in plain decimal: `"349"`, never `"0349"`, `"+349"` or `"٣٤٩"`.
    Raises CorruptDocument naming `where`.
    """
    number = value
    if key and isinstance(value, str) and value.isascii() and value.isdigit() and value[0] != "0":
        # A key longer than the int-string conversion limit stays text, and is refused below.
        with contextlib.suppress(ValueError):
            number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        raise CorruptDocument(
            f"{where}: the IVR id must be a positive integer, found {shown(value)}"
        )
    return number


_CONTAINERS: Final = (dict, list)
_TEXT_ONLY: Final = frozenset({str})


def _deeper_than(value: dict[Any, Any] | list[Any], levels: int) -> bool:
    """Whether containers nest more than `levels` levels in `value` (itself one; no recursion)."""
    level = [value]
    for _ in range(levels):
        nested: list[dict[Any, Any] | list[Any]] = []
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, _CONTAINERS):
                    nested.append(child)
        if not nested:
            return False
        level = nested
    return True


def _body_too_deep(body: Mapping[str, Any]) -> bool:
    """Whether `body` nests more than MAX_BODY_DEPTH levels (the body itself is one)."""
    # Bodies are flat (scalars, lists of strings): the usual case is these two loops, no more,
    # and a list of nothing but text is passed over by its item types, gathered in C.
    for value in body.values():
        if isinstance(value, _CONTAINERS):
            items = value.values() if isinstance(value, dict) else value
            if set(map(type, items)) <= _TEXT_ONLY:
                continue
            for item in items:
                if isinstance(item, _CONTAINERS) and _deeper_than(item, MAX_BODY_DEPTH - 2):
                    return True
    return False


def _is_text(value: str) -> bool:
    """Whether `value` is Unicode text (JSON's `\\ud800` escape gives a lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_entry(ivr_id: int, raw: object, where: str) -> StateEntry:
    """Check one `{"body", "digest", "source", "applied_at"}` object and build its entry.

    Raises CorruptDocument naming `where`: a wrong shape, a body nested deeper than
    MAX_BODY_DEPTH or holding non-Unicode text, a time that is not ISO 8601, or a digest that
    does not match the body.
    """
    if not isinstance(raw, dict):
        raise CorruptDocument(f"{where} must be an object, found {type(raw).__name__}")
    missing = sorted(_ENTRY_KEYS - raw.keys())
    if missing:
        raise CorruptDocument(f"{where} is missing {', '.join(missing)}")
    unknown = raw.keys() - _ENTRY_KEYS
    if unknown:
        raise CorruptDocument(f"{where} has unknown keys: {listed(unknown)}")
    body = raw["body"]
    if not isinstance(body, dict):
        raise CorruptDocument(f"{where}.body must be an object, found {type(body).__name__}")
    for name in ("digest", "source", "applied_at"):
        if not isinstance(raw[name], str):
            raise CorruptDocument(
                f"{where}.{name} must be a string, found {type(raw[name]).__name__}"
            )
    if not _is_text(raw["source"]):
        raise CorruptDocument(f"{where}.source is not Unicode text: {shown(raw['source'])}")
    try:
        datetime.fromisoformat(raw["applied_at"])
    except ValueError:
        raise CorruptDocument(
            f"{where}.applied_at is not an ISO 8601 time: {shown(raw['applied_at'])}"
        ) from None
    if _body_too_deep(body):
        raise CorruptDocument(f"{where}.body nests more than {MAX_BODY_DEPTH} levels deep")
    try:
        actual = digest_body(body)
    except UnicodeEncodeError:
        raise CorruptDocument(
            f"{where}.body holds text that is not Unicode (a lone surrogate such as \\ud800)"
        ) from None
    if raw["digest"] != actual:
        raise CorruptDocument(
            f"{where}.digest does not match its body (recorded {plain(raw['digest'])}, "
            f"the body hashes to {actual}): the body was edited by hand"
        )
    return StateEntry(
        id=ivr_id,
        body=in_body_order(body),
        digest=raw["digest"],
        source=raw["source"],
        applied_at=raw["applied_at"],
    )


def entry_document(entry: StateEntry) -> dict[str, Any]:
    """The `{"body", "digest", "source", "applied_at"}` object of one entry."""
    return {
        "body": dict(entry.body),
        "digest": entry.digest,
        "source": entry.source,
        "applied_at": entry.applied_at,
    }


def parse_state(document: object) -> State:
    """The State in a decoded state document. Raises CorruptDocument or NewerDocument."""
    if not isinstance(document, dict):
        raise CorruptDocument(f"it must be a JSON object, found {type(document).__name__}")
    check_version(document, "version", STATE_VERSION)
    missing = {"lineage", "serial", "ivrs"} - document.keys()
    if missing:
        raise CorruptDocument(f"it is missing {listed(missing, quoted=True)}")
    unknown = document.keys() - _STATE_KEYS
    if unknown:
        raise CorruptDocument(f"it has unknown keys: {listed(unknown, quoted=True)}")
    lineage = document["lineage"]
    if not isinstance(lineage, str) or not is_uuid(lineage):
        raise CorruptDocument(f"'lineage' must be a UUID, found {shown(lineage)}")
    serial = document["serial"]
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
        raise CorruptDocument(f"'serial' must be a non-negative integer, found {shown(serial)}")
    if "written_by" in document and not isinstance(document["written_by"], str):
        raise CorruptDocument(
            f"'written_by' must be a string, found {shown(document['written_by'])}"
        )
    ivrs = document["ivrs"]
    if not isinstance(ivrs, dict):
        raise CorruptDocument(f"'ivrs' must be an object, found {type(ivrs).__name__}")
    entries: dict[int, StateEntry] = {}
    for key, raw in ivrs.items():
        where = f"ivrs.{plain(key)}"
        ivr_id = parse_id(key, where, key=True)
        entries[ivr_id] = parse_entry(ivr_id, raw, where)
    return State(lineage=lineage, serial=serial, entries=dict(sorted(entries.items())))


def read_state_document(data: bytes, path: str | Path) -> State:
    """The State in the bytes of the state file at `path`.

    Raises StateError naming `path`: not UTF-8, not JSON, corrupt (with the hint to restore it),
    or written by a newer ivrsync.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _corrupt(path, f"it is not UTF-8 text ({exc.reason})") from None
    try:
        return parse_state(decode_json(text))
    except NotJson as exc:
        if (line := conflict_line(text)) is not None:
            raise conflict_error(path, line) from None
        error = exc.error
        if isinstance(error, json.JSONDecodeError):
            where = f"line {error.lineno}, column {error.colno}: {error.msg}"
            raise _corrupt(path, f"it is not valid JSON ({where})") from None
        raise _corrupt(path, f"it is not valid JSON ({error})") from None
    except NewerDocument as exc:
        raise StateError(
            f"the state file {path} was written by a newer ivrsync (format version "
            f"{exc.version}; this ivrsync {__version__} reads version {STATE_VERSION})",
            hint="upgrade ivrsync (pip install --upgrade ivrsync); the file was left as it is",
        ) from None
    except CorruptDocument as exc:
        raise _corrupt(path, str(exc)) from None


def _corrupt(path: str | Path, what: str) -> StateError:
    return StateError(
        f"the state file {path} is corrupt: {what}",
        hint=(
            "restore it from version control (e.g. `git checkout -- "
            f"{path}`) or fix it by hand; ivrsync never overwrites a corrupt state file"
        ),
    )


def _unreadable(state: State) -> str | None:
    """Why `parse_state` would refuse the document of `state`, for what is cheap to check."""
    if not isinstance(state.lineage, str) or not is_uuid(state.lineage):
        return f"its lineage {shown(state.lineage)} is not a UUID"
    if isinstance(state.serial, bool) or not isinstance(state.serial, int) or state.serial < 0:
        return f"its serial {shown(state.serial)} is not a non-negative integer"
    for ivr_id, entry in state.entries.items():
        if isinstance(ivr_id, bool) or not isinstance(ivr_id, int) or ivr_id <= 0:
            return f"the IVR id {shown(ivr_id)} is not a positive integer"
        if entry.id != ivr_id:
            return f"the entry of IVR {ivr_id} names IVR {shown(entry.id)}"
    return None


def render_state_document(state: State) -> str:
    """The state file's exact text: sorted keys, indent 2, UTF-8 as is, newline at the end.

    Never renders a document the next run would refuse, for what is cheap to check (the parser
    refuses far more): raises ValueError when the lineage is not a UUID (a state never written
    has none yet), the serial is negative, an id is not a positive integer or not its entry's,
    or a body holds NaN or infinity; TypeError when a body holds a value JSON cannot hold.
    Entries are checked in full when recorded (`StateLock.record_applied`), not here.
    """
    problem = _unreadable(state)
    if problem is not None:
        raise ValueError(f"the state would not read back: {problem}")
    document = {
        "version": STATE_VERSION,
        "lineage": state.lineage,
        "serial": state.serial,
        "written_by": f"ivrsync {__version__}",
        "ivrs": {
            str(ivr_id): entry_document(entry) for ivr_id, entry in sorted(state.entries.items())
        },
    }
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return text + "\n"


def encode_state_document(state: State) -> bytes:
    """`render_state_document` as the state file's bytes, refused when they would not read back.

    Raises ValueError as `render_state_document` does, and when a string holds a lone surrogate
    (not UTF-8) or the file would be larger than MAX_STATE_BYTES, the most the reader accepts.
    """
    data = render_state_document(state).encode("utf-8")  # UnicodeEncodeError is a ValueError
    if len(data) > MAX_STATE_BYTES:
        limit = f"{MAX_STATE_BYTES >> 20} MiB" if MAX_STATE_BYTES >= 1 << 20 else "the bound"
        raise ValueError(f"it would be larger than {limit}, the most ivrsync reads back")
    return data
