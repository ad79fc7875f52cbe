"""A call flow as a Graphviz DOT digraph (`ivrsync graph --format dot | dot -Tsvg`).

Node ids are generated (`n1`, `n2`, ...); every label is a double-quoted DOT string in which `\\`
and `"` are escaped, so names cannot end the string, and a backslash in a name cannot become a
DOT escape (`\\N`, `\\l`). Lines of a label are joined with DOT's `\\n`. The drawing follows the
Mermaid one: IVR boxes (unmanaged dashed), rounded destinations, dotted timeout and invalid
edges, a plan's changes coloured and bold.
"""

from __future__ import annotations

from ivrsync.model import CallFlow, EdgeStatus, FlowEdge, FlowNode
from ivrsync.render.flow_labels import edge_label, node_lines

_COLORS: dict[EdgeStatus, str] = {
    "added": "#1a7f37",
    "removed": "#cf222e",
    "rerouted": "#bf8700",
    "changed": "#bf8700",
}


def dot_string(text: str) -> str:
    """`text` as a double-quoted DOT string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_flow_dot(flow: CallFlow) -> str:
    """The digraph's text, ending in a newline."""
    ids = {node.ref: f"n{index}" for index, node in enumerate(flow.nodes, start=1)}
    lines = [
        'digraph "call flow" {',
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    lines.extend(f"  {ids[node.ref]} [{_node_attributes(node)}];" for node in flow.nodes)
    lines.extend(
        f"  {ids[edge.source]} -> {ids[edge.target]} [{_edge_attributes(edge)}];"
        for edge in flow.edges
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _label(lines: tuple[str, ...]) -> str:
    # Each line escaped on its own, then joined with DOT's own line break.
    return '"' + "\\n".join(dot_string(line)[1:-1] for line in lines) + '"'


def _node_attributes(node: FlowNode) -> str:
    attributes = [f"label={_label(node_lines(node))}"]
    if node.kind == "terminal":
        attributes.append('shape=box, style="rounded"')
    elif node.kind == "unmanaged":
        attributes.append('shape=box, style="dashed"')
    else:
        attributes.append("shape=box")
        if node.focus:
            attributes.append("penwidth=3")
    return ", ".join(attributes)


def _edge_attributes(edge: FlowEdge) -> str:
    attributes = [f"label={dot_string(edge_label(edge))}"]
    if edge.status == "removed" or not edge.is_key:
        attributes.append("style=dashed" if edge.status == "removed" else "style=dotted")
    color = _COLORS.get(edge.status)
    if color is not None:
        attributes.append(f'color="{color}", fontcolor="{color}", penwidth=2.5')
    return ", ".join(attributes)
