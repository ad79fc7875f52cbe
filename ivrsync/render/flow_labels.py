"""The words on a call-flow diagram, shared by its Mermaid and DOT renderers.

Names come from files and from the portal, so they are hostile text: every label goes through
`plain_text` (one line, printable, bounded) before a renderer quotes it its own way.
"""

from __future__ import annotations

from ivrsync.model import INVALID, TIMEOUT, FlowEdge, FlowNode

#: Labels longer than this are cut (with an ellipsis): a diagram is no place for an essay.
LABEL_LIMIT = 80


def plain_text(text: str, limit: int = LABEL_LIMIT) -> str:
    """`text` on one line: runs of whitespace (newlines too) become one space, other characters
    that do not print become U+FFFD, and more than `limit` characters are cut to `limit`."""
    text = " ".join(text.split())
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def node_lines(node: FlowNode) -> tuple[str, ...]:
    """A node's label as lines: `(name, "IVR 4101")`, `("IVR 4107", "unmanaged")`,
    `("extension", "05047530002")`, `("hangup",)`."""
    if node.kind == "ivr":
        return (plain_text(node.name), f"IVR {plain_text(node.ident)}")
    if node.kind == "unmanaged":
        return (f"IVR {plain_text(node.ident)}", "unmanaged")
    if node.type == "hangup":
        return ("hangup",)
    return (plain_text(node.type), plain_text(node.ident))


def edge_label(edge: FlowEdge) -> str:
    """`1`, `timeout x3` (the third timeout takes it), plus what a plan does to it:
    `2 (added)`, `2 (removed)`, `3 (rerouted, was extension|845)`, `timeout x4 (was x3)`."""
    label = plain_text(_press(edge.key, edge.after))
    if edge.status == "added":
        return f"{label} (added)"
    if edge.status == "removed":
        return f"{label} (removed)"
    if edge.status == "rerouted":
        was = plain_text(edge.was_target or "")
        if edge.was_after is not None:
            was += f" x{edge.was_after}"
        return f"{label} (rerouted, was {was})"
    if edge.status == "changed":
        return f"{label} (was x{edge.was_after})"
    return label


def _press(key: str, after: int) -> str:
    return f"{key} x{after}" if key in (TIMEOUT, INVALID) else key
