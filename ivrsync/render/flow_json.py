"""A call flow as a JSON document (`ivrsync graph --format json`).

Shape (stable; `version` changes only when a field is removed or changes meaning):

    {
      "version": 1,
      "nodes": [
        {"ref": "ivr|4101", "type": "ivr", "id": "4101", "kind": "ivr",
         "name": "Kaveri Main Menu", "source": "ivr-configs/main-menu.yaml"},
        {"ref": "ivr|4107", "type": "ivr", "id": "4107", "kind": "unmanaged"},
        {"ref": "extension|05047530002", "type": "extension", "id": "05047530002",
         "kind": "terminal"}
      ],
      "edges": [
        {"from": "ivr|4101", "to": "ivr|4102", "key": "1", "after": 1},
        {"from": "ivr|4101", "to": "extension|05047530002", "key": "timeout", "after": 3}
      ]
    }

`key` is a DTMF key, `timeout` or `invalid`; `after` is which timeout (or invalid key) of the
IVR takes the edge (1 for a menu key). Nodes and edges are in the flow's order.
"""

from __future__ import annotations

import json
from typing import Any

from ivrsync.model import CallFlow, FlowEdge, FlowNode

FLOW_FORMAT_VERSION = 1


def render_flow_json(flow: CallFlow) -> str:
    document = {
        "version": FLOW_FORMAT_VERSION,
        "nodes": [_node(node) for node in flow.nodes],
        "edges": [_edge(edge) for edge in flow.edges],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _node(node: FlowNode) -> dict[str, Any]:
    item: dict[str, Any] = {"ref": node.ref, "type": node.type, "id": node.ident}
    item["kind"] = node.kind
    if node.kind == "ivr":
        item["name"] = node.name
        item["source"] = node.source
    return item


def _edge(edge: FlowEdge) -> dict[str, Any]:
    return {"from": edge.source, "to": edge.target, "key": edge.key, "after": edge.after}
