"""The plan for a terminal: Terraform-like markers, one block per changed IVR, a closing summary.

+ new IVR "Returns" (ivr-configs/returns.yaml) will be created (POST /v1/ivr, the whole body)
    + name: Returns
    ...
~ IVR 349 "Support IVR" (ivr-configs/support.yaml) will be updated
    ~ timeout: 20 -> 30
    ~ option 2: extension|845 -> ringgroup|17839
    + option 3: ivr|350
    - option 4: hangup|1

Plan: 1 to create, 1 to update, 0 to adopt, 0 to forget, 37 unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ivrsync.model import MENU_PREFIX, Action, Change, Create, FieldChange, IvrRef, Plan
from ivrsync.render.escape import quoted, shown

#: What a forget does, said wherever a forget is shown.
FORGET_NOTE = (
    "will be removed from the state only; the IVR stays in Smartflo untouched (no API call)"
)

MARKERS: dict[Action, str] = {"update": "~", "adopt": "+", "forget": "-", "create": "+"}
#: What a create does, said wherever one is shown.
CREATE_NOTE = "will be created (POST /v1/ivr, the whole body)"
_VERBS: dict[Action, str] = {
    "create": CREATE_NOTE,
    "update": "will be updated",
    "adopt": "will be adopted (its whole body is PUT)",
    "forget": "will be forgotten",
}
_COLORS = {"~": "\x1b[33m", "+": "\x1b[32m", "-": "\x1b[31m"}
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"
_INDENT = "    "
#: How many target ids a partial-plan notice lists before it says "and N more".
_TARGETS_SHOWN = 20


def render_plan_text(
    plan: Plan, *, color: bool = False, verbose: bool = False, refusal: str | None = None
) -> str:
    """The plan as terminal text ending in a newline; ANSI colours only when `color`.

    Changed IVRs come in plan order (by id), each a header line and its field lines. `verbose`
    also lists the unchanged IVRs. A partial plan says so at the top and at the bottom; so does
    `refusal`, why apply would refuse the plan (the safety rail), at the top.
    """
    paint = _ansi if color else _plain
    lines: list[str] = []
    if refusal is not None:
        first, *rest = f"! apply will refuse this plan: {refusal}".splitlines()
        lines += [paint("!", first), *rest, ""]
    if plan.targets is not None:
        lines += [paint("!", partial_notice(plan.targets)), ""]
    # Creates first: apply sends them first, in this order.
    for create in plan.creates:
        lines += _create_lines(create, paint)
        lines.append("")
    for change in plan.changes:
        lines += _change_lines(change, paint)
        lines.append("")
    if verbose and plan.unchanged:
        lines += [f"  {ivr_label(ref)} is unchanged" for ref in plan.unchanged]
        lines.append("")
    lines.append(paint("!", summary_line(plan)))
    if plan.targets is not None:
        lines.append(paint("!", partial_notice(plan.targets)))
    return "\n".join(lines) + "\n"


def summary_line(plan: Plan) -> str:
    """`Plan: 1 to create, 2 to update, 1 to adopt, 0 to forget, 37 unchanged.`, or the
    no-changes line."""
    unchanged = len(plan.unchanged)
    if plan.is_empty:
        noun = "IVR" if unchanged == 1 else "IVRs"
        return f"No changes. {unchanged} {noun} unchanged; the configs match the state."
    return (
        f"Plan: {plan.count('create')} to create, {plan.count('update')} to update, "
        f"{plan.count('adopt')} to adopt, {plan.count('forget')} to forget, {unchanged} unchanged."
    )


def partial_notice(targets: Sequence[int]) -> str:
    """The warning a partial (`--target`) plan carries, naming its targets."""
    shown = ", ".join(str(t) for t in targets[:_TARGETS_SHOWN])
    if len(targets) > _TARGETS_SHOWN:
        shown += f" and {len(targets) - _TARGETS_SHOWN} more"
    noun = "IVR" if len(targets) == 1 else "IVRs"
    return (
        f"Partial plan: only {noun} {shown} (--target). "
        "Other IVRs were not compared and may have changes too."
    )


def ivr_label(ivr: Change | IvrRef) -> str:
    """`IVR 349 "Support IVR" (ivr-configs/support.yaml)`."""
    return f"IVR {ivr.id} {quoted(ivr.name)} ({shown(ivr.source)})"


def new_ivr_label(create: Create) -> str:
    """`new IVR "Returns" (ivr-configs/returns.yaml)`: it has no id until apply creates it."""
    return f"new IVR {quoted(create.name)} ({shown(create.source)})"


def after_note(create: Create) -> str | None:
    """Which new IVRs a create waits for (apply creates those first), or None."""
    if not create.routes_to:
        return None
    names = ", ".join(quoted(name) for name in create.routes_to)
    return f"created after {names}, which it routes to"


def field_line(change: FieldChange) -> tuple[str, str]:
    """A field change as (marker, text): `~`, `timeout: 20 -> 30`; `+`/`-` for added/removed."""
    label = field_label(change.field)
    if change.before is None:
        return "+", f"{label}: {format_value(change.after)}"
    if change.after is None:
        return "-", f"{label}: {format_value(change.before)}"
    return "~", f"{label}: {format_value(change.before)} -> {format_value(change.after)}"


def field_label(field: str) -> str:
    """`menu.2` reads as `option 2`; other fields keep their body name."""
    if field.startswith(MENU_PREFIX):
        return "option " + shown(field[len(MENU_PREFIX) :])
    return shown(field)


def format_value(value: Any) -> str:
    """A value as a reader should see it: plain strings bare, anything ambiguous as JSON.

    Bare: `Support IVR`, `extension|845`. Quoted: `""`, `" padded"`, `"20"` (a string that
    would read as a number), strings with control, bidi or other unprintable characters (escaped:
    `"a\\u202e"`), `##[` (a workflow command) or the ` -> ` arrow.
    """
    if isinstance(value, str) and _is_plain(value):
        return value
    return quoted(value)


def _is_plain(text: str) -> bool:
    if not text or text != text.strip() or not text.isprintable() or " -> " in text:
        return False
    if "##[" in text:  # a legacy workflow command, wherever it stands in a line
        return False
    if text.startswith('"'):
        return False
    try:
        json.loads(text)
    except ValueError:
        return True
    return False  # it parses as a number, true/false/null, a list...: quote to keep the type


def _change_lines(change: Change, paint: Callable[[str, str], str]) -> list[str]:
    marker = MARKERS[change.action]
    lines = [paint(marker, f"{marker} {ivr_label(change)} {_VERBS[change.action]}")]
    if change.action == "forget":
        lines.append(f"{_INDENT}{FORGET_NOTE}")
    for fc in change.fields:
        field_marker, text = field_line(fc)
        lines.append(_INDENT + paint(field_marker, f"{field_marker} {text}"))
    return lines


def _create_lines(create: Create, paint: Callable[[str, str], str]) -> list[str]:
    lines = [paint("+", f"+ {new_ivr_label(create)} {CREATE_NOTE}")]
    note = after_note(create)
    if note is not None:
        lines.append(f"{_INDENT}{note}")
    for fc in create.fields:
        field_marker, text = field_line(fc)
        lines.append(_INDENT + paint(field_marker, f"{field_marker} {text}"))
    return lines


def _plain(marker: str, text: str) -> str:
    return text


def _ansi(marker: str, text: str) -> str:
    # `!` (notices, the summary) is bold; markers take Terraform's colours.
    return f"{_COLORS.get(marker, _BOLD)}{text}{_RESET}"
