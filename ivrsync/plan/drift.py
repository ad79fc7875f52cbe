"""The state (what ivrsync last applied) against the live IVRs: what changed in the portal. Pure.

Drift is measured against the state, not the YAML: the state is what ivrsync last put on the
server, so any difference between it and the live IVR was made outside ivrsync. Field changes have
the plan's shape (`ivrsync.plan.diff.diff_bodies`): scalar fields, then the menu per DTMF key
(`menu.<key>`), with `before` the state's value and `after` the live one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ivrsync.model import FieldChange, IvrRef, State
from ivrsync.plan.diff import diff_bodies
from ivrsync.smartflo.readshape import LiveIvr


@dataclass(frozen=True)
class IvrDrift:
    """One managed IVR whose live body differs from the state: `before` is state, `after` live."""

    id: int
    name: str
    source: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DriftReport:
    """Drift of every managed IVR; every tuple sorted by id.

    `drifted`: managed IVRs changed in the portal. `missing`: managed IVRs the server no longer
    lists. `unmanaged`: live IVRs not in the state (`source` empty); listed for information, they
    are not drift, since a team may leave some IVRs to the portal on purpose. `in_sync`: how many
    managed IVRs match. `warnings`: the mapping warnings of managed live IVRs (portal-only
    settings a full PUT may clear).
    """

    drifted: tuple[IvrDrift, ...]
    missing: tuple[IvrRef, ...]
    unmanaged: tuple[IvrRef, ...]
    in_sync: int
    warnings: tuple[str, ...] = ()

    @property
    def has_drift(self) -> bool:
        """True when a managed IVR changed in the portal or disappeared from it."""
        return bool(self.drifted or self.missing)

    @property
    def managed(self) -> int:
        return len(self.drifted) + len(self.missing) + self.in_sync


def compute_drift(state: State, live: Mapping[int, LiveIvr]) -> DriftReport:
    """Compare each state entry with the live IVR of the same id. Pure and deterministic.

    Precondition: bodies follow the `ivrsync.body` conventions (as `live_ivr_from_read_shape`
    and the state produce them), so equal IVRs compare equal field by field.
    """
    drifted: list[IvrDrift] = []
    missing: list[IvrRef] = []
    warnings: list[str] = []
    in_sync = 0
    for ivr_id in sorted(state.entries):
        entry = state.entries[ivr_id]
        name = str(entry.body.get("name", ""))
        current = live.get(ivr_id)
        if current is None:
            missing.append(IvrRef(ivr_id, name, entry.source))
            continue
        warnings.extend(current.warnings)
        fields = diff_bodies(entry.body, current.body)
        if fields:
            drifted.append(IvrDrift(ivr_id, name, entry.source, fields))
        else:
            in_sync += 1
    unmanaged = tuple(
        IvrRef(ivr_id, live[ivr_id].name, "")
        for ivr_id in sorted(live)
        if ivr_id not in state.entries
    )
    return DriftReport(
        drifted=tuple(drifted),
        missing=tuple(missing),
        unmanaged=unmanaged,
        in_sync=in_sync,
        warnings=tuple(warnings),
    )
