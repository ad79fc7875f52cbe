"""Two branches changed the state: recognise git's conflict, and merge two states of one lineage.

Each apply on a branch records the IVRs it applied, so two branches that both applied (or a
branch applied while the default branch moved) leave a state file git cannot merge line by
line. The states are mergeable by meaning, though: per IVR, the entry applied last is what
Smartflo has. Merging states of different lineages would mix two accounts' (or two
re-initialised) histories, so that is refused.
"""

from __future__ import annotations

import re
from pathlib import Path

from ivrsync.errors import StateError
from ivrsync.model import State, StateEntry

_MARKER = re.compile(r"^(<{7}|={7}|>{7})( |$)", re.M)


def conflict_line(text: str) -> int | None:
    """The line of the first git conflict marker in `text`, None when there is none."""
    found = _MARKER.search(text)
    return None if found is None else text.count("\n", 0, found.start()) + 1


def conflict_error(path: str | Path, line: int) -> StateError:
    return StateError(
        f"the state file {path} holds a git merge conflict (line {line}): two branches both "
        "recorded applies",
        hint="merge the two states by meaning: `ivrsync state merge` (it reads both sides from "
        "git's index), or set up the merge driver the README describes",
    )


def merge_states(ours: State, theirs: State, base: State | None = None) -> State:
    """One state from two of the same lineage: per IVR, the entry with the later `applied_at`
    (on a tie, the side with the higher serial). An IVR one side forgot and the other did not
    touch since `base` stays forgotten; without a base, it is kept (a later plan shows the
    forget again, which is safe). Raises StateError when the lineages differ."""
    if ours.lineage != theirs.lineage and None not in (ours.lineage, theirs.lineage):
        raise StateError(
            f"the two states have different lineages ({ours.lineage} and {theirs.lineage}): they "
            "record different histories, so neither entry can be trusted over the other",
            hint="keep one side (`git checkout --ours` or `--theirs` on the state file), then "
            "run `ivrsync plan --refresh` to see what the portal really has",
        )
    newer_side = ours if ours.serial >= theirs.serial else theirs
    entries: dict[int, StateEntry] = {}
    for ivr_id in sorted(ours.entries.keys() | theirs.entries.keys()):
        mine, other = ours.entries.get(ivr_id), theirs.entries.get(ivr_id)
        if mine is not None and other is not None:
            entries[ivr_id] = _later(mine, other, prefer=newer_side is ours)
            continue
        kept = mine if mine is not None else other
        assert kept is not None
        before = base.entries.get(ivr_id) if base is not None else None
        if before is not None and before.digest == kept.digest:
            continue  # the other side forgot it, and this side never changed it: forgotten
        entries[ivr_id] = kept
    return State(
        lineage=ours.lineage or theirs.lineage,
        serial=max(ours.serial, theirs.serial) + 1,
        entries=entries,
    )


def _later(mine: StateEntry, other: StateEntry, *, prefer: bool) -> StateEntry:
    if mine.applied_at != other.applied_at:
        return mine if mine.applied_at > other.applied_at else other
    return mine if prefer else other
