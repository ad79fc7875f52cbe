"""ivrsync.flow.suite: test files, their schema and its copies, their problems, running them."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, validators

from ivrsync.config.schema import compile_check
from ivrsync.flow.suite import LoadedTests, calltest_schema_text, load_call_tests, run_call_tests
from ivrsync.flow.walk import PRESSES
from ivrsync.model import CallTest
from tests.testing.flow import ROOT, configs, ivr, menu

SCHEMA = ROOT / "schemas" / "ivr-tests.schema.json"
PACKAGED = ROOT / "ivrsync" / "schemas" / "ivr-tests.schema.json"
EXAMPLE = ROOT / "ivr-tests" / "kaveri.yaml"


def test_the_packaged_test_schema_is_byte_identical_to_the_top_level_one() -> None:
    assert PACKAGED.read_bytes() == SCHEMA.read_bytes()
    assert calltest_schema_text() == SCHEMA.read_text(encoding="utf-8")


def _check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_jsonschema_accepts_the_schema_and_the_example_tests() -> None:
    meta = _check_jsonschema("--check-metaschema", str(SCHEMA))
    example = _check_jsonschema("--schemafile", str(SCHEMA), str(EXAMPLE))

    assert meta.returncode == 0, meta.stdout + meta.stderr
    assert example.returncode == 0, example.stdout + example.stderr


def test_check_jsonschema_rejects_a_bad_test_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("press:", "pres:", 1))

    assert _check_jsonschema("--schemafile", str(SCHEMA), str(bad)).returncode == 1


def test_the_example_tests_start_with_the_schema_line_for_editors() -> None:
    first = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]

    assert first == "# yaml-language-server: $schema=../schemas/ivr-tests.schema.json"
    assert (EXAMPLE.parent / first.split("=", 1)[1]).resolve() == SCHEMA


def _strict_validator() -> Any:
    def is_integer(_checker: object, value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", is_integer)
    cls = validators.extend(Draft202012Validator, type_checker=checker)
    return cls(json.loads(SCHEMA.read_text(encoding="utf-8")))


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 12),
    st.sampled_from(["", " ", "1", "*", "timeout", "invalid", "later", "Main", "x|y", "a|b c"]),
    st.sampled_from(["ringgroup|17839", "ivr|4102", "recording|1", "extention|1", "REC|1", "a|"]),
)
_VALUES = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=3))
_TEST = st.dictionaries(
    st.sampled_from(["name", "start", "press", "expect", "hear", "pres"]), _VALUES, max_size=6
)
_VALID_TEST = st.fixed_dictionaries(
    {"name": st.just("t"), "start": st.just("Main"), "expect": st.just("ringgroup|1")},
    optional={"press": st.lists(st.sampled_from(PRESSES)), "hear": st.just(["recording|1"])},
)
_DOCUMENTS = st.one_of(
    st.lists(st.one_of(_TEST, _VALID_TEST), max_size=3),
    _SCALARS,
    st.dictionaries(st.text(), _SCALARS),
)


@settings(max_examples=300)
@given(_DOCUMENTS)
def test_the_fast_check_agrees_with_jsonschema(document: Any) -> None:
    assert compile_check(json.loads(calltest_schema_text()))(
        document
    ) == _strict_validator().is_valid(document)


@settings(max_examples=150)
@given(document=_DOCUMENTS)
def test_every_file_the_schema_refuses_gets_problems_in_words(document: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "t.yaml")
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        loaded = load_call_tests([path])

    if _strict_validator().is_valid(document):
        kinds = {p.message.split(" type '")[0] for p in loaded.problems}
        assert kinds <= {"unknown destination", "unknown recording"}
    else:
        assert loaded.problems
        assert loaded.tests == ()
        assert not any("does not match the test-file schema" in p.message for p in loaded.problems)


def _problems(tmp_path: Path, text: str) -> list[tuple[int, int, str, str]]:
    path = tmp_path / "tests.yaml"
    path.write_text(text, encoding="utf-8")
    return [(p.line, p.column, p.path, p.message) for p in load_call_tests([path]).problems]


GOOD = "- name: t\n  start: Main\n  press: ['1']\n  expect: ringgroup|1\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD, []),
        ("", [(1, 1, "", "the file is empty: it holds no tests")]),
        ("name: t\n", [(1, 1, "", "a test file is a list of tests")]),
        ("[]\n", [(1, 1, "", "the file holds no tests")]),
        ("- name: t\n  start: [\n", [(3, 1, "", None)]),
        (
            GOOD.replace("press", "pres"),
            [(3, 3, "[0].pres", "unknown field 'pres'; did you mean 'press'?")],
        ),
        (GOOD.replace("  expect: ringgroup|1\n", ""), [(1, 3, "[0]", "missing field 'expect'")]),
        (GOOD.replace("['1']", "['1', '10']"), [(3, 16, "[0].press[1]", "not a press: '10'")]),
        (GOOD.replace("start: Main", "start: 0"), [(2, 10, "[0].start", None)]),
        (GOOD.replace("ringgroup|1", "ring group 1"), [(4, 11, "[0].expect", None)]),
        (
            GOOD.replace("ringgroup|1", "ringroup|1"),
            [
                (
                    4,
                    11,
                    "[0].expect",
                    "unknown destination type 'ringroup'; did you mean 'ringgroup'?",
                )
            ],
        ),
        (
            GOOD + "  hear: [recordng|1]\n",
            [
                (
                    5,
                    10,
                    "[0].hear[0]",
                    "unknown recording type 'recordng'; did you mean 'recording'?",
                )
            ],
        ),
        ("- just text\n", [(1, 3, "[0]", "a test is a mapping of name, start, press and expect")]),
    ],
    ids=[
        "valid",
        "empty",
        "mapping",
        "no-tests",
        "yaml-error",
        "unknown-field",
        "missing-field",
        "bad-press",
        "bad-start",
        "bad-expect",
        "expect-type",
        "hear-type",
        "not-a-mapping",
    ],
)
def test_problems_of_test_files(
    tmp_path: Path, text: str, expected: list[tuple[int, int, str, str | None]]
) -> None:
    found = _problems(tmp_path, text)

    assert [(line, column, path) for line, column, path, _ in found] == [e[:3] for e in expected]
    assert [m for (*_, m), e in zip(found, expected, strict=True) if e[3] is not None] == [
        e[3] for e in expected if e[3] is not None
    ]


def test_a_test_file_loads_into_call_tests(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(GOOD + "- name: u\n  start: 7\n  expect: ivr|7\n  hear: [recording|1]\n")

    loaded = load_call_tests([tmp_path])

    assert loaded.files_read == 1
    assert [
        (t.name, t.line, t.column, t.start, t.press, t.expect, t.hear) for t in loaded.tests
    ] == [
        ("t", 1, 3, "Main", ("1",), "ringgroup|1", ()),
        ("u", 5, 3, 7, (), "ivr|7", ("recording|1",)),
    ]


IVRS = configs(
    ivr(1, menu(k1="ringgroup|5", k2="ivr|2"), name="Main", recording="recording|10"),
    ivr(2, menu(k1="ivr|1"), name="Sales", recording="recording|20"),
)


def _result(**fields: Any) -> tuple[bool, str]:
    test = CallTest(
        **{"name": "t", "file": "f.yaml", "line": 1, "column": 3, "start": "Main", "press": ()}
        | {"expect": "ringgroup|5"}
        | fields
    )
    [result] = run_call_tests(IVRS, LoadedTests((test,), (), 1)).results
    return result.passed, result.reason


_HEARD = "expected to hear recording|20 (in the order of `hear`), but heard "


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"press": ("1",)}, (True, "")),
        ({"press": ("2",), "expect": "ivr|2"}, (True, "")),
        (
            {"press": ("2",)},
            (False, "expected ringgroup|5, but the call is still in Sales (ivr|2)"),
        ),
        (
            {"press": ("1", "1")},
            (
                False,
                "the call reached ringgroup|5 after 1 of 2 presses, so 1 press could not be made",
            ),
        ),
        ({"start": "Nobody"}, (False, "start: no IVR named 'Nobody' in the config set")),
        ({"start": 9}, (False, "start: no IVR id 9 in the config set")),
        ({"press": ("1",), "hear": ("recording|10",)}, (True, "")),
        ({"press": ("2", "1", "1"), "hear": ("recording|20", "recording|10")}, (True, "")),
        ({"press": ("1",), "hear": ("recording|20",)}, (False, _HEARD + "recording|10")),
        (
            {"press": ("2", "1", "1"), "hear": ("recording|10", "recording|10", "recording|20")},
            (False, _HEARD + "recording|10, recording|20, recording|10"),
        ),
    ],
    ids=[
        "pass",
        "ends-in-a-menu",
        "still-in-a-menu",
        "presses-left",
        "unknown-name",
        "unknown-id",
        "hears",
        "hears-in-order",
        "does-not-hear",
        "hears-out-of-order",
    ],
)
def test_running_a_test(fields: dict[str, Any], expected: tuple[bool, str]) -> None:
    assert _result(**fields) == expected
