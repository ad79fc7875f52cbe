"""An IVR document (the YAML file's mapping) -> the text of a YAML file a person can read.

Layout is fixed here rather than left to the YAML emitter: the editor schema line first, `id`,
then the fields in the order the Smartflo reference lists them, then the menu as one
`{option, destination}` pair per entry. Only the quoting of each scalar is left to
`yaml.safe_dump`, so that a value is quoted exactly when YAML would otherwise read it back as
something else (`"0231"`, `"2"`, `"yes"`, `"a: b"`); such values are written in double quotes,
which keep even multi-line text on one line.

Besides the loader, this is the one module that imports yaml, and only for writing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from ivrsync.model import SCALAR_FIELDS

#: The comment that points editors (yaml-language-server) at the schema.
SCHEMA_LINE_PREFIX = "# yaml-language-server: $schema="

#: Top-level keys in the order a file lists them.
DOCUMENT_KEYS: tuple[str, ...] = ("id", *SCALAR_FIELDS, "menu")

#: Wide enough that the emitter never folds a long value over several lines.
_NO_WRAP = 2**31 - 1

_PROBE_KEY = "k"


def render_ivr_yaml(document: Mapping[str, Any], *, schema_path: str) -> str:
    """The YAML text of one IVR document, ending with a newline.

    `document` must have exactly the keys of `DOCUMENT_KEYS` (as `document_from_body` builds
    them); `menu` is a sequence of mappings with `option` and `destination`. `schema_path` is
    written as given after `$schema=` (a path relative to the file, or a URL).
    `yaml.safe_load` of the result equals `document` (with the menu as a list of dicts).
    Raises ValueError when a key is missing or unexpected, so a file is never written half-right.
    """
    unexpected = sorted(set(document) - set(DOCUMENT_KEYS))
    missing = [key for key in DOCUMENT_KEYS if key not in document]
    if unexpected or missing:
        raise ValueError(f"not an IVR document: missing {missing}, unexpected {unexpected}")
    lines = [SCHEMA_LINE_PREFIX + schema_path]
    for key in DOCUMENT_KEYS[:-1]:
        lines.append(f"{key}: {render_scalar(document[key])}")
    # An empty block sequence would read back as null; `[]` reads back as the empty list.
    lines.append("menu:" if document["menu"] else "menu: []")
    for entry in document["menu"]:
        lines.append(f"  - option: {render_scalar(entry['option'])}")
        lines.append(f"    destination: {render_scalar(entry['destination'])}")
    return "\n".join(lines) + "\n"


def render_scalar(value: str | int) -> str:
    """One scalar as YAML: plain when YAML reads it back unchanged, else double-quoted."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"cannot render {value!r} as an IVR field")
    plain = _dump(value, style=None)
    if isinstance(value, int) or (
        plain[:1] not in _QUOTES and "\n" not in plain and not _YAML12_NUMBER.fullmatch(value)
    ):
        return plain
    quoted = _dump(value, style='"')
    if "\n" in quoted:
        raise ValueError(f"cannot render {value!r} on one line")
    return quoted


_QUOTES = frozenset({"'", '"', "|", ">"})

#: Plain scalars that PyYAML (YAML 1.1) reads as strings but YAML 1.2 reads as numbers: `1e3`,
#: `0o17`. Editors (yaml-language-server, which the schema line is for) use YAML 1.2, so such a
#: value is quoted too, or the editor would flag an imported file as having a number for a string.
_YAML12_NUMBER = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+|0o[0-7]+")


def _dump(value: str | int, *, style: str | None) -> str:
    """The emitter's text for `value` (without a trailing newline); may span lines."""
    # Dumping a one-key mapping puts the value in block context, where quoting rules are those
    # of the file we write; a bare scalar would be dumped with a `...` document end marker.
    text = yaml.safe_dump(
        {_PROBE_KEY: value},
        default_style=style,
        allow_unicode=True,
        width=_NO_WRAP,
        sort_keys=False,
    )
    prefix = f'"{_PROBE_KEY}": ' if style == '"' else f"{_PROBE_KEY}: "
    return text.removeprefix(prefix).removesuffix("\n")
