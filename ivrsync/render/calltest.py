"""Caller paths in words: `ivrsync test` reports (text, GitHub, markdown, JSON) and the
transcript of `ivrsync call`.

A path reads `Kaveri Main Menu -1-> Kaveri Sales -2-> ringgroup|17839`: the IVR that answered,
then each press and where it led (an IVR by its name, anything else by its reference). Names are
hostile text: one line and bounded everywhere, HTML-escaped (mentions and pipes too) in markdown.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any, Literal

from ivrsync.model import CallPath, CallStep, CallTestReport, CallTestResult
from ivrsync.render.flow_labels import plain_text
from ivrsync.render.problems import escape_data, escape_property, render_problems

CallTestFormat = Literal["text", "github", "markdown", "json"]
TEST_FORMAT_VERSION = 1


def render_test_report(report: CallTestReport, output_format: CallTestFormat) -> str:
    """The report in `output_format`, ending in a newline."""
    return _RENDERERS[output_format](report)


def path_text(path: CallPath) -> str:
    """`Kaveri Main Menu -1-> Kaveri Sales -2-> ringgroup|17839`."""
    parts = [_where(path.steps[0])]
    parts.extend(f"-{step.press}-> {_where(step)}" for step in path.steps[1:])
    return " ".join(parts)


def summary_line(report: CallTestReport) -> str:
    """`9 caller paths: 8 passed, 1 failed` (plus the test files' problems, when any)."""
    total = len(report.results)
    failed = len(report.failed)
    paths = f"{total} caller path{'' if total == 1 else 's'}"
    line = f"{paths}: {total - failed} passed, {failed} failed"
    errors = sum(1 for problem in report.problems if problem.is_error)
    if errors:
        line += f"; {errors} problem{'' if errors == 1 else 's'} in test files"
    return line


def _where(step: CallStep) -> str:
    if step.name:
        return plain_text(step.name)
    if step.at.startswith("ivr|"):
        return f"{plain_text(step.at)} (unmanaged)"
    return plain_text(step.at)


def _location(result: CallTestResult) -> str:
    return f"{result.test.file}:{result.test.line}"


def _text_lines(report: CallTestReport) -> list[str]:
    lines = []
    for result in report.results:
        name = plain_text(result.test.name)
        if result.passed:
            lines.append(f"PASS {_location(result)}: {name}")
        else:
            lines.append(f"FAIL {_location(result)}: {name}")
            lines.append(f"  {plain_text(result.reason, 400)}")
        if result.path is not None:
            lines.append(f"  {path_text(result.path)}")
    return lines


def _render_text(report: CallTestReport) -> str:
    problems = render_problems(report.problems, "text").splitlines()[:-1]
    return "\n".join([*_text_lines(report), *problems, summary_line(report)]) + "\n"


def _render_github(report: CallTestReport) -> str:
    lines = []
    for result in report.failed:
        test = result.test
        properties = [f"file={escape_property(test.file)}", f"line={test.line}"]
        properties += [f"col={test.column}"]
        properties.append(f"title={escape_property('ivrsync test: ' + plain_text(test.name))}")
        message = result.reason + ("" if result.path is None else "\n" + path_text(result.path))
        lines.append(f"::error {','.join(properties)}::{escape_data(message)}")
    lines.extend(render_problems(report.problems, "github").splitlines()[:-1])
    # The plain report too, for people reading the job log.
    lines.extend(_text_lines(report))
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text for a markdown table cell: escaped HTML; pipes and `@` (mentions) as entities."""
    return html.escape(plain_text(text, 400)).replace("|", "&#124;").replace("@", "&#64;")


def _render_markdown(report: CallTestReport) -> str:
    total, failed = len(report.results), len(report.failed)
    mark = "passed" if report.ok else "failed"
    lines = [
        f"### ivrsync test: {total - failed} of {total} caller paths passed ({mark})",
        "",
        "| | caller path | where it went |",
        "|---|---|---|",
    ]
    for result in report.results:
        where = "" if result.path is None else f"<code>{_cell(path_text(result.path))}</code>"
        if not result.passed:
            where = f"{_cell(result.reason)}<br>{where}" if where else _cell(result.reason)
        status = "pass" if result.passed else "**FAIL**"
        test = f"{_cell(result.test.name)} <sub>{_cell(_location(result))}</sub>"
        lines.append(f"| {status} | {test} | {where} |")
    for problem in report.problems:
        lines.append("")
        lines.append(f"- {_cell(problem.file)}:{problem.line}: {_cell(problem.message)}")
    return "\n".join(lines) + "\n"


def _step_document(step: CallStep) -> dict[str, Any]:
    return {
        "press": step.press,
        "at": step.at,
        "name": step.name,
        "event": step.event,
        "heard": list(step.heard),
    }


def _render_json(report: CallTestReport) -> str:
    document = {
        "version": TEST_FORMAT_VERSION,
        "ok": report.ok,
        "counts": {
            "passed": len(report.results) - len(report.failed),
            "failed": len(report.failed),
            "files": report.files_read,
        },
        "results": [
            {
                "name": result.test.name,
                "file": result.test.file,
                "line": result.test.line,
                "passed": result.passed,
                "reason": result.reason,
                "expect": result.test.expect,
                "end": None if result.path is None else result.path.end.at,
                "path": [_step_document(s) for s in (result.path.steps if result.path else ())],
            }
            for result in report.results
        ],
        "problems": json.loads(render_problems(report.problems, "json"))["problems"],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


_RENDERERS: dict[str, Callable[[CallTestReport], str]] = {
    "text": _render_text,
    "github": _render_github,
    "markdown": _render_markdown,
    "json": _render_json,
}


# `ivrsync call`: what the caller hears and where they end up.


def render_call_step(step: CallStep) -> str:
    """One step of a call as the lines a person reads: what happened, then what plays."""
    where = _where(step)
    if step.name:
        where += f" (IVR {plain_text(step.at.partition('|')[2])})"
    if step.press == "timeout":
        what = f"no key pressed (timeout {step.count})"
    elif step.press == "invalid" or step.event in ("invalid_retry", "invalid_out"):
        pressed = "a key" if step.press == "invalid" else step.press
        what = f"press {pressed}: not in the menu (invalid key {step.count})"
    else:
        what = f"press {step.press}"
    if step.event == "start":
        line = f"{where} answers"
    elif step.event in ("retry", "invalid_retry"):
        line = f"{what}: {where} plays its menu again"
    elif step.event in ("timed_out", "invalid_out"):
        line = f"{what}: no more tries, to {where}"
    else:
        line = f"{what}: to {where}"
    if step.heard:
        line += "\n  hears " + ", ".join(plain_text(r) for r in step.heard)
    return line + "\n"


def render_call_end(path: CallPath, *, hung_up: bool = False) -> str:
    """The last line of a call: where the caller ended up (`hung_up`: the caller left)."""
    if hung_up:
        text = f"The caller hangs up in {_where(path.end)}."
    elif path.in_menu:
        text = f"The caller is still in {_where(path.end)}, waiting for a key."
    else:
        text = f"The call ends at {_where(path.end)}."
    if path.unused:
        presses = "press was" if path.unused == 1 else "presses were"
        text += f" {path.unused} more {presses} not made."
    return text + "\n"


def render_call(path: CallPath) -> str:
    """The whole transcript of `ivrsync call`."""
    return "".join(render_call_step(step) for step in path.steps) + render_call_end(path)
