"""File-system primitives shared by every layer: the one copy of each.

`write_atomically` is how ivrsync writes every file it owns (state, plan, imported IVR files);
`read_regular_file` (over `open_regular_file` and `read_limited`) is how it reads one back;
`display_path` is how a path is shown to users; `utc_timestamp` is the one timestamp format of
the state file, the journal, the lock and the plan.

Hostile or mistaken file systems are refused with `FileRefusedError`, an OSError, so that every
caller that already turns OSError into its own error (StateError, PlanFileError, UsageError)
reports it without change: a symbolic link where ivrsync writes (it never writes through one),
a FIFO, device or folder where a regular file belongs (reading one could block forever or never
end), a file larger than the caller's bound.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

#: What `FileRefusedError` calls each kind of file that is not a regular one.
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


class FileRefusedError(OSError):
    """ivrsync refuses this file: a link it would write through, not a regular file, too large.

    `strerror` is a whole sentence naming the path (callers show `exc.strerror`); `filename` is
    the path; `errno` is ELOOP (symbolic link), EINVAL (not a regular file) or EFBIG (too large).
    """

    def __init__(self, code: int, sentence: str, path: str | Path) -> None:
        super().__init__(code, sentence, str(path))


def display_path(path: str | Path) -> str:
    """`path` as shown to users: relative to the working directory when under it, POSIX form."""
    # String operations, not pathlib: this runs once per file and pathlib is slow for it.
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    prefix = cwd if cwd.endswith(os.sep) else cwd + os.sep
    shown = absolute[len(prefix) :] if absolute.startswith(prefix) else absolute
    return shown.replace(os.sep, "/") if os.sep != "/" else shown


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 in UTC to the second (`2026-11-26T23:30:00Z`); now when `moment` is None."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fsync_directory(folder: Path) -> None:
    """Make a rename or unlink in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _symlink_refused(path: str | Path) -> FileRefusedError:
    """The error for a symbolic link found where ivrsync writes (or reads a file it writes)."""
    return FileRefusedError(
        errno.ELOOP,
        f"{path} is a symbolic link; ivrsync does not write through symbolic links",
        path,
    )


def _not_regular(path: str | Path, mode: int) -> FileRefusedError:
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return FileRefusedError(errno.EINVAL, f"{path} is {kind}, not a regular file", path)


def _size_text(size: int) -> str:
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MiB"
    if size >= 1 << 10 and size % (1 << 10) == 0:
        return f"{size >> 10} KiB"
    return f"{size} bytes"


def open_regular_file(
    path: str | Path, flags: int = os.O_RDONLY, *, follow_symlinks: bool = True, mode: int = 0o644
) -> int:
    """`os.open(path, flags)` that never blocks and only ever yields a regular file.

    O_NONBLOCK keeps the open of a FIFO from waiting for a writer, and the fstat that follows
    refuses anything but a regular file (FIFO, device, folder, socket) with FileRefusedError, so
    no later read can hang or never end. Without `follow_symlinks` the last component must not be
    a symbolic link (O_NOFOLLOW: FileRefusedError, and with O_CREAT nothing is created at the
    link's target). `mode` applies when O_CREAT creates the file. The descriptor is close-on-exec
    and keeps O_NONBLOCK (it changes nothing for regular files). Raises OSError.
    """
    extra = os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags | extra, mode)
    except OSError as exc:
        # O_NOFOLLOW fails with ELOOP on a link; a loop among the folders fails the same way.
        if exc.errno == errno.ELOOP and not follow_symlinks and os.path.islink(path):
            raise _symlink_refused(path) from None
        # A folder (EISDIR), a socket or a FIFO without a reader for O_WRONLY (ENXIO): say which.
        if exc.errno in (errno.EISDIR, errno.ENXIO):
            try:
                found = os.stat(path).st_mode
            except OSError:
                raise exc from None
            raise _not_regular(path, found) from None
        raise
    try:
        file_mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(file_mode):
            raise _not_regular(path, file_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_limited(fd: int, *, limit: int, path: str | Path) -> bytes:
    """The whole content of regular file `fd` from offset 0, refused beyond `limit` bytes.

    The size is checked before reading (a huge file costs nothing) and again while reading (a
    file that grows meanwhile is still cut off): more than `limit` bytes raises FileRefusedError
    naming `path`. Raises OSError.
    """
    size = os.fstat(fd).st_size
    if size <= limit:
        # The size fstat gave, in one read (a state file is megabytes: chunks joined would be
        # copied once more); then a read past it, which finds the end unless the file grew.
        first = os.pread(fd, size, 0)
        if not os.pread(fd, 1, len(first)):
            return first
        chunks: list[bytes] = [first]
        total = len(first)
        while total <= limit:
            chunk = os.pread(fd, min(limit + 1 - total, 1 << 20), total)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
    raise FileRefusedError(
        errno.EFBIG,
        f"{path} is larger than {_size_text(limit)}, the most ivrsync reads from such a file",
        path,
    )


def read_regular_file(path: str | Path, *, limit: int, follow_symlinks: bool = True) -> bytes:
    """The content of the regular file at `path`, at most `limit` bytes; never blocks.

    `open_regular_file` then `read_limited`: a FIFO, device or folder, a file larger than
    `limit`, and (without `follow_symlinks`) a symbolic link raise FileRefusedError naming the
    path; a missing file raises FileNotFoundError; other failures raise OSError.
    """
    fd = open_regular_file(path, follow_symlinks=follow_symlinks)
    try:
        return read_limited(fd, limit=limit, path=path)
    finally:
        os.close(fd)


def _temporary_file(path: Path) -> tuple[int, str]:
    """A new file next to `path`, named `.<name>.<random>.tmp`, open for writing (mode 0600).

    `tempfile.mkstemp` does the same, but importing `tempfile` (with `shutil` and `random`)
    costs every run that writes a cache entry more than writing it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    while True:
        name = str(path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:  # pragma: no cover - 48 random bits taken already
            continue


def write_atomically(
    path: Path,
    data: bytes,
    *,
    exclusive: bool = False,
    make_folder: bool = True,
    durable: bool = True,
) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never a mix.

    A temporary file in the same folder is written, flushed and fsynced, then renamed over the
    target, and the folder is fsynced so the rename survives a crash. The folder is created when
    missing, unless not `make_folder`. An existing file keeps its permissions; a new one gets
    0644. With `exclusive`, the file must not exist yet: the temporary file is hard-linked into
    place, which fails with FileExistsError (nothing replaced) when another process created it
    meanwhile. The temporary file never outlives the call. Without `durable` nothing is fsynced:
    readers still see the old or the new file, but a crash may leave the new one empty or torn
    (for files that say so themselves, such as the cache's checked lines). Raises OSError.

    A target that is a symbolic link (dangling or not) is refused with FileRefusedError, before
    anything is written: renaming over it would silently turn the link into a regular file and
    leave the file it points to stale, and writing to its target would let whoever planted the
    link choose which file ivrsync overwrites. Links among the folders of `path` are followed
    (a linked config or state folder is a normal setup); only the last component is checked.
    A target that exists but is not a regular file (folder, FIFO, device) is refused the same way.
    The check and the rename are two steps, but a rename never follows a link: one planted in
    between is replaced, never written through.
    """
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        existing = os.lstat(path)
    except FileNotFoundError:
        mode = 0o644
    else:
        if stat.S_ISLNK(existing.st_mode):
            raise _symlink_refused(path)
        if not stat.S_ISREG(existing.st_mode):
            raise _not_regular(path, existing.st_mode)
        mode = existing.st_mode & 0o7777
    fd, temp_name = _temporary_file(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if durable:
                os.fsync(handle.fileno())
        if exclusive:
            os.link(temp_name, path)
            os.unlink(temp_name)
        else:
            os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    if durable:
        fsync_directory(path.parent)
