"""The schema: its two copies, its documentation, its lists, and the compiled fast check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivrsync.config.schema import (
    UnsupportedSchemaError,
    compile_check,
    destination_types,
    load_schema,
    recording_types,
    schema_text,
)
from ivrsync.config.validate import schema_validator
from ivrsync.model import DTMF_KEYS, SCALAR_FIELDS
from tests.testing.documents import BASE_DOCUMENT

ROOT = Path(__file__).parent.parent
SCHEMA = ROOT / "schemas" / "ivr.schema.json"
PACKAGED = ROOT / "ivrsync" / "schemas" / "ivr.schema.json"
EXAMPLES = sorted(p for p in (ROOT / "ivr-configs").rglob("*") if p.suffix in (".yaml", ".yml"))


def test_the_packaged_schema_is_byte_identical_to_the_top_level_one() -> None:
    assert PACKAGED.read_bytes() == SCHEMA.read_bytes()


def test_schema_text_is_the_packaged_file() -> None:
    assert schema_text() == PACKAGED.read_text(encoding="utf-8")


def run_check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_jsonschema_accepts_the_schema_against_its_metaschema() -> None:
    result = run_check_jsonschema("--check-metaschema", str(SCHEMA))

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_accepts_every_example_file() -> None:
    assert len(EXAMPLES) >= 4
    result = run_check_jsonschema("--schemafile", str(SCHEMA), *map(str, EXAMPLES))

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_rejects_a_bad_file(tmp_path: Path) -> None:
    # Proves the test above can fail: the independent validator does look at the files.
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLES[0].read_text(encoding="utf-8").replace("hangup|1", "hangup|2"))

    result = run_check_jsonschema("--schemafile", str(SCHEMA), str(bad))

    assert result.returncode == 1


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_start_with_the_schema_line_for_editors(example: Path) -> None:
    first_line = example.read_text(encoding="utf-8").splitlines()[0]
    relative = Path("..", *[".."] * (len(example.relative_to(ROOT).parts) - 2))
    expected = (
        f"# yaml-language-server: $schema={(relative / 'schemas/ivr.schema.json').as_posix()}"
    )

    assert first_line == expected
    assert (example.parent / first_line.split("=", 1)[1]).resolve() == SCHEMA


def test_fields_are_in_the_documented_order_and_all_required() -> None:
    schema = load_schema()

    assert list(schema["properties"]) == ["id", *SCALAR_FIELDS, "menu"]
    # Every field but `id`: a file without one is a new IVR, which apply creates.
    assert schema["required"] == list(schema["properties"])[1:]
    assert schema["additionalProperties"] is False
    entry = schema["$defs"]["menu_entry"]
    assert entry["required"] == list(entry["properties"]) == ["option", "destination"]
    assert entry["additionalProperties"] is False


def _subschemas(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(f"properties.{name}", sub) for name, sub in schema.get("properties", {}).items()]
    found += [(f"$defs.{name}", sub) for name, sub in schema.get("$defs", {}).items()]
    for _, sub in list(found):
        found += [(f"{name}.", deeper) for name, deeper in _subschemas(sub)]
    return found


def test_every_property_and_definition_has_a_title_and_a_description() -> None:
    missing = [
        where
        for where, sub in _subschemas(load_schema())
        if not sub.get("title") or not sub.get("description")
    ]
    assert missing == []
    assert load_schema()["$id"].startswith("https://")


def test_destination_types_are_the_documented_ones() -> None:
    assert sorted(destination_types()) == sorted(
        [
            "extension",
            "agent",
            "ringgroup",
            "ivr",
            "auto_attendant",
            "auto_attend",
            "department",
            "time_condition",
            "timegroup",
            "voicemail",
            "api_dialplan",
            "custom_dialplan",
            "hangup",
        ]
    )
    assert len(set(destination_types())) == len(destination_types())
    assert recording_types() == ("recording", "outbound_tts")


def test_the_option_keys_are_the_model_dtmf_keys() -> None:
    option = load_schema()["$defs"]["menu_entry"]["properties"]["option"]
    assert tuple(option["anyOf"][0]["enum"]) == DTMF_KEYS


@pytest.mark.parametrize(
    "schema",
    [{"oneOf": [{"type": "string"}]}, {"$ref": "other.json#/x"}, {"enum": [1, 2]}],
    ids=["unknown-keyword", "remote-ref", "non-text-enum"],
)
def test_compile_check_refuses_what_it_cannot_check(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchemaError):
        compile_check(schema)


# --- the compiled check agrees with jsonschema --------------------------------------------------

RECORDINGS = ["recording|0231", "outbound_tts|9", "recording|", "recording|a b", "ivr|3"]
DESTINATIONS = [
    "extension|05047530002",
    "ivr|350",
    "hangup|1",
    "custom_dialplan|Night plan",
    "department|7",
    "ivr|0",
    "ivr|x",
    "hangup|2",
    "custom_dialplan| x",
    "queue|1",
    "extension",
    "",
]
REFERENCES = RECORDINGS + DESTINATIONS
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=400),
    st.floats(allow_nan=False),
    st.sampled_from([*REFERENCES, *DTMF_KEYS, "10", " ", "Sales"]),
    st.text(max_size=5),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["option", "destination", "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)


NUMBERS = st.sampled_from([-1, 0, 1, 9, 10, 11, 20, 299, 300, 301, 20.0, 1.5, True])
OPTIONS = st.sampled_from([*DTMF_KEYS, 0, 9, 10, -1, "10", "a", "", 1.0, None])
#: For each field, values near its valid range (most mutations should land on the border).
NEAR_VALID: dict[str, st.SearchStrategy[Any]] = {
    "id": NUMBERS,
    "timeout": NUMBERS,
    "incorrect_count": NUMBERS,
    "timeout_tries": NUMBERS,
    "name": st.sampled_from(["Sales", "", " ", "\t", " x "]),
    "description": st.sampled_from(["", "x", 1]),
    "option": OPTIONS,
    "destination": st.sampled_from(DESTINATIONS),
    "invalid_destination": st.sampled_from(DESTINATIONS),
    "timeout_destination": st.sampled_from(DESTINATIONS),
    "menu": st.lists(
        st.fixed_dictionaries({"option": OPTIONS, "destination": st.sampled_from(DESTINATIONS)}),
        max_size=13,
    ),
}


def near_valid(field: str) -> st.SearchStrategy[Any]:
    return NEAR_VALID.get(field, st.sampled_from(RECORDINGS))


@st.composite
def documents(draw: st.DrawFn) -> Any:
    """The base document with one to three edits, mostly near-valid values; rarely any value."""
    document: dict[str, Any] = {
        **BASE_DOCUMENT,
        "menu": [dict(entry) for entry in BASE_DOCUMENT["menu"]],
    }
    # Hypothesis favours the first choices of a strategy: the common edits come first.
    edits = st.sampled_from(
        ["set"] * 6 + ["entry"] * 3 + ["add-entry", "delete", "unknown-field", "any"]
    )
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        action = draw(edits)
        field = draw(st.sampled_from(list(BASE_DOCUMENT)))
        menu = document.get("menu")
        if action == "set":
            document[field] = draw(near_valid(field))
        elif action == "delete":
            document.pop(field, None)
        elif action == "unknown-field":
            document[draw(st.sampled_from(["menus", "extra", "Timeout"]))] = 1
        elif action == "any":
            document[field] = draw(VALUES)
        elif action == "add-entry" and isinstance(menu, list):
            menu.append({"option": draw(OPTIONS), "destination": draw(near_valid("destination"))})
        elif action == "entry" and isinstance(menu, list) and menu and isinstance(menu[-1], dict):
            key = draw(st.sampled_from(["destination", "option"] * 4 + ["x"]))
            menu[-1][key] = draw(near_valid(key))
    if draw(st.integers(min_value=0, max_value=19)) == 19:
        return draw(VALUES)
    return document


@settings(max_examples=400, deadline=None)
@given(documents())
def test_compiled_check_agrees_with_jsonschema(document: Any) -> None:
    assert compile_check(load_schema())(document) == schema_validator().is_valid(document)


def test_compiled_check_accepts_the_base_document_and_rejects_a_float() -> None:
    check = compile_check(load_schema())

    assert check(BASE_DOCUMENT)
    assert not check({**BASE_DOCUMENT, "timeout": 20.0})


BORDER_CASES = [
    ("timeout", 300, True),
    ("timeout", 301, False),
    ("timeout", 20.0, False),
    ("id", True, False),
    ("name", " ", False),
    ("description", "", True),
    ("timeout_destination", "hangup|2", False),
    ("timeout_destination", "custom_dialplan|a b", True),
    ("recording", "recording|a b", False),
    ("menu", [{"option": 9, "destination": "hangup|1"}], True),
    ("menu", [{"option": 10, "destination": "hangup|1"}], False),
    ("menu", [{"option": "#", "destination": "ivr|1"}], True),
    ("menu", [{"option": "1", "destination": "ivr|0"}], False),
    ("menu", [], False),
    ("extra", 1, False),
]


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    BORDER_CASES,
    ids=[f"{field}={value!r}" for field, value, _ in BORDER_CASES],
)
def test_compiled_check_and_jsonschema_agree_on_the_borders(
    field: str, value: Any, valid: bool
) -> None:
    document = {**BASE_DOCUMENT, field: value}

    assert compile_check(load_schema())(document) is valid
    assert schema_validator().is_valid(document) is valid
