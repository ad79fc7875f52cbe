"""The state's files on disk: the state file and the journal read (regular files only, within a
size bound) and stamped, and the journal opened for appending.

Reading only regular files, with O_NONBLOCK, means a FIFO or device given as `--state` is an
error, not a hang. The journal is ivrsync's own file, so it is only ever opened with O_NOFOLLOW;
the state file is a path the user chose, so reading follows a link, but a run that will write it
(`for_writing`) refuses one before it starts: writing would replace the link.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from ivrsync.errors import StateError
from ivrsync.files import FileRefusedError, open_regular_file, read_limited, read_regular_file
from ivrsync.model import State
from ivrsync.state.document import MAX_STATE_BYTES, read_state_document
from ivrsync.state.journal import (
    MAX_JOURNAL_BYTES,
    Journal,
    journal_to_replay,
    read_journal_document,
)
from ivrsync.state.seen import Memo, checked_copy, state_seen_before

#: What identifies one version of the state file: inode, modification time, size.
Stamp = tuple[int, int, int]


def stamp_of(stat: os.stat_result) -> Stamp:
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def current_stamp(path: Path) -> Stamp | None:
    """The stamp of the file at `path` now; None when there is none."""
    # lstat: a link planted where the state file was is another file, not the one read.
    try:
        return stamp_of(os.lstat(path))
    except FileNotFoundError:
        return None


def read_state_file(
    path: Path, *, for_writing: bool, memo: Memo | None = None
) -> tuple[State, Stamp | None]:
    """The state file alone, and the stamp of the file read (None when there is none).

    A missing file is the empty state. Raises StateError naming `path`: unreadable, not a
    regular file, larger than MAX_STATE_BYTES, corrupt, newer; with `for_writing`, a symbolic
    link (the run would have to replace it at the end, after its changes were applied). With a
    `memo` (and not `for_writing`), bytes checked before are read from the copy it keeps
    (`ivrsync.state.seen`), and bytes checked now leave one.
    """
    if memo is not None and not for_writing:
        # Known by its status alone (the cache's index): not even read.
        copy = memo.seen_file(str(path))
        state = None if copy is None else state_seen_before(copy)
        if state is not None:
            return state, current_stamp(path)
    try:
        fd = open_regular_file(path, follow_symlinks=not for_writing)
        try:
            before = os.fstat(fd)
            stamp = stamp_of(before)
            data = read_limited(fd, limit=MAX_STATE_BYTES, path=path)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return State(lineage=None, serial=0, entries={}), None
    except OSError as exc:
        if isinstance(exc, FileRefusedError) and exc.errno == errno.ELOOP:
            raise StateError(
                f"the state file {path} is a symbolic link; ivrsync does not write through "
                "symbolic links",
                hint=(
                    "pass the file it points to as --state (or IVRSYNC_STATE), or replace the "
                    "link by that file"
                ),
            ) from exc
        if not isinstance(exc, FileRefusedError):
            hint = "check the path and its permissions (--state / IVRSYNC_STATE)"
        elif exc.errno == errno.EFBIG:
            hint = "a state file ivrsync wrote is never this large; check --state / IVRSYNC_STATE"
        else:
            hint = "--state (or IVRSYNC_STATE) must name the state file: a regular JSON file"
        raise StateError(
            f"cannot read the state file {path}: {exc.strerror or exc}", hint=hint
        ) from exc
    if memo is not None and not for_writing:
        copy = memo.get(data, path=str(path), before=before)
        state = None if copy is None else state_seen_before(copy)
        if state is None:
            state = read_state_document(data, path)
            copy = checked_copy(state)
            if copy is not None:
                memo.put(data, copy, path=str(path), before=before)
        return state, stamp
    return read_state_document(data, path), stamp


def read_journal_file(path: Path, base: State, state_path: Path) -> Journal | None:
    """The lingering journal at `path` extending `base`; None when there is nothing to replay.

    Never writes. Raises StateError naming the journal: unreadable, a link, not a regular file,
    too large, corrupt, newer, or extending another state file.
    """
    try:
        data = read_regular_file(path, limit=MAX_JOURNAL_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise journal_error("read", path, exc) from exc
    journal = read_journal_document(data, path)
    return journal_to_replay(base, journal, journal_path=path, state_path=state_path)


def open_journal(path: Path, base: State, state_path: Path) -> tuple[Journal | None, int | None]:
    """`read_journal_file`, under the lock, with a descriptor appending to the journal.

    A journal with nothing to replay is removed (None, None); a torn last line is cut so that
    appends do not land behind it. One descriptor (O_NOFOLLOW) is read, cut and appended to, so
    the file checked is the file written. Raises StateError as `read_journal_file` does.
    """
    try:
        fd = open_regular_file(path, os.O_RDWR | os.O_APPEND, follow_symlinks=False)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise journal_error("open", path, exc) from exc
    try:
        try:
            data = read_limited(fd, limit=MAX_JOURNAL_BYTES, path=path)
        except OSError as exc:
            raise journal_error("read", path, exc) from exc
        journal = read_journal_document(data, path)
        journal = journal_to_replay(base, journal, journal_path=path, state_path=state_path)
        try:
            if journal is None or not journal.records:
                # Empty, header-only or already merged: redundant, and the caller holds the lock.
                os.close(fd)
                fd = -1
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                return None, None
            if journal.valid_length < journal.total_length:
                os.ftruncate(fd, journal.valid_length)
        except OSError as exc:
            raise journal_error("open", path, exc) from exc
        return journal, fd
    except BaseException:
        if fd >= 0:
            os.close(fd)
        raise


def open_journal_for_append(path: Path) -> int:
    """A descriptor appending to the journal just created at `path`. Raises OSError."""
    return open_regular_file(path, os.O_WRONLY | os.O_APPEND, follow_symlinks=False)


def journal_error(verb: str, path: Path, exc: OSError) -> StateError:
    """`cannot <verb> the state journal <path>: <why>`, with a hint fitting the cause."""
    if isinstance(exc, FileRefusedError):
        hint = (
            f"ivrsync creates {path} itself; move what is there away (if it is an interrupted "
            "apply's journal, the next plan then shows its IVRs as changes again)"
        )
    else:
        hint = "check its permissions" if verb == "read" else "check the folder's permissions"
    return StateError(f"cannot {verb} the state journal {path}: {exc.strerror or exc}", hint=hint)
