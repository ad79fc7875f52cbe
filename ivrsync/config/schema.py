"""The JSON Schema of an IVR file, as shipped in the package (`ivrsync/schemas/ivr.schema.json`).

The schema is the one source of truth for the file format: the validator checks documents against
it, editors read it through the `# yaml-language-server: $schema=...` line, and the destination
types are listed only in it (`destination_types()` reads them back for messages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

SCHEMA_RESOURCE = "schemas/ivr.schema.json"

# Each branch of `$defs.destination.anyOf` starts with `^(type|type|...)\|`.
_TYPES_PREFIX = re.compile(r"^\^\(([a-z_|]+)\)\\\|")


@cache
def schema_text() -> str:
    """The packaged schema file's text, exactly as shipped (ends with a newline)."""
    # Beside this package, as `resources.files` would find it in an installed or editable
    # package alike; `importlib.resources` (with `zipfile`) is not imported for it.
    return (Path(__file__).resolve().parent.parent / SCHEMA_RESOURCE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The packaged schema as a fresh dict (callers may modify their copy)."""
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


@cache
def destination_types() -> tuple[str, ...]:
    """The destination types the schema accepts, in the schema's order.

    Read from the patterns of `$defs.destination`, so the schema stays the only list.
    """
    types: list[str] = []
    for branch in load_schema()["$defs"]["destination"]["anyOf"]:
        match = _TYPES_PREFIX.match(branch["pattern"])
        if match is None:  # pragma: no cover - guarded by tests/test_schema.py
            raise ValueError(f"unexpected destination pattern {branch['pattern']!r}")
        # `ivr` has two branches (by id and by name): each type is listed once.
        types.extend(t for t in match.group(1).split("|") if t not in types)
    return tuple(types)


@cache
def recording_types() -> tuple[str, ...]:
    """The recording reference types the schema accepts (`recording`, `outbound_tts`)."""
    match = _TYPES_PREFIX.match(load_schema()["$defs"]["recording"]["pattern"])
    if match is None:  # pragma: no cover - guarded by tests/test_schema.py
        raise ValueError("unexpected recording pattern")
    return tuple(match.group(1).split("|"))


#: A yes/no check of one JSON value.
Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default"}
)


class UnsupportedSchemaError(ValueError):
    """The schema uses a keyword `compile_check` does not implement."""


def compile_check(schema: Mapping[str, Any]) -> Check:
    """A fast yes/no validity check for `schema`, as strict as the validator of `validate`.

    Compiles the keywords IVR schemas use (type, properties, required, additionalProperties: false,
    items, minItems, maxItems, minimum, maximum, minLength, pattern, enum, anyOf, local `$ref`)
    into plain Python closures, about ten times faster than jsonschema's `is_valid`. `integer`
    excludes floats, as in `ivrsync.config.validate`. Raises `UnsupportedSchemaError` for any other
    keyword, so a schema change can never be silently skipped; callers then use jsonschema alone.
    Equivalence with jsonschema is property-tested in tests/test_schema.py.
    """
    return _compile(schema, schema)


def _compile(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    # The type test runs first; keywords that only constrain that type then need no guard.
    declared = schema.get("type")
    type_test = _TYPE_TESTS[declared] if isinstance(declared, str) else None
    checks: list[Check] = [] if declared is None else [_type_check(declared)]
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword == "type":
            continue
        if keyword == "$ref":
            checks.append(_compile(_resolve(value, root), root))
        elif keyword == "anyOf":
            patterns = _only_patterns(value)
            if patterns is not None:
                string = _TYPE_TESTS["string"]
                matches = _matches_any(patterns)
                checks.append(matches if type_test is string else _only_for(string, matches))
            else:
                checks.append(_any_of(tuple(_compile(sub, root) for sub in value)))
        else:
            applies_to, check = _keyword_check(keyword, value, schema, root)
            # After the type test, a keyword for that type (or a wider one) needs no guard.
            guarded = applies_to is type_test or (applies_to, type_test) in _WIDER
            checks.append(check if guarded else _only_for(applies_to, check))
    return _all_of(tuple(checks))


def _all_of(checks: tuple[Check, ...]) -> Check:
    # Two or three checks (a type and a keyword or two: most schemas here) as one expression:
    # this runs for every value of every file, and a loop costs more than the checks.
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    if len(checks) == 3:
        first, second, third = checks
        return lambda v: first(v) and second(v) and third(v)

    def check_all(value: Any) -> bool:
        # A plain loop: all() over a generator costs an extra frame per call on this hot path.
        for check in checks:  # noqa: SIM110
            if not check(value):
                return False
        return True

    return check_all


def _any_of(options: tuple[Check, ...]) -> Check:
    def check_any(value: Any) -> bool:
        for check in options:  # noqa: SIM110 (as in _all_of)
            if check(value):
                return True
        return False

    return check_any


#: A backreference (`\1`, `(?P=name)`) would change meaning once patterns are joined.
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _only_patterns(branches: Any) -> list[str] | None:
    """The patterns of `anyOf` branches that are each a `pattern` and nothing else (the
    destinations' branches), else None."""
    patterns = []
    for branch in branches:
        keywords = {key for key in branch if key not in _ANNOTATIONS}
        if keywords != {"pattern"} or _BACKREFERENCE.search(branch["pattern"]):
            return None
        patterns.append(branch["pattern"])
    return patterns or None


def _matches_any(patterns: list[str]) -> Check:
    """Whether a string matches one of `patterns`: one search of them joined, not one each."""
    try:
        search = re.compile("|".join(f"(?:{pattern})" for pattern in patterns)).search
    except re.error:  # e.g. a global flag inside one: keep them apart
        searches = [re.compile(pattern).search for pattern in patterns]
        return lambda v: any(found(v) is not None for found in searches)
    return lambda v: search(v) is not None


def _resolve(reference: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if not reference.startswith("#/"):
        raise UnsupportedSchemaError(f"non-local $ref {reference!r}")
    target: Any = root
    for part in reference[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return cast(Mapping[str, Any], target)


def _always(_value: object) -> bool:
    return True


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPE_TESTS: dict[str, Check] = {
    "integer": _is_integer,
    "number": _is_number,
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}

#: (keyword applies to, declared type's test) pairs where the type test implies the other:
#: every integer is a number.
_WIDER = frozenset({(_is_number, _is_integer)})


def _type_check(value: str | list[str]) -> Check:
    names = [value] if isinstance(value, str) else value
    tests = tuple(_TYPE_TESTS[name] for name in names)
    return tests[0] if len(tests) == 1 else (lambda v: any(test(v) for test in tests))


def _only_for(applies_to: Check, check: Check) -> Check:
    # Most keywords constrain one type and accept every other value (JSON Schema semantics).
    return lambda v: not applies_to(v) or check(v)


def _keyword_check(
    keyword: str, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> tuple[Check, Check]:
    """(which values the keyword applies to, the check for those values)."""
    is_object, is_array, is_string = (
        _TYPE_TESTS["object"],
        _TYPE_TESTS["array"],
        _TYPE_TESTS["string"],
    )
    if keyword == "properties":
        compiled = tuple((name, _compile(sub, root)) for name, sub in value.items())

        def check_properties(mapping: dict[Any, Any]) -> bool:
            for name, check in compiled:
                if name in mapping and not check(mapping[name]):
                    return False
            return True

        return is_object, check_properties
    if keyword == "required":
        names = frozenset(value)
        return is_object, lambda v: names <= v.keys()
    if keyword == "additionalProperties":
        if value is not False or "patternProperties" in schema:
            raise UnsupportedSchemaError("additionalProperties other than false")
        known = frozenset(schema.get("properties", {}))
        return is_object, lambda v: known.issuperset(v)
    if keyword == "items":
        item = _compile(value, root)

        def check_items(items: list[Any]) -> bool:
            for element in items:  # noqa: SIM110 (as in _all_of)
                if not item(element):
                    return False
            return True

        return is_array, check_items
    if keyword == "minItems":
        return is_array, lambda v: len(v) >= value
    if keyword == "maxItems":
        return is_array, lambda v: len(v) <= value
    if keyword == "minimum":
        return _is_number, lambda v: v >= value
    if keyword == "maximum":
        return _is_number, lambda v: v <= value
    if keyword == "minLength":
        return is_string, lambda v: len(v) >= value
    if keyword == "pattern":
        search = re.compile(value).search
        return is_string, lambda v: search(v) is not None
    if keyword == "enum":
        if not all(isinstance(item, str) for item in value):
            raise UnsupportedSchemaError("enum of values other than strings")
        members = frozenset(value)
        return _always, lambda v: isinstance(v, str) and v in members
    raise UnsupportedSchemaError(f"keyword {keyword!r}")
