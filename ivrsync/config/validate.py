"""Validate IVR files: the JSON Schema, then checks across files, into a `ConfigSet`.

`load_config_set` reads every file (through `ivrsync.config.loader`), checks each document against
the packaged schema, then runs the checks no schema can express: the same DTMF key twice in a menu,
the same IVR id or name in two files, `ivr|<id>` destinations naming no IVR in the set. Every
problem of every file is collected; nothing is raised for bad input.

Speed: a valid document costs one `is_valid` pass of a cached validator. Error messages (and the
line/column lookups behind them) are only worked out for documents that fail it, and validation
stays linear in the size of a file however many problems it has: a file reports at most
MAX_PROBLEMS_PER_FILE of them, then one that counts the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivrsync.body import body_from_document, digest_body, dtmf_key, resolve_names
from ivrsync.config.crossfile import cross_file_problems, menu_entries
from ivrsync.config.discovery import discover
from ivrsync.config.explain import explain, integer_fields
from ivrsync.config.loader import LoadedFile, load_file
from ivrsync.config.schema import (
    Check,
    UnsupportedSchemaError,
    compile_check,
    load_schema,
)
from ivrsync.errors import UsageError
from ivrsync.flow.checks import check_config_set
from ivrsync.model import ConfigSet, IvrConfig, NewIvrConfig, Problem, TelephonyChecks

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

#: The most problems reported for one file. Past a few dozen, nobody reads on: they fix these and
#: run again. A file with more ends with one problem saying how many were left out.
MAX_PROBLEMS_PER_FILE = 50


def _is_strict_integer(_checker: object, value: object) -> bool:
    # JSON Schema counts 20.0 as an integer; a PUT body should carry 20, so floats are refused.
    return isinstance(value, int) and not isinstance(value, bool)


@cache
def schema_validator() -> Validator:
    """The jsonschema validator of the packaged schema (draft 2020-12, floats are no integers).

    jsonschema is imported here, not at the top: valid documents pass the compiled fast check
    and never need it, so a run over valid files does not pay for its import.
    """
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_integer)
    cls = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, type_checker=checker
    )
    validator: Validator = cls(load_schema())
    return validator


@cache
def _fast_check() -> Check:
    """The schema compiled to plain Python (see `compile_check`), else jsonschema's `is_valid`."""
    try:
        return compile_check(load_schema())
    except (
        UnsupportedSchemaError,
        RecursionError,
    ):  # pragma: no cover - the shipped schema compiles
        return schema_validator().is_valid


def load_config_set(
    paths: Sequence[str | Path], *, checks: TelephonyChecks | None = None
) -> ConfigSet:
    """Read and validate IVR files into a `ConfigSet`.

    `paths` are files or folders (folders searched recursively for *.yaml/*.yml). Never raises for
    bad input files: every problem is in the result, sorted, without repeats. Raises
    `ivrsync.errors.UsageError` only when a given path does not exist at all. `configs` holds the
    files without errors (warnings allowed), sorted by id. Once no file has an error, the
    telephony checks (`ivrsync.flow.checks`) run as `checks` sets them (None: the defaults); one
    set to `error` makes the set not `ok` but leaves its IVR in `configs`.
    """
    discovery = discover(paths)
    files = [
        load_file(path, display)
        for path, display in zip(discovery.files, discovery.displays, strict=True)
    ]
    problems: list[Problem] = list(discovery.problems)
    for file in files:
        problems.extend(file.problems)
        if file.is_mapping:
            problems.extend(schema_problems(file))
            problems.extend(_menu_problems(file))
            problems.extend(_octal_problems(file))
    problems.extend(cross_file_problems(files))

    failed = {p.file for p in problems if p.is_error}
    valid = [file for file in files if file.is_mapping and file.display not in failed]
    configs, new = _configs(valid)
    if not failed:
        problems.extend(check_config_set(configs, files, checks or TelephonyChecks()))
    return ConfigSet(
        configs=tuple(configs),
        problems=tuple(_capped(problems)),
        files_read=len(discovery.files) + discovery.refused,
        new=tuple(new),
    )


def _configs(valid: Sequence[LoadedFile]) -> tuple[list[IvrConfig], list[NewIvrConfig]]:
    """The valid files as IVRs with ids (sorted by id) and new ones (sorted by name).

    Name references (`ivr|@Sales`) to IVRs with ids become `ivr|<id>` here, so the body, its
    digest and the state are the same as if the file had written the id; references to new IVRs
    stay until apply has created them.
    """
    ids = {
        file.document["name"].strip(): file.document["id"]
        for file in valid
        if "id" in file.document
    }
    configs: list[IvrConfig] = []
    new: list[NewIvrConfig] = []
    for file in valid:
        body = resolve_names(body_from_document(file.document), ids)
        name = file.document["name"]
        if "id" in file.document:
            ivr_id = file.document["id"]
            configs.append(IvrConfig(ivr_id, name, file.display, body, digest_body(body)))
        else:
            new.append(NewIvrConfig(name, file.display, body, digest_body(body)))
    configs.sort(key=lambda config: config.id)
    new.sort(key=lambda config: (config.name, config.source))
    return configs, new


def _order(problem: Problem) -> tuple[str, int, int, str, str, str, str]:
    # Problem's own order, as one tuple per problem: comparing tuples is far cheaper than
    # calling the dataclass's __lt__ (thousands of problems in a hostile file).
    p = problem
    return (p.file, p.line, p.column, p.path, p.message, p.severity, p.hint)


def _capped(problems: Sequence[Problem]) -> list[Problem]:
    """The problems sorted, without repeats, at most MAX_PROBLEMS_PER_FILE for each file.

    A file with more keeps its first ones (by position) and gets one more problem, right after
    them and at the first left-out position, saying how many were left out.
    """
    by_file: dict[str, list[Problem]] = {}
    for problem in sorted(set(problems), key=_order):
        by_file.setdefault(problem.file, []).append(problem)
    kept: list[Problem] = []
    for file, found in by_file.items():
        kept.extend(found[:MAX_PROBLEMS_PER_FILE])
        rest = found[MAX_PROBLEMS_PER_FILE:]
        if rest:
            first = rest[0]
            where = f", from line {first.line} on," if first.line > 0 else ""
            kept.append(
                Problem(
                    file=file,
                    line=first.line,
                    column=first.column,
                    path="",
                    message=f"and {len(rest)} more problems in this file{where} not shown",
                    severity="error" if any(p.is_error for p in rest) else "warning",
                    hint=f"fix the first {MAX_PROBLEMS_PER_FILE}, then validate again",
                )
            )
    return kept


def schema_problems(file: LoadedFile) -> list[Problem]:
    """Problems of one parsed mapping against the schema, in words an IVR engineer knows."""
    if _fast_check()(file.document):
        return []
    problems: list[Problem] = []
    for error in schema_validator().iter_errors(_shallow(file.document)):
        # Guesses (did you mean...?) only for as many problems as can be shown.
        suggestions = max(MAX_PROBLEMS_PER_FILE - len(problems), 0)
        problems.extend(explain(file, error, suggestions=suggestions))
    return problems


def _shallow(document: dict[Any, Any]) -> dict[Any, Any]:
    """The document with every list or mapping the schema cannot accept emptied.

    jsonschema builds each message with the repr() of the offending value. YAML aliases can make
    a small file hold a value whose repr is astronomically long (the "billion laughs") or nested
    too deep to repr, so only the containers the schema has a place for are kept: the document,
    the menu and its entries. Types, keys and paths stay the same, and so do the problems.
    """

    def scalar(value: Any) -> Any:
        if isinstance(value, list):
            return []
        if isinstance(value, dict):
            return {}
        return value

    def entry(value: Any) -> Any:
        return (
            {k: scalar(v) for k, v in value.items()} if isinstance(value, dict) else scalar(value)
        )

    shallow = {key: scalar(value) for key, value in document.items()}
    menu = document.get("menu")
    if isinstance(menu, list):
        shallow["menu"] = [entry(item) for item in menu]
    return shallow


def _menu_problems(file: LoadedFile) -> list[Problem]:
    """The same DTMF key twice in one menu (`1` and `"1"` are the same key)."""
    first_seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, entry in menu_entries(file.document):
        option = entry.get("option")
        if not isinstance(option, str | int) or isinstance(option, bool):
            continue
        key = dtmf_key(option)
        first = first_seen.setdefault(key, index)
        if first != index:
            first_line = file.locate(("menu", first, "option"))[0]
            path = ("menu", index, "option")
            problems.append(
                file.problem(
                    f"option '{key}' appears twice in the menu (first at line {first_line})",
                    at=file.locate(path),
                    json_path=path,
                    hint="each key can lead to one destination only: remove or change one entry",
                )
            )
    return problems


def _octal_problems(file: LoadedFile) -> Iterator[Problem]:
    """Integers written with a leading zero: `timeout: 030` is 24 to PyYAML, 30 to editors."""
    if not file.octal_integers:
        return
    places: list[tuple[tuple[str | int, ...], object]] = [
        ((key,), value) for key, value in file.document.items()
    ]
    for index, entry in menu_entries(file.document):
        places.extend((("menu", index, key), value) for key, value in entry.items())
    for path, value in places:
        # Only where a number belongs: elsewhere the schema already reports the wrong type.
        if path[-1] not in integer_fields() or not isinstance(value, int):
            continue
        written = file.source_text(path) or ""
        digits = written.lstrip("+-").replace("_", "")
        if not (digits[:1] == "0" and len(digits.lstrip("0")) > 1):
            continue
        field = str(path[-1])
        decimal = int(written.replace("_", ""), 10)
        yield file.problem(
            f"{written} starts with 0, so YAML reads it as the octal number {value}, "
            f"while editors read {decimal}",
            at=file.locate(path),
            json_path=path,
            hint=f"write {field}: {value} or {field}: {decimal}, whichever you mean, "
            "without the leading 0",
        )


def load_config_dir(config_dir: str | Path, *, checks: TelephonyChecks | None = None) -> ConfigSet:
    """`load_config_set([config_dir])`, with a clear error when the folder is missing.

    Raises `UsageError` naming the folder and the ways to point ivrsync at another one.
    """
    if not Path(config_dir).is_dir():
        what = "is not a folder" if Path(config_dir).exists() else "does not exist"
        raise UsageError(
            f"config folder '{config_dir}' {what}",
            hint="run ivrsync from the repository root, or point --config-dir "
            "(or IVRSYNC_CONFIG_DIR) at the folder holding the IVR files",
        )
    return load_config_set([config_dir], checks=checks)


def document_errors(document: dict[str, Any]) -> list[str]:
    """The schema's complaints about one IVR document that did not come from a file (a saved
    plan's body, turned back into a document): `path: message` each, [] when valid."""
    if _fast_check()(document):
        return []
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message}"
        for error in schema_validator().iter_errors(dict(document))
    ]
