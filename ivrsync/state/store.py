"""The last-applied state on disk: `StateStore` reads it and locks it; `StateLock` records.

Files, all next to each other (`<state>` is `.ivrsync/state.json` by default):

- `<state>`: the state file (format: `ivrsync.state.document`), written atomically.
- `<state>.journal`: the write-ahead journal (format: `ivrsync.state.journal`) of the changes an
  apply recorded since the state file was last written. Each record is appended with a single
  `os.write` on an `O_APPEND` descriptor and made durable with `fdatasync` before `record_*`
  returns: a run killed at any moment loses no recorded change, and recording stays O(1) in
  the state's size. `StateLock.commit` merges the journal into the state file and removes it.
- `<state>.lock`: the run lock (`ivrsync.state.lockfile`).

A corrupt state file or journal is reported and never written to: the user decides what to keep.
Nothing is written that the next run could not read back, and never through a symbolic link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import uuid
from pathlib import Path
from types import TracebackType

from ivrsync.body import digest_body
from ivrsync.errors import StateError
from ivrsync.files import fsync_directory, write_atomically
from ivrsync.model import LockHolder, State, StateEntry, StateView
from ivrsync.state.disk import (
    Stamp,
    current_stamp,
    open_journal,
    open_journal_for_append,
    read_journal_file,
    read_state_file,
)
from ivrsync.state.document import CorruptDocument, encode_state_document
from ivrsync.state.intents import CreateIntents
from ivrsync.state.journal import Journal, Record, apply_record, header_line, record_line, replay
from ivrsync.state.lockfile import HeldLock, LockFile
from ivrsync.state.seen import Memo


class UnrecordedChangeError(StateError):
    """`record_applied` or `record_forgotten` failed: IVR `ivr_id` is not in the journal.

    For `record_applied`, the server already has the body: the state does not show it, so the
    next apply sends it again (the same body; harmless). Every StateError those calls raise is
    one of these.
    """

    def __init__(self, message: str, *, hint: str, ivr_id: int) -> None:
        super().__init__(message, hint=hint)
        self.ivr_id = ivr_id


class StateStore:
    """The state file at `path`, its journal and its lock. Cheap to create; touches no file."""

    def __init__(self, path: Path | str, *, memo: Memo | None = None) -> None:
        self.path = Path(path)
        #: State files checked before (`ivrsync.state.seen`), for `load` and `read`.
        self.memo = memo

    def _beside(self, suffix: str) -> Path:
        """The file named like the state file plus `suffix`, in its folder."""
        if not self.path.name:
            # `--state .` or `--state /`: there is no file name to add a suffix to.
            raise StateError(
                f"the state path {self.path} names a folder, not a file",
                hint="pass the state file's path (e.g. .ivrsync/state.json) as --state",
            )
        return self.path.with_name(self.path.name + suffix)

    @property
    def journal_path(self) -> Path:
        return self._beside(".journal")

    @property
    def lock_path(self) -> Path:
        return self._beside(".lock")

    @property
    def intents(self) -> CreateIntents:
        """The create intents beside the state (`<state>.creates`); write them under the lock."""
        return CreateIntents(self._beside(".creates"))

    @property
    def _lock_file(self) -> LockFile:
        return LockFile(self.path, self.lock_path)

    # -- reading ------------------------------------------------------------------------------

    def load(self) -> State:
        """The state file plus any journal left by an interrupted apply, replayed in memory.

        A missing file is `State(lineage=None, serial=0, entries={})`. Never writes.
        Raises StateError: unreadable, not a regular file, larger than MAX_STATE_BYTES, corrupt,
        unknown version, newer ivrsync, bad journal.
        """
        return self.read().state

    def read(self) -> StateView:
        """`load()`, also saying how many journal records were replayed. Never writes."""
        base, _ = read_state_file(self.path, for_writing=False, memo=self.memo)
        journal = read_journal_file(self.journal_path, base, self.path)
        if journal is None:
            return StateView(base, 0)
        return StateView(replay(base, journal.records), len(journal.records))

    # -- locking ------------------------------------------------------------------------------

    def lock(self, *, command: str) -> StateLock:
        """Exclusive lock for a whole run (a context manager).

        Raises StateLockedError at once when another process holds it, naming the holder, and
        StateError when the state (or its journal) is corrupt, unreadable or a symbolic link:
        no run may start on a state it could not write back. A lock file left by a process
        that died on this host is taken over silently.
        """
        held = self._lock_file.acquire(command=command)
        try:
            base, stamp = read_state_file(self.path, for_writing=True)
            journal, journal_fd = open_journal(self.journal_path, base, self.path)
            return StateLock(self, held, base, journal, journal_fd, stamp)
        except BaseException:
            held.release()
            raise

    def lock_holder(self) -> LockHolder | None:
        """The holder named in the lock file, or None without a lock file. Does not lock.

        A lock file that cannot be parsed (its writer died before writing it) gives a holder
        with pid 0 and host/start/command "unknown".
        """
        return self._lock_file.holder()

    def unlock(self, *, force: bool = False) -> LockHolder:
        """Remove the lock file of a run that is gone; return the holder it named.

        The holder is provably gone when nobody holds the flock and the lock file names this
        host. A live holder, or one on another host (shared folders), is refused with
        StateLockedError unless `force`. Raises StateError when there is no lock file.
        """
        return self._lock_file.unlock(force=force)


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
        held: HeldLock,
        base: State,
        journal: Journal | None,
        journal_fd: int | None,
        stamp: Stamp | None,
    ) -> None:
        self.store = store
        self.holder = held.holder
        self._held: HeldLock | None = held  # None once released
        self._base = base  # the state file as read or last written
        self._stamp = stamp  # of that file; commit refuses to overwrite another one
        records = journal.records if journal is not None else ()
        self._entries: dict[int, StateEntry] = dict(replay(base, records).entries)
        self._records = len(records)  # records since `_base`, in the journal
        self._journal_fd = journal_fd
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
        if self._held is None:
            return
        try:
            self.commit()
        finally:
            with self._mutex:
                if self._journal_fd is not None:
                    os.close(self._journal_fd)
                    self._journal_fd = None
                held, self._held = self._held, None
            if held is not None:
                held.release()

    def _snapshot(self) -> State:
        """The state file plus this lock's records (caller holds `_mutex`)."""
        return State(
            lineage=self._base.lineage,
            serial=self._base.serial + self._records,
            entries=dict(sorted(self._entries.items())),
        )

    def state(self) -> State:
        """The state as of now, including this run's records (a snapshot)."""
        with self._mutex:
            return self._snapshot()

    def record_applied(self, entry: StateEntry) -> None:
        """Record that `entry.body` was acknowledged by the server for IVR `entry.id`.

        Durable before it returns (journal append + fdatasync; survives kill -9). Thread-safe.
        O(1) in the state's size. Raises UnrecordedChangeError (a StateError whose `ivr_id` is
        `entry.id`) when the entry would not read back (e.g. its digest does not match its body),
        when the lock was released, or when the journal cannot be written or synced.
        """
        try:
            matches = digest_body(entry.body) == entry.digest
        except (TypeError, ValueError, RecursionError):
            matches = True  # not JSON at all: `_append` says why, with the same error class
        if not matches:
            raise UnrecordedChangeError(
                f"IVR {entry.id}: the digest to record does not match its body",
                hint="this is a bug in the caller of record_applied",
                ivr_id=entry.id,
            )
        self._append(Record(entry.id, entry))

    def record_forgotten(self, ivr_id: int) -> None:
        """Record that IVR `ivr_id` leaves the state. Same guarantees as `record_applied`."""
        self._append(Record(ivr_id, None))

    def _unrecorded(
        self, record: Record, reason: str, *, io: bool, maybe: bool = False
    ) -> UnrecordedChangeError:
        """The error naming the IVR whose record failed, and what the next apply does about it."""
        ivr_id, status = record.ivr_id, "may not be" if maybe else "not"
        if record.entry is None:
            message = f"IVR {ivr_id} is {status} recorded as forgotten in the state: {reason}"
            again = f"the next apply forgets IVR {ivr_id} again"
        else:
            message = f"IVR {ivr_id} is applied but {status} recorded in the state: {reason}"
            again = f"the next apply sends IVR {ivr_id} again (the same body, so harmless)"
        if maybe:
            again = f"if the record is lost, {again}"
        cause = "fix the cause first (e.g. free disk space)" if io else "this is a bug in ivrsync"
        return UnrecordedChangeError(message, hint=f"{again}; {cause}", ivr_id=ivr_id)

    def _append(self, record: Record) -> None:
        try:
            line = record_line(record)
        except CorruptDocument as exc:
            reason = f"the record would not read back: {exc}"
            raise self._unrecorded(record, reason, io=False) from None
        with self._mutex:
            if self._held is None:
                reason = f"the lock on {self.store.path} was released; cannot record"
                raise self._unrecorded(record, reason, io=False)
            if self._journal_fd is None:
                self._journal_fd = self._create_journal(record)
            try:
                written = os.write(self._journal_fd, line)
                if written != len(line):
                    # Only on a full disk. Cut the partial line: a record appended behind it
                    # would leave a garbled line inside the journal, refused by every later run.
                    end = os.lseek(self._journal_fd, 0, os.SEEK_CUR)
                    os.ftruncate(self._journal_fd, end - written)
                    raise OSError(errno.ENOSPC, "short write")
            except OSError as exc:
                reason = (
                    f"cannot append to the state journal {self.store.journal_path}: "
                    f"{exc.strerror or exc}"
                )
                raise self._unrecorded(record, reason, io=True) from exc
            apply_record(self._entries, record)
            self._records += 1
            self._written += 1
            sequence = self._written
        self._wait_durable(sequence, record)

    def _wait_durable(self, sequence: int, record: Record) -> None:
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
                    reason = f"cannot sync the state journal {self.store.journal_path}: {failure}"
                    raise self._unrecorded(record, reason, io=True, maybe=True) from failure
                self._synced = max(self._synced, target)

    def _create_journal(self, record: Record) -> int:
        """Create the journal with its header (atomically: never a torn header); open it."""
        path = self.store.journal_path
        try:
            write_atomically(path, header_line(self._base.lineage, self._base.serial))
            return open_journal_for_append(path)
        except OSError as exc:
            reason = f"cannot create the state journal {path}: {exc.strerror or exc}"
            raise self._unrecorded(record, reason, io=True) from exc

    def commit(self) -> State:
        """Merge the journal into the state file atomically and remove the journal.

        The serial grows by one per record; the lineage is created on the first write. With no
        record since the last write, nothing is written. Returns the state as written. Raises
        StateError when the state file cannot be written, or would not read back (the journal
        then stays, and the next run merges it).
        """
        with self._mutex, self._sync:
            # Wait for a running fdatasync: it uses the journal fd this commit closes.
            while self._syncing:
                self._sync.wait()
            state = self._snapshot()
            if self._records == 0:
                self._drop_journal()
                return state
            if state.lineage is None:
                state = State(str(uuid.uuid4()), state.serial, state.entries)
            path = self.store.path
            if current_stamp(path) != self._stamp:
                # Another program (e.g. `git pull`) replaced the file during this run: writing
                # ours would silently drop its content. The journal keeps this run's records.
                raise StateError(
                    f"the state file {path} was changed by another program while this "
                    "run held its lock (e.g. by `git pull`); it was not overwritten",
                    hint=(
                        f"this run's {self._records} change(s) are kept in "
                        f"{self.store.journal_path}; restore the state file this run started "
                        "from and rerun `ivrsync apply` to merge them, or move the journal away "
                        "to discard them (the next plan then shows those IVRs as changes again)"
                    ),
                )
            try:
                data = encode_state_document(state)
            except ValueError as exc:  # writing it would leave a file no command can read
                raise StateError(
                    f"refusing to write the state file {path}: {exc}",
                    hint=f"{self.store.journal_path} keeps this run's changes; please report this",
                ) from exc
            try:
                write_atomically(path, data)
                self._stamp = current_stamp(path)
                self._drop_journal()
            except OSError as exc:
                raise StateError(
                    f"cannot write the state file {path}: {exc.strerror or exc}",
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
