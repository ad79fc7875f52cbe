"""Validate IVR files: the JSON Schema, then checks across files, into a `ConfigSet`.

`load_config_set` reads every file (through `ivrsync.config.loader`), checks each document against
the packaged schema, then runs the checks no schema can express: the same DTMF key twice in a menu,
the same IVR id or name in two files, `ivr|<id>` destinations naming no IVR in the set. Every
problem of every file is collected; nothing is raised for bad input.

Speed: a valid document costs one `is_valid` pass of a cached validator. Error messages (and the
line/column lookups behind them) are only worked out for documents that fail it.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivrsync.body import body_from_document, digest_body, dtmf_key
from ivrsync.config.loader import LoadedFile, discover, load_file
from ivrsync.config.schema import (
    Check,
    UnsupportedSchemaError,
    compile_check,
    destination_types,
    load_schema,
    recording_types,
)
from ivrsync.errors import UsageError
from ivrsync.model import ConfigSet, IvrConfig, Problem

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

_DESTINATION_FIELDS = ("invalid_destination", "timeout_destination")
_EXAMPLES = {"recording": "recording|0231", "destination": "extension|05047530002"}
_TYPE_NAMES = {
    "integer": "a whole number",
    "string": "text",
    "array": "a list",
    "object": "a mapping",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


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


@cache
def _field_descriptions() -> dict[str, str]:
    """Field name -> the schema's description of it (document and menu entry fields)."""
    schema = load_schema()
    fields = {**schema["$defs"]["menu_entry"]["properties"], **schema["properties"]}
    return {name: prop["description"] for name, prop in fields.items() if "description" in prop}


@cache
def _integer_fields() -> frozenset[str]:
    """The fields (of the document and of menu entries) that may hold an integer."""
    schema = load_schema()
    fields = {**schema["$defs"]["menu_entry"]["properties"], **schema["properties"]}
    return frozenset(
        name
        for name, prop in fields.items()
        if prop.get("type") == "integer"
        or any(branch.get("type") == "integer" for branch in prop.get("anyOf", ()))
    )


@cache
def _reference_kinds() -> dict[str, str]:
    """Field name -> `recording` or `destination`, for the fields holding references."""
    schema = load_schema()
    kinds = {
        name: prop["$ref"].rsplit("/", 1)[1]
        for name, prop in schema["properties"].items()
        if "$ref" in prop
    }
    kinds["destination"] = "destination"  # the menu entry's
    return kinds


def load_config_set(paths: Sequence[str | Path]) -> ConfigSet:
    """Read and validate IVR files into a `ConfigSet`.

    `paths` are files or folders (folders searched recursively for *.yaml/*.yml). Never raises for
    bad input files: every problem is in the result, sorted, without repeats. Raises
    `ivrsync.errors.UsageError` only when a given path does not exist at all. `configs` holds the
    files without errors (warnings allowed), sorted by id.
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
    problems.extend(_cross_file_problems(files))

    failed = {p.file for p in problems if p.is_error}
    configs = []
    for file in files:
        if file.is_mapping and file.display not in failed:
            body = body_from_document(file.document)
            configs.append(
                IvrConfig(
                    id=file.document["id"],
                    name=file.document["name"],
                    source=file.display,
                    body=body,
                    digest=digest_body(body),
                )
            )
    configs.sort(key=lambda config: config.id)
    return ConfigSet(
        configs=tuple(configs),
        problems=tuple(sorted(set(problems))),
        files_read=len(discovery.files),
    )


def schema_problems(file: LoadedFile) -> list[Problem]:
    """Problems of one parsed mapping against the schema, in words an IVR engineer knows."""
    if _fast_check()(file.document):
        return []
    problems: list[Problem] = []
    for error in schema_validator().iter_errors(_shallow(file.document)):
        problems.extend(_explain(file, error))
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


def _explain(file: LoadedFile, error: ValidationError) -> Iterator[Problem]:
    path = tuple(error.absolute_path)
    value: Any = error.instance
    keyword: Any = error.validator
    expected: Any = error.validator_value
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    at = file.locate(path)

    if keyword == "required":
        properties = schema.get("properties", {})
        for name in expected:
            if name not in value:
                about = properties.get(name, {}).get("description", "")
                yield file.problem(
                    f"missing field '{name}'",
                    at=at,
                    json_path=(*path, name),
                    hint=f"add the `{name}:` line" + (f". {about}" if about else ""),
                )
    elif keyword == "additionalProperties":
        known = list(schema.get("properties", {}))
        # Only fields the mapping lacks: renaming a key to one it already has makes a duplicate.
        absent = [name for name in known if name not in value]
        for key in value:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), absent, n=1)
            present = difflib.get_close_matches(str(key), known, n=1)
            if close:
                message = f"unknown field '{key}'; did you mean '{close[0]}'?"
                hint = f"rename it to '{close[0]}'"
            elif present:
                message = f"unknown field '{key}'; '{present[0]}' is already set"
                hint = f"remove it, or keep its value in the `{present[0]}:` line"
            else:
                message = f"unknown field '{key}'"
                hint = f"remove it; the fields here are {', '.join(known)}"
            yield file.problem(
                message,
                at=file.locate((*path, key), key=True),
                json_path=(*path, key),
                hint=hint,
            )
    elif keyword == "type":
        yield file.problem(
            f"expected {_expected(expected)}, got {_describe(value)}",
            at=at,
            json_path=path,
            hint=_type_hint(path, value, schema, file.source_text(path)),
        )
    elif (
        keyword in ("pattern", "anyOf")
        and _reference_kind(path) is not None
        and isinstance(value, str)
    ):
        message, hint = _explain_reference(value, _reference_kind(path) or "")
        yield file.problem(message, at=at, json_path=path, hint=hint)
    elif keyword == "anyOf" and path and path[-1] == "option":
        yield file.problem(
            f"{_describe(value)} is not a menu key",
            at=at,
            json_path=path,
            hint='an unquoted # starts a YAML comment: write option: "#"'
            if value is None
            else 'use one DTMF key: "0" to "9", "*" or "#" (quote * and # in YAML)',
        )
    elif keyword in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        side = "below the minimum" if keyword == "minimum" else "above the maximum"
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        yield file.problem(
            f"{value} is {side} of {expected}",
            at=at,
            json_path=path,
            hint=f"use a whole number {span}",
        )
    elif keyword == "minItems":
        yield file.problem(
            "the menu has no entries",
            at=at,
            json_path=path,
            hint='add at least one entry: - option: "1"\\n  destination: extension|<id>',
        )
    elif keyword == "maxItems":
        yield file.problem(
            f"the menu has {len(value)} entries, more than the 12 keys of a keypad",
            at=at,
            json_path=path,
            hint="keep one entry per key: 0-9, * and #",
        )
    elif keyword in ("minLength", "pattern"):
        yield file.problem(
            "must not be blank",
            at=at,
            json_path=path,
            hint="give the IVR the name it has (or should have) in the Smartflo portal",
        )
    else:  # pragma: no cover - every keyword of the schema is handled above
        yield file.problem(_shorten(error.message, 200), at=at, json_path=path)


def _reference_kind(path: Sequence[str | int]) -> str | None:
    return _reference_kinds().get(str(path[-1])) if path else None


def _explain_reference(value: str, kind: str) -> tuple[str, str]:
    """(message, hint) for a recording or destination reference that matches no allowed form."""
    kinds = recording_types() if kind == "recording" else destination_types()
    form = " or ".join(f"{k}|<id>" for k in kinds) if kind == "recording" else "<type>|<id>"
    hint = f"write {form}, e.g. {_EXAMPLES[kind]}"
    if kind == "destination":
        hint += f"; types: {', '.join(kinds)}"
    shown = _shorten(value, 60)
    ref_type, separator, ident = value.partition("|")
    if not separator:
        return f"'{shown}' is not a {kind} reference: expected {form}", hint
    if ref_type not in kinds:
        close = difflib.get_close_matches(ref_type, kinds, n=1)
        suggestion = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown {kind} type '{_shorten(ref_type, 40)}'{suggestion}", hint
    if ref_type == "hangup":
        return f"'{shown}': hangup always takes id 1", "write hangup|1"
    if ref_type == "ivr":
        return f"'{shown}': an IVR is named by its numeric id", "write ivr|<id>, e.g. ivr|350"
    if not ident.strip():
        return f"'{shown}' has no id after the |", hint
    if "|" in ident:
        return f"'{shown}' has more than one |", hint
    return f"'{shown}': the id must not contain spaces (only custom_dialplan ids may)", hint


def _type_hint(
    path: Sequence[str | int], value: object, schema: Mapping[str, Any], written: str | None
) -> str:
    """What would fix a wrong type; `written` is the value's text in the file, when known."""
    expected = schema.get("type")
    field = str(path[-1]) if path else ""
    if value is None and field:
        return f"fill in a value after `{field}:`"
    if expected == "integer" and isinstance(value, float) and value.is_integer():
        return f"write {int(value)}, without a decimal point"
    if expected == "integer" and isinstance(value, str) and value.isascii() and value.isdigit():
        return f"write {field}: {int(value)}, without quotes"
    if expected == "string" and not isinstance(value, str | list | dict):
        # YAML typed it (`yes` is true, `0231` is octal 153): quote what was written.
        text = written if written is not None else str(value)
        return f"quote it: {field}: {json.dumps(text, ensure_ascii=False)}"
    about = _field_descriptions().get(field) or schema.get("description")
    return str(about) if about else ""


def _expected(type_value: object) -> str:
    names = type_value if isinstance(type_value, list) else [type_value]
    return " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in names)


def _describe(value: object) -> str:
    """A short description of a YAML value for messages (never a huge repr)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {_shorten(repr(value), 40)}"
    if isinstance(value, str):
        return f"the text '{_shorten(value, 40)}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a YAML {type(value).__name__}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _menu_entries(document: Mapping[Any, Any]) -> list[tuple[int, Mapping[Any, Any]]]:
    menu = document.get("menu")
    if not isinstance(menu, list):
        return []
    return [(index, entry) for index, entry in enumerate(menu) if isinstance(entry, dict)]


def _menu_problems(file: LoadedFile) -> list[Problem]:
    """The same DTMF key twice in one menu (`1` and `"1"` are the same key)."""
    first_seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, entry in _menu_entries(file.document):
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
    for index, entry in _menu_entries(file.document):
        places.extend((("menu", index, key), value) for key, value in entry.items())
    for path, value in places:
        # Only where a number belongs: elsewhere the schema already reports the wrong type.
        if path[-1] not in _integer_fields() or not isinstance(value, int):
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


@dataclass(frozen=True)
class _Claim:
    """A file claiming an IVR id or name."""

    file: LoadedFile
    value: str


def _cross_file_problems(files: Sequence[LoadedFile]) -> list[Problem]:
    by_id: dict[int, list[LoadedFile]] = defaultdict(list)
    by_name: dict[str, list[_Claim]] = defaultdict(list)
    for file in files:
        if not file.is_mapping:
            continue
        ivr_id = file.document.get("id")
        if isinstance(ivr_id, int) and not isinstance(ivr_id, bool) and ivr_id > 0:
            by_id[ivr_id].append(file)
        name = file.document.get("name")
        if isinstance(name, str) and name.strip():
            # Names differing only in case or spaces look the same in the portal.
            by_name[name.strip().casefold()].append(_Claim(file, name))

    problems: list[Problem] = []
    for ivr_id, owners in by_id.items():
        for file in owners if len(owners) > 1 else ():
            others = ", ".join(o.display for o in owners if o is not file)
            problems.append(
                file.problem(
                    f"IVR id {ivr_id} is also used by {others}",
                    at=file.locate(("id",)),
                    json_path=("id",),
                    hint="keep each IVR in exactly one file: remove the copy or fix its id",
                )
            )
    for claims in by_name.values():
        for claim in claims if len(claims) > 1 else ():
            others = ", ".join(c.file.display for c in claims if c is not claim)
            problems.append(
                claim.file.problem(
                    f"the name '{_shorten(claim.value, 60)}' is also used by {others}",
                    at=claim.file.locate(("name",)),
                    json_path=("name",),
                    severity="warning",
                    hint="give each IVR its own name so people can tell them apart",
                )
            )
    known_ids = set(by_id)
    for file in files:
        if file.is_mapping:
            problems.extend(_unknown_ivr_problems(file, known_ids))
    return problems


def _unknown_ivr_problems(file: LoadedFile, known: set[int]) -> Iterator[Problem]:
    """Warnings for `ivr|<id>` destinations naming no IVR of the config set."""
    document = file.document
    places: list[tuple[tuple[str | int, ...], object]] = [
        ((name,), document.get(name)) for name in _DESTINATION_FIELDS
    ]
    places.extend(
        (("menu", index, "destination"), entry.get("destination"))
        for index, entry in _menu_entries(document)
    )
    for path, value in places:
        if not isinstance(value, str) or not value.startswith("ivr|"):
            continue
        ident = value.removeprefix("ivr|")
        if ident.isascii() and ident.isdigit() and int(ident) not in known:
            yield file.problem(
                f"{value} names no IVR in the config set",
                at=file.locate(path),
                json_path=path,
                severity="warning",
                hint=f"fine if IVR {int(ident)} is managed outside ivrsync; "
                "otherwise fix the id or add a file for it",
            )


def load_config_dir(config_dir: str | Path) -> ConfigSet:
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
    return load_config_set([config_dir])
