"""Validate IVR files: the JSON Schema, then checks across files, into a `ConfigSet`.

`load_config_set` reads every file (through `ivrsync.config.loader`), checks each document against
the packaged schema, then runs the checks no schema can express: the same DTMF key twice in a menu,
the same IVR id or name in two files, `ivr|<id>` destinations naming no IVR in the set. Every
problem of every file is collected; nothing is raised for bad input.

Speed: a valid document costs one `is_valid` pass of a cached validator. Error messages (and the
line/column lookups behind them) are only worked out for documents that fail it, and validation
stays linear in the size of a file however many problems it has: a file reports at most
MAX_PROBLEMS_PER_FILE of them, then one that counts the rest. With a cache (`config/cache.py`),
a file whose bytes were checked before is not parsed at all: its `FileSummary` (its own
problems, body, and what the checks across files read) comes from the cache, and the checks
across files run over all summaries, so the result is the same either way.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ivrsync.body import digest_body, referenced_names, resolve_names
from ivrsync.config.cache import EntryCache
from ivrsync.config.crossfile import cross_file_problems
from ivrsync.config.discovery import discover
from ivrsync.config.entries import decode_entries, summary_entry, summary_from_entry
from ivrsync.config.explain import explain
from ivrsync.config.filechecks import menu_problems, octal_problems
from ivrsync.config.loader import LoadedFile, parse_bytes, read_config
from ivrsync.config.names import is_new, referring
from ivrsync.config.schema import (
    Check,
    UnsupportedSchemaError,
    compile_check,
    load_schema,
)
from ivrsync.config.statindex import content_digest
from ivrsync.config.summary import FileSummary, summarize
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
    paths: Sequence[str | Path],
    *,
    checks: TelephonyChecks | None = None,
    cache: EntryCache | None = None,
) -> ConfigSet:
    """Read and validate IVR files into a `ConfigSet`.

    `paths` are files or folders (folders searched recursively for *.yaml/*.yml). Never raises for
    bad input files: every problem is in the result, sorted, without repeats. Raises
    `ivrsync.errors.UsageError` only when a given path does not exist at all. `configs` holds the
    files without errors (warnings allowed), sorted by id. Once no file has an error, the
    telephony checks (`ivrsync.flow.checks`) run as `checks` sets them (None: the defaults); one
    set to `error` makes the set not `ok` but leaves its IVR in `configs`.

    With `cache`, each file's own result (`FileSummary`) is taken from it when the file's bytes
    are known, and stored in it when they are not (`cache.save()` writes them); the checks
    across files run over every file on every run. The result is the same with or without a
    cache.
    """
    discovery = discover(paths)
    with _collection_paused():
        files = _summaries(discovery.names, discovery.displays, cache)
        problems: list[Problem] = list(discovery.problems)
        for file in files:
            problems.extend(file.problems)
        referring_files = referring(files)
        problems.extend(cross_file_problems(files, referring_files))

        failed = {p.file for p in problems if p.is_error}
        configs, new = _configs(
            [file for file in files if file.display not in failed], resolve=bool(referring_files)
        )
        if not failed:
            problems.extend(check_config_set(configs, files, checks or TelephonyChecks(), new))
        if cache is not None:
            _store_positions(files, cache)
        return ConfigSet(
            configs=tuple(configs),
            problems=tuple(_capped(problems)),
            files_read=len(discovery.names) + discovery.refused,
            new=tuple(new),
        )


def _configs(
    valid: Sequence[FileSummary], *, resolve: bool
) -> tuple[list[IvrConfig], list[NewIvrConfig]]:
    """The valid files as IVRs with ids (sorted by id) and new ones (sorted by name).

    Name references (`ivr|@Sales`) to IVRs with ids become `ivr|<id>` here, so the body, its
    digest and the state are the same as if the file had written the id; references to new IVRs
    stay until apply has created them. `resolve`: some file has a name reference.
    """
    configs: list[IvrConfig] = []
    new: list[NewIvrConfig] = []
    for file in valid:
        config = file.config()
        if config is not None:
            configs.append(config)
        elif is_new(file) and file.body is not None and file.digest is not None:
            new.append(NewIvrConfig(file.body["name"], file.display, file.body, file.digest))
    if resolve:
        ids = {config.name.strip(): config.id for config in configs}
        configs = [with_names_resolved(config, ids) for config in configs]
        new = [with_names_resolved(config, ids) for config in new]
    configs.sort(key=lambda config: config.id)
    new.sort(key=lambda config: (config.name, config.source))
    return configs, new


_Config = TypeVar("_Config", IvrConfig, NewIvrConfig)


def with_names_resolved(config: _Config, ids: Mapping[str, int]) -> _Config:
    """`config` with the name references `ids` knows written as ids, and its digest anew."""
    if not referenced_names(config.body):
        return config
    body = resolve_names(config.body, ids)
    return replace(config, body=body, digest=digest_body(body))


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, for as long as many files are read.

    Tens of thousands of long-lived values (documents, bodies, problems) make each automatic
    collection scan them all again, for a third of the time of reading them; none of them forms
    a cycle, so nothing is left for a collection to find. Restored as it was, also on errors.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _summaries(
    names: Sequence[str], displays: Sequence[str], cache: EntryCache | None
) -> list[FileSummary]:
    """Each file's summary: from `cache` when it holds the entry of its bytes, else worked out
    (and stored in `cache`). A file whose status the cache's index knows is not even read: its
    key is the index's (and its text is read only if a problem's position is looked up)."""
    count = len(names)
    read: list[bytes | LoadedFile | None] = [None] * count
    keys: list[bytes | None] = [None] * count
    found: list[FileSummary | None] = [None] * count
    if cache is not None and cache.enabled:
        index = cache.files
        hits: list[int] = []
        payloads: list[bytes] = []
        for at, name in enumerate(names):
            digest, status = (None, None) if index is None else index.lookup(name)
            key = None if digest is None else cache.key_of(digest)
            payload = None if key is None else cache.get(key)
            if payload is None:
                data = read[at] = read_config(name, displays[at])
                if not isinstance(data, bytes):
                    continue
                digest = content_digest(data)
                if status is not None and index is not None:
                    index.remember(name, status, digest)  # its status from before the read
                key = cache.key_of(digest)
                payload = cache.get(key)
            keys[at] = key
            if payload is not None:
                hits.append(at)
                payloads.append(payload)
        for at, entry in zip(hits, decode_entries(payloads), strict=True):
            got = read[at]
            summary = summary_from_entry(
                entry,
                display=displays[at],
                path=names[at],
                data=got if isinstance(got, bytes) else None,
            )
            if summary is None:  # foreign or damaged: worked out again and rewritten
                cache.forget(keys[at] or b"")
            else:
                summary.cache_key = keys[at]
                summary.rekey = cache.key
                found[at] = summary
    summaries = []
    for at, name in enumerate(names):
        summary = found[at]
        if summary is None:
            known = read[at]
            key = keys[at]
            data = known if known is not None else read_config(name, displays[at])
            if known is None:  # no cache, or its entry was known but unusable: read it now
                key = None
                if cache is not None and cache.enabled and isinstance(data, bytes):
                    key = cache.key(data)
            summary = _worked_out(name, displays[at], data, cache, key)
        summaries.append(summary)
    return summaries


def _worked_out(
    name: str,
    display: str,
    data: bytes | LoadedFile,
    cache: EntryCache | None,
    key: bytes | None,
) -> FileSummary:
    if isinstance(data, LoadedFile):  # unreadable: nothing to key it by, nothing to cache
        return summarize(data, data.problems)
    file = parse_bytes(Path(name), display, data)
    summary = summarize(file, file_problems(file))
    if key is not None and cache is not None:
        entry = summary_entry(summary)
        if entry is not None:
            cache.put(key, entry)
            summary.cache_key = key
    return summary


def _store_positions(files: Sequence[FileSummary], cache: EntryCache) -> None:
    """Rewrite the entries of summaries whose positions were looked up in this run."""
    for file in files:
        if file.located and file.cache_key is not None:
            entry = summary_entry(file)
            if entry is not None:
                cache.put(file.cache_key, entry)


def file_problems(file: LoadedFile) -> list[Problem]:
    """Every problem of one file on its own: reading and parsing, the schema, the menu's keys,
    octal-looking integers."""
    problems = list(file.problems)
    if file.is_mapping:
        problems.extend(schema_problems(file))
        problems.extend(menu_problems(file))
        problems.extend(octal_problems(file))
    return problems


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


def load_config_dir(
    config_dir: str | Path,
    *,
    checks: TelephonyChecks | None = None,
    cache: EntryCache | None = None,
) -> ConfigSet:
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
    return load_config_set([config_dir], checks=checks, cache=cache)


def document_errors(document: dict[str, Any]) -> list[str]:
    """The schema's complaints about one IVR document that did not come from a file (a saved
    plan's body, turned back into a document): `path: message` each, [] when valid."""
    if _fast_check()(document):
        return []
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message}"
        for error in schema_validator().iter_errors(dict(document))
    ]
