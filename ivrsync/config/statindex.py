"""Which bytes a file holds, known from the file's status alone: no read, no hash.

A warm run over 10,000 unchanged files spent a sixth of its time opening, reading and hashing
them only to find the bytes it had seen before. Like git's index (and mypy's and ruff's caches),
this remembers, for each file, its status as `os.stat` gave it before it was last read (device,
inode, size, modification and change times in nanoseconds) and the digest of the bytes read
then (`content_digest`, from which the cache's keys are made). A file whose status is exactly
the same is taken to hold the same bytes; any write changes its change time (which no user can
set back) and almost always its modification time.

The one way for a changed file to keep its status is a second write within one tick of the file
system's clock, right after ivrsync read it ("racily clean" in git's words). So a file is only
remembered when both its times are more than `RACY_NS` older than the run that read it: a file
written since then has a newer time. Files edited in the last two seconds are simply read.

The index is one file in the cache folder (`index`), rewritten atomically (without fsync, as
packs are) by a run that learnt something, holding that run's files and up to `MAX_OTHER_ROWS`
others. Names are kept as the run gives them (relative to the working folder, unless given
whole), and the header names that folder and the user: a run from another folder, or by another
user, ignores the index (and replaces it). Digests depend on the
bytes alone, so settings, schema and version changes leave the index valid. A damaged index
(its header holds a check of its rows) is ignored; nothing here raises but `save`.
"""

from __future__ import annotations

import hashlib
import os
import time
import zlib
from itertools import repeat
from pathlib import Path

from ivrsync.files import read_regular_file, write_atomically

INDEX_NAME = "index"
#: How much older than the run a file's times must be for it to be remembered (see above).
#: Two seconds covers the coarsest clocks in use (FAT's, some network file systems').
RACY_NS = 2_000_000_000
#: Rows of files this run did not look at (another folder, files named one by one) kept.
MAX_OTHER_ROWS = 20_000
#: The largest index read: rows are about a hundred bytes.
MAX_INDEX_BYTES = 64 << 20
#: The header: this, the working folder (hex), the user's id, the check of the rows (each
#: followed by a space, the check by a line break).
_HEADER = b"ivrsync-index 3 "
_DIGEST_BYTES = 16
_ROW_END = b"\0"  # the one byte no path holds


def content_digest(data: bytes) -> bytes:
    """blake2b of `data`, as 32 hex digits: what the index remembers of a file's bytes."""
    return hashlib.blake2b(data, digest_size=_DIGEST_BYTES).hexdigest().encode("ascii")


def _check(body: bytes | memoryview) -> bytes:
    """CRC-32 of the rows: it finds damage (a forger could write any check)."""
    return b"%08x" % zlib.crc32(body)


class StatIndex:
    """The files' statuses and digests of one cache folder, for one run (see the module)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / INDEX_NAME
        # The working folder (names are as the run gives them, mostly relative to it) and the
        # user: a file's status shows nothing of whether this user may read it, so a cache
        # shared with another user (sudo, a CI step as another uid) must not vouch for it.
        where = os.fsencode(os.getcwd()).hex().encode("ascii")
        self._header = _HEADER + where + b" " + str(os.geteuid()).encode("ascii") + b" "
        # Taken before any file is looked at: a file written after it has a newer time.
        self._threshold = time.time_ns() - RACY_NS
        self._rows: dict[str, bytes] = {}  # file name -> b"<status> <digest>"
        self._seen: dict[str, bytes] = {}  # this run's rows
        self._learnt = False
        self._load()

    def lookup(self, name: str) -> tuple[bytes | None, bytes | None]:
        """(digest, status) of the file `name`: the digest of its bytes when its status is the
        one remembered, else None; and its status, to `remember` once it has been read (None
        when it cannot be stated or is too recent to be remembered)."""
        # The status is the path's before the caller reads it: if the file changes, or another
        # takes its name, between this stat and the read, the status remembered is the old
        # one, which the file no longer has, so the next run reads it again.
        try:
            found = os.stat(name)
        except (OSError, ValueError):
            return None, None
        status = self.status_of(found)
        if status is None:
            return None, None
        row = self._rows.get(name)
        if row is not None:
            stored, _, digest = row.partition(b" ")
            if stored == status:
                self._seen[name] = row
                return digest, status
        return None, status

    def status_of(self, found: os.stat_result) -> bytes | None:
        """What the index remembers of a file's status; None when the file is too recent."""
        if found.st_mtime_ns >= self._threshold or found.st_ctime_ns >= self._threshold:
            return None
        return (
            f"{found.st_dev}:{found.st_ino}:{found.st_size}:{found.st_mtime_ns}:{found.st_ctime_ns}"
        ).encode("ascii")

    def remember(self, name: str, status: bytes, digest: bytes) -> None:
        """The file `name`, whose status was `status` before it was read, holds bytes of
        `digest` (`content_digest`)."""
        row = status + b" " + digest
        self._seen[name] = row
        if self._rows.get(name) != row:
            self._learnt = True

    def save(self) -> None:
        """Write the index when this run learnt something. Raises OSError."""
        if not self._learnt:
            return
        others = [
            (name, row) for name, row in reversed(self._rows.items()) if name not in self._seen
        ][:MAX_OTHER_ROWS]
        rows = [*self._seen.items(), *reversed(others)]
        body = b"".join(os.fsencode(name) + _ROW_END + row + _ROW_END for name, row in rows)
        data = self._header + _check(body) + b"\n" + body
        write_atomically(self.path, data, durable=False)
        self._rows = dict(rows)
        self._learnt = False

    def _load(self) -> None:
        try:
            data = read_regular_file(self.path, limit=MAX_INDEX_BYTES, follow_symlinks=False)
        except OSError:  # missing, a link, too large: no index, and the next save replaces it
            return
        if not data.startswith(self._header):
            return  # none, or another folder's
        check, _, body = data[len(self._header) :].partition(b"\n")
        if check != _check(body):
            return  # torn or damaged: a wrong digest could find another file's entry
        if body.count(_ROW_END) % 2:  # not pairs of a name and a row: not an index ivrsync wrote
            return
        # `<name>\0<status> <digest>\0` each, taken apart in C: an index holds thousands.
        parts = body.split(_ROW_END)
        parts.pop()  # after the last row's end
        names = map(bytes.decode, parts[0::2], repeat("utf-8"), repeat("surrogateescape"))
        self._rows = dict(zip(names, parts[1::2], strict=True))  # pairs: counted above
