"""Schema errors in people's words: jsonschema's errors -> Problems with a hint each.

Only documents that fail the fast check get here, so the cost of good messages is paid by bad
files alone. The costliest part, a did-you-mean guess (difflib), is made only for the problems
that can be shown (`suggestions`): a file of 20,000 unknown keys costs 20,000 cheap problems, not
20,000 guesses.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from itertools import islice
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
#: How many unknown keys of one mapping are compared with its missing fields (`renamed_fields`):
#: a mapping mistypes a few fields, and a hostile one with thousands costs no more than this.
_RENAMES_LOOKED_AT = 50
#: Ids longer than this are cut in messages (and left out of hints: a cut id is no id).
_ID_SHOWN = 40
#: A reference that YAML reads back as the same text when written without quotes.
_PLAIN_REFERENCE = re.compile(r"[a-z_]+\|[A-Za-z0-9_.+-]+")


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
        # A mistyped field (`nmae:`) is one problem, reported at the unknown key: "did you mean".
        typed_as = set(renamed_fields(value, schema).values())
        for name in expected:
            if name not in value and name not in typed_as:
                about = properties.get(name, {}).get("description", "")
                yield file.problem(
                    f"missing field '{name}'",
                    at=at,
                    json_path=(*path, name),
                    hint=f"add the `{name}:` line" + (f". {about}" if about else ""),
                )
    elif keyword == "additionalProperties":
        known = list(schema.get("properties", {}))
        unknown = (key for key in value if key not in known)
        renamed = renamed_fields(value, schema)
        for index, key in enumerate(unknown):
            name = shorten(str(key), 60)
            # A renamed field is always named: its "missing field" problem was left out for it.
            guessed = renamed.get(key) or (_closest(key, known) if index < suggestions else None)
            if guessed is not None and guessed not in value:
                message = f"unknown field '{name}'; did you mean '{guessed}'?"
                hint = f"rename it to '{guessed}'"
            elif guessed is not None:
                # Renaming it would make a duplicate: the field it resembles is already there.
                message = f"unknown field '{name}'; '{guessed}' is already set"
                hint = f"remove it, or keep its value in the `{guessed}:` line"
            else:
                message = f"unknown field '{name}'"
                hint = f"remove it; the fields here are {', '.join(known)}"
            yield file.problem(
                message,
                at=file.locate((*path, key), key=True),
                json_path=(*path, key),
                hint=hint,
            )
    elif keyword == "type" and _reference_kind(path) is not None and _is_number(value):
        # An id pasted from the portal (`recording: 30211`), which YAML made a number: quoting it
        # would only lead to the next error, so the hint is the whole reference, as written.
        written = file.source_text(path) or str(value)
        message, hint = bare_id(str(path[-1]), _reference_kind(path) or "", written)
        yield file.problem(message, at=at, json_path=path, hint=hint)
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
            str(path[-1]), value, _reference_kind(path) or "", guess=suggestions > 0
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


def renamed_fields(mapping: Mapping[Any, Any], schema: Mapping[str, Any]) -> dict[Any, str]:
    """The mapping's mistyped fields: unknown key -> the missing required field it stands for.

    A key pairs with a field when that field is its closest match among all the fields of this
    mapping (`schema` is the mapping's own object schema, so a typo in a menu entry pairs with
    the entry's fields only) and the mapping lacks it. Only the first _RENAMES_LOOKED_AT unknown
    keys are compared, and only when a required field is missing: the cost stays bounded.
    """
    known = list(schema.get("properties", {}))
    missing = {name for name in schema.get("required", ()) if name not in mapping}
    if not missing:
        return {}
    unknown = islice((key for key in mapping if key not in known), _RENAMES_LOOKED_AT)
    renamed: dict[Any, str] = {}
    for key in unknown:
        closest = _closest(key, known)
        if closest is not None and closest in missing:
            renamed[key] = closest
    return renamed


def _closest(key: object, names: Sequence[str]) -> str | None:
    """The name `key` is most likely a typo of (difflib's closest match), or None."""
    matches = difflib.get_close_matches(str(key), names, n=1)
    return matches[0] if matches else None


def _reference_kind(path: Sequence[str | int]) -> str | None:
    return _reference_kinds().get(str(path[-1])) if path else None


def bare_id(field: str, kind: str, written: str) -> tuple[str, str]:
    """(message, hint) for an id written without its type in a reference field.

    `kind` is `recording` or `destination`; `written` is the id as the file writes it (`30211`,
    `05047530002`, `0x1F`), never the number YAML read (681488386 for 05047530002), so the
    hint's reference names what the portal shows. A recording's type is known (`recording`; a
    text-to-speech prompt is `outbound_tts`), a destination's is not: the types are listed.
    """
    shown = shorten(written, _ID_SHOWN)
    ident = written if len(written) <= _ID_SHOWN else "<id>"
    message = f"'{shown}' is an id without its type"
    if kind == "recording":
        return message, (
            f"write {field}: {_yaml_text('recording|' + ident)} "
            f"(or {_yaml_text('outbound_tts|' + ident)} for a text-to-speech prompt)"
        )
    return message, (
        f"put the type of what it names first, e.g. {field}: {_yaml_text('extension|' + ident)}; "
        f"types: {', '.join(destination_types())}"
    )


def _looks_like_id(text: str) -> bool:
    """Whether a text with no `|` is an id on its own (`30211`, `0504753000289`): digits first,
    no spaces. `welcome.wav` is not, and gets the general message."""
    return text[:1].isdigit() and not any(char.isspace() for char in text)


def _yaml_text(text: str) -> str:
    """`text` as a YAML value to paste: plain when that is safe, else double-quoted."""
    return text if _PLAIN_REFERENCE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _explain_reference(field: str, value: str, kind: str, *, guess: bool) -> tuple[str, str]:
    """(message, hint) for a recording or destination reference that matches no allowed form."""
    kinds = recording_types() if kind == "recording" else destination_types()
    form = " or ".join(f"{k}|<id>" for k in kinds) if kind == "recording" else "<type>|<id>"
    hint = f"write {form}, e.g. {_EXAMPLES[kind]}"
    if kind == "destination":
        hint += f"; types: {', '.join(kinds)}"
    shown = shorten(value, 60)
    ref_type, separator, ident = value.partition("|")
    if not separator and _looks_like_id(value):
        return bare_id(field, kind, value)
    if not separator:
        return f"'{shown}' is not a {kind} reference: expected {form}", hint
    if ref_type not in kinds:
        close = difflib.get_close_matches(ref_type, kinds, n=1) if guess else []
        suggestion = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown {kind} type '{shorten(ref_type, 40)}'{suggestion}", hint
    if ref_type == "hangup":
        return f"'{shown}': hangup always takes id 1", "write hangup|1"
    if ref_type == "ivr" and ident.startswith("@"):
        return (
            f"'{shown}': a name reference needs the IVR's name right after the @",
            "write ivr|@<name> with no spaces around the name, e.g. ivr|@Sales",
        )
    if ref_type == "ivr":
        return (
            f"'{shown}': an IVR is named by its numeric id or by its name",
            "write ivr|<id> (e.g. ivr|350) or ivr|@<name> (e.g. ivr|@Sales)",
        )
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
