"""Checks across files: the same IVR id or name twice, `ivr|<id>` naming no IVR of the set.

Functions of the files' summaries (`ivrsync.config.summary`), never of their documents, so they
run on every run over the whole set, cached summaries or not, and no result of theirs is cached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from ivrsync.config.explain import shorten
from ivrsync.config.summary import FileSummary
from ivrsync.model import Problem


def cross_file_problems(files: Sequence[FileSummary]) -> list[Problem]:
    by_id: dict[int, list[FileSummary]] = defaultdict(list)
    by_name: dict[str, list[FileSummary]] = defaultdict(list)
    for file in files:
        if file.ivr_id is not None:
            by_id[file.ivr_id].append(file)
        if file.name is not None:
            # Names differing only in case or spaces look the same in the portal.
            by_name[file.name.strip().casefold()].append(file)

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
        for file in claims if len(claims) > 1 else ():
            others = ", ".join(c.display for c in claims if c is not file)
            problems.append(
                file.problem(
                    f"the name '{shorten(file.name or '', 60)}' is also used by {others}",
                    at=file.locate(("name",)),
                    json_path=("name",),
                    severity="warning",
                    hint="give each IVR its own name so people can tell them apart",
                )
            )
    # A file that does not parse may well be the IVR a reference names: its own error is the
    # problem to fix, not a warning in every file that routes to it.
    if not any(file.broken for file in files):
        known_ids = set(by_id)
        for file in files:
            problems.extend(_unknown_ivr_problems(file, known_ids))
    return problems


def _known(value: str, known: set[int]) -> bool:
    """Whether `value` is no `ivr|<id>`, or names an IVR of the set."""
    if not value.startswith("ivr|"):
        return True
    ident = value[4:]
    return not (ident.isascii() and ident.isdigit()) or int(ident) in known


def _unknown_ivr_problems(file: FileSummary, known: set[int]) -> Iterator[Problem]:
    """Warnings for `ivr|<id>` destinations naming no IVR of the config set."""
    if all(_known(value, known) for value in file.destination_values()):
        return  # the usual case, checked without working out any path
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
