"""File-system primitives shared by every layer: the one copy of each.

`write_atomically` is how ivrsync writes every file it owns (state, plan, imported IVR files);
`display_path` is how a path is shown to users; `utc_timestamp` is the one timestamp format of
the state file, the journal, the lock and the plan.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path


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


def write_atomically(
    path: Path, data: bytes, *, exclusive: bool = False, make_folder: bool = True
) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never a mix.

    A temporary file in the same folder is written, flushed and fsynced, then renamed over the
    target, and the folder is fsynced so the rename survives a crash. The folder is created when
    missing, unless not `make_folder`. An existing file keeps its permissions; a new one gets
    0644. With `exclusive`, the file must not exist yet: the temporary file is hard-linked into
    place, which fails with FileExistsError (nothing replaced) when another process created it
    meanwhile. The temporary file never outlives the call. Raises OSError.
    """
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
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
    fsync_directory(path.parent)
