"""The cache entry of a file's summary: compact JSON out, strictly checked JSON back in.

`summary_entry` writes what `FileSummary` holds as one JSON array; `decode_entries` and
`summary_from_entry` read entries back and refuse, with None, anything `summary_entry` would not
have written: an entry is read from disk, so it is checked field by field like any other input.
`namespace` is what the cache keys include besides a file's bytes: everything a summary depends
on (ivrsync's code and version, the schema, PyYAML and its parser, Python's int-string limit, and
the settings the caller names), so a change to any of them is a miss, never a stale result.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ivrsync import __version__
from ivrsync.body import scalars_typed
from ivrsync.config.parsing import C_PARSER
from ivrsync.config.schema import schema_text
from ivrsync.config.summary import FileSummary
from ivrsync.model import BODY_FIELDS, DTMF_KEYS, SCALAR_FIELDS, Problem

#: A file with more problems of its own than this is not cached (a hostile file; it is checked
#: again on each run, in linear time), so an entry stays small.
MAX_CACHED_PROBLEMS = 200
#: The entry format; part of the namespace, so entries of another format are never read.
_ENTRY_FORMAT = "summary 2"
_SEVERITIES = ("error", "warning")
_DIGEST_LENGTH = len("sha256:") + 64
_TEXT = frozenset({str})
_INT = frozenset({int})


#: An entry's kinds of file (its second item).
_OTHER, _BROKEN, _MAPPING = 0, 1, 2
#: The first item of a flat entry (see `summary_entry`): no general entry starts with an int.
_FLAT = 3
#: A flat entry's items before the menu: the mark, id, digest, menu length, the scalar fields.
_FLAT_HEAD = 4 + len(SCALAR_FIELDS)
#: The indexes of a menu of each length (a menu has at most one entry per DTMF key).
_INDEXES = tuple(frozenset(range(count)) for count in range(len(DTMF_KEYS) + 1))


def summary_entry(summary: FileSummary) -> bytes | None:
    """The cache entry of `summary` (ASCII JSON, one line), or None when it is not cached.

    A JSON array, compact because a warm run decodes one per file: `[problems, kind, id, name,
    destinations, menu order, body, digest, positions]`. With a body, its values stand in
    `BODY_FIELDS` order, and the destinations are the body's (the menu order says where each
    menu entry stands in the file), so they are null.

    The usual file (an IVR with an id, no problem, no position looked up) has a flat entry of
    text and numbers only, checked in a few passes in C when read (a warm run reads thousands):
    `[3, id, digest, n, <the scalar fields>, <n options>, <n destinations>, <n menu order>]`.
    """
    if len(summary.problems) > MAX_CACHED_PROBLEMS:
        return None
    body = summary.body
    if (
        body is not None
        and not summary.problems
        and summary.ivr_id is not None
        and summary.name == body["name"]
        and not summary.positions
    ):
        options = body["option"]
        flat = [_FLAT, summary.ivr_id, summary.digest, len(options)]
        flat += [body[name] for name in SCALAR_FIELDS]
        flat += [*options, *body["destination"], *summary.menu_order]
        return _ENTRY_ENCODER.encode(flat).encode("ascii")
    kind = _MAPPING if summary.is_mapping else _BROKEN if summary.broken else _OTHER
    entry = [
        [[p.line, p.column, p.path, p.message, p.severity, p.hint] for p in summary.problems],
        kind,
        summary.ivr_id,
        summary.name,
        None if body is not None else [[list(at), value] for at, value in summary.destinations],
        list(summary.menu_order),
        None if body is None else [body[name] for name in BODY_FIELDS],
        summary.digest,
        {name: list(at) for name, at in summary.positions.items()},
    ]
    return _ENTRY_ENCODER.encode(entry).encode("ascii")


#: ASCII (a lone surrogate from a YAML escape survives as `\\ud800`), no line breaks, compact.
_ENTRY_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


def decode_entries(payloads: Sequence[bytes]) -> list[Any]:
    """The JSON values of `payloads`, in one decoding when all are JSON (a warm run decodes
    thousands: one call instead of one each halves the cost); a payload that is not JSON (or
    nests too deep) is None."""
    try:
        decoded = json.loads(b"[" + b",".join(payloads) + b"]")
    except (ValueError, RecursionError):
        decoded = None
    if isinstance(decoded, list) and len(decoded) == len(payloads):
        return decoded
    return [_decoded(payload) for payload in payloads]  # find the bad ones


def _decoded(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):
        return None


class _Refused(Exception):
    """The entry is not one `summary_entry` writes."""


def summary_from_entry(
    entry: Any, *, display: str, path: str | Path, data: bytes | None
) -> FileSummary | None:
    """The summary in a decoded cache entry, for the file `display` whose bytes are `data`
    (None: not read, the cache's index knew them); None when the entry is anything
    `summary_entry` would not have written."""
    try:
        if type(entry) is list and entry and entry[0] == _FLAT:  # the usual entry, at once
            return _flat_summary(entry, display, path, data)
        return _summary(entry, display, path, data)
    except (_Refused, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def _summary(entry: Any, display: str, path: str | Path, data: bytes | None) -> FileSummary:
    """The summary of a general entry: a file with problems, positions or no id (the usual
    valid file has a flat entry, `_flat_summary`)."""
    _require(type(entry) is list and len(entry) == 9)
    raw_problems, kind, ivr_id, name, raw_destinations, order, values, digest, positions = entry
    problems = tuple(_problem(raw, display) for raw in _list(raw_problems))
    _require(kind in (_OTHER, _BROKEN, _MAPPING) and type(kind) is int)
    _require(ivr_id is None or (_natural(ivr_id) and ivr_id > 0))
    _require(name is None or type(name) is str)
    destinations: tuple[tuple[tuple[str | int, ...], str], ...] | None = None
    body: dict[str, Any] | None = None
    if values is None:
        _require(digest is None and order == [])
        destinations = tuple(_destination(raw) for raw in _list(raw_destinations))
        _require(kind == _MAPPING or (ivr_id is None and name is None and not destinations))
    else:
        _require(kind == _MAPPING and ivr_id is not None and name is not None)
        _require(type(values) is list and len(values) == len(BODY_FIELDS))
        _require(_is_body(values) and raw_destinations is None)
        body = dict(zip(BODY_FIELDS, values))  # noqa: B905 - the lengths are checked above
        _require(type(digest) is str and len(digest) == _DIGEST_LENGTH)
        _require(digest.startswith("sha256:"))
        _require(type(order) is list and all(type(index) is int for index in order))
        _require(sorted(order) == list(range(len(body["option"]))))
        _require(not any(problem.is_error for problem in problems))
    _require(type(positions) is dict)
    found: dict[str, tuple[int, int]] = {}
    for key, at in positions.items():
        _require(type(at) is list and len(at) == 2 and all(_natural(n) for n in at))
        found[key] = (at[0], at[1])
    return FileSummary(
        display,
        problems,
        is_mapping=kind == _MAPPING,
        broken=kind == _BROKEN,
        ivr_id=ivr_id,
        name=name,
        destinations=destinations,
        menu_order=tuple(order),
        body=body,
        digest=digest,
        path=path,
        source=data,
        positions=found,
    )


def _flat_summary(
    entry: list[Any], display: str, path: str | Path, data: bytes | None
) -> FileSummary:
    """The summary of a flat entry (see `summary_entry`), checked as one expression, each part
    of the entry by the types it may hold (a warm run reads thousands)."""
    count = entry[3]
    end = _FLAT_HEAD + 2 * count
    order = entry[end:]
    ivr_id = entry[1]
    digest = entry[2]
    if not (
        type(count) is int
        and 0 <= count < len(_INDEXES)
        and len(entry) == _FLAT_HEAD + 3 * count
        and scalars_typed(entry[4:_FLAT_HEAD])
        and type(ivr_id) is int
        and ivr_id > 0
        and type(digest) is str
        and len(digest) == _DIGEST_LENGTH
        and digest[:7] == "sha256:"
        and set(map(type, entry[_FLAT_HEAD:end])) <= _TEXT
        and set(map(type, order)) <= _INT
        and set(order) == _INDEXES[count]  # a permutation of the menu's entries
    ):
        raise _Refused
    body = dict(zip(SCALAR_FIELDS, entry[4:_FLAT_HEAD]))  # noqa: B905 - lengths checked above
    body["option"] = entry[_FLAT_HEAD : _FLAT_HEAD + count]
    body["destination"] = entry[_FLAT_HEAD + count : end]
    name = body["name"]
    _require(type(name) is str and bool(name.strip()))
    return FileSummary(
        display,
        (),
        is_mapping=True,
        ivr_id=ivr_id,
        name=name,
        destinations=None,
        menu_order=tuple(order),
        body=body,
        digest=digest,
        path=path,
        source=data,
    )


def _require(condition: bool) -> None:
    if not condition:
        raise _Refused


def _list(value: object) -> list[Any]:
    _require(isinstance(value, list))
    assert isinstance(value, list)
    return value


def _natural(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _problem(raw: object, display: str) -> Problem:
    _require(isinstance(raw, list) and len(raw) == 6)
    assert isinstance(raw, list)
    line, column, json_path, message, severity, hint = raw
    _require(_natural(line) and _natural(column) and severity in _SEVERITIES)
    _require(isinstance(json_path, str) and isinstance(message, str) and isinstance(hint, str))
    return Problem(display, line, column, json_path, message, severity, hint)


def _destination(raw: object) -> tuple[tuple[str | int, ...], str]:
    _require(isinstance(raw, list) and len(raw) == 2)
    assert isinstance(raw, list)
    json_path, value = raw
    _require(isinstance(value, str) and isinstance(json_path, list) and bool(json_path))
    _require(all(isinstance(part, str) or _natural(part) for part in json_path))
    return tuple(json_path), value


def _is_body(values: list[Any]) -> bool:
    """Whether `values` (one for each of `BODY_FIELDS`) are those of a body as
    `body_from_document` makes them: text or whole numbers, then two lists of text as long."""
    *scalars, options, destinations = values
    if type(options) is not list or type(destinations) is not list:
        return False
    if len(options) != len(destinations):
        return False
    # Type sets, built in C: this runs for every cached file of a warm run.
    return (
        len(scalars) == len(SCALAR_FIELDS)
        and scalars_typed(scalars)
        and set(map(type, options)) <= _TEXT
        and set(map(type, destinations)) <= _TEXT
    )


def namespace(settings: Sequence[str] = ()) -> bytes:
    """What, besides a file's bytes, its summary depends on (see the module's docstring).

    `settings` are the values of the settings the caller's summaries depend on.
    """
    parts = [
        _ENTRY_FORMAT,
        __version__,
        sys.version,
        str(sys.get_int_max_str_digits()),
        yaml.__version__,
        f"C parser {C_PARSER}",
        schema_text(),
        _code_digest(),
        *settings,
    ]
    return "\0".join(parts).encode("utf-8", "surrogatepass")


def _code_digest() -> str:
    """A digest of the source of the modules whose output is cached.

    The version alone would miss a development checkout's edits (a message reworded in
    `yaml_errors.py` keeps the version); reading these few files costs well under a millisecond.
    """
    package = Path(__file__).resolve().parent.parent
    sources = [*sorted((package / "config").glob("*.py"))]
    sources += [package / "body.py", package / "files.py", package / "model" / "values.py"]
    digest = hashlib.blake2b(digest_size=16)
    for source in sources:
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"unreadable " + str(source).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()
