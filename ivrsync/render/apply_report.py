"""What `ivrsync apply` did, as text: one line per IVR for logs, and the closing summary.

applied 349 "Support IVR"
failed 350 "Sales IVR": the server refused it (HTTP 400: The given data was invalid.)

Apply finished with failures: 1 applied, 1 failed, 0 not attempted, 0 forgotten.
Failed (1):
  350 "Sales IVR": the server refused it (HTTP 400: The given data was invalid.)
    hint: fix what the server's message names, then run again
Nothing is lost: what failed or was not attempted is still pending, so the next
`ivrsync plan` / `ivrsync apply` shows only those IVRs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ivrsync.model import ApplyReport, Outcome, OutcomeStatus, ReadBackMismatch
from ivrsync.render.escape import quoted, shown, shown_lines
from ivrsync.render.plan_text import field_label

_LABELS: dict[OutcomeStatus, str] = {
    "applied": "applied",
    "failed": "failed",
    "not_attempted": "not attempted",
    "forgotten": "forgotten",
    "abandoned": "abandoned",
}

PENDING_NOTE = (
    "Nothing is lost: what failed or was not attempted is still pending, so the next\n"
    "`ivrsync plan` / `ivrsync apply` shows only those IVRs."
)


def ivr_name(outcome: Outcome) -> str:
    """`349 "Support IVR"`: the id first, so logs sort and grep well. A create says `new`,
    after its id once it has one: `4107 "Returns" (new)`, `new "Returns"`."""
    if outcome.action == "create":
        if outcome.id:
            return f"{outcome.id} {quoted(outcome.name)} (new)"
        return f"new {quoted(outcome.name)}"
    return f"{outcome.id} {quoted(outcome.name)}"


def reason(outcome: Outcome) -> str:
    """The outcome's message without the `IVR <id>: ` prefix the API client puts on errors.

    Shown escaped: it quotes what the server said.
    """
    prefix = f"IVR {outcome.id}: "
    message = outcome.message
    return shown(message[len(prefix) :] if message.startswith(prefix) else message)


def render_outcome_line(outcome: Outcome, *, verbose: bool = False) -> str:
    """One line (no newline) for one IVR: `applied 349 "Support IVR"`, `failed 350 ...: why`.

    Failures and abandoned requests always carry their reason; with `verbose`, every line does
    (the server's message for an applied IVR).
    """
    line = f"{_LABELS[outcome.status]} {ivr_name(outcome)}"
    if outcome.status in ("failed", "abandoned") or (verbose and outcome.message):
        line += f": {reason(outcome)}"
    return line


def counts_line(report: ApplyReport) -> str:
    """`3 applied, 1 failed, 0 not attempted, 2 forgotten` (abandoned only when there are any)."""
    parts = [
        f"{len(report.applied)} applied",
        f"{len(report.failed)} failed",
        f"{len(report.not_attempted)} not attempted",
        f"{len(report.forgotten)} forgotten",
    ]
    if report.abandoned:
        parts.append(f"{len(report.abandoned)} abandoned in flight")
    return ", ".join(parts)


#: How many IVRs a summary list shows before "and N more": the summary must stay on screen.
SUMMARY_LIST_LIMIT = 10


def render_apply_summary(report: ApplyReport, *, verbose: bool = False) -> str:
    """The closing summary, ending in a newline.

    A headline with the counts; then every failed and abandoned IVR with its reason and hint,
    and every IVR not attempted; then, unless everything applied, the note that a rerun sends
    only what is still pending.
    """
    if report.interrupted:
        headline = "Apply interrupted (Ctrl-C)"
    elif report.stop_reason is not None:
        headline = "Apply stopped early"
    elif report.ok:
        headline = "Apply complete"
    else:
        headline = "Apply finished with failures"
    lines = [f"{headline}: {counts_line(report)}."]
    if report.stop_reason is not None:
        lines.append(f"Stopped because: {shown_lines(report.stop_reason)}")
        if report.stop_hint:
            lines.append(f"  hint: {shown_lines(report.stop_hint)}")
    sections: tuple[tuple[OutcomeStatus, str], ...] = (
        ("failed", "Failed"),
        ("abandoned", "Abandoned in flight"),
    )
    for status, title in sections:
        outcomes = report.with_status(status)
        if outcomes:
            lines.append(f"{title} ({len(outcomes)}):")
            for outcome in outcomes:
                lines.append(f"  {ivr_name(outcome)}: {reason(outcome)}")
                if outcome.hint:
                    lines.append(f"    hint: {shown(outcome.hint)}")
    if report.not_attempted:
        lines.append(f"Not attempted ({len(report.not_attempted)}):")
        listed = report.not_attempted if verbose else report.not_attempted[:SUMMARY_LIST_LIMIT]
        lines += [f"  {ivr_name(o)}" for o in listed]
        if len(listed) < len(report.not_attempted):
            more = len(report.not_attempted) - len(listed)
            lines.append(f"  ... and {more} more (all of them: -v, or --report FILE)")
    if not report.ok:
        lines.append(PENDING_NOTE)
    return "\n".join(lines) + "\n"


#: What each suspected setting means, for the read-back report.
_SETTING_HINTS = {
    "separator": "[smartflo] separator (references written type|id or type||id)",
    "recordings": "[smartflo] recordings (which read field is invalid_recording)",
}


def render_read_back(mismatches: Sequence[ReadBackMismatch]) -> str:
    """Every applied IVR Smartflo does not show as sent, field by field; "" when none."""
    if not mismatches:
        return ""
    noun = "IVR does" if len(mismatches) == 1 else "IVRs do"
    lines = [f"Read-back: {len(mismatches)} applied {noun} not read back as sent:"]
    for mismatch in mismatches:
        name = f"{mismatch.id} {quoted(mismatch.name)}"
        if mismatch.missing:
            lines.append(f"  {name}: no longer listed by GET /v1/ivrs")
            continue
        if mismatch.unreadable:
            lines.append(f"  {name}: cannot be read back: {shown(mismatch.unreadable)}")
        else:
            lines.append(f"  {name}:")
        for change in mismatch.fields:
            lines.append(
                f"    {field_label(change.field)}: sent {_shown(change.before)}, "
                f"stored {_shown(change.after)}"
            )
        checks = [_SETTING_HINTS[name] for name in mismatch.settings]
        lines.append(
            "    check: " + (", ".join(checks) + ", or " if checks else "") + "run `ivrsync probe`"
        )
    lines.append(
        "The state records what was sent (Smartflo acknowledged it), so `ivrsync drift` keeps "
        "showing the difference until it is fixed."
    )
    return "\n".join(lines) + "\n"


def _shown(value: object) -> str:
    return "(none)" if value is None else quoted(value)


def render_apply_report_json(report: ApplyReport, read_back: Sequence[ReadBackMismatch]) -> str:
    """`apply --report FILE`: every outcome and every read-back difference, for scripts."""
    document = {
        "ok": report.ok and not read_back,
        "interrupted": report.interrupted,
        "stop_reason": report.stop_reason,
        "counts": {status: len(report.with_status(status)) for status in _LABELS},
        "outcomes": [
            {
                "id": o.id,
                "name": o.name,
                "action": o.action,
                "status": o.status,
                "message": o.message,
                "hint": o.hint,
                "http_status": o.http_status,
            }
            for o in report.outcomes
        ],
        "read_back": [
            {
                "id": m.id,
                "name": m.name,
                "missing": m.missing,
                "unreadable": m.unreadable,
                "settings": list(m.settings),
                "fields": [
                    {"field": f.field, "sent": f.before, "stored": f.after} for f in m.fields
                ],
            }
            for m in read_back
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
