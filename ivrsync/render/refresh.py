"""The `--refresh` section of a plan: conflicts, drift the next PUT overwrites, other drift.

! IVR 7926 "Welcome IVR" (ivr-configs/welcome.yaml): CONFLICT, changed in the YAML and the portal
    ! timeout: YAML 45, portal 60 (last applied 30)
~ IVR 7927 "Sales" (ivr-configs/sales.yaml): changed in the portal; the next PUT overwrites it
    ~ description: portal "Old text" -> YAML New text
~ IVR 8000 "Night" (ivr-configs/night.yaml): changed in the portal; no change planned
    ~ timeout: 30 -> 60 (last applied -> portal)

Refresh: 1 conflict (1 IVR), 1 portal change to overwrite, 1 IVR drifted, 0 missing; 31 live IVRs.

Clean IVRs are not listed. Values are formatted as the plan formats them.
"""

from __future__ import annotations

from typing import Any

from ivrsync.model import FieldRefresh, RefreshedIvr, RefreshedPlan
from ivrsync.render.escape import quoted, shown
from ivrsync.render.plan_text import field_label, format_value

_INDENT = "    "


def render_refresh_text(refreshed: RefreshedPlan) -> str:
    """The refresh section as terminal text ending in a newline; the summary line comes last.

    IVRs in id order, each a header and one line per field the portal changed; conflicts are
    marked `!`. Portal-only settings at risk (webhooks, SMS templates) follow as `warning:` lines.
    """
    lines: list[str] = []
    warnings: list[str] = []
    for ivr in refreshed.ivrs:
        lines += _ivr_lines(ivr)
        warnings += ivr.warnings
    lines += [f"warning: {shown(text)}" for text in warnings]
    if lines:
        lines.append("")
    lines.append(summary_line(refreshed))
    return "\n".join(lines) + "\n"


def summary_line(refreshed: RefreshedPlan) -> str:
    """The closing line: counts of conflicts, overwritten portal changes, drift, missing IVRs."""
    live = _count(refreshed.live_count, "live IVR")
    conflicting = sum(1 for ivr in refreshed.ivrs if ivr.with_status("conflict"))
    overwrites = refreshed.count("overwrite")
    drifted = sum(1 for ivr in refreshed.ivrs if ivr.with_status("drift"))
    missing = len(refreshed.missing)
    if not (conflicting or overwrites or drifted or missing or refreshed.count("converged")):
        return f"Refresh: no drift; the portal matches the state; {live}."
    noun = "portal change" if overwrites == 1 else "portal changes"
    return (
        f"Refresh: {_count(refreshed.count('conflict'), 'conflict')} "
        f"({_count(conflicting, 'IVR')}), {overwrites} {noun} to overwrite, "
        f"{_count(drifted, 'IVR')} drifted, {missing} missing; {live}."
    )


def _ivr_lines(ivr: RefreshedIvr) -> list[str]:
    label = _label(ivr)
    if ivr.live_missing:
        if ivr.puts:
            return [f"! {label}: no longer exists in Smartflo; its PUT will fail"]
        return [f"- {label}: no longer exists in Smartflo"]
    if not ivr.fields:
        return []
    if ivr.with_status("conflict"):
        header = f"! {label}: CONFLICT, changed in the YAML and the portal"
    elif len(ivr.with_status("converged")) == len(ivr.fields):
        header = f"= {label}: changed the same way in the YAML and the portal"
    elif ivr.action == "adopt":
        header = f"~ {label}: differs from the YAML; adopting it overwrites the portal's values"
    elif ivr.puts:
        header = f"~ {label}: changed in the portal; the next PUT overwrites it"
    else:
        header = f"~ {label}: changed in the portal; no change planned"
    return [header, *(_INDENT + _field_line(item) for item in ivr.fields)]


def _field_line(item: FieldRefresh) -> str:
    name = field_label(item.field)
    if item.status == "conflict":
        return (
            f"! {name}: YAML {_value(item.desired)}, portal {_value(item.live)} "
            f"(last applied {_value(item.last_applied)})"
        )
    if item.status == "converged":
        return f"= {name}: {_value(item.live)} in both the YAML and the portal"
    if item.status == "overwrite":
        return f"~ {name}: portal {_value(item.live)} -> YAML {_value(item.desired)}"
    return f"~ {name}: {_value(item.last_applied)} -> {_value(item.live)} (last applied -> portal)"


def _value(value: Any) -> str:
    # A menu key absent on one side is None; say so rather than print JSON's null.
    return "(none)" if value is None else format_value(value)


def _label(ivr: RefreshedIvr) -> str:
    return f"IVR {ivr.id} {quoted(ivr.name)} ({shown(ivr.source)})"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
