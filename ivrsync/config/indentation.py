"""The line that breaks a YAML file's structure, read from its indentation.

PyYAML stops where the structure no longer adds up, which is often not where the mistake is: an
indented first line is reported at the first line that is not indented, a first menu entry
written without its `-` at the next entry that has one. This module reads the lines before the
stop as a person does (how far each is indented, whether it starts a list entry, which key it
starts) and names the line that is out of place, and where it belongs. Text work only, linear in
the lines before the error; `yaml_errors` calls it for PyYAML's structure errors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from ivrsync.config.schema import load_schema

#: `- ` (or a `-` ending the line) opening a list entry.
_DASH = re.compile(r"-(?: +|$)")
#: A key and what follows its `:` on the line: quoted, or plain (not starting with an indicator).
_KEY = re.compile(
    r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'"""
    r"""|(?:[^\s#"'\[\]{},&*!|>%@`?:-]|[?:-](?=\S)).*?) *:(?:[ \t]+(?P<value>.*))?$"""
)
#: A block scalar's indicator (`|`, `>-`, `|2`): the lines below it are text, not structure.
_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*(?: +#.*)?$")
#: A key written `-option`: a list entry that lost the space after its `-`.
_DASH_WITHOUT_SPACE = re.compile(r"-[^\s\-]")
#: Keys are cut to this length as they are read (messages name them; a hostile one is huge).
_KEY_SHOWN = 60
#: Examples (a line to write) longer than this are left out of hints.
_EXAMPLE_LIMIT = 80


@dataclass(frozen=True)
class Finding:
    """What is wrong, what to do, and the 1-based (line, column) to point at."""

    message: str
    hint: str
    at: tuple[int, int]


@dataclass(frozen=True)
class Line:
    """The structure of one line, as far as it shows on the line itself."""

    number: int
    indent: int  # spaces before the line's first item
    dash: bool  # the line starts a list entry
    key: str | None  # the key the line starts (after its `-`, if any)
    key_column: int  # 1-based column of that key
    value: str  # what follows the key's `:` (or the `-`), comment left out
    text: str

    @property
    def column(self) -> int:
        return self.indent + 1

    @property
    def name(self) -> str:
        """How messages name the line: by what starts at its column, the `-` or the key."""
        return "the '-'" if self.dash or self.key is None else f"'{self.key}'"


@dataclass(frozen=True)
class _Level:
    """An open mapping key or list entry above the line being read."""

    column: int
    line: int
    key: str | None  # None: a list entry's `-`
    value: bool  # the key (or `-`) has its value on its own line
    first: int  # the line of the first key (or `-`) of this mapping (or list)
    first_key: str | None
    keys: set[str]  # the mapping's keys so far: one set, shared by the levels of its keys


@cache
def _fields() -> tuple[frozenset[str], frozenset[str]]:
    """(the document's fields, a menu entry's fields), from the schema."""
    schema = load_schema()
    entry = frozenset(schema["$defs"]["menu_entry"]["properties"])
    return frozenset(schema["properties"]) - entry, entry


def read_line(number: int, text: str) -> Line | None:
    """The structure of line `number` (1-based); None for a blank line, a comment or a
    document marker."""
    content = text.lstrip(" ")
    if not content.strip() or content.startswith("#") or text.startswith(("---", "...")):
        return None
    indent = len(text) - len(content)
    dash = _DASH.match(content)
    rest = content[dash.end() :] if dash else content
    column = indent + 1 + (dash.end() if dash else 0)
    key = _KEY.match(rest)
    name = key.group("key") if key else None
    if name is not None and len(name) > _KEY_SHOWN:
        name = name[: _KEY_SHOWN - 3] + "..."
    value = (key.group("value") or "") if key else rest
    if value.startswith("#"):
        value = ""
    elif not value.startswith(("'", '"')):
        value = value.split(" #", 1)[0]
    return Line(
        number=number,
        indent=indent,
        dash=dash is not None,
        key=name,
        key_column=column,
        value=value.strip(),
        text=text,
    )


def _open_levels(lines: Sequence[str], end: int) -> list[_Level]:
    """The keys and list entries still open before line `end` (1-based), outermost first."""
    stack: list[_Level] = []
    # Inside a block scalar (`description: |`): its text is indented deeper than `text_below`,
    # all of it as deep as its first line (`text_indent`); the first line less deep ends it.
    text_below: int | None = None
    text_indent: int | None = None
    for number, text in enumerate(lines[: end - 1], start=1):
        line = read_line(number, text)
        if line is not None and text_below is not None:
            if text_indent is None and line.indent > text_below:
                text_indent = line.indent
            if text_indent is not None and line.indent >= text_indent:
                continue
            text_below = text_indent = None
        if line is None or (not line.dash and line.key is None):
            continue  # a continuation of a value above: no structure
        items: list[_Level] = []
        if line.dash:
            has_value = line.key is None and bool(line.value)
            items.append(_Level(line.column, number, None, has_value, number, None, set()))
        if line.key is not None:
            key, has_value = line.key, bool(line.value)
            items.append(_Level(line.key_column, number, key, has_value, number, key, {key}))
            if _BLOCK_SCALAR.match(line.value):
                text_below = line.key_column - 1
        _push(stack, items[0])
        stack.extend(items[1:])
    return stack


def _push(stack: list[_Level], level: _Level) -> None:
    is_key = level.key is not None
    while stack and (
        stack[-1].column > level.column
        or (stack[-1].column == level.column and stack[-1].key is None and is_key)
    ):
        stack.pop()
    if stack and stack[-1].column == level.column and (stack[-1].key is not None) == is_key:
        sibling = stack.pop()  # the next key of the same mapping, the next entry of the list
        sibling.keys.update(level.keys)
        level = _Level(
            level.column,
            level.line,
            level.key,
            level.value,
            sibling.first,
            sibling.first_key,
            sibling.keys,
        )
    stack.append(level)


def misplaced_line(
    lines: Sequence[str], line: int, column: int, *, mapping_value: bool
) -> Finding | None:
    """The structure mistake that stopped PyYAML at (line, column), 1-based, if `lines` (the
    file's, split at YAML's line breaks) show one.

    `mapping_value`: PyYAML found a `:` it did not expect ("mapping values are not allowed");
    otherwise it found a line it could not fit in ("did not find expected key" and the like).
    None when the lines do not explain it: the caller keeps PyYAML's own words then.
    """
    here = read_line(line, lines[line - 1]) if 0 < line <= len(lines) else None
    if here is None or (here.key is None and not here.dash):
        return None
    if mapping_value:
        if here.key is None:
            return None
        # At the key's own `:`, the line ran on from the one above (a second `: ` on the line
        # is the value's: `line_errors.colon_in_value`).
        if column != here.text.index(":", here.key_column - 1 + len(here.key)) + 1:
            return None
    elif column != here.column:
        return None
    stack = _open_levels(lines, line)
    if not stack:
        return None
    found = (
        _indented_top_level(here, stack)
        or _dash_without_space(stack)
        or _deeper_than_a_value(here, stack)
        or _at_an_open_column(here, stack)
    )
    if found is None and all(level.column != here.column for level in stack):
        found = _between_columns(here, stack)
    return found


def _indented_top_level(here: Line, stack: list[_Level]) -> Finding | None:
    root = stack[0]
    if here.column >= root.column or root.key is None:
        return None
    return Finding(
        f"the first field '{root.first_key}' is indented {_spaces(root.column - 1)}, so every "
        f"top-level field must be, and {here.name} on line {here.number} is not",
        "start every top-level field at column 1, with no spaces before it",
        (root.first, root.column),
    )


def _dash_without_space(stack: list[_Level]) -> Finding | None:
    top = stack[-1]
    if top.key is None or not _DASH_WITHOUT_SPACE.match(top.key):
        return None
    return Finding(
        f"'{top.key}' has no space after its '-', so YAML reads a key, not a list entry",
        f"write `- {top.key[1:]}:`",
        (top.line, top.column),
    )


def _deeper_than_a_value(here: Line, stack: list[_Level]) -> Finding | None:
    top = stack[-1]
    if here.column <= top.column or not top.value:
        return None  # deeper than a key without a value: a nested mapping, which is fine
    above = f"'{top.key}'" if top.key is not None else "the list entry"
    return Finding(
        f"{here.name} is indented more than {above} above it (line {top.line})",
        _home_hint(here, stack, top),
        (here.number, here.column),
    )


def _at_an_open_column(here: Line, stack: list[_Level]) -> Finding | None:
    found = [index for index, level in enumerate(stack) if level.column == here.column]
    if not found:
        return None
    index = found[-1]
    level = stack[index]
    if level.key is None and not here.dash and here.key is not None:
        return _at_a_dash_column(here, stack, index)
    if level.key is not None and here.dash:
        below = stack[index - 1] if index else None
        if below is not None and below.key is None:
            return Finding(
                f"this '-' lines up with the fields of the entry above (line {level.first}), "
                f"not with its '-' (column {below.column})",
                f"move the `-` to column {below.column}, under the `-` on line {below.line}",
                (here.number, here.column),
            )
        if below is not None:
            return _lost_dash(here, level, below)
        return Finding(
            "a list entry ('-') among the top-level fields",
            "remove the `-`, or indent the entry under the field it belongs to",
            (here.number, here.column),
        )
    return None


def _lost_dash(here: Line, mapping: _Level, holder: _Level) -> Finding:
    """A mapping under `holder`'s key, then a list entry: the mapping was meant as the first
    entry, and lost its `-` (the line to fix is the mapping's first, not the entry's)."""
    return Finding(
        f"'{mapping.first_key}' starts a mapping under '{holder.key}', but line {here.number} "
        "starts a list entry: every entry of a list starts with '-'",
        f"write `- {mapping.first_key}:` on line {mapping.first}, and line the fields under it "
        "up after the `- `",
        (mapping.first, mapping.column),
    )


def _at_a_dash_column(here: Line, stack: list[_Level], index: int) -> Finding:
    """A key where the `-` of the list's entries are: a lost `-`, or a key indented too little."""
    dash = stack[index]
    entry = stack[index + 1] if index + 1 < len(stack) else None
    top_fields, _ = _fields()
    if entry is not None and here.key in entry.keys:
        return Finding(
            f"{here.name} lines up with the '-' of the entries above (line {dash.line}), but has "
            "no '-' of its own",
            f"start the next entry with `- `: `- {here.text.strip()}`"
            if len(here.text.strip()) <= _EXAMPLE_LIMIT
            else "start the next entry with `- `",
            (here.number, here.column),
        )
    if here.key in top_fields and index > 0 and stack[0].key is not None:
        root = stack[0]
        return Finding(
            f"{here.name} is indented like the entries of '{root.key}' (line {root.line})",
            f"line `{here.key}:` up with `{root.key}:` (column {root.column}): it is a top-level "
            "field",
            (here.number, here.column),
        )
    if entry is not None:
        return Finding(
            f"{here.name} is indented less than the fields of its list entry "
            f"('{entry.first_key}', line {entry.first})",
            f"line `{here.key}:` up with `{entry.first_key}:` (column {entry.column})",
            (here.number, here.column),
        )
    return Finding(
        f"{here.name} lines up with the '-' of the list above (line {dash.line}), but has no '-'",
        "start a new entry with `- `, or indent it under the field it belongs to",
        (here.number, here.column),
    )


def _between_columns(here: Line, stack: list[_Level]) -> Finding:
    """A line at a column where nothing above it starts."""
    dashes = [level for level in stack if level.key is None]
    deeper = [index for index, level in enumerate(stack) if level.column > here.column]
    if here.dash and not dashes and deeper and deeper[0] > 0:
        return _lost_dash(here, stack[deeper[0]], stack[deeper[0] - 1])
    if here.dash and dashes:
        dash = dashes[-1]
        return Finding(
            f"the '-' at column {here.column} does not line up with the '-' of the entries "
            f"above (column {dash.column}, line {dash.line})",
            f"move it to column {dash.column}",
            (here.number, here.column),
        )
    return Finding(
        f"{here.name} starts at column {here.column}, where nothing above it starts",
        _home_hint(here, stack, None),
        (here.number, here.column),
    )


def _home_hint(here: Line, stack: list[_Level], sibling: _Level | None) -> str:
    """Where the line belongs: by what its key is (a document or a menu entry field), else with
    `sibling`, else beside the nearest keys on either side."""
    top_fields, entry_fields = _fields()
    keys = [level for level in stack if level.key is not None]
    dashes = [level for level in stack if level.key is None]
    if here.dash and dashes:
        dash = dashes[-1]
        return f"line the `-` up with the one on line {dash.line} (column {dash.column})"
    home: _Level | None = None
    if here.dash:
        pass  # the `-` is out of place, not the key after it
    elif here.key in top_fields and stack[0].key is not None:
        home = stack[0]
    elif here.key in entry_fields:
        entries = [
            level for below, level in pairwise(stack) if below.key is None and level.key is not None
        ]
        home = entries[-1] if entries else None
    home = home or (sibling if sibling is not None and sibling.key is not None else None)
    what = "the `-`" if here.dash or here.key is None else f"`{here.key}:`"
    if home is not None:
        return f"line {what} up with `{home.key}:` (column {home.column})"
    nearest = [
        level
        for level in (
            next((k for k in keys if k.column > here.column), None),
            next((k for k in reversed(keys) if k.column < here.column), None),
        )
        if level is not None
    ]
    if not nearest:
        return f"indent {what} like the fields it belongs with"
    return f"line {what} up with the fields it belongs with: " + " or ".join(
        f"`{level.key}:` (column {level.column}, line {level.line})" for level in nearest
    )


def _spaces(count: int) -> str:
    return f"{count} space" + ("" if count == 1 else "s")
