"""Minimal text edits of IVR files: after a create, `id: N` goes into the file that made it;
`import --force` edits the values that changed in place (`with_values`).

The file stays the person's: comments, key order, quoting and line endings are kept, and only
one line is added (`id: N` above the first key, at its indentation; `id: N, ` after the `{` of a
flow mapping). The edit is checked by parsing the result: it must read back as the same
document plus the id, or nothing is written. Writing goes through `files.write_atomically`
(never through a symbolic link, never half a file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ivrsync.body import body_from_document, dtmf_key
from ivrsync.config.ivr_yaml import DOCUMENT_KEYS, render_scalar
from ivrsync.config.loader import MAX_CONFIG_BYTES
from ivrsync.config.parsing import BadValue, parse
from ivrsync.errors import ConfigError
from ivrsync.files import read_regular_file, write_atomically


def _parsed(text: str, failure: str) -> tuple[Any, Any]:
    """(root node, document) of `text`, parsed as the loader parses; EditError (`failure`,
    with the reason) when it does not parse."""
    try:
        parsed = parse(text)
    except (yaml.YAMLError, BadValue, RecursionError) as exc:
        raise EditError(f"{failure} ({exc.__class__.__name__})") from None
    return parsed.node, parsed.document


def _reads_as(text: str) -> Any:
    """The document `text` reads as, or None when it does not parse."""
    try:
        return _parsed(text, "")[1]
    except EditError:
        return None


class EditError(ValueError):
    """The text cannot take the edit safely; the message says why."""


def with_id(text: str, ivr_id: int) -> str:
    """`text` (an IVR file without `id`) with `id: <ivr_id>` added. Raises EditError."""
    root, before = _parsed(text, "it no longer parses")
    if not isinstance(root, MappingNode) or not isinstance(before, dict):
        raise EditError("it no longer holds one mapping")
    if "id" in before:
        raise EditError(f"it already has an id ({before['id']!r})")
    newline = "\r\n" if "\r\n" in text else "\n"
    if root.flow_style:
        at = text.index("{", root.start_mark.index) + 1  # after `{` (past any tag or anchor)
        edited = f"{text[:at]}id: {ivr_id}, {text[at:]}"
    elif root.value:
        key = root.value[0][0]
        line_start = text.rfind("\n", 0, key.start_mark.index) + 1
        indent = text[line_start : key.start_mark.index]
        if indent.strip():
            raise EditError("its first key does not start a line")
        edited = f"{text[:line_start]}{indent}id: {ivr_id}{newline}{text[line_start:]}"
    else:
        raise EditError("its mapping is empty")
    if _reads_as(edited) != {"id": ivr_id, **before}:
        raise EditError("the edited file would not read back as the same IVR plus its id")
    return edited


def write_id(path: Path, ivr_id: int, *, name: str) -> bool:
    """Write `id: <ivr_id>` into the IVR file at `path`, which must still be the new IVR `name`.

    Returns False when the file already says that id (nothing to do). Raises ConfigError naming
    the file when it cannot be read, edited or written; the file is then unchanged.
    """
    hint = f"add the line `id: {ivr_id}` to the file by hand; the state already records it"
    try:
        text = read_regular_file(path, limit=MAX_CONFIG_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read it to write the new id {ivr_id}: {exc}", hint=hint
        ) from exc
    current = _reads_as(text)
    if isinstance(current, dict) and current.get("id") == ivr_id:
        return False
    if isinstance(current, dict) and str(current.get("name", "")).strip() != name.strip():
        raise ConfigError(
            f"{path}: no longer the new IVR {name!r}, so its id {ivr_id} was not written",
            hint=hint,
        )
    try:
        edited = with_id(text, ivr_id)
        write_atomically(path, edited.encode("utf-8"), make_folder=False)
    except EditError as exc:
        raise ConfigError(f"{path}: cannot write the new id {ivr_id}: {exc}", hint=hint) from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot write the new id {ivr_id}: {exc.strerror or exc}", hint=hint
        ) from exc
    return True


def with_values(text: str, document: Mapping[str, Any]) -> str:
    """`text` (an IVR file) edited in place to hold `document` (a whole IVR document, as
    `ivr_yaml.render_ivr_yaml` takes it), keeping every comment and line it can.

    Only values that differ are rewritten, in place: a changed scalar's text, a menu entry's
    destination; a menu option no longer there loses its entry's lines, a new one is added after
    the last entry, a missing field is added above `menu:`. Raises EditError when the file's
    shape does not allow it (a flow mapping, a non-scalar value where a scalar belongs, an empty
    or flow-style menu) or when the edited text would not read back as `document`: the caller
    then writes the file whole.
    """
    root, before = _parsed(text, "it does not parse")
    if not isinstance(root, MappingNode) or root.flow_style or not isinstance(before, dict):
        raise EditError("it is not one block mapping")
    nodes = {key.value: (key, value) for key, value in root.value if isinstance(key, ScalarNode)}
    if "menu" not in nodes:
        raise EditError("it has no menu")
    edits: list[tuple[int, int, str]] = []
    newline = "\r\n" if "\r\n" in text else "\n"
    menu_key = nodes["menu"][0]
    above_menu = _line_start(text, menu_key.start_mark.index)
    indent = text[above_menu : menu_key.start_mark.index]
    for field in DOCUMENT_KEYS[:-1]:
        wanted = document[field]
        if field not in nodes:
            line = f"{indent}{field}: {render_scalar(wanted)}{newline}"
            edits.append((above_menu, above_menu, line))
            continue
        node = nodes[field][1]
        if not isinstance(node, ScalarNode):
            raise EditError(f"its {field} is not a plain value")
        if before.get(field) != wanted or type(before.get(field)) is not type(wanted):
            edits.append((node.start_mark.index, node.end_mark.index, render_scalar(wanted)))
    edits.extend(_menu_edits(text, nodes["menu"][1], document["menu"], newline))
    edited = text
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        edited = edited[:start] + replacement + edited[end:]
    after = _reads_as(edited)
    if not isinstance(after, dict) or _canonical(after) != _canonical(document):
        raise EditError("the edited file would not read back as the IVR")
    return edited


def _menu_edits(
    text: str, node: object, menu: Sequence[Mapping[str, Any]], newline: str
) -> list[tuple[int, int, str]]:
    """The edits that turn the file's menu into `menu` (option -> destination)."""
    if not isinstance(node, SequenceNode) or node.flow_style or not node.value:
        raise EditError("its menu is not a block list with entries")
    wanted = {dtmf_key(entry["option"]): entry for entry in menu}
    entries: list[tuple[str, MappingNode, ScalarNode]] = []
    for item in node.value:
        fields = (
            {k.value: v for k, v in item.value if isinstance(k, ScalarNode)}
            if isinstance(item, MappingNode) and not item.flow_style
            else {}
        )
        option, destination = fields.get("option"), fields.get("destination")
        if not isinstance(option, ScalarNode) or not isinstance(destination, ScalarNode):
            raise EditError("a menu entry is not an option and a destination")
        entries.append((dtmf_key(option.value), item, destination))
    edits: list[tuple[int, int, str]] = []
    # An entry runs from its `-` line to the end of the line of its last value: PyYAML's end
    # mark of a mapping lies past the comments that follow it, which belong to what comes next.
    starts = [_line_start(text, item.start_mark.index) for _, item, _ in entries]
    ends = [
        _line_end(text, max(value.end_mark.index for _, value in item.value))
        for _, item, _ in entries
    ]
    for index, (key, _, destination) in enumerate(entries):
        if key not in wanted:
            # The comment lines right above a removed entry were about it: they go too (those
            # above the first entry may be about the whole menu, so they stay).
            start = ends[index - 1] if index else starts[index]
            edits.append((start, ends[index], ""))
        elif destination.value != wanted[key]["destination"]:
            edits.append(
                (
                    destination.start_mark.index,
                    destination.end_mark.index,
                    render_scalar(wanted[key]["destination"]),
                )
            )
    first = entries[0][1]
    dash = text[_line_start(text, first.start_mark.index) : first.start_mark.index]
    inner = " " * len(dash)
    present = {key for key, _, _ in entries}
    added = "".join(
        f"{dash}option: {render_scalar(entry['option'])}{newline}"
        f"{inner}destination: {render_scalar(entry['destination'])}{newline}"
        for key, entry in wanted.items()
        if key not in present
    )
    if added:
        edits.append((ends[-1], ends[-1], added))
    return edits


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Just past the newline ending the line `index` is on (or the text's end)."""
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _canonical(document: Mapping[Any, Any]) -> tuple[Any, ...]:
    """What an IVR document means: its id and body (key order, `2` vs `"2"` aside)."""
    try:
        return (document.get("id"), body_from_document(document))
    except (KeyError, TypeError, AttributeError, ValueError):
        return (None, document)
