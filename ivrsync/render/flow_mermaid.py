"""A call flow as a Mermaid flowchart, as GitHub renders ```mermaid blocks.

Node ids are generated (`n1`, `n2`, ... in the flow's node order), so no name or reference ever
becomes Mermaid syntax. Every label is double-quoted, and inside the quotes every character but
letters, digits, spaces and a few plain punctuation marks is written as a Mermaid entity code
(`#34;` for `"`, `#64;` for `@`, `#124;` for `|`): quotes, brackets, pipes, `%%`, backticks,
HTML and mentions in names stay text.

Drawing: IVRs are boxes (unmanaged ones dashed), other destinations rounded; menu keys are
solid arrows, timeout and invalid arrows dotted. A plan's changes are thick and coloured, and
say what they are in the label: added (green), removed (red, dotted), rerouted or changed
(amber). IVRs the plan changes have a thick border.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ivrsync.model import CallFlow, EdgeStatus, FlowEdge, FlowNode
from ivrsync.render.flow_labels import edge_label, node_lines

#: GitHub's Mermaid refuses diagrams over 50,000 characters (its `maxTextSize`) and over 500
#: edges (`maxEdges`); callers that embed a diagram check these.
MAX_TEXT = 50_000
MAX_EDGES = 500

#: Anything but letters, digits (str.isalnum, which \w adds `_` to) and plain punctuation.
_UNSAFE = re.compile(r"[^\w .,\-/'()+?!:]")

_LINK_STYLES: dict[EdgeStatus, str] = {
    "added": "stroke:#1a7f37,stroke-width:3px",
    "removed": "stroke:#cf222e,stroke-width:2px,stroke-dasharray:4 4",
    "rerouted": "stroke:#bf8700,stroke-width:3px",
    "changed": "stroke:#bf8700,stroke-width:3px",
}


def mermaid_text(text: str) -> str:
    """`text` safe inside a double-quoted Mermaid label (see the module docstring)."""
    return _UNSAFE.sub(_entity, text)


def _entity(match: re.Match[str]) -> str:
    return f"#{ord(match.group())};"


def render_flow_mermaid(flow: CallFlow) -> str:
    """The flowchart's text (no fences), ending in a newline."""
    ids = {node.ref: f"n{index}" for index, node in enumerate(flow.nodes, start=1)}
    lines = ["flowchart LR"]
    lines.extend(f"  {ids[node.ref]}{_shape(node)}" for node in flow.nodes)
    styled: dict[EdgeStatus, list[int]] = {}
    for index, edge in enumerate(flow.edges):
        label = mermaid_text(edge_label(edge))
        lines.append(f'  {ids[edge.source]} {_arrow(edge)}|"{label}"| {ids[edge.target]}')
        if edge.status != "unchanged":
            styled.setdefault(edge.status, []).append(index)
    if any(node.kind == "unmanaged" for node in flow.nodes):
        lines.append("  classDef unmanaged stroke-dasharray:5 5")
    if any(node.focus for node in flow.nodes):
        lines.append("  classDef focus stroke-width:3px")
    for status, style in _LINK_STYLES.items():
        if status in styled:
            lines.append(f"  linkStyle {_numbers(styled[status])} {style}")
    return "\n".join(lines) + "\n"


def _shape(node: FlowNode) -> str:
    label = "<br/>".join(mermaid_text(line) for line in node_lines(node))
    if node.kind == "terminal":
        return f'(["{label}"])'
    classes = ":::unmanaged" if node.kind == "unmanaged" else ":::focus" if node.focus else ""
    return f'["{label}"]{classes}'


def _arrow(edge: FlowEdge) -> str:
    if edge.status in ("added", "rerouted", "changed"):
        return "==>"
    if edge.status == "removed" or not edge.is_key:
        return "-.->"
    return "-->"


def _numbers(indexes: Sequence[int]) -> str:
    return ",".join(str(index) for index in indexes)
