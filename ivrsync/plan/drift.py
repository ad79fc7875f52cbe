"""The state (what ivrsync last applied) against the live IVRs: what changed in the portal. Pure.

Drift is measured against the state, not the YAML: the state is what ivrsync last put on the
server, so any difference between it and the live IVR was made outside ivrsync. Field changes have
the plan's shape (`ivrsync.plan.diff.diff_bodies`): scalar fields, then the menu per DTMF key
(`menu.<key>`), with `before` the state's value and `after` the live one.
"""

from __future__ import annotations

from collections.abc import Mapping

from ivrsync.model import DriftReport, IvrDrift, IvrRef, LiveIvr, State
from ivrsync.plan.diff import diff_bodies


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
