"""What one IVR file contributes to a config set, worked out from the file or from the cache.

A `FileSummary` holds a file's own problems (reading, parsing, schema, menu, octal: already
worded and positioned), its body and digest when it has no error of its own, and what the checks
across files read: the id and name it claims, the destinations it writes, whether it failed to
parse, and the line and column of any field those checks point at (`locate`). The checks across
files (`ivrsync.config.crossfile`, `ivrsync.flow.checks`) run over summaries on every run; only
summaries are cached (`ivrsync.config.entries` writes and reads their entries). Positions are
worked out when first asked for, from the file's text (which the caller read anyway), and then
kept in the entry, so a warning shown on every run costs its lookup once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ivrsync.body import body_from_document, digest_body, dtmf_key
from ivrsync.config.loader import LoadedFile, read_config
from ivrsync.config.positions import JsonPath, format_path
from ivrsync.model import Body, IvrConfig, Problem, Severity

#: The fields holding a destination reference (besides each menu entry's `destination`).
DESTINATION_FIELDS = ("invalid_destination", "timeout_destination")


def menu_entries(document: Mapping[Any, Any]) -> list[tuple[int, Mapping[Any, Any]]]:
    """The menu's entries that are mappings, with their index."""
    menu = document.get("menu")
    if not isinstance(menu, list):
        return []
    return [(index, entry) for index, entry in enumerate(menu) if isinstance(entry, dict)]


class FileSummary:
    """One file's contribution to a config set (see the module's docstring)."""

    __slots__ = (
        "_destinations",
        "_file",
        "_ivr_destinations",
        "_located",
        "_menu_order",
        "_path",
        "_positions",
        "_source",
        "body",
        "broken",
        "cache_key",
        "digest",
        "display",
        "is_mapping",
        "ivr_id",
        "name",
        "problems",
        "rekey",
    )

    def __init__(
        self,
        display: str,
        problems: tuple[Problem, ...],
        *,
        is_mapping: bool = False,
        broken: bool = False,
        ivr_id: int | None = None,
        name: str | None = None,
        destinations: tuple[tuple[tuple[str | int, ...], str], ...] | None = (),
        menu_order: tuple[int, ...] = (),
        body: Body | None = None,
        digest: str | None = None,
        path: str | Path | None = None,
        source: str | bytes | None = None,
        positions: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        self.display = display
        self.problems = problems
        #: The document is a mapping (so the checks across files read its fields).
        self.is_mapping = is_mapping
        #: The file has text but does not parse: it may be the IVR others route to.
        self.broken = broken
        #: The id it claims (a positive integer), its name (non-blank text), and every
        #: destination written as text, with its JSON path: what the checks across files read.
        self.ivr_id = ivr_id
        self.name = name
        self._destinations = destinations
        #: The canonical body and its digest, when the file has no error of its own; and for
        #: each of the body's menu entries, its index in the file's menu.
        self.body = body
        self._menu_order = menu_order
        self.digest = digest
        #: The key of its cache entry, and how the cache keys bytes (set by the caller).
        self.cache_key: bytes | None = None
        self.rekey: Callable[[bytes], bytes] | None = None
        self._path = path
        self._source = source  # the text (or bytes) positions are worked out from
        self._positions = positions if positions is not None else {}
        self._located = False
        self._file: LoadedFile | None = None
        self._ivr_destinations: tuple[str, ...] | None = None

    @property
    def destinations(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        """Every destination written as text, with its JSON path: the destination fields, then
        the menu's in the file's order. A cached entry with a body keeps only the body (and the
        menu's order), so these are worked out from it on first use."""
        if self._destinations is None:
            body = self.body
            assert body is not None
            menu = sorted(zip(self._menu_order, body["destination"], strict=True))
            self._destinations = (
                *(((name,), body[name]) for name in DESTINATION_FIELDS),
                *((("menu", index, "destination"), target) for index, target in menu),
            )
        return self._destinations

    def destination_values(self) -> tuple[str, ...]:
        """The values of `destinations`, cheaper: no paths (look those up for a problem)."""
        body = self.body
        if self._destinations is None and body is not None:
            # DESTINATION_FIELDS, spelt out: this runs for every file of every run.
            return (body["invalid_destination"], body["timeout_destination"], *body["destination"])
        return tuple(value for _, value in self.destinations)

    @property
    def ivr_destinations(self) -> tuple[str, ...]:
        """The values of `destinations` that route to an IVR (`ivr|<id>`, `ivr|@<name>`, or
        malformed), in their order. Found once: the checks across files (ids, names, loops)
        look at these alone, over every file of every run, and most destinations are none."""
        found = self._ivr_destinations
        if found is None:
            found = tuple(value for value in self.destination_values() if value[:4] == "ivr|")
            self._ivr_destinations = found
        return found

    @property
    def menu_order(self) -> tuple[int, ...]:
        """For each of the body's menu entries, its index in the file's menu."""
        return self._menu_order

    @property
    def positions(self) -> Mapping[str, tuple[int, int]]:
        """The positions `locate` knows so far, by a key naming the path (for the entry)."""
        return self._positions

    @property
    def located(self) -> bool:
        """Whether `locate` worked out positions the cache entry does not hold yet."""
        return self._located

    def config(self) -> IvrConfig | None:
        """The IvrConfig of a file without errors of its own, else None."""
        if self.body is None or self.digest is None or self.ivr_id is None:
            return None
        return IvrConfig(self.ivr_id, self.body["name"], self.display, self.body, self.digest)

    def problem(
        self,
        message: str,
        *,
        at: tuple[int, int],
        json_path: JsonPath,
        severity: Severity = "error",
        hint: str = "",
    ) -> Problem:
        """A Problem in this file."""
        return Problem(self.display, at[0], at[1], format_path(json_path), message, severity, hint)

    def locate(self, json_path: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `json_path` (of its key with `key`), as
        `LoadedFile.locate` says; (0, 0) for a file without a document."""
        name = json.dumps([list(json_path), key])
        found = self._positions.get(name)
        if found is None:
            found = self._loaded().locate(json_path, key=key)
            self._positions[name] = found
            self._located = True
        return found

    def _loaded(self) -> LoadedFile:
        if self._file is None:
            source = self._source
            if source is None and self.is_mapping and self._path is not None:
                # A cached summary of a file the index knew, so not read: read it now.
                data = read_config(self._path, self.display)
                source = data if isinstance(data, bytes) else None
                if source is None or self.rekey is None or self.rekey(source) != self.cache_key:
                    # Changed since this run looked at it: its text is not the one its
                    # problems were found in, so no positions (0, 0), and none for the entry.
                    self.cache_key = None
                    source = None
            if isinstance(source, bytes):
                source = source.decode("utf-8", "replace").removeprefix("\ufeff")
            parsed = self.is_mapping and source is not None
            path = Path(self._path or self.display)
            self._file = LoadedFile(path, self.display, source, None, parsed)
        return self._file


def summarize(file: LoadedFile, problems: Sequence[Problem]) -> FileSummary:
    """The summary of a file just loaded, with `problems` its own (the loader's among them)."""
    broken = not file.parsed and bool((file.text or "").strip())
    if not file.is_mapping:
        return FileSummary(file.display, tuple(problems), broken=broken, path=file.path)
    document = file.document
    ivr_id = document.get("id")
    if not isinstance(ivr_id, int) or isinstance(ivr_id, bool) or ivr_id <= 0:
        ivr_id = None
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        name = None
    body = digest = None
    order: tuple[int, ...] = ()
    if not any(problem.is_error for problem in problems):
        body = body_from_document(document)
        digest = digest_body(body)
        # Valid, so every entry is a mapping and no key is there twice.
        index = {dtmf_key(entry["option"]): i for i, entry in enumerate(document["menu"])}
        order = tuple(index[key] for key in body["option"])
    return FileSummary(
        file.display,
        tuple(problems),
        is_mapping=True,
        ivr_id=ivr_id,
        name=name,
        destinations=tuple(_destinations(document)),
        menu_order=order,
        body=body,
        digest=digest,
        path=file.path,
        source=file.text,
    )


def _destinations(document: Mapping[Any, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for field in DESTINATION_FIELDS:
        value = document.get(field)
        if isinstance(value, str):
            yield (field,), value
    for index, entry in menu_entries(document):
        value = entry.get("destination")
        if isinstance(value, str):
            yield ("menu", index, "destination"), value
