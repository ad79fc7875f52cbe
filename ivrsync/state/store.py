"""The last-applied state: read, lock, journal, atomic write.

Files, all next to each other (`<state>` is `.ivrsync/state.json` by default):

- `<state>`: the state, a JSON object written atomically with sorted keys, so `git diff` reads well:
  `{"version": 1, "lineage": uuid4, "serial": n, "written_by": "ivrsync x.y", "ivrs": {"<id>":
  {"body", "digest", "source", "applied_at"}}}`. `serial` grows by one per recorded change;
  `lineage` is created on the first write and never changes.
- `<state>.journal`: a write-ahead journal (JSON lines) of the changes an apply has recorded since
  the state file was last written. Its first line is a header naming the lineage and serial of the
  state file it extends; every further line is one record, appended with a single `os.write` on an
  `O_APPEND` descriptor and made durable with `fdatasync` before `record_*` returns. A run killed
  at any moment therefore loses no recorded change, and recording stays O(1) in the state's size.
  `StateLock.commit` merges the journal into the state file and removes it.
- `<state>.lock`: the holder of the run lock (pid, host, start time, command), locked with
  `flock`, so the kernel frees the lock of a process that died, even by `kill -9`.

A corrupt state file or journal is reported and never written to: the user decides what to keep.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from ivrsync import __version__
from ivrsync.body import digest_body
from ivrsync.errors import StateError, StateLockedError
from ivrsync.files import fsync_directory, utc_timestamp, write_atomically
from ivrsync.model import BODY_FIELDS, State, StateEntry

#: The state file format this ivrsync writes and the newest it reads.
STATE_VERSION: Final = 1
#: The journal format this ivrsync writes and the newest it reads.
JOURNAL_VERSION: Final = 1

_ENTRY_KEYS: Final = frozenset({"body", "digest", "source", "applied_at"})
_STATE_KEYS: Final = frozenset({"version", "lineage", "serial", "written_by", "ivrs"})
_HEADER_KEYS: Final = frozenset({"journal_version", "lineage", "serial", "written_by"})


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) the state lock, as written in the lock file."""

    pid: int
    host: str
    started_at: str  # ISO 8601, UTC
    command: str

    def describe(self) -> str:
        """`pid 123 on HOST since T (ivrsync apply)`: the words error messages use."""
        return f"pid {self.pid} on {self.host} since {self.started_at} ({self.command})"


@dataclass(frozen=True)
class StateView:
    """The state as `load()` sees it, plus how many journal records it replayed.

    `journal_records` > 0 means an apply was interrupted: its records are part of `state` but not
    yet merged into the state file (the next locked run merges them).
    """

    state: State
    journal_records: int


class _Corrupt(Exception):
    """A structural problem inside a state document; turned into a StateError by the caller."""


# --------------------------------------------------------------------------------------------
# Parsing and serialising


def _ordered_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body with its keys in PUT order (the file stores them sorted)."""
    ordered = {name: body[name] for name in BODY_FIELDS if name in body}
    ordered.update((name, value) for name, value in body.items() if name not in ordered)
    return ordered


def _parse_id(key: object, where: str) -> int:
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise _Corrupt(f"{where}: the IVR id must be a positive integer, found {key!r}")
    text = str(key)
    if not text.isdigit() or text != str(int(text)) or int(text) <= 0:
        raise _Corrupt(f"{where}: the IVR id must be a positive integer, found {key!r}")
    return int(text)


def _parse_entry(ivr_id: int, raw: object, where: str) -> StateEntry:
    """Check one `{"body", "digest", "source", "applied_at"}` object and build its entry."""
    if not isinstance(raw, dict):
        raise _Corrupt(f"{where} must be an object, found {type(raw).__name__}")
    missing = sorted(_ENTRY_KEYS - raw.keys())
    if missing:
        raise _Corrupt(f"{where} is missing {', '.join(missing)}")
    unknown = sorted(raw.keys() - _ENTRY_KEYS)
    if unknown:
        raise _Corrupt(f"{where} has unknown keys: {', '.join(unknown)}")
    body = raw["body"]
    if not isinstance(body, dict):
        raise _Corrupt(f"{where}.body must be an object, found {type(body).__name__}")
    for key in ("digest", "source", "applied_at"):
        if not isinstance(raw[key], str):
            raise _Corrupt(f"{where}.{key} must be a string, found {type(raw[key]).__name__}")
    try:
        datetime.fromisoformat(raw["applied_at"])
    except ValueError:
        raise _Corrupt(
            f"{where}.applied_at is not an ISO 8601 time: {raw['applied_at']!r}"
        ) from None
    actual = digest_body(body)
    if raw["digest"] != actual:
        raise _Corrupt(
            f"{where}.digest does not match its body (recorded {raw['digest']}, "
            f"the body hashes to {actual}): the body was edited by hand"
        )
    return StateEntry(
        id=ivr_id,
        body=_ordered_body(body),
        digest=raw["digest"],
        source=raw["source"],
        applied_at=raw["applied_at"],
    )


def _entry_document(entry: StateEntry) -> dict[str, Any]:
    return {
        "body": dict(entry.body),
        "digest": entry.digest,
        "source": entry.source,
        "applied_at": entry.applied_at,
    }


class _Newer(Exception):
    """The document is from a newer ivrsync: not corrupt, but unreadable here."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


def _check_version(document: Mapping[str, Any], key: str, supported: int) -> None:
    """Raise _Newer for a version above `supported`, _Corrupt for a missing or unknown one."""
    if key not in document:
        raise _Corrupt(f"it has no {key!r}")
    version = document[key]
    if isinstance(version, bool) or not isinstance(version, int):
        raise _Corrupt(f"{key!r} must be an integer, found {version!r}")
    if version > supported:
        raise _Newer(version)
    if version < 1:
        raise _Corrupt(f"unknown {key} {version} (this ivrsync knows {key} {supported})")


def _parse_state(document: object) -> State:
    if not isinstance(document, dict):
        raise _Corrupt(f"it must be a JSON object, found {type(document).__name__}")
    _check_version(document, "version", STATE_VERSION)
    missing = sorted({"lineage", "serial", "ivrs"} - document.keys())
    if missing:
        raise _Corrupt(f"it is missing {', '.join(repr(m) for m in missing)}")
    unknown = sorted(document.keys() - _STATE_KEYS)
    if unknown:
        raise _Corrupt(f"it has unknown keys: {', '.join(repr(u) for u in unknown)}")
    lineage = document["lineage"]
    if not isinstance(lineage, str) or not _is_uuid(lineage):
        raise _Corrupt(f"'lineage' must be a UUID, found {lineage!r}")
    serial = document["serial"]
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
        raise _Corrupt(f"'serial' must be a non-negative integer, found {serial!r}")
    if "written_by" in document and not isinstance(document["written_by"], str):
        raise _Corrupt(f"'written_by' must be a string, found {document['written_by']!r}")
    ivrs = document["ivrs"]
    if not isinstance(ivrs, dict):
        raise _Corrupt(f"'ivrs' must be an object, found {type(ivrs).__name__}")
    entries: dict[int, StateEntry] = {}
    for key, raw in ivrs.items():
        ivr_id = _parse_id(key, f"ivrs.{key}")
        entries[ivr_id] = _parse_entry(ivr_id, raw, f"ivrs.{key}")
    return State(lineage=lineage, serial=serial, entries=dict(sorted(entries.items())))


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def render_state_document(state: State) -> str:
    """The state file's exact text: sorted keys, indent 2, UTF-8 as is, newline at the end."""
    document = {
        "version": STATE_VERSION,
        "lineage": state.lineage,
        "serial": state.serial,
        "written_by": f"ivrsync {__version__}",
        "ivrs": {
            str(ivr_id): _entry_document(entry) for ivr_id, entry in sorted(state.entries.items())
        },
    }
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _journal_line(document: Mapping[str, Any]) -> bytes:
    # json.dumps escapes control characters, so a record is always exactly one line.
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------
# File system primitives


# --------------------------------------------------------------------------------------------
# The journal


@dataclass(frozen=True)
class _Journal:
    """A journal as read from disk: its header, its complete records, its valid length."""

    lineage: str | None
    serial: int
    records: tuple[Mapping[str, Any], ...]
    valid_length: int  # bytes up to the end of the last complete line
    total_length: int


def _parse_journal(data: bytes, where: str) -> _Journal | None:
    """Split and check a journal's lines. None for an empty journal (nothing was recorded).

    The last line is ignored when it is torn (no newline, or not JSON): the process died while
    writing it, so its `record_*` never returned. Any other bad line raises _Corrupt.
    """
    lines = data.split(b"\n")
    # After the final "\n", split leaves b""; anything else there is a torn last line.
    tail = lines.pop()
    complete = [(line, False) for line in lines]
    valid_length = len(data) - len(tail)
    if complete:
        # A last line with its newline but garbled content is torn too (e.g. zeroes after a crash).
        last, _ = complete[-1]
        try:
            json.loads(last)
        except ValueError:
            complete.pop()
            valid_length -= len(last) + 1
    if not complete:
        return None
    header_bytes, _ = complete[0]
    header = _decode_line(header_bytes, f"{where} line 1")
    if not isinstance(header, dict):
        raise _Corrupt(f"{where} line 1 is not a journal header")
    _check_version(header, "journal_version", JOURNAL_VERSION)
    unknown = sorted(header.keys() - _HEADER_KEYS)
    if unknown or {"lineage", "serial"} - header.keys():
        raise _Corrupt(f"{where} line 1 is not a valid journal header")
    lineage, serial = header["lineage"], header["serial"]
    if not (lineage is None or (isinstance(lineage, str) and _is_uuid(lineage))):
        raise _Corrupt(f"{where} line 1: 'lineage' must be a UUID or null, found {lineage!r}")
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
        raise _Corrupt(f"{where} line 1: 'serial' must be a non-negative integer")
    records: list[Mapping[str, Any]] = []
    for number, (line, _) in enumerate(complete[1:], start=2):
        record = _decode_line(line, f"{where} line {number}")
        _check_record(record, f"{where} line {number}")
        records.append(record)
    return _Journal(lineage, serial, tuple(records), valid_length, len(data))


def _decode_line(line: bytes, where: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as exc:
        raise _Corrupt(f"{where} is not valid JSON ({exc})") from None


def _check_record(record: object, where: str) -> None:
    if not isinstance(record, dict):
        raise _Corrupt(f"{where} is not a journal record")
    if record.get("op") == "applied" and record.keys() == {"op", "entry"}:
        raw = record["entry"]
        if not isinstance(raw, dict) or "id" not in raw:
            raise _Corrupt(f"{where}: the entry has no 'id'")
        ivr_id = _journal_id(raw["id"], where)
        fields = {key: value for key, value in raw.items() if key != "id"}
        _parse_entry(ivr_id, fields, f"{where} entry")
    elif record.get("op") == "forgotten" and record.keys() == {"op", "id"}:
        _journal_id(record["id"], where)
    else:
        raise _Corrupt(f"{where} is not a journal record (op 'applied' or 'forgotten')")


def _journal_id(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _Corrupt(f"{where}: the IVR id must be a positive integer, found {value!r}")
    return value


def _replay(entries: dict[int, StateEntry], record: Mapping[str, Any]) -> None:
    """Apply one checked record to `entries` in place."""
    if record["op"] == "applied":
        raw = record["entry"]
        ivr_id = int(raw["id"])
        entries[ivr_id] = StateEntry(
            id=ivr_id,
            body=_ordered_body(raw["body"]),
            digest=raw["digest"],
            source=raw["source"],
            applied_at=raw["applied_at"],
        )
    else:
        entries.pop(int(record["id"]), None)


def _record_applied(entry: StateEntry) -> dict[str, Any]:
    return {"op": "applied", "entry": {"id": entry.id, **_entry_document(entry)}}


# --------------------------------------------------------------------------------------------
# The store


class StateStore:
    """The state file at `path`, its journal and its lock. Cheap to create; touches no file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @property
    def journal_path(self) -> Path:
        return self.path.with_name(self.path.name + ".journal")

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    # -- reading ------------------------------------------------------------------------------

    def load(self) -> State:
        """The state file plus any journal left by an interrupted apply, replayed in memory.

        A missing file is `State(lineage=None, serial=0, entries={})`. Never writes.
        Raises StateError: unreadable, corrupt, unknown version, newer ivrsync, bad journal.
        """
        return self.read().state

    def read(self) -> StateView:
        """`load()`, also saying how many journal records were replayed. Never writes."""
        base = self._read_base()
        journal = self._read_journal(base)
        if journal is None:
            return StateView(base, 0)
        return StateView(_replayed(base, journal.records), len(journal.records))

    def _read_base(self) -> State:
        return self._read_base_stamped()[0]

    def _read_base_stamped(self) -> tuple[State, _Stamp | None]:
        """The state file alone, and the stamp of the file read (None when there is none)."""
        try:
            with self.path.open("rb") as handle:
                stamp = _stamp_of(os.fstat(handle.fileno()))
                data = handle.read()
        except FileNotFoundError:
            return State(lineage=None, serial=0, entries={}), None
        except OSError as exc:
            raise StateError(
                f"cannot read the state file {self.path}: {exc.strerror or exc}",
                hint="check the path and its permissions (--state / IVRSYNC_STATE)",
            ) from exc
        try:
            text = data.decode("utf-8")
            document = json.loads(text)
        except UnicodeDecodeError as exc:
            raise self._corrupt(f"it is not UTF-8 text ({exc.reason})") from None
        except json.JSONDecodeError as exc:
            raise self._corrupt(
                f"it is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        try:
            return _parse_state(document), stamp
        except _Newer as exc:
            raise StateError(
                f"the state file {self.path} was written by a newer ivrsync (format version "
                f"{exc.version}; this ivrsync {__version__} reads version {STATE_VERSION})",
                hint="upgrade ivrsync (pip install --upgrade ivrsync); the file was left as it is",
            ) from None
        except _Corrupt as exc:
            raise self._corrupt(str(exc)) from None

    def _corrupt(self, what: str) -> StateError:
        return StateError(
            f"the state file {self.path} is corrupt: {what}",
            hint=(
                "restore it from version control (e.g. `git checkout -- "
                f"{self.path}`) or fix it by hand; ivrsync never overwrites a corrupt state file"
            ),
        )

    def _read_journal(self, base: State) -> _Journal | None:
        """The lingering journal, checked against `base`; None when there is nothing to replay.

        A journal that was already merged into `base` (the run died between writing the state
        file and removing the journal) is None too: replaying it would change nothing.
        """
        path = self.journal_path
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(
                f"cannot read the state journal {path}: {exc.strerror or exc}",
                hint="check its permissions",
            ) from exc
        try:
            journal = _parse_journal(data, str(path))
        except _Newer as exc:
            raise StateError(
                f"the state journal {path} was written by a newer ivrsync (journal version "
                f"{exc.version}; this ivrsync {__version__} reads version {JOURNAL_VERSION})",
                hint="upgrade ivrsync; the journal was left as it is",
            ) from None
        except _Corrupt as exc:
            raise StateError(
                f"the state journal {path} is corrupt: {exc}",
                hint=(
                    "the journal holds the IVRs an interrupted apply recorded; move it away to "
                    "discard them (the next plan shows those IVRs as changes again, and applying "
                    "them again is harmless)"
                ),
            ) from None
        if journal is None:
            return None
        if journal.lineage == base.lineage and journal.serial == base.serial:
            return journal
        if _already_merged(base, journal):
            return None
        raise StateError(
            f"the state journal {path} belongs to another state file: it extends lineage "
            f"{journal.lineage or 'none (a new state)'} at serial {journal.serial}, but "
            f"{self.path} has lineage {base.lineage or 'none (no file)'} at serial {base.serial} "
            "(the state file was replaced, e.g. by `git pull`, while an interrupted apply's "
            "journal was waiting to be merged)",
            hint=(
                f"the journal holds {len(journal.records)} change(s) already applied to Smartflo; "
                "restore the state file it belongs to (e.g. from git) and run `ivrsync apply` to "
                f"merge it, or move {path} away to discard them (the next plan then shows those "
                "IVRs as changes again)"
            ),
        )

    # -- locking ------------------------------------------------------------------------------

    def lock(self, *, command: str) -> StateLock:
        """Exclusive lock for a whole run (a context manager).

        Raises StateLockedError at once when another process holds it, naming the holder, and
        StateError when the state (or its journal) is corrupt: no run may start on a bad state.
        A lock file left by a process that died on this host is taken over silently.
        """
        fd = self._acquire()
        holder = LockHolder(
            pid=os.getpid(), host=socket.gethostname(), started_at=utc_timestamp(), command=command
        )
        try:
            data = json.dumps(holder.__dict__, sort_keys=True).encode("utf-8") + b"\n"
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, data, 0)
                os.fsync(fd)
            except OSError as exc:
                raise StateError(f"cannot write the state lock {self.lock_path}: {exc}") from exc
            base, stamp = self._read_base_stamped()
            journal = self._read_journal(base)
            try:
                if journal is None or not journal.records:
                    # An empty, header-only or already merged journal: redundant; we hold the lock.
                    journal = None
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.journal_path)
                elif journal.valid_length < journal.total_length:
                    # Cut a torn last line so that our appends do not land behind it.
                    os.truncate(self.journal_path, journal.valid_length)
                return StateLock(self, fd, holder, base, journal, stamp)
            except OSError as exc:
                raise StateError(
                    f"cannot open the state journal {self.journal_path}: {exc.strerror or exc}",
                    hint="check the folder's permissions",
                ) from exc
        except BaseException:
            self._release(fd)
            raise

    def _acquire(self) -> int:
        """Open and flock the lock file; the fd holds the lock. Raises StateLockedError."""
        path = self.lock_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot create the folder of {self.path}: {exc}") from exc
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise StateError(
                    f"cannot open the state lock {path}: {exc.strerror or exc}",
                    hint="check the folder's permissions",
                ) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise StateError(f"cannot lock {path}: {exc.strerror or exc}") from exc
                raise self._locked_error(self.lock_holder()) from None
            # The holder we waited on may have removed the file after we opened it: then our
            # flock is on an orphan inode, and a third process may be locking the new file.
            if not _names_inode(path, fd):
                os.close(fd)
                continue
            previous = _parse_holder(os.pread(fd, 65536, 0))
            if previous is not None and previous.host != socket.gethostname():
                # On a shared folder, flock may not reach the other host: its lock file is the
                # only sign of its run, so do not take it over; `state unlock --force` can.
                os.close(fd)
                raise self._locked_error(previous)
            return fd

    def _locked_error(self, holder: LockHolder | None) -> StateLockedError:
        who = holder.describe() if holder else "another process (starting up)"
        return StateLockedError(
            f"the state {self.path} is locked by {who}",
            hint=(
                "wait for that run to finish; if it is gone (e.g. a crashed machine), "
                "run `ivrsync state unlock` (add --force for another host)"
            ),
        )

    def _release(self, fd: int) -> None:
        """Remove the lock file, then drop the flock (in that order: see `_acquire`)."""
        try:
            # After `state unlock --force`, the path may name another run's lock file: keep it.
            if _names_inode(self.lock_path, fd):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.lock_path)
        finally:
            os.close(fd)

    def lock_holder(self) -> LockHolder | None:
        """The holder named in the lock file, or None without a lock file. Does not lock.

        A lock file that cannot be parsed (its writer died before writing it) gives a holder
        with pid 0 and host/start/command "unknown".
        """
        try:
            data = self.lock_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read the state lock {self.lock_path}: {exc}") from exc
        return _parse_holder(data) or LockHolder(0, "unknown", "unknown", "unknown")

    def unlock(self, *, force: bool = False) -> LockHolder:
        """Remove the lock file of a run that is gone; return the holder it named.

        The holder is provably gone when nobody holds the flock and the lock file names this
        host. A live holder, or one on another host (shared folders), is refused with
        StateLockedError unless `force`. Raises StateError when there is no lock file.
        """
        path = self.lock_path
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            raise StateError(
                f"the state {self.path} is not locked (there is no {path})",
                hint="nothing to unlock",
            ) from None
        except OSError as exc:
            raise StateError(f"cannot open the state lock {path}: {exc}") from exc
        try:
            holder = _parse_holder(os.pread(fd, 65536, 0)) or LockHolder(
                0, "unknown", "unknown", "unknown"
            )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                alive = False
            except OSError:
                alive = True
            if not _names_inode(path, fd):
                # The holder released it between our open and flock; look again.
                return self.unlock(force=force)
            if not force:
                if alive:
                    raise StateLockedError(
                        f"the state {self.path} is locked by {holder.describe()}, "
                        "which is still running",
                        hint="wait for it to finish; --force removes the lock anyway (dangerous)",
                    )
                if holder.host != socket.gethostname():
                    raise StateLockedError(
                        f"the state {self.path} is locked by {holder.describe()}; that is "
                        f"another host, so this one cannot tell whether the run is still going",
                        hint="check on that host; if the run is gone, add --force",
                    )
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            return holder
        finally:
            os.close(fd)


#: What identifies one version of the state file: inode, modification time, size.
_Stamp = tuple[int, int, int]


def _stamp_of(stat: os.stat_result) -> _Stamp:
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _current_stamp(path: Path) -> _Stamp | None:
    try:
        return _stamp_of(os.stat(path))
    except FileNotFoundError:
        return None


def _names_inode(path: Path, fd: int) -> bool:
    """Whether `path` still names the file open as `fd` (it may have been removed or replaced)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _parse_holder(data: bytes) -> LockHolder | None:
    try:
        raw = json.loads(data)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    pid, host, started_at, command = (raw.get(k) for k in ("pid", "host", "started_at", "command"))
    if not (
        isinstance(pid, int)
        and isinstance(host, str)
        and isinstance(started_at, str)
        and isinstance(command, str)
    ):
        return None
    return LockHolder(pid=pid, host=host, started_at=started_at, command=command)


def _replayed(base: State, records: tuple[Mapping[str, Any], ...]) -> State:
    entries = dict(base.entries)
    for record in records:
        _replay(entries, record)
    return State(
        lineage=base.lineage,
        serial=base.serial + len(records),
        entries=dict(sorted(entries.items())),
    )


def _already_merged(base: State, journal: _Journal) -> bool:
    """Whether `base` is exactly the journal's state file with the journal merged into it.

    That is the state after a commit that died before removing the journal: same lineage (or a
    new one, for a journal begun before the first write), serial advanced by the records, and
    every replayed record already there, so ignoring the journal loses nothing.
    """
    if base.lineage is None or journal.lineage not in (None, base.lineage):
        return False
    if base.serial != journal.serial + len(journal.records):
        return False
    merged = dict(base.entries)
    for record in journal.records:
        _replay(merged, record)
    return merged == dict(base.entries)


# --------------------------------------------------------------------------------------------
# The lock


class StateLock:
    """A held state lock: records changes durably and merges them into the state file.

    Use as `with store.lock(command="ivrsync apply") as lock:`. `record_applied` and
    `record_forgotten` may be called from many threads at once; each returns only when its record
    is on disk. Concurrent records share one `fdatasync` (group commit): a thread that finds a
    sync in progress waits for the next one, which covers every record written meanwhile.
    """

    def __init__(
        self,
        store: StateStore,
        fd: int,
        holder: LockHolder,
        base: State,
        journal: _Journal | None,
        stamp: _Stamp | None,
    ) -> None:
        self.store = store
        self.holder = holder
        self._lock_fd: int | None = fd
        self._base = base
        self._stamp = stamp  # the state file as read; commit refuses to overwrite another one
        self._entries: dict[int, StateEntry] = dict(base.entries)
        self._records = 0  # records since `_base`, in the journal
        self._journal_fd: int | None = None
        if journal is not None:
            for record in journal.records:
                _replay(self._entries, record)
            self._records = len(journal.records)
            self._journal_fd = self._open_journal()
        # `_mutex` orders writes and guards the entries; `_sync` guards the group commit.
        # Lock order: `_mutex` before `_sync`, never the other way round.
        self._mutex = threading.Lock()
        self._sync = threading.Condition(threading.Lock())
        self._written = 0  # records written, ever (a sequence number)
        self._synced = 0  # records known durable
        self._syncing = False

    def __enter__(self) -> StateLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Commit, then release the lock (also when the commit fails). Idempotent."""
        if self._lock_fd is None:
            return
        try:
            self.commit()
        finally:
            with self._mutex:
                if self._journal_fd is not None:
                    os.close(self._journal_fd)
                    self._journal_fd = None
                fd, self._lock_fd = self._lock_fd, None
            if fd is not None:
                self.store._release(fd)

    def state(self) -> State:
        """The state as of now, including this run's records (a snapshot)."""
        with self._mutex:
            return State(
                lineage=self._base.lineage,
                serial=self._base.serial + self._records,
                entries=dict(sorted(self._entries.items())),
            )

    def record_applied(self, entry: StateEntry) -> None:
        """Record that `entry.body` was acknowledged by the server for IVR `entry.id`.

        Durable before it returns (journal append + fdatasync; survives kill -9). Thread-safe.
        O(1) in the state's size. Raises StateError when the entry's digest does not match its
        body, when the lock was released, or when the journal cannot be written.
        """
        if digest_body(entry.body) != entry.digest:
            raise StateError(
                f"IVR {entry.id}: the digest to record does not match its body",
                hint="this is a bug in the caller of record_applied",
            )
        self._append(_record_applied(entry), lambda entries: entries.__setitem__(entry.id, entry))

    def record_forgotten(self, ivr_id: int) -> None:
        """Record that IVR `ivr_id` leaves the state. Same guarantees as `record_applied`."""
        self._append({"op": "forgotten", "id": ivr_id}, lambda entries: entries.pop(ivr_id, None))

    def _append(
        self, record: dict[str, Any], update: Callable[[dict[int, StateEntry]], object]
    ) -> None:
        line = _journal_line(record)
        with self._mutex:
            if self._lock_fd is None:
                raise StateError(f"the lock on {self.store.path} was released; cannot record")
            if self._journal_fd is None:
                self._journal_fd = self._create_journal()
            try:
                written = os.write(self._journal_fd, line)
                if written != len(line):
                    # Only on a full disk; a short line would be read back as torn.
                    raise OSError(errno.ENOSPC, "short write")
            except OSError as exc:
                raise StateError(
                    f"cannot append to the state journal {self.store.journal_path}: "
                    f"{exc.strerror or exc}",
                    hint="free disk space; the change was applied but may not be recorded",
                ) from exc
            update(self._entries)
            self._records += 1
            self._written += 1
            sequence = self._written
        self._wait_durable(sequence)

    def _wait_durable(self, sequence: int) -> None:
        """Return once record number `sequence` is on disk, sharing fdatasyncs between threads."""
        with self._sync:
            while self._synced < sequence:
                if self._syncing:
                    self._sync.wait()
                    continue
                # Become the leader: one fdatasync covers every record written so far.
                self._syncing = True
                target, fd = self._written, self._journal_fd
                self._sync.release()
                failure: OSError | None = None
                try:
                    if fd is not None:
                        os.fdatasync(fd)
                except OSError as exc:
                    failure = exc
                finally:
                    self._sync.acquire()
                    self._syncing = False
                    self._sync.notify_all()
                if failure is not None:
                    raise StateError(
                        f"cannot sync the state journal {self.store.journal_path}: {failure}",
                        hint="check the disk; the change was applied but may not be recorded",
                    ) from failure
                self._synced = max(self._synced, target)

    def _create_journal(self) -> int:
        """Create the journal with its header (atomically: never a torn header); open it."""
        header = {
            "journal_version": JOURNAL_VERSION,
            "lineage": self._base.lineage,
            "serial": self._base.serial,
            "written_by": f"ivrsync {__version__}",
        }
        try:
            write_atomically(self.store.journal_path, _journal_line(header))
            return self._open_journal()
        except OSError as exc:
            raise StateError(
                f"cannot create the state journal {self.store.journal_path}: {exc}",
                hint="check the folder's permissions and free space",
            ) from exc

    def _open_journal(self) -> int:
        return os.open(self.store.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)

    def commit(self) -> State:
        """Merge the journal into the state file atomically and remove the journal.

        The serial grows by one per record; the lineage is created on the first write. With no
        record since the last write, nothing is written. Returns the state as written. Raises
        StateError when the state file cannot be written (the journal then stays, and the
        next run merges it).
        """
        with self._mutex, self._sync:
            # Wait for a running fdatasync: it uses the journal fd this commit closes.
            while self._syncing:
                self._sync.wait()
            state = State(
                lineage=self._base.lineage,
                serial=self._base.serial + self._records,
                entries=dict(sorted(self._entries.items())),
            )
            if self._records == 0:
                self._drop_journal()
                return state
            if state.lineage is None:
                state = State(str(uuid.uuid4()), state.serial, state.entries)
            if _current_stamp(self.store.path) != self._stamp:
                # Another program (e.g. `git pull`) replaced the file during this run: writing
                # ours would silently drop its content. The journal keeps this run's records.
                raise StateError(
                    f"the state file {self.store.path} was changed by another program while this "
                    "run held its lock (e.g. by `git pull`); it was not overwritten",
                    hint=(
                        f"this run's {self._records} change(s) are kept in "
                        f"{self.store.journal_path}; restore the state file this run started "
                        "from and rerun `ivrsync apply` to merge them, or move the journal away "
                        "to discard them (the next plan then shows those IVRs as changes again)"
                    ),
                )
            try:
                write_atomically(self.store.path, render_state_document(state).encode("utf-8"))
                self._stamp = _current_stamp(self.store.path)
                self._drop_journal()
            except OSError as exc:
                raise StateError(
                    f"cannot write the state file {self.store.path}: {exc.strerror or exc}",
                    hint="the journal keeps every recorded change; fix the cause and rerun",
                ) from exc
            self._base = state
            self._records = 0
            # Everything written is now durable in the state file itself.
            self._synced = self._written
            self._sync.notify_all()
            return state

    def _drop_journal(self) -> None:
        """Close and remove the journal, durably (its records are in the state file)."""
        if self._journal_fd is None:
            return
        os.close(self._journal_fd)
        self._journal_fd = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.store.journal_path)
        fsync_directory(self.store.path.parent)
