"""Checks across files: the same IVR id or name twice, `ivr|<id>` naming no IVR of the set."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ivrsync.config.explain import shorten
from ivrsync.config.loader import LoadedFile
from ivrsync.model import Problem

DESTINATION_FIELDS = ("invalid_destination", "timeout_destination")


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
        for claim in claims if len(claims) > 1 else ():
            others = ", ".join(c.file.display for c in claims if c is not claim)
            problems.append(
                claim.file.problem(
                    f"the name '{shorten(claim.value, 60)}' is also used by {others}",
                    at=claim.file.locate(("name",)),
                    json_path=("name",),
                    severity="warning",
                    hint="give each IVR its own name so people can tell them apart",
                )
            )
    # A file that does not parse may well be the IVR a reference names: its own error is the
    # problem to fix, not a warning in every file that routes to it.
    if not any(not file.parsed and (file.text or "").strip() for file in files):
        known_ids = set(by_id)
        for file in files:
            if file.is_mapping:
                problems.extend(_unknown_ivr_problems(file, known_ids))
    return problems


def _unknown_ivr_problems(file: LoadedFile, known: set[int]) -> Iterator[Problem]:
    """Warnings for `ivr|<id>` destinations naming no IVR of the config set."""
    document = file.document
    places: list[tuple[tuple[str | int, ...], object]] = [
        ((name,), document.get(name)) for name in DESTINATION_FIELDS
    ]
    places.extend(
        (("menu", index, "destination"), entry.get("destination"))
        for index, entry in menu_entries(document)
    )
    for path, value in places:
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
