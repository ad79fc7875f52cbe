"""Caller-path tests: read test files (`ivr-tests/*.yaml`) into `CallTest`s, and run them.

A test file is a YAML list of callers (`schemas/ivr-tests.schema.json`, also packaged). Files
are read by `ivrsync.config.loader` (so YAML problems read as they do for IVR files, with line
and column), checked against the schema's compiled fast check, and explained field by field
when they fail it. Every problem of every file is collected; nothing is raised for bad input.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ivrsync.config.discovery import discover
from ivrsync.config.loader import LoadedFile, load_file
from ivrsync.config.schema import Check, compile_check, destination_types, recording_types
from ivrsync.flow.walk import PRESSES, find_ivr, ivrs_by_id, walk
from ivrsync.model import CallPath, CallTest, CallTestReport, CallTestResult, IvrConfig, Problem

TESTS_SCHEMA_RESOURCE = "schemas/ivr-tests.schema.json"

_FIELDS = ("name", "start", "press", "expect", "hear")
_REQUIRED = ("name", "start", "expect")


@cache
def calltest_schema_text() -> str:
    """The packaged test-file schema's text, exactly as shipped."""
    return resources.files("ivrsync").joinpath(TESTS_SCHEMA_RESOURCE).read_text(encoding="utf-8")


@cache
def _fast_check() -> Check:
    return compile_check(json.loads(calltest_schema_text()))


@cache
def _pattern(field: str) -> re.Pattern[str]:
    """The schema's pattern of `expect`, or of the items of `hear`: one source for both."""
    properties = json.loads(calltest_schema_text())["$defs"]["test"]["properties"]
    spec = properties[field]
    return re.compile(spec.get("items", spec)["pattern"])


@dataclass(frozen=True)
class LoadedTests:
    """The tests of the files read (in file, then list order) and the problems of those files."""

    tests: tuple[CallTest, ...]
    problems: tuple[Problem, ...]
    files_read: int


def load_call_tests(paths: Sequence[str | Path]) -> LoadedTests:
    """Read test files (folders searched recursively for *.yaml/*.yml, as for IVR files).

    Raises `UsageError` only when a path does not exist. A file that fails the schema yields no
    tests, only its problems; a test naming an unknown destination or recording type is left out
    with a problem.
    """
    discovery = discover(paths)
    tests: list[CallTest] = []
    problems: list[Problem] = list(discovery.problems)
    for path, display in zip(discovery.files, discovery.displays, strict=True):
        file = load_file(path, display)
        found, file_problems = _tests_of(file)
        tests.extend(found)
        problems.extend(file_problems)
    return LoadedTests(tuple(tests), tuple(sorted(set(problems))), len(discovery.files))


def run_call_tests(configs: Sequence[IvrConfig], loaded: LoadedTests) -> CallTestReport:
    """Walk every test through `configs`; results in the order of `loaded.tests`."""
    ivrs = ivrs_by_id(configs)
    results = tuple(run_call_test(ivrs, test) for test in loaded.tests)
    return CallTestReport(results, loaded.problems, loaded.files_read)


def run_call_test(ivrs: Mapping[int, IvrConfig], test: CallTest) -> CallTestResult:
    """One test: walk from `start` through `press`; compare the end and what was heard."""
    start = find_ivr(ivrs, test.start)
    if start is None:
        what = f"id {test.start}" if isinstance(test.start, int) else f"named '{test.start}'"
        return CallTestResult(test, False, None, f"start: no IVR {what} in the config set")
    path = walk(ivrs, start, test.press)
    reason = _failure(test, path)
    return CallTestResult(test, not reason, path, reason)


def _failure(test: CallTest, path: CallPath) -> str:
    end = path.end.at
    if path.unused:
        made = len(test.press) - path.unused
        return (
            f"the call reached {end} after {made} of {len(test.press)} presses, so "
            f"{_plural(path.unused, 'press')} could not be made"
        )
    if end != test.expect:
        where = f"is still in {path.end.name} ({end})" if path.in_menu else f"reached {end}"
        return f"expected {test.expect}, but the call {where}"
    missing = _missing(test.hear, path.heard)
    if missing is not None:
        heard = ", ".join(path.heard) or "nothing"
        return f"expected to hear {missing} (in the order of `hear`), but heard {heard}"
    return ""


def _missing(wanted: Sequence[str], heard: Sequence[str]) -> str | None:
    """The first of `wanted` not found, in order, in `heard`; None when all are."""
    remaining = iter(heard)
    for recording in wanted:
        if not any(item == recording for item in remaining):
            return recording
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 'es'}"


# Reading one file.


def _tests_of(file: LoadedFile) -> tuple[list[CallTest], list[Problem]]:
    # The loader expects IVR files, which are mappings; a test file is a list, so its "not a
    # mapping" complaint does not apply here.
    problems = [p for p in file.problems if not _is_mapping_complaint(file, p)]
    if not file.parsed:
        return [], _reworded(problems)
    if problems:
        return [], problems
    document = file.document
    if not _fast_check()(document):
        return [], _explain(file) or [
            file.problem(
                "the file does not match the test-file schema",
                at=(1, 1),
                hint="see schemas/ivr-tests.schema.json",
            )
        ]
    tests: list[CallTest] = []
    for index, item in enumerate(document):
        line, column = file.locate((index,))
        type_problems = _type_problems(file, index, item)
        problems.extend(type_problems)
        if not type_problems:
            tests.append(
                CallTest(
                    name=item["name"],
                    file=file.display,
                    line=line,
                    column=column,
                    start=item["start"],
                    press=tuple(str(key) for key in item.get("press", ())),
                    expect=item["expect"],
                    hear=tuple(item.get("hear", ())),
                )
            )
    return tests, problems


def _is_mapping_complaint(file: LoadedFile, problem: Problem) -> bool:
    return isinstance(file.document, list) and problem.message.startswith("the document is a list")


def _reworded(problems: list[Problem]) -> list[Problem]:
    # The loader's words for an empty file speak of IVRs.
    return [
        replace(p, message="the file is empty: it holds no tests", hint=_LIST_HINT)
        if p.message.startswith("the file is empty")
        or p.message.startswith("the document is empty")
        else p
        for p in problems
    ]


_LIST_HINT = "write a list of tests: `- name: ...` with start, press and expect (see the README)"


def _type_problems(file: LoadedFile, index: int, item: Mapping[str, Any]) -> list[Problem]:
    """References whose type no IVR file could hold: caught here, since the schema lists the
    destination and recording types in one place only (the IVR schema)."""
    problems = []
    places: list[tuple[tuple[str | int, ...], str, tuple[str, ...], str]] = [
        (("expect",), item["expect"], destination_types(), "destination")
    ]
    for n, ref in enumerate(item.get("hear", ())):
        places.append((("hear", n), ref, recording_types(), "recording"))
    for path, reference, types, what in places:
        kind = reference.partition("|")[0]
        if kind not in types:
            close = difflib.get_close_matches(kind, types, n=1)
            guess = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(
                file.problem(
                    f"unknown {what} type '{kind}'{guess}",
                    at=file.locate((index, *path)),
                    json_path=(index, *path),
                    hint=f"{what} types are " + ", ".join(types),
                )
            )
    return problems


def _explain(file: LoadedFile) -> list[Problem]:
    """Problems of a document that failed the schema, field by field."""
    document = file.document
    if not isinstance(document, list):
        return [file.problem("a test file is a list of tests", at=file.locate(()), hint=_LIST_HINT)]
    if not document:
        return [file.problem("the file holds no tests", at=file.locate(()), hint=_LIST_HINT)]
    problems: list[Problem] = []
    for index, item in enumerate(document):
        problems.extend(_item_problems(file, index, item))
    return problems


def _item_problems(file: LoadedFile, index: int, item: Any) -> list[Problem]:
    def problem(message: str, path: tuple[str | int, ...], hint: str, key: bool = False) -> Problem:
        json_path = (index, *path)
        return file.problem(
            message, at=file.locate(json_path, key=key), json_path=json_path, hint=hint
        )

    if not isinstance(item, dict):
        return [problem("a test is a mapping of name, start, press and expect", (), _LIST_HINT)]
    found = []
    for field in item:
        if field not in _FIELDS:
            close = difflib.get_close_matches(str(field), _FIELDS, n=1)
            guess = f"; did you mean '{close[0]}'?" if close else ""
            found.append(
                problem(
                    f"unknown field '{field}'{guess}",
                    (str(field),),
                    "a test has the fields " + ", ".join(_FIELDS),
                    key=True,
                )
            )
    for field in _REQUIRED:
        if field not in item:
            found.append(problem(f"missing field '{field}'", (), f"add `{field}:` to the test"))
    name, start = item.get("name", "x"), item.get("start", "x")
    if not (isinstance(name, str) and name.strip()):
        found.append(problem("name: expected some text", ("name",), "say what the test shows"))
    if not (
        (isinstance(start, str) and start.strip())
        or (isinstance(start, int) and not isinstance(start, bool) and start >= 1)
    ):
        found.append(
            problem(
                "start: expected an IVR name or id",
                ("start",),
                "write the name (Kaveri Main Menu) or the id (4101) of the IVR that answers",
            )
        )
    found.extend(_press_problems(item.get("press", []), problem))
    expect = item.get("expect", "x|x")
    if not (isinstance(expect, str) and _pattern("expect").search(expect)):
        found.append(
            problem(
                "expect: expected a destination written type|id",
                ("expect",),
                "e.g. ringgroup|17839, extension|05047530002, or ivr|4102 for a menu",
            )
        )
    hear = item.get("hear", [])
    if not isinstance(hear, list):
        found.append(problem("hear: expected a list of recordings", ("hear",), _HEAR_HINT))
    else:
        for n, ref in enumerate(hear):
            if not (isinstance(ref, str) and _pattern("hear").search(ref)):
                found.append(problem("expected a recording type|id", ("hear", n), _HEAR_HINT))
    return found


_HEAR_HINT = "e.g. hear: [recording|30211, outbound_tts|7]"


def _press_problems(press: Any, problem: Any) -> list[Problem]:
    hint = 'presses are "0"-"9", "*", "#" (quoted), timeout or invalid'
    if not isinstance(press, list):
        return [problem("press: expected a list of presses", ("press",), hint)]
    return [
        problem(f"not a press: {key!r}", ("press", n), hint)
        for n, key in enumerate(press)
        if not (
            (isinstance(key, str) and key in PRESSES)
            or (isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 9)
        )
    ]
