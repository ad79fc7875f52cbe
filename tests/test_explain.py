"""config/explain.py's plain functions: ids without their type, mistyped fields paired."""

from __future__ import annotations

from typing import Any

import pytest

from ivrsync.config.explain import bare_id, renamed_fields
from ivrsync.config.schema import destination_types, load_schema

SCHEMA = load_schema()
DOCUMENT = SCHEMA
ENTRY = SCHEMA["$defs"]["menu_entry"]


def document(**fields: Any) -> dict[str, Any]:
    """Every required field of the document, then `fields` (None removes one)."""
    values = {name: 1 for name in SCHEMA["required"]}
    values.update(fields)
    return {name: value for name, value in values.items() if value is not None}


RENAMES: list[tuple[str, dict[str, Any], dict[str, Any], dict[Any, str]]] = [
    ("typo-of-a-missing-field", DOCUMENT, document(name=None, nmae="x"), {"nmae": "name"}),
    (
        "in-a-menu-entry",
        ENTRY,
        {"option": "1", "destinaton": "ivr|2"},
        {"destinaton": "destination"},
    ),
    # Present: renaming `timout` would make a second `timeout`; nothing to pair it with.
    ("typo-of-a-present-field", DOCUMENT, document(timout=3), {}),
    # `timeout_tries` is missing, but `timout` is far closer to the `timeout` that is there.
    ("closer-to-a-present-field", DOCUMENT, document(timeout_tries=None, timout=3), {}),
    ("not-close-to-anything", DOCUMENT, document(name=None, webhook="x"), {}),
    # A menu entry's fields only pair within the entry: `nmae` there is no typo of its fields.
    ("other-level", ENTRY, {"option": "1", "nmae": "x"}, {}),
    (
        "two-typos-of-two-fields",
        DOCUMENT,
        document(name=None, timeout=None, nmae="x", timeuot=3),
        {"nmae": "name", "timeuot": "timeout"},
    ),
    ("a-number-key", ENTRY, {"option": "1", 7: "x"}, {}),
]


@pytest.mark.parametrize(
    ("schema", "mapping", "expected"),
    [case[1:] for case in RENAMES],
    ids=[case[0] for case in RENAMES],
)
def test_renamed_fields(
    schema: dict[str, Any], mapping: dict[Any, Any], expected: dict[Any, str]
) -> None:
    assert renamed_fields(mapping, schema) == expected


def test_only_the_first_fifty_unknown_keys_are_compared() -> None:
    def with_keys_before(count: int) -> dict[str, Any]:
        return document(name=None, **{f"x{i}": i for i in range(count)}, nmae="x")

    assert renamed_fields(with_keys_before(49), DOCUMENT) == {"nmae": "name"}
    assert renamed_fields(with_keys_before(50), DOCUMENT) == {}


TYPES = ", ".join(destination_types())
BARE_IDS = [
    (
        "recording",
        ("recording", "recording", "30211"),
        "write recording: recording|30211 (or outbound_tts|30211 for a text-to-speech prompt)",
    ),
    (
        "leading-zero",  # YAML 1.1 read 681488386; the hint keeps the id as written
        ("invalid_destination", "destination", "05047530002"),
        "put the type of what it names first, e.g. invalid_destination: extension|05047530002; "
        f"types: {TYPES}",
    ),
    (
        "hexadecimal",
        ("destination", "destination", "0x1F"),
        f"put the type of what it names first, e.g. destination: extension|0x1F; types: {TYPES}",
    ),
    (
        "underscores",
        ("timeout_recording", "recording", "1_000"),
        "write timeout_recording: recording|1_000 (or outbound_tts|1_000 for a text-to-speech "
        "prompt)",
    ),
    (
        "base-60-needs-quotes",  # `extension|1:30` unquoted would be read as a key
        ("destination", "destination", "1:30"),
        f'put the type of what it names first, e.g. destination: "extension|1:30"; types: {TYPES}',
    ),
    (
        "too-long-to-repeat",
        ("recording", "recording", "9" * 41),
        'write recording: "recording|<id>" (or "outbound_tts|<id>" for a text-to-speech prompt)',
    ),
]


@pytest.mark.parametrize(
    ("arguments", "hint"), [case[1:] for case in BARE_IDS], ids=[case[0] for case in BARE_IDS]
)
def test_bare_id_hints_the_whole_reference_with_the_id_as_written(
    arguments: tuple[str, str, str], hint: str
) -> None:
    written = arguments[2]
    shown = written if len(written) <= 40 else written[:37] + "..."

    assert bare_id(*arguments) == (f"'{shown}' is an id without its type", hint)
