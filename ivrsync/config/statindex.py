"""Which cache key a file's bytes had, known from the file's status alone: no read, no hash.

A warm run over 10,000 unchanged files spent a sixth of its time opening, reading and hashing
them only to find that their keys were the ones it had. Like git's index (and mypy's and ruff's
caches), this remembers, for each file, its status as `os.stat` gave it before it was last read
(device, inode, size, modification and change times in nanoseconds) and the key of the bytes
read then. A file whose status is exactly the same is taken to hold the same bytes; any write
changes its change time (which no user can set back) and almost always its modification time.

The one way for a changed file to keep its status is a second write within one tick of the file
system's clock, right after ivrsync read it ("racily clean" in git's words). So a file is only
remembered when both its times are more than `RACY_NS` older than the run that read it: a file
written since then has a newer time. Files edited in the last two seconds are simply read.

The index is one file in the cache folder (`index`), rewritten atomically (without fsync, as
packs are) by a run that learnt something, holding that run's files and up to `MAX_OTHER_ROWS`
others. Its header names the cache's namespace: an index written under other settings, schema
or version is ignored as a whole, since its keys would find entries of that other namespace.
A damaged index (its header holds a check of its rows) is ignored too; nothing here raises
but `save`.
"""

from __future__ import annotations

import hashlib
import os
import time
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
#: The header: this, the namespace's digest, the working folder (hex), blake2b of the rows
#: (each followed by a space), a line break.
_HEADER = b"ivrsync-index 1 "
_ROW_END = b"\0"  # the one byte no path holds


def _check(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=16).hexdigest().encode("ascii")


class StatIndex:
    """The files' statuses and keys of one cache folder, for one run (see the module)."""

    def __init__(self, folder: Path, namespace: bytes) -> None:
        self.path = folder / INDEX_NAME
        # Names are kept as the run gives them, relative to the working folder: the header
        # names that too, so a run elsewhere ignores the index (and replaces it).
        where = os.fsencode(os.getcwd()).hex().encode("ascii")
        self._header = _HEADER + namespace.hex().encode("ascii") + b" " + where + b" "
        # Taken before any file is looked at: a file written after it has a newer time.
        self._threshold = time.time_ns() - RACY_NS
        self._rows: dict[str, bytes] = {}  # file name -> b"<status> <key>"
        self._seen: dict[str, bytes] = {}  # this run's rows
        self._learnt = False
        self._load()

    def lookup(self, name: str) -> tuple[bytes | None, bytes | None]:
        """(key, status) of the file `name`: the key of its bytes when its status is the one
        remembered, else None; and its status, to `remember` once it has been read (None when
        it cannot be stated or is too recent to be remembered)."""
        try:
            found = os.stat(name)
        except (OSError, ValueError):
            return None, None
        if found.st_mtime_ns >= self._threshold or found.st_ctime_ns >= self._threshold:
            return None, None
        status = (
            f"{found.st_dev}:{found.st_ino}:{found.st_size}:{found.st_mtime_ns}:{found.st_ctime_ns}"
        ).encode("ascii")
        row = self._rows.get(name)
        if row is not None:
            stored, _, key = row.partition(b" ")
            if stored == status:
                self._seen[name] = row
                return key, status
        return None, status

    def remember(self, name: str, status: bytes, key: bytes) -> None:
        """The file `name`, whose status was `status` before it was read, holds bytes of `key`."""
        row = status + b" " + key
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
        body = b"".join(row + b" " + os.fsencode(name) + _ROW_END for name, row in rows)
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
            return  # none, or another namespace's
        check, _, body = data[len(self._header) :].partition(b"\n")
        if check != _check(body):
            return  # torn or damaged: a wrong key could find another file's entry
        rows = body.split(_ROW_END)
        rows.pop()  # after the last row's end
        found: dict[str, bytes] = {}
        for raw in rows:
            # `<status> <key> <name>`: a status and key hold no space, a name may.
            status, _, rest = raw.partition(b" ")
            key, _, name = rest.partition(b" ")
            if name and len(key) == 32:
                found[os.fsdecode(name)] = status + b" " + key
        self._rows = found
