"""PyYAML's syntax errors, and values it cannot build, in people's words, with a hint.

A syntax error is reported at the line to fix, which is often before the one PyYAML stopped at.
This module picks the rule for PyYAML's error: `line_errors` knows the mistakes one line shows
(a tab, a quote or bracket left open, a `:` without its space), `indentation` the line out of
place in the structure. PyYAML's own words are kept only when no rule explains the error.
"""

from __future__ import annotations

import json
import re
import sys

import yaml

from ivrsync.config.indentation import misplaced_line
from ivrsync.config.line_errors import (
    Described,
    colon_in_value,
    missing_colon,
    no_space_after_colon,
    quote_run_on,
    tab,
    unclosed_bracket,
    unclosed_quote,
)
from ivrsync.config.positions import JsonPath

#: PyYAML's words (libyaml's, then the pure-Python parser's) for a line that does not fit.
_STRUCTURE_PROBLEMS = (
    "mapping values are not allowed",
    "did not find expected key",
    "did not find expected '-' indicator",
    "expected <block end>",
    "did not find expected <document start>",
    "expected '<document start>'",
)
_CANNOT_START = ("found character", "did not find expected node content", "expected the node")
#: Characters no plain value may start with (YAML reserves them, or they close a bracket).
_RESERVED = frozenset("@`%]}")
#: YAML's line breaks (str.splitlines knows more, and would misnumber the lines).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
#: Examples longer than this are described instead of shown.
_EXAMPLE_LIMIT = 80

_STANDARD_TAG = "tag:yaml.org,2002:"
#: What people call the values of YAML's standard tags, for messages.
_KINDS = {"int": "number", "float": "number", "timestamp": "date", "bool": "true/false value"}
_QUOTED_LIMIT = 60


def short_tag(tag: str) -> str:
    """`tag:yaml.org,2002:int` -> `!!int`; other tags as written."""
    return "!!" + tag[len(_STANDARD_TAG) :] if tag.startswith(_STANDARD_TAG) else tag


def _quoted(value: str) -> str:
    shown = value if len(value) <= _QUOTED_LIMIT else value[: _QUOTED_LIMIT - 3] + "..."
    return f"'{shown}'"


def describe_bad_value(tag: str, value: str, *, explicit: bool, reason: str) -> tuple[str, str]:
    """(message, hint) for a scalar PyYAML's constructor for `tag` could not build.

    `explicit`: the file wrote the tag (`!!int "abc"`); otherwise YAML chose it from the text's
    look (`2001-13-45` looks like a date). `reason` is "too long" for an integer with more digits
    than Python's int-string limit, else "invalid".
    """
    if reason == "too long":
        limit = sys.get_int_max_str_digits()
        return (
            f"the number {_quoted(value)} has more than {limit} digits",
            "IVR fields hold small numbers such as 20 or 349; quote the value if it is text",
        )
    name = short_tag(tag)
    if explicit:
        return (
            f"{_quoted(value)} cannot be read as {name}",
            f"remove the `{name}` tag (IVR files need no tags), or write a valid value for it",
        )
    kind = _KINDS.get(name[2:], "value")
    return (
        f"{_quoted(value)} looks like a {kind} to YAML, but is not a valid one",
        f"quote it to keep it as text, or fix the {kind}",
    )


def describe_yaml_error(exc: yaml.MarkedYAMLError, text: str) -> Described:
    """(message, hint, position) for a PyYAML syntax error, at the line to fix.

    That line is often not where PyYAML stopped: an unclosed quote is found at the end of the
    file, a key without its `:` on the next line, an indented first line at the first line that
    is not. PyYAML's own words are kept only for errors no rule here explains.
    """
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    if ("alias" in context or "anchor" in context) and exc.context_mark is not None:
        mark = exc.context_mark  # the `*` or `&` itself, not the character after it
    at = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if problem.startswith("but found another document") or context.startswith(
        "expected a single document"
    ):
        return (
            f"several YAML documents in one file (another starts at line {at[0]})",
            "keep one IVR per file: remove the `---` line, or move the next IVR to its own file",
            at,
        )
    if problem.startswith("could not determine a constructor for the tag"):
        tag = short_tag(problem.partition(" the tag ")[2].strip("'"))
        return (
            f"unknown YAML tag {_quoted(tag)}",
            "IVR files need no tags: remove it (ivrsync reads plain YAML and never runs a tag)",
            at,
        )
    lines = _LINE_BREAK.split(text)
    opened = exc.context_mark
    where = (opened.line + 1, opened.column + 1) if opened is not None else at
    found = (
        tab(lines, at, problem)
        or (unclosed_quote(lines, where, at, problem) if "quoted scalar" in context else None)
        or (unclosed_bracket(lines, where) if context.startswith("while parsing a flow") else None)
        or (missing_colon(lines, where) if "simple key" in context else None)
        or _structure(problem, text, lines, at)
    )
    if found is not None:
        return found
    return _in_pyyaml_words(exc, lines, mark, at)


def _structure(problem: str, text: str, lines: list[str], at: tuple[int, int]) -> Described | None:
    """The errors of a file's structure: a line that does not fit where it is."""
    if problem.startswith(_STRUCTURE_PROBLEMS):
        mapping_value = problem.startswith("mapping values are not allowed")
        line = lines[at[0] - 1] if at[0] <= len(lines) else ""
        before = line[: at[1] - 1].rstrip()
        # A quoted value that ran on from a line above ends here, before the mark, with a quote.
        if "'" in before or '"' in before:
            opened = quote_run_on(text, at[0])
            if opened is not None:
                return unclosed_quote(lines, opened, at, problem, run_on=True)
        if not mapping_value and before.strip() and before[-1:] in ("'", '"', "]", "}"):
            closing = before[-1]
            what = "quote" if closing in "'\"" else f"'{closing}'"
            return (
                f"text after the closing {what}",
                "put the whole value inside the quotes, or write it without quotes"
                if closing in "'\""
                else "quote the whole value if the brackets are part of the text",
                at,
            )
        if line[at[1] - 1 : at[1]] in ("]", "}"):
            return (
                f"a '{line[at[1] - 1]}' with no bracket open before it",
                "remove it, or quote the value if it is part of the text",
                at,
            )
        if line.strip().startswith(":"):
            return "a ':' with no field name before it", "write the field name before the `:`", at
        found = (colon_in_value(lines, at) if mapping_value else None) or no_space_after_colon(
            lines, at[0]
        )
        if found is not None:
            return found
        finding = misplaced_line(lines, *at, mapping_value=mapping_value)
        if finding is not None:
            return finding.message, finding.hint, finding.at
    if problem.startswith(("block sequence entries are not allowed", "sequence entries are")):
        line = lines[at[0] - 1] if at[0] <= len(lines) else ""
        field, entry = line[: at[1] - 1].strip(), line[at[1] - 1 :].strip()
        return (
            "a list entry ('-') cannot start on the line of its field",
            f"put `{entry}` on its own line below `{field}`, indented"
            if field and len(line) <= _EXAMPLE_LIMIT
            else "put the `-` on its own line below the field, indented",
            at,
        )
    return None


def duplicate_key_hint(json_path: JsonPath, line: int) -> str:
    """The hint for a key found twice in one mapping, again at `line`: in a list entry, most
    likely a `-` left out (the second key starts the next entry)."""
    keep = "keep one of them: YAML would silently use only the last"
    if len(json_path) >= 2 and isinstance(json_path[-2], int):
        return f"if a new entry starts at line {line}, begin it with `- `; otherwise {keep}"
    return keep


def _in_pyyaml_words(
    exc: yaml.MarkedYAMLError, lines: list[str], mark: yaml.Mark | None, at: tuple[int, int]
) -> Described:
    """The errors no rule above explains: PyYAML's message, with the best hint known."""
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    char = ""
    if mark is not None and mark.line < len(lines) and mark.column < len(lines[mark.line]):
        char = lines[mark.line][mark.column]
    if "while scanning an alias" in context or "while scanning an anchor" in context:
        what = "alias" if "alias" in context else "anchor"
        return (
            f"an unquoted {char} starts a YAML {what}, and no name follows it",
            'quote values that start with * or &, e.g. option: "*"',
            at,
        )
    if char and char in _RESERVED and problem.startswith(_CANNOT_START) and mark is not None:
        line = lines[mark.line]
        value = line[mark.column :].split(" #", 1)[0].strip()
        example = f"{line[: mark.column].strip()} {json.dumps(value, ensure_ascii=False)}"
        return (
            f"a value cannot start with {char} unless it is quoted",
            f"quote it: {example.strip()}" if len(example) <= _EXAMPLE_LIMIT else "quote it",
            at,
        )
    suffix = ""
    if exc.context and exc.context_mark is not None:
        suffix = f" ({exc.context} at line {exc.context_mark.line + 1})"
    message = f"YAML syntax error: {problem}{suffix}"
    if "mapping values are not allowed" in problem:
        hint = "check the indentation, and quote values that contain ': '"
    elif "Unicode character escape" in problem:
        hint = (
            "write the character itself, or a \\u escape of a character (\\ud800-\\udfff "
            "are halves of a pair, not characters)"
        )
    elif "quoted scalar" in context:
        hint = "close the quoted text with the same quote it opens with"
    elif "base64" in problem:
        hint = "remove the `!!binary` tag: IVR fields hold text and numbers, never bytes"
    elif "unhashable" in problem:
        hint = "keys must be plain names such as `timeout`"
    else:
        hint = "fix the YAML at this position (indentation, quotes, brackets)"
    return message, hint, at
