"""Where things are in a YAML file: JSON paths, and node positions looked up in O(1) a step.

`ivrsync.config.loader` composes a file's node tree again only when a problem needs a line and
column; `NodeIndex` answers those lookups, indexing each mapping the first time it is needed.
"""

from __future__ import annotations

from collections.abc import Sequence

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MERGE_TAG = "tag:yaml.org,2002:merge"

#: A position in a document: mapping keys and sequence indexes, from the root down.
JsonPath = Sequence[str | int]


#: Longer keys are cut in a displayed path (a hostile key may be megabytes long).
_KEY_SHOWN = 60


def format_path(json_path: JsonPath) -> str:
    """`("menu", 1, "destination")` -> `menu[1].destination`; the empty path is `""`."""
    text = ""
    for part in json_path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = str(part)
            if len(key) > _KEY_SHOWN:
                key = key[: _KEY_SHOWN - 3] + "..."
            text += f".{key}" if text else key
    return text


def mark(node: Node) -> tuple[int, int]:
    """A node's 1-based (line, column)."""
    return node.start_mark.line + 1, node.start_mark.column + 1


class NodeIndex:
    """Position lookups in a composed node tree, built as they are first needed.

    Each mapping is indexed (key text -> key and value node) the first time a path steps into
    it, and the key positions of the whole tree once, on the first `mapping_path_at`: so a file
    with 20,000 problems costs 20,000 dictionary lookups, not 20,000 scans of its keys.
    """

    def __init__(self, root: Node) -> None:
        self.root = root
        self._mappings: dict[int, tuple[dict[str, tuple[Node, Node]], list[Node]]] = {}
        self._key_paths: dict[tuple[int, int], tuple[str | int, ...]] | None = None

    def child(self, node: Node, part: str | int) -> tuple[Node | None, Node] | None:
        """The (key node, value node) one step down from `node`, or None."""
        if isinstance(node, SequenceNode):
            if isinstance(part, int) and 0 <= part < len(node.value):
                return None, node.value[part]
            return None
        if not isinstance(node, MappingNode):
            return None
        keys, merges = self._entries(node)
        found: tuple[Node | None, Node] | None = keys.get(str(part))
        if found is None:
            for merged in merges:
                sources = merged.value if isinstance(merged, SequenceNode) else [merged]
                for source in sources:
                    found = self.child(source, part) or found
        return found

    def _entries(self, node: MappingNode) -> tuple[dict[str, tuple[Node, Node]], list[Node]]:
        entries = self._mappings.get(id(node))
        if entries is None:
            keys: dict[str, tuple[Node, Node]] = {}
            merges: list[Node] = []
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    merges.append(value_node)
                elif isinstance(key_node, ScalarNode):
                    keys[key_node.value] = (key_node, value_node)  # the last wins, as in PyYAML
            entries = self._mappings[id(node)] = (keys, merges)
        return entries

    def mapping_path_at(self, position: tuple[int, int]) -> tuple[str | int, ...]:
        if self._key_paths is None:
            self._key_paths = key_paths(self.root)
        return self._key_paths.get(position, ())


def key_paths(root: Node) -> dict[tuple[int, int], tuple[str | int, ...]]:
    """The position of every mapping key -> the path of the mapping holding it.

    Iterative and visiting each node once: deep nesting cannot overflow the stack, and aliases
    (one node reachable by many paths, as in a "billion laughs" file) cannot make it exponential.
    """
    found: dict[tuple[int, int], tuple[str | int, ...]] = {}
    stack: list[tuple[Node, tuple[str | int, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                found.setdefault(mark(key_node), path)
                if isinstance(key_node, ScalarNode):
                    stack.append((value_node, (*path, key_node.value)))
        elif isinstance(node, SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
    return found
