"""Schema errors in people's words: jsonschema's errors -> Problems with a hint each.

Only documents that fail the fast check get here, so the cost of good messages is paid by bad
files alone. The costliest part, a did-you-mean guess (difflib), is made only for the problems
that can be shown (`suggestions`): a file of 20,000 unknown keys costs 20,000 cheap problems, not
20,000 guesses.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from ivrsync.config.loader import LoadedFile
from ivrsync.config.schema import destination_types, load_schema, recording_types
from ivrsync.model import Problem

if TYPE_CHECKING:
    from jsonschema import ValidationError

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


@cache
def _field_descriptions() -> dict[str, str]:
    """Field name -> the schema's description of it (document and menu entry fields)."""
    schema = load_schema()
    fields = {**schema["$defs"]["menu_entry"]["properties"], **schema["properties"]}
    return {name: prop["description"] for name, prop in fields.items() if "description" in prop}


@cache
def integer_fields() -> frozenset[str]:
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


def explain(
    file: LoadedFile, error: ValidationError, *, suggestions: int = 50
) -> Iterator[Problem]:
    """The problems of one schema error; at most `suggestions` of them guess a fix with difflib."""
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
        unknown = (key for key in value if key not in known)
        for index, key in enumerate(unknown):
            name = shorten(str(key), 60)
            guess = index < suggestions
            close = difflib.get_close_matches(str(key), absent, n=1) if guess else []
            present = difflib.get_close_matches(str(key), known, n=1) if guess else []
            if close:
                message = f"unknown field '{name}'; did you mean '{close[0]}'?"
                hint = f"rename it to '{close[0]}'"
            elif present:
                message = f"unknown field '{name}'; '{present[0]}' is already set"
                hint = f"remove it, or keep its value in the `{present[0]}:` line"
            else:
                message = f"unknown field '{name}'"
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
        message, hint = _explain_reference(
            value, _reference_kind(path) or "", guess=suggestions > 0
        )
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
            f"{shorten(str(value), 40)} is {side} of {expected}",
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
        yield file.problem(shorten(error.message, 200), at=at, json_path=path)


def _reference_kind(path: Sequence[str | int]) -> str | None:
    return _reference_kinds().get(str(path[-1])) if path else None


def _explain_reference(value: str, kind: str, *, guess: bool) -> tuple[str, str]:
    """(message, hint) for a recording or destination reference that matches no allowed form."""
    kinds = recording_types() if kind == "recording" else destination_types()
    form = " or ".join(f"{k}|<id>" for k in kinds) if kind == "recording" else "<type>|<id>"
    hint = f"write {form}, e.g. {_EXAMPLES[kind]}"
    if kind == "destination":
        hint += f"; types: {', '.join(kinds)}"
    shown = shorten(value, 60)
    ref_type, separator, ident = value.partition("|")
    if not separator:
        return f"'{shown}' is not a {kind} reference: expected {form}", hint
    if ref_type not in kinds:
        close = difflib.get_close_matches(ref_type, kinds, n=1) if guess else []
        suggestion = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown {kind} type '{shorten(ref_type, 40)}'{suggestion}", hint
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
    if (
        expected == "integer"
        and isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) <= 20  # int() of a much longer text would raise, and nobody means it
    ):
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
        return f"the number {shorten(repr(value), 40)}"
    if isinstance(value, str):
        return f"the text '{shorten(value, 40)}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a YAML {type(value).__name__}"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
