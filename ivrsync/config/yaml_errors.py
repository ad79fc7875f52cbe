"""PyYAML's syntax errors in people's words, with the position to point at and a hint."""

from __future__ import annotations

import yaml


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
    elif "quoted scalar" in (exc.context or ""):
        hint = "close the quoted text with the same quote it opens with"
    elif "unhashable" in problem:
        hint = "keys must be plain names such as `timeout`"
    else:
        hint = "fix the YAML at this position (indentation, quotes, brackets)"
    return message, hint, at
