"""The mistakes one line shows in a YAML file that did not parse, and the line to point at.

PyYAML notices most of these lines later: a quote or a `[` left open at the end of the file or
at the next quote, a key without its `:` on the next line. Each function takes the file's lines
(split at YAML's line breaks) and PyYAML's marks, 1-based, and returns (message, hint, where)
or None when the line does not show that mistake.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import yaml

from ivrsync.config.indentation import read_line

try:
    from yaml import CSafeLoader as _Scanner
except ImportError:  # pragma: no cover - libyaml is present wherever the wheels are
    from yaml import SafeLoader as _Scanner  # type: ignore[assignment]

#: (message, hint, 1-based (line, column)).
Described = tuple[str, str, tuple[int, int]]

_CLOSERS = {"[": "]", "{": "}"}
#: A field written `option:1`: without the space YAML reads one text, not a key and a value.
_NO_SPACE = re.compile(r"(?P<key>[A-Za-z_][\w-]*):(?P<value>[^\s/].*)")
#: Examples (a line to write) longer than this are described instead of shown.
_EXAMPLE_LIMIT = 80
_SHOWN_LIMIT = 60


def _quoted(text: str) -> str:
    shown = text if len(text) <= _SHOWN_LIMIT else text[: _SHOWN_LIMIT - 3] + "..."
    return f"'{shown}'"


def tab(lines: Sequence[str], at: tuple[int, int], problem: str) -> Described | None:
    """A tab where YAML wants spaces: in the indentation of PyYAML's line, or at its mark."""
    if not 0 < at[0] <= len(lines):
        return None
    line = lines[at[0] - 1]
    indentation = line[: len(line) - len(line.lstrip(" \t"))]
    if "\t" in indentation:
        at = (at[0], indentation.index("\t") + 1)
        return "the line is indented with a tab", "indent with spaces: YAML does not allow tabs", at
    if line[at[1] - 1 : at[1]] == "\t" or "tab character" in problem:
        return "a tab where YAML expects a space", "write spaces instead of the tab", at
    return None


def unclosed_quote(
    lines: Sequence[str],
    opened: tuple[int, int],
    at: tuple[int, int],
    problem: str,
    *,
    run_on: bool = False,
) -> Described | None:
    """A quote not closed on its line, pointed at where it opens (PyYAML stops far later)."""
    if not run_on and "document indicator" not in problem and not _at_end(lines, at):
        return None  # a bad escape inside the quotes, not a missing quote
    line = lines[opened[0] - 1] if 0 < opened[0] <= len(lines) else ""
    quote = line[opened[1] - 1 : opened[1]] or '"'
    message = (
        f"the quote opened here is not closed on its line, so YAML reads on to the next {quote} "
        f"(line {at[0]})"
        if run_on
        else "the quote opened here is never closed"
    )
    fixed = line.strip() + quote
    if opened[1] == len(line) - len(line.lstrip(" -")) + 1:  # a key: where it ends is unclear
        hint = f"end the quoted text with {quote} where it ends, or remove the {quote}"
    elif len(fixed) <= _EXAMPLE_LIMIT:
        hint = f"close it on this line: {fixed}"
    else:
        hint = f"end the quoted text with {quote} on the line it starts"
    return message, hint, opened


def _at_end(lines: Sequence[str], at: tuple[int, int]) -> bool:
    """Whether only blanks follow `at` (PyYAML's "unexpected end of stream")."""
    after = lines[at[0] - 1][at[1] - 1 :] if at[0] <= len(lines) else ""
    return not (after + "".join(lines[at[0] :])).strip()


def quote_run_on(text: str, line: int) -> tuple[int, int] | None:
    """Where a quoted value opens that runs over lines to end on `line` (1-based), if one does.

    Such a value is almost always a quote left open: YAML then reads on to the next quote, and
    the error comes after it. Scans the tokens up to that line (cheap: only for broken files).
    """
    scanner = _Scanner(text)
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if token is None or token.start_mark.line + 1 > line:
                break
            start, end = token.start_mark, token.end_mark
            quoted = isinstance(token, yaml.ScalarToken) and token.style in ("'", '"')
            if quoted and start.line < end.line and end.line + 1 == line:
                return start.line + 1, start.column + 1
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    return None


def unclosed_bracket(lines: Sequence[str], opened: tuple[int, int]) -> Described | None:
    """A `[` or `{` its line does not close (a list or mapping spread over lines is left be)."""
    line = lines[opened[0] - 1] if 0 < opened[0] <= len(lines) else ""
    opener = line[opened[1] - 1 : opened[1]]
    rest = line[opened[1] :]
    if opener not in _CLOSERS or not rest.split(" #", 1)[0].strip():
        return None
    depth, quote = 0, ""
    for char in line[opened[1] - 1 :]:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return None  # closed on its line: the trouble is inside
    closer = _CLOSERS[opener]
    hint = f"close it with `{closer}` on this line"
    key, colon, value = line.partition(": ")
    if colon and value.strip().startswith(opener) and len(line) <= _EXAMPLE_LIMIT:
        example = json.dumps(value.strip(), ensure_ascii=False)
        hint += f", or quote the value if the {opener} is part of the text: {key.strip()}: "
        hint += example
    return f"the '{opener}' opened here is not closed on its line", hint, opened


def missing_colon(lines: Sequence[str], start: tuple[int, int]) -> Described | None:
    """A key without its `: ` (PyYAML notices on the next line)."""
    line = lines[start[0] - 1] if 0 < start[0] <= len(lines) else ""
    content = line[start[1] - 1 :].split(" #", 1)[0].strip()
    if not content:
        return None
    shown = _quoted(content)
    if len(content) > _EXAMPLE_LIMIT:
        return f"{shown} has no ': ' after the field name", "write `key: value`", start
    key, colon, value = content.partition(":")
    if colon and value[:1].strip():
        return f"{shown} has no space after its ':'", f"write `{key}: {value}`", start
    word, _, rest = content.partition(" ")
    if rest.strip():
        return f"{shown} has no ':' after the field name", f"write `{word}: {rest.strip()}`", start
    return (
        f"{shown} has no ':' after it",
        f"write `{word}:` and its value, or indent the line if it continues the value above",
        start,
    )


def colon_in_value(lines: Sequence[str], at: tuple[int, int]) -> Described | None:
    """A value holding `: ` (`name: Sales: main`), when PyYAML's mark is that second `:`."""
    here = read_line(at[0], lines[at[0] - 1]) if 0 < at[0] <= len(lines) else None
    if here is None or here.key is None or not here.value:
        return None
    colon = here.text.index(":", here.key_column - 1 + len(here.key)) + 1
    if at[1] <= colon:
        return None
    example = f"{here.key}: {json.dumps(here.value, ensure_ascii=False)}"
    return (
        f"the value of '{here.key}' contains ': ', which YAML reads as another key",
        f"quote the value: {example}" if len(example) <= _EXAMPLE_LIMIT else "quote the value",
        (here.number, here.text.index(here.value, here.key_column) + 1),
    )


def no_space_after_colon(lines: Sequence[str], line: int) -> Described | None:
    """The line above `line` reads as text because its `:` has no space after it (`option:1`):
    YAML runs on into `line` and trips over its `:`."""
    for number in range(line - 1, 0, -1):
        before = read_line(number, lines[number - 1])
        if before is not None:
            break
    else:
        return None
    written = _NO_SPACE.fullmatch(before.value) if before.key is None else None
    if written is None or len(written.group()) > _EXAMPLE_LIMIT:
        return None
    key, value = written.group("key", "value")
    return (
        f"'{written.group()}' has no space after its ':'",
        f"write `{key}: {value}`",
        (before.number, before.key_column),
    )
