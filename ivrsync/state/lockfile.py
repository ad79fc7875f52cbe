"""The run lock: `<state>.lock`, held with `flock`, naming its holder.

`flock`, so the kernel frees the lock of a process that died, even by `kill -9`. The file names
the holder (pid, host, start time, command) for error messages and `ivrsync state unlock`. A lock
file whose flock is free was left by a dead process: when it names this host (or nothing
readable) it is taken over silently; one naming another host is refused, because on a shared
folder flock may not reach that host and the file is the only sign of its run.

The lock file is truncated and written in place, so it is only ever opened with O_NOFOLLOW and
must be a regular file: a planted link would have ivrsync truncate the file it points to, and a
FIFO would make a read block.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
from pathlib import Path
from typing import Final

from ivrsync.errors import StateError, StateLockedError
from ivrsync.files import FileRefusedError, open_regular_file, utc_timestamp
from ivrsync.model import LockHolder
from ivrsync.state.document import CorruptDocument, decode_json

#: How much of a lock file is read. A holder takes about 150 bytes; whatever is beyond this was
#: not written by ivrsync, and is read as an unknown holder.
_MAX_HOLDER_BYTES: Final = 65536


#: The holder of a lock file that cannot be parsed (its writer died before writing it).
_UNKNOWN: Final = LockHolder(0, "unknown", "unknown", "unknown")


def names_inode(path: Path, fd: int) -> bool:
    """Whether `path` itself (not a link there) still names the file open as `fd`."""
    try:
        on_disk = os.lstat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _parse_holder(data: bytes) -> LockHolder | None:
    """The holder in a lock file's bytes; None when they are not one ivrsync wrote."""
    try:
        raw = decode_json(data)
    except CorruptDocument:
        return None
    if not isinstance(raw, dict):
        return None
    pid, host, started_at, command = (raw.get(k) for k in ("pid", "host", "started_at", "command"))
    if isinstance(pid, bool) or not isinstance(pid, int) or not 0 <= pid < 1 << 63:
        return None
    if not (isinstance(host, str) and isinstance(started_at, str) and isinstance(command, str)):
        return None
    # Printable only: these words are echoed to the terminal (no escape sequences, no surrogates).
    if not (host.isprintable() and started_at.isprintable() and command.isprintable()):
        return None
    return LockHolder(pid=pid, host=host, started_at=started_at, command=command)


def _read_holder(fd: int) -> LockHolder | None:
    return _parse_holder(os.pread(fd, _MAX_HOLDER_BYTES, 0))


def _hostname() -> str:
    # `socket` imported here: only a run that takes or breaks the lock needs it, and a plan
    # (which takes none) would pay for its import.
    import socket

    return socket.gethostname()


class HeldLock:
    """The flock on a lock file, held through its descriptor until `release`."""

    def __init__(self, path: Path, fd: int, holder: LockHolder) -> None:
        self.path = path
        self.holder = holder
        self._fd: int | None = fd

    def release(self) -> None:
        """Remove the lock file, then drop the flock (in that order: see `LockFile.acquire`).

        A lock file that is no longer this one (after `state unlock --force`, the path may name
        another run's lock file) is kept. Idempotent.
        """
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if names_inode(self.path, fd):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path)
        finally:
            os.close(fd)


class LockFile:
    """The lock file at `path` of the state at `state_path`. Cheap to create; touches no file."""

    def __init__(self, state_path: Path, path: Path) -> None:
        self.state_path = state_path
        self.path = path

    def _open(self, flags: int) -> int:
        """Open the lock file (O_NOFOLLOW, regular files only). FileNotFoundError passes."""
        try:
            return open_regular_file(self.path, flags, follow_symlinks=False)
        except FileNotFoundError:
            raise
        except FileRefusedError as exc:
            raise StateError(
                f"cannot open the state lock {self.path}: {exc.strerror}",
                hint=f"ivrsync creates {self.path} itself: remove what is there, then rerun",
            ) from exc
        except OSError as exc:
            raise StateError(
                f"cannot open the state lock {self.path}: {exc.strerror or exc}",
                hint="check the folder's permissions",
            ) from exc

    def acquire(self, *, command: str) -> HeldLock:
        """Take the lock for this process and write its holder; raises StateLockedError at once.

        Raises StateLockedError naming the holder when another process holds the flock, or when
        the file names another host; StateError when the file cannot be opened or written.
        """
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot create the folder of {self.state_path}: {exc}") from exc
        while True:
            fd = self._open(os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise StateError(f"cannot lock {path}: {exc.strerror or exc}") from exc
                raise self._locked_error(self.holder()) from None
            # The holder we waited on may have removed the file after we opened it: then our
            # flock is on an orphan inode, and a third process may be locking the new file.
            if not names_inode(path, fd):
                os.close(fd)
                continue
            previous = _read_holder(fd)
            if previous is not None and previous.host != _hostname():
                # On a shared folder, flock may not reach the other host: its lock file is the
                # only sign of its run, so do not take it over; `state unlock --force` can.
                os.close(fd)
                raise self._locked_error(previous)
            break
        holder = LockHolder(
            pid=os.getpid(), host=_hostname(), started_at=utc_timestamp(), command=command
        )
        held = HeldLock(path, fd, holder)
        try:
            data = json.dumps(holder.__dict__, sort_keys=True).encode("utf-8") + b"\n"
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.fsync(fd)
        except BaseException as exc:
            held.release()
            if isinstance(exc, OSError):
                raise StateError(f"cannot write the state lock {path}: {exc}") from exc
            raise
        return held

    def _locked_error(self, holder: LockHolder | None) -> StateLockedError:
        who = holder.describe() if holder else "another process (starting up)"
        return StateLockedError(
            f"the state {self.state_path} is locked by {who}",
            hint=(
                "wait for that run to finish; if it is gone (e.g. a crashed machine), "
                "run `ivrsync state unlock` (add --force for another host)"
            ),
        )

    def holder(self) -> LockHolder | None:
        """The holder named in the lock file, or None without a lock file. Does not lock.

        A lock file that cannot be parsed (its writer died before writing it) gives a holder
        with pid 0 and host/start/command "unknown".
        """
        try:
            fd = self._open(os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return _read_holder(fd) or _UNKNOWN
        except OSError as exc:
            raise StateError(
                f"cannot read the state lock {self.path}: {exc.strerror or exc}"
            ) from exc
        finally:
            os.close(fd)

    def unlock(self, *, force: bool = False) -> LockHolder:
        """Remove the lock file of a run that is gone; return the holder it named.

        The holder is provably gone when nobody holds the flock and the lock file names this
        host. A live holder, or one on another host (shared folders), is refused with
        StateLockedError unless `force`. Raises StateError when there is no lock file.
        """
        path = self.path
        try:
            fd = self._open(os.O_RDWR)
        except FileNotFoundError:
            raise StateError(
                f"the state {self.state_path} is not locked (there is no {path})",
                hint="nothing to unlock",
            ) from None
        try:
            holder = _read_holder(fd) or _UNKNOWN
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                alive = False
            except OSError:
                alive = True
            if not names_inode(path, fd):
                # The holder released it between our open and flock; look again.
                return self.unlock(force=force)
            if not force:
                if alive:
                    raise StateLockedError(
                        f"the state {self.state_path} is locked by {holder.describe()}, "
                        "which is still running",
                        hint="wait for it to finish; --force removes the lock anyway (dangerous)",
                    )
                if holder.host != _hostname():
                    raise StateLockedError(
                        f"the state {self.state_path} is locked by {holder.describe()}; that is "
                        f"another host, so this one cannot tell whether the run is still going",
                        hint="check on that host; if the run is gone, add --force",
                    )
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            return holder
        finally:
            os.close(fd)
