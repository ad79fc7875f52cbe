"""Checks across files: the same IVR id or name twice (an error when a new IVR is involved),
`ivr|<id>` naming no IVR of the set, and the name references' checks (`config.names`).

Functions of the files' summaries (`ivrsync.config.summary`), never of their documents, so they
run on every run over the whole set, cached summaries or not, and no result of theirs is cached.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

from ivrsync.config.explain import shorten
from ivrsync.config.names import is_new, name_problems
from ivrsync.config.summary import FileSummary
from ivrsync.model import Problem


def cross_file_problems(
    files: Sequence[FileSummary], referring_files: Sequence[FileSummary] = ()
) -> list[Problem]:
    """Every problem across `files`; `referring_files` are those with a name reference
    (`config.names.referring`), found once by the caller, which resolves them too."""
    # Counted first (in C), grouped only for what is there twice: this runs over every file of
    # every run, and repeats are rare.
    ids = Counter(file.ivr_id for file in files)
    # Names differing only in case or spaces look the same in the portal.
    names = [None if file.name is None else file.name.strip().casefold() for file in files]
    repeated_names = {name for name, count in Counter(names).items() if count > 1}
    by_id: dict[int, list[FileSummary]] = defaultdict(list)
    by_name: dict[str, list[FileSummary]] = defaultdict(list)
    for file, name in zip(files, names, strict=True):
        if file.ivr_id is not None and ids[file.ivr_id] > 1:
            by_id[file.ivr_id].append(file)
        if name is not None and name in repeated_names:
            by_name[name].append(file)

    problems: list[Problem] = []
    for ivr_id, owners in by_id.items():
        for file in owners:
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
        new = any(is_new(claim) for claim in claims)
        for file in claims:
            others = ", ".join(c.display for c in claims if c is not file)
            problems.append(
                file.problem(
                    f"the name '{shorten(file.name or '', 60)}' is also used by {others}"
                    + (": a new IVR's name must be unique in the config set" if new else ""),
                    at=file.locate(("name",)),
                    json_path=("name",),
                    severity="error" if new else "warning",
                    hint="rename one: apply finds a new IVR's id by its unique name"
                    if new
                    else "give each IVR its own name so people can tell them apart",
                )
            )
    # A file that does not parse may well be the IVR a reference names: its own error is the
    # problem to fix, not a warning in every file that routes to it.
    if not any(file.broken for file in files):
        known_ids = {ivr_id for ivr_id in ids if ivr_id is not None}
        for file in files:
            # Plain loops, no call per file unless one of its `ivr|` names is unknown: this
            # runs over every destination of every file.
            for value in file.ivr_destinations:
                if not _known(value, known_ids):
                    problems.extend(_unknown_ivr_problems(file, known_ids))
                    break
        problems.extend(name_problems(files, referring_files))
    return problems


def _known(value: str, known: set[int]) -> bool:
    """Whether `value` (`ivr|...`) is no `ivr|<id>`, or names an IVR of the set."""
    ident = value[4:]
    return not (ident.isascii() and ident.isdigit()) or int(ident) in known


def _unknown_ivr_problems(file: FileSummary, known: set[int]) -> Iterator[Problem]:
    """Warnings for `ivr|<id>` destinations naming no IVR of the config set."""
    for path, value in file.destinations:
        if not value.startswith("ivr|"):
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
