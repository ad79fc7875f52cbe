"""The cache of per-file results on disk: JSON entries keyed by a hash of a file's bytes.

What an entry holds is `ivrsync.config.summary`'s business; this module stores, finds, bounds and
shares them. The folder (`[cache] dir`, default `.ivrsync/cache/`) holds:

    CACHEDIR.TAG, .gitignore ("*")    so backup tools and git leave it alone
    pack-<random>.jsonl               a header, a check, then entries one a line: `<key> <JSON>`
    index                             each file's status and content digest (`statindex`)

A key is the digest of the *namespace* (everything else the result depends on: ivrsync's code,
the schema, the libraries, the settings that matter) followed by the file's content digest
(`statindex.content_digest`, blake2b of its bytes). A pack's check is CRC-32 of its lines, so
a torn or flipped pack is no pack (a miss for each of its entries, then rewritten), never a
wrong result: one pass over the whole pack costs far less than a hash of each line looked up.
Only the entries looked up are decoded, so stale entries cost a run next to nothing.

Each run that worked something out adds one pack, written atomically under a name of its own
(a temporary file renamed into place, without fsync: a crash loses cache entries, never more).
When packs pile up, the folder outgrows its bound, or a pack is bad, the run instead writes one
pack of the entries it used plus the most recent others up to the bound, and deletes the packs it
read. Two processes at once each write their own pack and delete only packs they read: a pack
deleted under a reader is a miss. Nothing here raises: a cache that cannot be read or written is
no cache, and `problem` says why.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import zlib
from collections.abc import Iterable
from itertools import repeat
from pathlib import Path

from ivrsync.config.statindex import INDEX_NAME, StatIndex, content_digest
from ivrsync.files import FileRefusedError, read_regular_file, write_atomically

PACK_PREFIX = "pack-"
PACK_SUFFIX = ".jsonl"
#: Packs read before the run compacts them into one.
MAX_PACKS = 16
#: Entries a run did not use are kept up to this much (a quarter of the bound at most); a run
#: that read more than twice as much it did not use compacts the cache.
SLACK_BYTES = 2 << 20
#: The most packs looked at: more is no folder ivrsync wrote (the rest are deleted unread).
_MAX_LISTED = 64
_KEY_BYTES = 16
#: A pack's first line; its second is the check of the rest (hex, then a line break).
_HEADER = b"ivrsync-cache 4\n"
_MARKERS = {
    "CACHEDIR.TAG": b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This file marks ivrsync's cache (https://bford.info/cachedir/): safe to delete.\n",
    ".gitignore": b"# ivrsync's cache: never committed.\n*\n",
}


def _remove(path: Path) -> None:
    """Delete a pack read (or refused) by this run; one gone already is no matter, and an empty
    folder in a pack's place (no file ivrsync wrote) goes too, so it is not refused each run."""
    try:
        os.unlink(path)
    except IsADirectoryError:
        with contextlib.suppress(OSError):
            os.rmdir(path)
    except OSError:
        pass


def _size_of(lines: dict[bytes, bytes]) -> int:
    return sum(len(key) + len(line) + 2 for key, line in lines.items())


def _check(lines: bytes | memoryview) -> bytes:
    """A pack's check: CRC-32 of its lines, as 8 hex digits. It finds damage, not forgery (a
    forger could write any check), and it reads a pack of megabytes at memory speed."""
    return b"%08x" % zlib.crc32(lines)


def _namespace_digest(namespace: bytes) -> bytes:
    return hashlib.blake2b(namespace, digest_size=_KEY_BYTES).hexdigest().encode("ascii")


class EntryCache:
    """The entries of one cache folder under one namespace, for one run.

    `get` and `put` work in memory; `save` writes what this run added (see the module's
    docstring). `enabled` is false when the folder cannot be used (then `problem` says why, and
    every `get` misses and `save` writes nothing).
    """

    def __init__(self, folder: Path, *, namespace: bytes, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.problem: str | None = None
        self._namespace = _namespace_digest(namespace)
        self._lines: dict[bytes, bytes] = {}  # key (hex) -> JSON, as read
        self._used: dict[bytes, bytes] = {}  # key -> JSON, for this run's entries
        self._added: dict[bytes, bytes] = {}
        self._read: list[str] = []  # pack names read (or refused), for compaction
        self._bad = False
        self._size = 0
        self.enabled = self._usable_folder()
        #: Which key each file's bytes had, by the file's status (`statindex`), when enabled.
        self.files: StatIndex | None = None
        if self.enabled:
            self._load()
            self.files = StatIndex(folder)

    def key(self, data: bytes) -> bytes:
        """The key of a file with these bytes, in this namespace (64 hex digits)."""
        return self.key_of(content_digest(data))

    def key_of(self, digest: bytes) -> bytes:
        """The key of a file whose bytes have this `content_digest`."""
        return _key(digest, self._namespace)

    def get(self, key: bytes) -> bytes | None:
        """The stored JSON of `key`, or None."""
        payload = self._added.get(key)  # this run's own entry first
        if payload is None:
            payload = self._lines.get(key)
            if payload is None:
                return None
        self._used[key] = payload
        return payload

    def put(self, key: bytes, payload: bytes) -> None:
        """Store `payload` (JSON text, ASCII, no line breaks) as the entry of `key`."""
        self._added[key] = payload
        self._used[key] = payload

    def forget(self, key: bytes) -> None:
        """Drop the entry of `key` (it was unusable): it is rewritten or left out by `save`."""
        self._bad = True
        self._lines.pop(key, None)
        self._used.pop(key, None)

    def save(self) -> None:
        """Write this run's new entries (and what the index learnt); compact the folder when
        it needs it. Never raises."""
        if self.files is not None:
            try:
                self.files.save()
            except OSError as exc:
                self.problem = f"could not write the cache in {self.folder}: {exc.strerror or exc}"
        if not self.enabled or not (self._added or self._bad):
            return
        added = _size_of(self._added)
        unused = self._size - (_size_of(self._used) - added)
        compact = (
            self._bad
            or len(self._read) >= MAX_PACKS
            or self._size + added > self.max_bytes
            or unused > 2 * self._slack
        )
        try:
            if compact:
                written = self._write_pack(self._compacted())
                for name in self._read:
                    _remove(self.folder / name)
                self._read, self._size = [written[0]], written[1]
            else:
                written = self._write_pack(self._added.items())
                self._read.append(written[0])
                self._size += written[1]
        except OSError as exc:
            self.problem = f"could not write the cache in {self.folder}: {exc.strerror or exc}"
            return
        self._lines.update(self._added)
        self._added = {}
        self._bad = False

    @property
    def _slack(self) -> int:
        """How much beyond this run's entries a compacted cache keeps: entries of other
        folders, branches or versions, the newest first."""
        return min(SLACK_BYTES, self.max_bytes // 4)

    def _compacted(self) -> list[tuple[bytes, bytes]]:
        """This run's entries first, then the others newest first, within `max_bytes`."""
        kept: dict[bytes, bytes] = {}
        size = len(_HEADER) + len(_check(b"")) + 1
        bound = self.max_bytes
        for key, line in (*self._used.items(), *reversed(self._lines.items())):
            if key in kept:
                continue
            if key not in self._used:
                bound = min(bound, size + self._slack)  # from here on, the others
            size += len(key) + len(line) + 2
            if size > bound:
                break
            kept[key] = line
        return list(kept.items())

    def _write_pack(self, lines: Iterable[tuple[bytes, bytes]]) -> tuple[str, int]:
        """Write a new pack of `lines`: its name and size."""
        body = b"".join(key + b" " + line + b"\n" for key, line in lines)
        data = _HEADER + _check(body) + b"\n" + body
        # A name no other run picks: two runs at once never write the same pack.
        name = f"{PACK_PREFIX}{os.urandom(8).hex()}{PACK_SUFFIX}"
        write_atomically(self.folder / name, data, durable=False)
        return name, len(data)

    def _usable_folder(self) -> bool:
        """Make the folder and its markers when missing; refuse a link or a non-folder."""
        try:
            if not os.path.lexists(self.folder):
                self.folder.mkdir(parents=True, exist_ok=True)
            found = os.lstat(self.folder).st_mode
            if stat.S_ISLNK(found):
                self.problem = (
                    f"the cache folder {self.folder} is a symbolic link, and ivrsync does not "
                    "write through links: this run is not cached"
                )
                return False
            if not stat.S_ISDIR(found):
                self.problem = f"the cache folder {self.folder} is not a folder: not cached"
                return False
            for name, content in _MARKERS.items():
                if not os.path.lexists(self.folder / name):
                    write_atomically(self.folder / name, content, durable=False)
        except OSError as exc:
            self.problem = f"cannot use the cache folder {self.folder}: {exc.strerror or exc}"
            return False
        return True

    def _load(self) -> None:
        packs = []
        try:
            with os.scandir(self.folder) as found:
                for item in found:
                    if item.name.startswith(PACK_PREFIX) and item.name.endswith(PACK_SUFFIX):
                        with contextlib.suppress(OSError):
                            packs.append((item.stat(follow_symlinks=False).st_mtime_ns, item.name))
        except OSError:
            return
        packs.sort()
        if len(packs) > _MAX_LISTED:
            self._read.extend(name for _, name in packs[:-_MAX_LISTED])
            self._bad = True
            packs = packs[-_MAX_LISTED:]
        for _, name in packs:  # oldest first: a newer pack's entry wins
            self._read.append(name)
            self._read_pack(name)

    def _read_pack(self, name: str) -> None:
        try:
            data = read_regular_file(
                self.folder / name, limit=self.max_bytes, follow_symlinks=False
            )
        except FileNotFoundError:  # another run compacted it away meanwhile
            self._read.remove(name)
            return
        except OSError:
            # A link, a special file, too large, unreadable: no pack to use, one to replace.
            self._bad = True
            return
        # Offsets, not slices: a slice of a pack of megabytes is a copy of it.
        start = data.find(b"\n", len(_HEADER)) + 1
        check = data[len(_HEADER) : start - 1]
        if not start or not data.startswith(_HEADER) or check != _check(memoryview(data)[start:]):
            self._bad = True  # torn, flipped, or no pack of this format
            return
        self._size += len(data)
        lines = data.split(b"\n")
        del lines[:2]  # the header and the check
        lines.pop()  # after the last line's break
        try:
            # In C, a line at a time: a pack holds thousands.
            found = dict(map(bytes.split, lines, repeat(b" "), repeat(1)))
        except ValueError:  # a checked pack that ivrsync did not write (no key and space)
            self._bad = True
            return
        self._lines.update(found)


def _key(digest: bytes, namespace: bytes) -> bytes:
    """A key: the namespace's digest (32 hex digits) then the content digest. Joined, not
    hashed again: a warm run makes ten thousand, and the same bytes under two namespaces
    still give two keys."""
    return namespace + digest


class SeenBytes:
    """What a reader made of some bytes, kept as entries of `cache` under `namespace` (what the
    reader's result depends on besides the bytes). The state's reader takes one
    (`ivrsync.state.StateMemo`): `seen_file` finds what it made of a file by the file's status
    alone (the cache's index), and `get`/`put` by the bytes read, remembering the file's status
    from before the read (`before`) for the next run."""

    def __init__(self, cache: EntryCache, namespace: bytes) -> None:
        self._cache = cache
        self._namespace = _namespace_digest(namespace)

    def seen_file(self, path: str) -> bytes | None:
        """What was made of the bytes of the file `path`, when its status says it holds the
        bytes it held then; None otherwise (then the caller reads it)."""
        index = self._cache.files
        digest = None if index is None else index.lookup(path)[0]
        return None if digest is None else self._cache.get(_key(digest, self._namespace))

    def get(self, data: bytes, *, path: str, before: os.stat_result) -> bytes | None:
        return self._cache.get(self._remembered(data, path, before))

    def put(self, data: bytes, payload: bytes, *, path: str, before: os.stat_result) -> None:
        self._cache.put(self._remembered(data, path, before), payload)

    def _remembered(self, data: bytes, path: str, before: os.stat_result) -> bytes:
        """The key of `data`, the bytes of `path` read after `before`; the index remembers
        them for the next run's `seen_file`."""
        digest = content_digest(data)
        index = self._cache.files
        status = None if index is None else index.status_of(before)
        if index is not None and status is not None:
            index.remember(path, status, digest)
        return _key(digest, self._namespace)


def clear_cache(folder: Path) -> tuple[int, int]:
    """Delete every pack, the index (and leftover temporary files) in `folder`: (files
    removed, bytes freed).

    Only files ivrsync names (`pack-*.jsonl`, `index`, `.pack-*.tmp`, `.index.*.tmp`) go; the
    folder and its markers stay.
    A missing folder is an empty cache. Raises OSError when the folder cannot be listed, and
    FileRefusedError when it is a symbolic link (nothing is deleted through one).
    """
    if not os.path.lexists(folder):
        return 0, 0
    if os.path.islink(folder):
        raise FileRefusedError(
            errno.ELOOP,
            f"{folder} is a symbolic link; ivrsync does not delete through links",
            folder,
        )
    removed = freed = 0
    with os.scandir(folder) as found:
        for item in found:
            name = item.name
            ours = name.startswith(PACK_PREFIX) and name.endswith(PACK_SUFFIX)
            ours = ours or name == INDEX_NAME
            ours = ours or (
                name.startswith(("." + PACK_PREFIX, f".{INDEX_NAME}.")) and name.endswith(".tmp")
            )
            if not ours:
                continue
            with contextlib.suppress(FileNotFoundError):
                size = item.stat(follow_symlinks=False).st_size
                os.unlink(folder / name)
                removed += 1
                freed += size
    return removed, freed
