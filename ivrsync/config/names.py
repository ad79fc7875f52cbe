"""The checks of name references across files, over summaries: `ivr|@<name>` naming no IVR of
the set (or a name two files share), and loops among new IVRs routing to each other by name.

Both are errors: a name reference is resolved to an id before anything is sent, so one that
names no single IVR cannot be sent at all, and a loop of new IVRs cannot be created in any
order. Run by `crossfile` on every run, like every check across files.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

from ivrsync.body import NAME_REFERENCE_PREFIX, referenced_name
from ivrsync.config.explain import shorten
from ivrsync.config.summary import FileSummary
from ivrsync.model import Problem


def is_new(file: FileSummary) -> bool:
    """A file that is a mapping without a (valid) id: a new IVR, which apply creates."""
    return file.is_mapping and file.ivr_id is None


def referring(files: Sequence[FileSummary]) -> list[FileSummary]:
    """The files with a name reference: one plain scan of every destination (this runs over
    every file of every run, and most sets have none)."""
    found = []
    for file in files:
        if file.is_mapping:
            for value in file.ivr_destinations:
                if value[:5] == NAME_REFERENCE_PREFIX:
                    found.append(file)
                    break
    return found


def name_problems(
    files: Sequence[FileSummary], referring_files: Sequence[FileSummary]
) -> list[Problem]:
    """Every name reference problem of the set; `referring_files`: `referring(files)`."""
    if not referring_files:
        return []
    names = Counter(file.name.strip() for file in files if file.name is not None)
    problems: list[Problem] = []
    for file in referring_files:
        problems.extend(_lookup_problems(file, names))
    problems.extend(_loop_problems([file for file in referring_files if is_new(file)], files))
    return problems


def well_formed_name(value: object) -> str | None:
    """The name of a name reference the schema accepts; None for others (the schema says what
    is wrong with a malformed one, once)."""
    name = referenced_name(value)
    if name is None or not name.strip() or name != name.strip() or "|" in name:
        return None
    return name


def _lookup_problems(file: FileSummary, names: Mapping[str, int]) -> Iterator[Problem]:
    """Errors for `ivr|@<name>` naming no file's IVR (or a name two files share)."""
    for path, value in file.destinations:
        name = well_formed_name(value)
        if name is None:
            continue
        count = names.get(name, 0)
        if count == 1:
            continue
        shown_name = shorten(name, 60)
        if count > 1:
            message = f"ivr|@{shown_name}: {count} files have that name, so it names no one IVR"
            hint = "give each IVR its own name"
        else:
            message = f"ivr|@{shown_name} names no IVR in the config set"
            hint = _did_you_mean(name, names)
        yield file.problem(message, at=file.locate(path), json_path=path, hint=hint)


def _did_you_mean(name: str, names: Mapping[str, int]) -> str:
    wanted = name.casefold()
    # The same name in another case or with more words first, then one spelt alike.
    found = [n for n in names if n.casefold() == wanted]
    found += [n for n in names if wanted in n.casefold() or n.casefold() in wanted]
    found += difflib.get_close_matches(name, list(names), n=1, cutoff=0.5)
    if found:
        return f"did you mean ivr|@{shorten(found[0], 60)}? names match exactly"
    return (
        "write the name as its file's `name:` says, or ivr|<id> for an IVR managed outside ivrsync"
    )


def _loop_problems(
    referring: Sequence[FileSummary], files: Sequence[FileSummary]
) -> Iterator[Problem]:
    """Errors for name references that close a loop among new IVRs (A -> B -> A, all new).

    Apply creates an IVR only after every new IVR it routes to, so that no menu ever routes to
    an IVR that does not exist; in a loop none can go first. ivrsync refuses rather than create
    one with a stand-in destination: a destination nobody reviewed would be live until the
    follow-up update, and stay live if that update failed.
    """
    new = {f.name.strip(): f for f in files if is_new(f) and f.name is not None}
    edges: dict[str, list[tuple[str, tuple[str | int, ...]]]] = {}
    for file in referring:
        if file.name is None or new.get(file.name.strip()) is not file:
            continue
        for path, value in file.destinations:
            target = well_formed_name(value)
            if target is not None and target in new:
                edges.setdefault(file.name.strip(), []).append((target, path))
    for name in sorted(edges):
        for target, path in edges[name]:
            loop = _path_back(edges, target, name)
            if loop is None:
                continue
            file = new[name]
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
