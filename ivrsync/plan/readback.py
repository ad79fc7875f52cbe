"""Read-back: did Smartflo store what apply sent? Pure.

After its PUTs, apply reads the live IVRs once and compares each applied IVR, through the
read-shape mapping, with the body it sent. A wrong guess about the API (the reference
separator, which read field is which recording) shows here as a difference on exactly the
fields that guess touches, so each mismatch names the setting to check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ivrsync.model import (
    MENU_PREFIX,
    REFERENCE_FIELDS,
    Body,
    FieldChange,
    LiveIvr,
    ReadBackMismatch,
)
from ivrsync.plan.diff import diff_bodies

#: The two recordings whose read names the docs leave open (`[smartflo] recordings`).
_RECORDING_PAIR = frozenset({"invalid_recording", "recording_invalid"})


def read_back(
    sent: Iterable[tuple[int, str, Body]],
    live: Mapping[int, LiveIvr],
    unreadable: Mapping[int, str] | None = None,
) -> tuple[ReadBackMismatch, ...]:
    """One mismatch per IVR of `sent` (id, name, body sent) that `live` shows otherwise, by id.

    `unreadable` holds, by id, why a listed item could not be mapped back to a body: a server
    that stored a reference in another form than sent (an empty id after the separator) does
    that, so the separator is the suspect.
    """
    mismatches = []
    for ivr_id, name, body in sorted(sent, key=lambda item: item[0]):
        current = live.get(ivr_id)
        why = (unreadable or {}).get(ivr_id)
        if why is not None:
            mismatches.append(
                ReadBackMismatch(ivr_id, name, (), settings=("separator",), unreadable=why)
            )
            continue
        if current is None:
            mismatches.append(ReadBackMismatch(ivr_id, name, (), missing=True))
            continue
        fields = diff_bodies(body, current.body)
        if fields:
            mismatches.append(ReadBackMismatch(ivr_id, name, fields, settings=_suspects(fields)))
    return tuple(mismatches)


def _suspects(fields: tuple[FieldChange, ...]) -> tuple[str, ...]:
    names = {change.field for change in fields}
    suspects = []
    if names & _RECORDING_PAIR:
        suspects.append("recordings")
    if any(_is_reference(change) for change in fields):
        suspects.append("separator")
    return tuple(suspects)


def _is_reference(change: FieldChange) -> bool:
    if change.field in _RECORDING_PAIR:
        return False
    return change.field in REFERENCE_FIELDS or change.field.startswith(MENU_PREFIX)
