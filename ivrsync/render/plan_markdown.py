"""The plan as a pull-request comment (GitHub-flavoured markdown), never longer than `limit`.

Layout: the hidden marker line CI looks for to update one comment instead of adding new ones, a
heading, the summary table, then one collapsible `<details>` block per changed IVR whose field
changes sit in a ```diff block (GitHub colours `+`/`-` lines). Values go only into code blocks and
names only into escaped HTML, so pipes, backticks and HTML in values cannot break the comment.
Given the plan's call flow (`ivrsync.flow.graph.plan_flow`), a Mermaid diagram of the changed
routing comes before the IVR blocks; it is the first thing left out when the comment is too long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ivrsync.model import CallFlow, Change, Create, FieldChange, Plan
from ivrsync.render.escape import code_span, html_code
from ivrsync.render.flow_mermaid import MAX_EDGES, MAX_TEXT, render_flow_mermaid
from ivrsync.render.markdown_budget import fit_prefix, joined_length
from ivrsync.render.plan_text import (
    CREATE_NOTE,
    FORGET_NOTE,
    MARKERS,
    field_label,
    format_value,
    ivr_label,
    partial_notice,
    summary_line,
)

PLAN_MARKER = "<!-- ivrsync-plan -->"

#: GitHub rejects comments over 65,536 characters; stay well below.
DEFAULT_LIMIT = 60_000

_BACKTICK_RUN = re.compile(r"`+")
_STATUS_ORDER = ("added", "removed", "rerouted", "changed")


def render_plan_markdown(
    plan: Plan,
    *,
    limit: int = DEFAULT_LIMIT,
    verbose: bool = False,
    refusal: str | None = None,
    flow: CallFlow | None = None,
) -> str:
    """The plan as markdown of at most `limit` characters, ending in a newline.

    The first line is `PLAN_MARKER`. Blocks are added in plan order while they fit; when the
    next one would not, the rest is left out and a notice says how many changed IVRs (and whether
    the unchanged list) were left out and where to see the full plan. `verbose` adds the
    unchanged IVRs as one more block. `flow` (the plan's call flow) adds a diagram of the changed
    routing when it has changed edges; it is left out first, with the notice saying so. Raises
    ValueError when `limit` cannot hold even the heading, summary and notices.
    """
    head = [PLAN_MARKER + "\n## ivrsync plan"]
    if refusal is not None:
        # A callout at the top: the rail is met in review, not first after the merge.
        # The message names IVRs (text from files): each line is inline code, so a name holding
        # `@someone` or markdown stays inert.
        lines = [f"> {code_span(line.strip())}  " for line in refusal.splitlines()]
        head.append("> [!WARNING]\n> **apply will refuse this plan**:\n" + "\n".join(lines))
    foot: list[str] = []
    if plan.targets is not None:
        head.append(_partial_quote(plan.targets))
        foot.append(_partial_quote(plan.targets))
    head.append(_summary_table(plan))
    if plan.is_empty:
        head.append(f"**{summary_line(plan)}**")

    blocks = [_create_block(create) for create in plan.creates]
    blocks += [_change_block(change) for change in plan.changes]
    changed = len(plan.creates) + len(plan.changes)
    unchanged_block = _unchanged_block(plan) if verbose and plan.unchanged else None
    if unchanged_block is not None:
        blocks.append(unchanged_block)

    diagram = _diagram_block(flow) if flow is not None and flow.changed_edges else None

    fixed = _length([*head, *foot])
    worst_notice = _left_out_notice(
        changed, unchanged_block is not None, limit, diagram=diagram is not None
    )
    if fixed + joined_length([worst_notice]) > limit:
        needed = fixed + joined_length([worst_notice])
        raise ValueError(f"a markdown plan needs a limit above {needed}")

    if diagram is not None and fixed + joined_length([diagram, *blocks]) <= limit:
        return _join([*head, diagram, *blocks, *foot])
    if diagram is None and fixed + joined_length(blocks) <= limit:
        return _join([*head, *blocks, *foot])

    kept = fit_prefix(blocks, limit - fixed - joined_length([worst_notice]))
    if diagram is not None:
        # The diagram went first; maybe every block fits without it.
        without = _left_out_notice(0, False, limit, diagram=True)
        if fixed + joined_length([*blocks, without]) <= limit:
            kept = blocks
    # `kept` is a prefix of `blocks`, whose last block is the unchanged list when there is one.
    changed_left_out = changed - min(len(kept), changed)
    unchanged_left_out = unchanged_block is not None and len(kept) < len(blocks)
    notice = _left_out_notice(
        changed_left_out, unchanged_left_out, limit, diagram=diagram is not None
    )
    return _join([*head, *kept, notice, *foot])


def _summary_table(plan: Plan) -> str:
    return (
        "| to create | to update | to adopt | to forget | unchanged |\n"
        "|---:|---:|---:|---:|---:|\n"
        f"| {plan.count('create')} | {plan.count('update')} | {plan.count('adopt')} "
        f"| {plan.count('forget')} | {len(plan.unchanged)} |"
    )


def _partial_quote(targets: Sequence[int]) -> str:
    # The notice holds only digits and fixed words: safe as markdown without escaping.
    notice = partial_notice(targets)
    notice = notice.replace("Partial plan:", "**Partial plan**:").replace("--target", "`--target`")
    return "> [!WARNING]\n> " + notice


def _change_block(change: Change) -> str:
    marker = MARKERS[change.action]
    summary = (
        f"<code>{marker}</code> {change.action} <b>IVR {change.id}</b> "
        # In <code>, so an `@user` in a name or file notifies nobody.
        f"{html_code(change.name)} ({html_code(change.source)})"
    )
    if change.action == "forget":
        content = FORGET_NOTE[0].upper() + FORGET_NOTE[1:] + "."
    else:
        content = _fenced("diff", _diff_lines(change))
    return f"<details><summary>{summary}</summary>\n\n{content}\n\n</details>"


def _create_block(create: Create) -> str:
    summary = (
        f"<code>+</code> create <b>new IVR</b> {html_code(create.name)} "
        f"({html_code(create.source)})"
    )
    intro = f"It {CREATE_NOTE}"
    if create.routes_to:
        # Names come from files: in <code>, like every name in the comment.
        after = ", ".join(html_code(name) for name in create.routes_to)
        intro += f", after {after}, which it routes to"
    content = _fenced("diff", _field_diff_lines(create.fields))
    return f"<details><summary>{summary}</summary>\n\n{intro}.\n\n{content}\n\n</details>"


def _diff_lines(change: Change) -> list[str]:
    return _field_diff_lines(change.fields)


def _field_diff_lines(fields: Sequence[FieldChange]) -> list[str]:
    lines: list[str] = []
    for fc in fields:
        label = field_label(fc.field)
        if fc.before is not None:
            lines.append(f"- {label}: {format_value(fc.before)}")
        if fc.after is not None:
            lines.append(f"+ {label}: {format_value(fc.after)}")
    return lines


def _unchanged_block(plan: Plan) -> str:
    count = len(plan.unchanged)
    noun = "IVR" if count == 1 else "IVRs"
    listing = _fenced("text", [ivr_label(ref) for ref in plan.unchanged])
    return f"<details><summary>{count} unchanged {noun}</summary>\n\n{listing}\n\n</details>"


def _fenced(language: str, lines: list[str]) -> str:
    """A fenced code block whose fence is longer than any backtick run inside it."""
    text = "\n".join(lines)
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _diagram_block(flow: CallFlow) -> str:
    """The changed routing as a collapsible Mermaid diagram (open), or a note when GitHub's
    Mermaid would refuse to draw it."""
    changed = flow.changed_edges
    counts = {s: sum(1 for e in changed if e.status == s) for s in _STATUS_ORDER}
    changes = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    routes = "1 changed route" if len(changed) == 1 else f"{len(changed)} changed routes"
    summary = f"<b>Call flow</b>: {routes} ({changes}), marked in the diagram"
    chart = render_flow_mermaid(flow)
    if len(chart) > MAX_TEXT or len(flow.edges) > MAX_EDGES:
        return (
            f"> [!NOTE]\n> **The call-flow diagram is not shown**: its {len(flow.edges):,} edges "
            f"({len(chart):,} characters) are more than GitHub draws ({MAX_EDGES} edges, "
            f"{MAX_TEXT:,} characters). Changed routes: {changes}. Run `ivrsync graph` locally."
        )
    return f"<details open><summary>{summary}</summary>\n\n```mermaid\n{chart}```\n\n</details>"


def _left_out_notice(
    changed: int, unchanged_list: bool, limit: int, *, diagram: bool = False
) -> str:
    what = []
    if diagram:
        what.append("the call-flow diagram is not shown")
    if changed:
        what.append(f"{changed} changed {'IVR is' if changed == 1 else 'IVRs are'} not shown")
    if unchanged_list:
        what.append("the list of unchanged IVRs is not shown")
    headline = " and ".join(what)
    return (
        "> [!NOTE]\n"
        f"> **{headline[:1].upper()}{headline[1:]}**: this comment stops at {limit:,} characters. "
        "The full plan is in the saved plan file (`ivrsync plan --out plan.json`, e.g. the CI "
        "artifact), or run `ivrsync plan` locally."
    )


def _length(sections: Sequence[str]) -> int:
    return len(_join(sections))


def _join(sections: Sequence[str]) -> str:
    return "\n\n".join(sections) + "\n"
