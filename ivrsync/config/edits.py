"""Minimal text edits of IVR files: after a create, `id: N` goes into the file that made it.

The file stays the person's: comments, key order, quoting and line endings are kept, and only
one line is added (`id: N` above the first key, at its indentation; `id: N, ` after the `{` of a
flow mapping). The edit is checked by parsing the result: it must read back as the same
document plus the id, or nothing is written. Writing goes through `files.write_atomically`
(never through a symbolic link, never half a file).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode

from ivrsync.errors import ConfigError
from ivrsync.files import read_regular_file, write_atomically

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml is present wherever the wheels are
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

#: As large as the loader reads (an IVR file is a few KB).
_MAX_BYTES = 4 << 20


class EditError(ValueError):
    """The text cannot take the edit safely; the message says why."""


def with_id(text: str, ivr_id: int) -> str:
    """`text` (an IVR file without `id`) with `id: <ivr_id>` added. Raises EditError."""
    try:
        root = yaml.compose(text, Loader=_Loader)
        before = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise EditError(f"it no longer parses ({exc.__class__.__name__})") from None
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
    try:
        after = yaml.load(edited, Loader=_Loader)
    except yaml.YAMLError:
        after = None
    if after != {"id": ivr_id, **before}:
        raise EditError("the edited file would not read back as the same IVR plus its id")
    return edited


def write_id(path: Path, ivr_id: int, *, name: str) -> bool:
    """Write `id: <ivr_id>` into the IVR file at `path`, which must still be the new IVR `name`.

    Returns False when the file already says that id (nothing to do). Raises ConfigError naming
    the file when it cannot be read, edited or written; the file is then unchanged.
    """
    hint = f"add the line `id: {ivr_id}` to the file by hand; the state already records it"
    try:
        text = read_regular_file(path, limit=_MAX_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read it to write the new id {ivr_id}: {exc}", hint=hint
        ) from exc
    try:
        current = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        current = None
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
