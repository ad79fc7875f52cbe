"""The write-ahead journal's format, pure: lines, parsing, replay.

`<state>.journal` holds, as JSON lines, the changes an apply recorded since the state file was
last written. Its first line is a header naming the lineage and serial of the state file it
extends (`{"journal_version", "lineage", "serial", "written_by"}`); every further line is one
record, `{"op": "applied", "entry": {"id", "body", "digest", "source", "applied_at"}}` or
`{"op": "forgotten", "id"}`. The writer (`StateLock`) appends each line with one `os.write`, so a
crash can only tear the last line, which the parser then ignores.

`replay` is the one way a state is rebuilt from a state file and journal records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ivrsync import __version__
from ivrsync.errors import StateError
from ivrsync.model import State, StateEntry
from ivrsync.state.document import (
    CorruptDocument,
    NewerDocument,
    NotJson,
    check_version,
    decode_json,
    entry_document,
    is_uuid,
    parse_entry,
    parse_id,
    shown,
)

#: The journal format this ivrsync writes and the newest it reads.
JOURNAL_VERSION: Final = 1
#: The largest journal ivrsync reads. A record is about one state entry and an apply records
#: each IVR once, so this is the state file's bound (see MAX_STATE_BYTES) for the same reason.
MAX_JOURNAL_BYTES: Final = 64 << 20

_HEADER_KEYS: Final = frozenset({"journal_version", "lineage", "serial", "written_by"})


@dataclass(frozen=True)
class Record:
    """One journal record: IVR `ivr_id` applied with `entry`, or forgotten (`entry` None)."""

    ivr_id: int
    entry: StateEntry | None


@dataclass(frozen=True)
class Journal:
    """A journal as read from disk: its header, its complete records, its valid length."""

    lineage: str | None
    serial: int
    records: tuple[Record, ...]
    valid_length: int  # bytes up to the end of the last complete line
    total_length: int


def _line(document: Mapping[str, Any]) -> bytes:
    # json.dumps escapes control characters, so a line never holds a newline of its own.
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return (text + "\n").encode("utf-8")


def header_line(lineage: str | None, serial: int) -> bytes:
    """The first line of a journal extending the state file of `lineage` at `serial`."""
    return _line(
        {
            "journal_version": JOURNAL_VERSION,
            "lineage": lineage,
            "serial": serial,
            "written_by": f"ivrsync {__version__}",
        }
    )


def record_line(record: Record) -> bytes:
    """The journal line of `record`, checked to parse back: never a line a reader refuses.

    Raises CorruptDocument saying why the record could not be written or read back (an id that
    is not a positive integer, a body holding values JSON cannot hold, NaN, lone surrogates,
    too deep, a time that is not ISO 8601, a digest that does not match).
    """
    if record.entry is None:
        document: dict[str, Any] = {"op": "forgotten", "id": record.ivr_id}
    else:
        document = {"op": "applied", "entry": {"id": record.ivr_id, **entry_document(record.entry)}}
    try:
        line = _line(document)
    except (TypeError, ValueError) as exc:  # ValueError covers UnicodeEncodeError
        raise CorruptDocument(f"it cannot be written as JSON ({exc})") from None
    except RecursionError:
        raise CorruptDocument("it is nested too deeply") from None
    _parse_record(decode_json(line), "the record")
    return line


def _parse_record(raw: object, where: str) -> Record:
    if not isinstance(raw, dict):
        raise CorruptDocument(f"{where} is not a journal record")
    if raw.get("op") == "applied" and raw.keys() == {"op", "entry"}:
        fields = raw["entry"]
        if not isinstance(fields, dict) or "id" not in fields:
            raise CorruptDocument(f"{where}: the entry has no 'id'")
        ivr_id = parse_id(fields["id"], where)
        rest = {key: value for key, value in fields.items() if key != "id"}
        return Record(ivr_id, parse_entry(ivr_id, rest, f"{where} entry"))
    if raw.get("op") == "forgotten" and raw.keys() == {"op", "id"}:
        return Record(parse_id(raw["id"], where), None)
    raise CorruptDocument(f"{where} is not a journal record (op 'applied' or 'forgotten')")


def _parse_header(header: object, where: str) -> tuple[str | None, int]:
    if not isinstance(header, dict):
        raise CorruptDocument(f"{where} is not a journal header")
    check_version(header, "journal_version", JOURNAL_VERSION)
    unknown = sorted(header.keys() - _HEADER_KEYS)
    if unknown or {"lineage", "serial"} - header.keys():
        raise CorruptDocument(f"{where} is not a valid journal header")
    lineage, serial = header["lineage"], header["serial"]
    if not (lineage is None or (isinstance(lineage, str) and is_uuid(lineage))):
        raise CorruptDocument(f"{where}: 'lineage' must be a UUID or null, found {shown(lineage)}")
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
        raise CorruptDocument(f"{where}: 'serial' must be a non-negative integer")
    return lineage, serial


def parse_journal(data: bytes, where: str) -> Journal | None:
    """Split and check a journal's lines. None for an empty journal (nothing was recorded).

    The last line is ignored when it is torn (no newline, or not JSON at all): the process died
    while writing it, so its `record_*` never returned. Any other bad line, including a last
    line that is JSON but not a valid record, raises CorruptDocument naming its line number;
    a newer journal raises NewerDocument.
    """
    lines = data.split(b"\n")
    # After the final "\n", split leaves b""; anything else there is a torn last line.
    tail = lines.pop()
    valid_length = len(data) - len(tail)
    lineage: str | None = None
    serial = 0
    records: list[Record] = []
    for number, line in enumerate(lines, start=1):
        at = f"{where} line {number}"
        try:
            document = decode_json(line)
        except NotJson as exc:
            if number == len(lines):
                # A last line with its newline but garbled (e.g. zeroes after a crash) is torn.
                valid_length -= len(line) + 1
                break
            raise CorruptDocument(f"{at} is not valid JSON ({exc.error})") from None
        except CorruptDocument as exc:
            raise CorruptDocument(f"{at}: {exc}") from None
        if number == 1:
            lineage, serial = _parse_header(document, at)
        else:
            records.append(_parse_record(document, at))
    if valid_length == 0:
        return None
    return Journal(lineage, serial, tuple(records), valid_length, len(data))


def read_journal_document(data: bytes, path: str | Path) -> Journal | None:
    """`parse_journal` of the journal at `path`; raises StateError naming it when refused."""
    try:
        return parse_journal(data, str(path))
    except NewerDocument as exc:
        raise StateError(
            f"the state journal {path} was written by a newer ivrsync (journal version "
            f"{exc.version}; this ivrsync {__version__} reads version {JOURNAL_VERSION})",
            hint="upgrade ivrsync; the journal was left as it is",
        ) from None
    except CorruptDocument as exc:
        raise StateError(
            f"the state journal {path} is corrupt: {exc}",
            hint=(
                "the journal holds the IVRs an interrupted apply recorded; move it away to "
                "discard them (the next plan shows those IVRs as changes again, and applying "
                "them again is harmless)"
            ),
        ) from None


def apply_record(entries: dict[int, StateEntry], record: Record) -> None:
    """Apply one record to `entries` in place: what a record means, in one place."""
    if record.entry is None:
        entries.pop(record.ivr_id, None)
    else:
        entries[record.ivr_id] = record.entry


def replay(base: State, records: Iterable[Record]) -> State:
    """`base` with `records` applied in order; the serial grows by one per record."""
    entries = dict(base.entries)
    count = 0
    for record in records:
        apply_record(entries, record)
        count += 1
    return State(base.lineage, base.serial + count, dict(sorted(entries.items())))


def journal_to_replay(
    base: State, journal: Journal | None, *, journal_path: str | Path, state_path: str | Path
) -> Journal | None:
    """`journal` when it extends `base`; None when there is nothing to replay.

    A journal already merged into `base` (the run died between writing the state file and
    removing the journal) is None too: replaying it would change nothing. A journal of another
    state file raises StateError: its changes were applied but belong to a state not at hand.
    """
    if journal is None:
        return None
    if journal.lineage == base.lineage and journal.serial == base.serial:
        return journal
    if _already_merged(base, journal):
        return None
    raise StateError(
        f"the state journal {journal_path} belongs to another state file: it extends lineage "
        f"{journal.lineage or 'none (a new state)'} at serial {journal.serial}, but "
        f"{state_path} has lineage {base.lineage or 'none (no file)'} at serial {base.serial} "
        "(the state file was replaced, e.g. by `git pull`, while an interrupted apply's "
        "journal was waiting to be merged)",
        hint=(
            f"the journal holds {len(journal.records)} change(s) already applied to Smartflo; "
            "restore the state file it belongs to (e.g. from git) and run `ivrsync apply` to "
            f"merge it, or move {journal_path} away to discard them (the next plan then shows "
            "those IVRs as changes again)"
        ),
    )


def _already_merged(base: State, journal: Journal) -> bool:
    """Whether `base` is exactly the journal's state file with the journal merged into it.

    That is the state after a commit that died before removing the journal: same lineage (or a
    new one, for a journal begun before the first write), serial advanced by the records, and
    every replayed record already there, so ignoring the journal loses nothing.
    """
    if base.lineage is None or journal.lineage not in (None, base.lineage):
        return False
    if base.serial != journal.serial + len(journal.records):
        return False
    return replay(base, journal.records).entries == base.entries
