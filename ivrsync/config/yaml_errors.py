"""PyYAML's syntax errors, and values it cannot build, in people's words, with a hint."""

from __future__ import annotations

import sys

import yaml

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


def describe_yaml_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[str, str, tuple[int, int]]:
    """(message, hint, position) for a PyYAML syntax error."""
    problem = exc.problem or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    if "alias" in (exc.context or "") and exc.context_mark is not None:
        mark = exc.context_mark  # the `*` itself, not the character after it
    at = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if problem.startswith("but found another document") or (exc.context or "").startswith(
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
    context = ""
    if exc.context and exc.context_mark is not None:
        context = f" ({exc.context} at line {exc.context_mark.line + 1})"
    message = f"YAML syntax error: {problem}{context}"
    lines = text.splitlines()
    char = ""
    if mark is not None and mark.line < len(lines) and mark.column < len(lines[mark.line]):
        char = lines[mark.line][mark.column]
    if char == "\t":
        hint = "indent with spaces: YAML does not allow tabs"
    elif "alias" in problem or "alias" in (exc.context or ""):
        hint = 'quote values that start with * or &, e.g. option: "*"'
    elif "mapping values are not allowed" in problem:
        hint = "check the indentation, and quote values that contain ': '"
    elif "Unicode character escape" in problem:
        hint = (
            "write the character itself, or a \\u escape of a character (\\ud800-\\udfff "
            "are halves of a pair, not characters)"
        )
    elif "quoted scalar" in (exc.context or ""):
        hint = "close the quoted text with the same quote it opens with"
    elif "base64" in problem:
        hint = "remove the `!!binary` tag: IVR fields hold text and numbers, never bytes"
    elif "unhashable" in problem:
        hint = "keys must be plain names such as `timeout`"
    else:
        hint = "fix the YAML at this position (indentation, quotes, brackets)"
    return message, hint, at
