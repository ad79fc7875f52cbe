"""The drift report as terminal text, pull-request/issue markdown, or a versioned JSON document.

~ IVR 7926 "Welcome IVR" (ivr-configs/welcome-ivr.yaml) was changed in the portal
    ~ timeout: 30 -> 45
- IVR 500 "Old IVR" (ivr-configs/old-ivr.yaml) no longer exists in Smartflo
? IVR 9001 "Trial IVR" is not managed by ivrsync

Drift: 1 IVR changed in the portal, 1 missing, 28 in sync; 1 live IVR not managed.

Field lines read state value -> live value, in the plan's words (`option 2` for menu key 2).
"""

from __future__ import annotations

import html
from typing import Any

from ivrsync.model import DriftReport, IvrDrift, IvrRef
from ivrsync.render.escape import code_span, html_code, json_document, quoted, shown
from ivrsync.render.markdown_budget import fit_prefix, joined_length
from ivrsync.render.plan_text import field_label, field_line, format_value

DRIFT_MARKER = "<!-- ivrsync-drift -->"
DRIFT_FORMAT_VERSION = 2

#: GitHub rejects comments and issue bodies over 65,536 characters; stay well below.
DEFAULT_LIMIT = 60_000

_INDENT = "    "


#: Unmanaged live IVRs listed one per line at most; more are counted (all with `verbose`).
UNMANAGED_LIST_LIMIT = 10


def render_drift_text(report: DriftReport, *, verbose: bool = False) -> str:
    """The report for a terminal, ending in a newline; the summary line comes last.

    Warnings (portal-only settings) are not part of it: the CLI prints them to stderr. More than
    `UNMANAGED_LIST_LIMIT` unmanaged IVRs are summarised unless `verbose`.
    """
    lines: list[str] = []
    for drift in report.drifted:
        lines.append(f"~ {_managed_label(drift)} was changed in the portal")
        for change in drift.fields:
            marker, text = field_line(change)
            lines.append(f"{_INDENT}{marker} {text}")
    lines += [f"- {_managed_label(ref)} no longer exists in Smartflo" for ref in report.missing]
    unmanaged = report.unmanaged
    if verbose or len(unmanaged) <= UNMANAGED_LIST_LIMIT:
        lines += [f"? {_unmanaged_label(ref)} is not managed by ivrsync" for ref in unmanaged]
    else:
        lines.append(f"? {len(unmanaged)} live IVRs are not managed by ivrsync (list them with -v)")
    if lines:
        lines.append("")
    if report.managed and len(report.missing) >= max(2, report.managed // 2 + 1):
        lines.append(wrong_account_notice(report))
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def wrong_account_notice(report: DriftReport) -> str:
    """Most managed IVRs gone at once is rarely a deletion spree: another account answered."""
    return (
        f"! {len(report.missing)} of {report.managed} managed IVRs do not exist in this account: "
        "the base URL or the token probably points at another Smartflo account (check "
        "SMARTFLO_BASE_URL and the token's account before anything else)."
    )


def summary_line(report: DriftReport) -> str:
    """`Drift: 1 IVR changed in the portal, 0 missing, 29 in sync; 2 live IVRs not managed.`

    Without drift: `No drift: 30 managed IVRs in sync with the state; 0 live IVRs not managed.`
    """
    unmanaged = len(report.unmanaged)
    tail = f"{_count(unmanaged, 'live IVR')} not managed."
    if not report.managed:
        return f"Nothing is managed yet: the state lists no IVR to compare; {tail}"
    if not report.has_drift:
        return f"No drift: {_count(report.in_sync, 'managed IVR')} in sync with the state; {tail}"
    return (
        f"Drift: {_count(len(report.drifted), 'IVR')} changed in the portal, "
        f"{len(report.missing)} missing, {report.in_sync} in sync; {tail}"
    )


def render_drift_markdown(report: DriftReport, *, limit: int = DEFAULT_LIMIT) -> str:
    """The report as markdown of at most `limit` characters, starting with `DRIFT_MARKER`.

    A summary table, then one `<details>` block per drifted IVR (fields as state/live), the
    missing and unmanaged IVRs, and the warnings. Blocks that do not fit are left out with a
    notice saying how many. Raises ValueError when `limit` cannot hold the heading and summary.
    """
    head = [
        f"{DRIFT_MARKER}\n## ivrsync drift",
        _summary_table(report),
        f"**{html.escape(summary_line(report))}**",
    ]
    blocks = [_drift_block(drift) for drift in report.drifted]
    if report.missing:
        blocks.append(_list_block("Managed IVRs missing in Smartflo", report.missing, True))
    if report.unmanaged:
        blocks.append(_list_block("Live IVRs not managed by ivrsync", report.unmanaged, False))
    if report.warnings:
        items = "\n".join(f"- {code_span(w)}" for w in report.warnings)
        blocks.append(f"**Warnings**\n\n{items}")

    worst = _left_out_notice(len(blocks))
    fixed = joined_length(head)
    if fixed + joined_length([worst]) > limit:
        raise ValueError(
            f"a markdown drift report needs a limit above {fixed + joined_length([worst])}"
        )
    if fixed + joined_length(blocks) <= limit:
        return "\n\n".join([*head, *blocks]) + "\n"
    kept = fit_prefix(blocks, limit - fixed - joined_length([worst]))
    notice = _left_out_notice(len(blocks) - len(kept))
    return "\n\n".join([*head, *kept, notice]) + "\n"


def drift_to_document(report: DriftReport) -> dict[str, Any]:
    """The versioned JSON document of `drift --format json`.

    `version`, `drift` (the exit-code question), `summary` counts, then `drifted` (each
    with `fields`: `field`, `state`, `live`; a menu key's value is None where the option does
    not exist), `missing`, `unmanaged` (id and name) and `warnings`.
    """
    return {
        "version": DRIFT_FORMAT_VERSION,
        "drift": report.has_drift,
        "summary": {
            "managed": report.managed,
            "drifted": len(report.drifted),
            "missing": len(report.missing),
            "in_sync": report.in_sync,
            "unmanaged": len(report.unmanaged),
        },
        "drifted": [
            {
                "id": drift.id,
                "name": drift.name,
                "source": drift.source,
                "fields": [
                    {"field": change.field, "state": change.before, "live": change.after}
                    for change in drift.fields
                ],
            }
            for drift in report.drifted
        ],
        "missing": [{"id": r.id, "name": r.name, "source": r.source} for r in report.missing],
        "unmanaged": [{"id": r.id, "name": r.name} for r in report.unmanaged],
        "warnings": list(report.warnings),
    }


def render_drift_json(report: DriftReport) -> str:
    """`drift_to_document` as indented JSON ending in a newline."""
    return json_document(drift_to_document(report))


def _managed_label(ivr: IvrDrift | IvrRef) -> str:
    """`IVR 349 "Support IVR" (ivr-configs/support.yaml)`, as the plan names IVRs."""
    return f"{_unmanaged_label(ivr)} ({shown(ivr.source)})"


def _unmanaged_label(ref: IvrDrift | IvrRef) -> str:
    return f"IVR {ref.id} {quoted(ref.name)}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _summary_table(report: DriftReport) -> str:
    return (
        "| changed in the portal | missing in Smartflo | in sync | live, not managed |\n"
        "|---:|---:|---:|---:|\n"
        f"| {len(report.drifted)} | {len(report.missing)} | {report.in_sync} "
        f"| {len(report.unmanaged)} |"
    )


def _drift_block(drift: IvrDrift) -> str:
    # Values go only into table cells as escaped inline code, so pipes and HTML cannot break out,
    # and names into <code> too, so an `@user` notifies nobody.
    rows = "\n".join(
        f"| {_field_cell(c.field)} | {_cell(c.before)} | {_cell(c.after)} |" for c in drift.fields
    )
    return (
        f"<details><summary>~ {html_code(_managed_label(drift))}: "
        f"{_count(len(drift.fields), 'field')} changed in the portal</summary>\n\n"
        f"| field | state (last applied) | live |\n|---|---|---|\n{rows}\n\n</details>"
    )


def _field_cell(field: str) -> str:
    return html.escape(field_label(field)).replace("|", "&#124;")


def _cell(value: Any) -> str:
    if value is None:
        return "*(none)*"
    return html_code(format_value(value))


def _list_block(title: str, refs: tuple[IvrRef, ...], with_source: bool) -> str:
    label = _managed_label if with_source else _unmanaged_label
    items = "\n".join(f"- {code_span(label(ref))}" for ref in refs)
    return f"**{title}** ({len(refs)})\n\n{items}"


def _left_out_notice(count: int) -> str:
    return (
        f"> **{count} more section(s) left out** to keep this under GitHub's size limit; "
        "run `ivrsync drift` for the full report."
    )
