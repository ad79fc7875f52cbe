"""Checks across files: the same IVR id or name twice, `ivr|<id>` naming no IVR of the set,
`ivr|@<name>` naming no IVR (an error: it cannot be sent), a new IVR's name used twice."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ivrsync.body import DESTINATION_FIELDS, referenced_name
from ivrsync.config.explain import shorten
from ivrsync.config.loader import LoadedFile
from ivrsync.model import Problem


def menu_entries(document: Mapping[Any, Any]) -> list[tuple[int, Mapping[Any, Any]]]:
    menu = document.get("menu")
    if not isinstance(menu, list):
        return []
    return [(index, entry) for index, entry in enumerate(menu) if isinstance(entry, dict)]


@dataclass(frozen=True)
class _Claim:
    """A file claiming an IVR id or name."""

    file: LoadedFile
    value: str


def cross_file_problems(files: Sequence[LoadedFile]) -> list[Problem]:
    by_id: dict[int, list[LoadedFile]] = defaultdict(list)
    by_name: dict[str, list[_Claim]] = defaultdict(list)
    for file in files:
        if not file.is_mapping:
            continue
        ivr_id = file.document.get("id")
        if isinstance(ivr_id, int) and not isinstance(ivr_id, bool) and ivr_id > 0:
            by_id[ivr_id].append(file)
        name = file.document.get("name")
        if isinstance(name, str) and name.strip():
            # Names differing only in case or spaces look the same in the portal.
            by_name[name.strip().casefold()].append(_Claim(file, name))

    problems: list[Problem] = []
    for ivr_id, owners in by_id.items():
        for file in owners if len(owners) > 1 else ():
            others = ", ".join(o.display for o in owners if o is not file)
            problems.append(
                file.problem(
                    f"IVR id {ivr_id} is also used by {others}",
                    at=file.locate(("id",)),
                    json_path=("id",),
                    hint="keep each IVR in exactly one file: remove the copy or fix its id",
                )
            )
    for claims in by_name.values():
        # Apply finds a new IVR's id by its name, and a name reference names one file: there a
        # name used twice is an error; between IVRs with ids it only confuses people.
        new = any(_is_new(claim.file) for claim in claims)
        for claim in claims if len(claims) > 1 else ():
            others = ", ".join(c.file.display for c in claims if c is not claim)
            problems.append(
                claim.file.problem(
                    f"the name '{shorten(claim.value, 60)}' is also used by {others}"
                    + (": a new IVR's name must be unique in the config set" if new else ""),
                    at=claim.file.locate(("name",)),
                    json_path=("name",),
                    severity="error" if new else "warning",
                    hint="rename one: apply finds a new IVR's id by its unique name"
                    if new
                    else "give each IVR its own name so people can tell them apart",
                )
            )
    # A file that does not parse may well be the IVR a reference names: its own error is the
    # problem to fix, not a warning in every file that routes to it.
    if not any(not file.parsed and (file.text or "").strip() for file in files):
        known_ids = set(by_id)
        names = {
            claim.value.strip(): len(claims) for claims in by_name.values() for claim in claims
        }
        for file in files:
            if file.is_mapping:
                problems.extend(_unknown_ivr_problems(file, known_ids))
                problems.extend(_name_reference_problems(file, names))
        problems.extend(_cycle_problems([f for f in files if f.is_mapping and _is_new(f)]))
    return problems


def _cycle_problems(new: Sequence[LoadedFile]) -> Iterator[Problem]:
    """Errors for name references that close a loop among new IVRs (A -> B -> A, all new).

    Apply creates an IVR only after every new IVR it routes to, so that no menu ever routes to
    an IVR that does not exist; in a loop none can go first. ivrsync refuses rather than create
    one with a stand-in destination: a destination nobody reviewed would be live until the
    follow-up update, and stay live if that update failed.
    """
    by_name = {
        f.document["name"].strip(): f for f in new if isinstance(f.document.get("name"), str)
    }
    edges: dict[str, list[tuple[str, tuple[str | int, ...]]]] = {}
    for name, file in by_name.items():
        for path, value in destinations(file.document):
            target = _well_formed_name(value)
            if target is not None and target.strip() in by_name:
                edges.setdefault(name, []).append((target.strip(), path))
    for name in sorted(edges):
        for target, path in edges[name]:
            loop = _path_back(edges, target, name)
            if loop is None:
                continue
            file = by_name[name]
            shown_loop = " -> ".join(shorten(n, 40) for n in (name, *loop))
            yield file.problem(
                f"ivr|@{shorten(target, 60)} closes a loop of new IVRs ({shown_loop}): "
                "apply cannot create any of them first",
                at=file.locate(path),
                json_path=path,
                hint="leave this route out (or route it elsewhere) for the first apply; once "
                f"{shorten(target, 60)} has its id, add the route back as an update",
            )


def _path_back(
    edges: Mapping[str, Sequence[tuple[str, object]]], start: str, goal: str
) -> list[str] | None:
    """The names from `start` to `goal` along `edges` (breadth first), or None."""
    previous: dict[str, str | None] = {start: None}
    queue = [start]
    for current in queue:
        if current == goal:
            path = [current]
            while (before := previous[path[-1]]) is not None:
                path.append(before)
            return path[::-1]
        for target, _ in edges.get(current, ()):
            if target not in previous:
                previous[target] = current
                queue.append(target)
    return None


def _is_new(file: LoadedFile) -> bool:
    return "id" not in file.document


def destinations(document: Mapping[Any, Any]) -> list[tuple[tuple[str | int, ...], object]]:
    """Every destination of a document with its JSON path: the scalar ones, then the menu's."""
    places: list[tuple[tuple[str | int, ...], object]] = [
        ((name,), document.get(name)) for name in DESTINATION_FIELDS
    ]
    places.extend(
        (("menu", index, "destination"), entry.get("destination"))
        for index, entry in menu_entries(document)
    )
    return places


def _well_formed_name(value: object) -> str | None:
    """The name of a name reference the schema accepts; None for others (the schema says what
    is wrong with a malformed one, once)."""
    name = referenced_name(value)
    if name is None or not name.strip() or name != name.strip() or "|" in name:
        return None
    return name


def _name_reference_problems(file: LoadedFile, names: Mapping[str, int]) -> Iterator[Problem]:
    """Errors for `ivr|@<name>` naming no file's IVR (or a name two files share)."""
    for path, value in destinations(file.document):
        name = _well_formed_name(value)
        if name is None:
            continue
        count = names.get(name.strip(), 0)
        if count == 1:
            continue
        shown_name = shorten(name, 60)
        if count > 1:
            message = f"ivr|@{shown_name}: {count} files have that name, so it names no one IVR"
            hint = "give each IVR its own name"
        else:
            message = f"ivr|@{shown_name} names no IVR in the config set"
            wanted = name.strip().casefold()
            close = difflib.get_close_matches(name.strip(), list(names), n=1, cutoff=0.5)
            folded = [n for n in names if n.casefold() == wanted]
            folded += [n for n in names if wanted in n.casefold() or n.casefold() in wanted]
            if folded or close:
                hint = f"did you mean ivr|@{shorten((folded or close)[0], 60)}? names match exactly"
            else:
                hint = (
                    "write the name as its file's `name:` says, "
                    "or ivr|<id> for an IVR managed outside ivrsync"
                )
        yield file.problem(message, at=file.locate(path), json_path=path, hint=hint)


def _unknown_ivr_problems(file: LoadedFile, known: set[int]) -> Iterator[Problem]:
    """Warnings for `ivr|<id>` destinations naming no IVR of the config set."""
    for path, value in destinations(file.document):
        if not isinstance(value, str) or not value.startswith("ivr|"):
            continue
        ident = value.removeprefix("ivr|")
        if ident.isascii() and ident.isdigit() and int(ident) not in known:
            yield file.problem(
                f"{value} names no IVR in the config set",
                at=file.locate(path),
                json_path=path,
                severity="warning",
                hint=f"fine if IVR {int(ident)} is managed outside ivrsync; "
                "otherwise fix the id or add a file for it",
            )
