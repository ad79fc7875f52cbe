"""Render validation problems as text, JSON or GitHub Actions workflow commands.

Pure functions: problems in, one string out (ending with a newline). The problems are rendered in
the order given; `ivrsync.config.validate` already sorts them.

JSON shape (stable; `version` changes only when a field is removed or changes meaning):

    {
      "version": 1,
      "valid": true | false,              # no errors (warnings allowed)
      "counts": {"errors": 0, "warnings": 0, "files": 4},   # "files" only when known
      "problems": [
        {"file": "ivr-configs/sales.yaml", "line": 12, "column": 5, "path": "menu[1].destination",
         "severity": "error" | "warning", "message": "...", "hint": "..."}
      ]
    }

`line`/`column` are 1-based; 0 means the problem concerns the whole file.

File names, paths, messages and hints hold text from the files (keys, values, names): every
format shows them through `ivrsync.render.escape`, so none can start a line or a workflow command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from ivrsync.model import Problem
from ivrsync.render.escape import json_document, shown

ProblemFormat = Literal["text", "json", "github"]
PROBLEMS_FORMAT_VERSION = 1


def render_problems(
    problems: Sequence[Problem],
    output_format: ProblemFormat,
    *,
    files_read: int | None = None,
) -> str:
    """Render `problems` in `output_format`; `files_read`, when given, goes into the counts."""
    return _RENDERERS[output_format](problems, files_read)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(problems: Sequence[Problem], files_read: int | None = None) -> str:
    """`checked 4 files: 2 errors, 1 warning` (or `...: no problems`)."""
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    counts = (
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}" if problems else "no problems"
    )
    return counts if files_read is None else f"checked {_plural(files_read, 'file')}: {counts}"


def _location(problem: Problem) -> str:
    if problem.line <= 0:
        return shown(problem.file)
    return f"{shown(problem.file)}:{problem.line}:{problem.column}"


def _render_text(problems: Sequence[Problem], files_read: int | None) -> str:
    lines = []
    for problem in problems:
        where = f"{shown(problem.path)}: " if problem.path else ""
        hint = f" (hint: {shown(problem.hint)})" if problem.hint else ""
        lines.append(
            f"{_location(problem)}: {problem.severity}: {where}{shown(problem.message)}{hint}",
        )
    lines.append(summary_line(problems, files_read))
    return "\n".join(lines) + "\n"


def _render_json(problems: Sequence[Problem], files_read: int | None) -> str:
    errors = sum(1 for p in problems if p.is_error)
    counts: dict[str, int] = {"errors": errors, "warnings": len(problems) - errors}
    if files_read is not None:
        counts["files"] = files_read
    document = {
        "version": PROBLEMS_FORMAT_VERSION,
        "valid": errors == 0,
        "counts": counts,
        "problems": [
            {
                "file": p.file,
                "line": p.line,
                "column": p.column,
                "path": p.path,
                "severity": p.severity,
                "message": p.message,
                "hint": p.hint,
            }
            for p in problems
        ],
    }
    return json_document(document)


def escape_data(text: str) -> str:
    """GitHub's escaping of a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub's escaping of a workflow command's property value (also `:` and `,`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _render_github(problems: Sequence[Problem], files_read: int | None) -> str:
    lines = []
    for problem in problems:
        properties = [f"file={escape_property(shown(problem.file))}"]
        if problem.line > 0:
            properties += [f"line={problem.line}", f"col={problem.column}"]
        title = f"ivrsync: {problem.path}" if problem.path else "ivrsync"
        properties.append(f"title={escape_property(shown(title))}")
        hint = f" (hint: {problem.hint})" if problem.hint else ""
        command = "error" if problem.is_error else "warning"
        lines.append(
            f"::{command} {','.join(properties)}::{escape_data(shown(problem.message + hint))}",
        )
    # A plain line too, for people reading the job log.
    lines.append(summary_line(problems, files_read))
    return "\n".join(lines) + "\n"


_RENDERERS: dict[str, Callable[[Sequence[Problem], int | None], str]] = {
    "text": _render_text,
    "json": _render_json,
    "github": _render_github,
}
