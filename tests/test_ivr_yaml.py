"""IVR document -> YAML text: fixed layout, quoting only where YAML needs it, exact round trip."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ivrsync.body import body_from_document, document_from_body
from ivrsync.config.ivr_yaml import render_ivr_yaml, render_scalar
from tests.testing.documents import BASE_DOCUMENT, ivr_document


def test_a_document_renders_with_the_schema_line_keys_in_order_and_menu_pairs() -> None:
    document = ivr_document(349, name="Support IVR")

    text = render_ivr_yaml(document, schema_path="../schemas/ivr.schema.json")

    assert text == (
        "# yaml-language-server: $schema=../schemas/ivr.schema.json\n"
        "id: 349\n"
        "name: Support IVR\n"
        "description: IVR for the support team\n"
        "recording: recording|0231\n"
        "timeout: 20\n"
        "incorrect_count: 5\n"
        "invalid_recording: recording|349\n"
        "invalid_destination: extension|05047530002\n"
        "timeout_retry_recording: recording|52156\n"
        "timeout_recording: recording|123\n"
        "timeout_destination: extension|05047530002\n"
        "timeout_tries: 3\n"
        "recording_invalid: recording|58999\n"
        "menu:\n"
        '  - option: "1"\n'
        "    destination: extension|05047530002\n"
        '  - option: "2"\n'
        "    destination: extension|845\n"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Support IVR", "Support IVR"),
        ("recording|0231", "recording|0231"),
        ("0231", '"0231"'),
        ("2", '"2"'),
        ("*", '"*"'),
        ("#", '"#"'),
        ("yes", '"yes"'),
        ("null", '"null"'),
        ("", '""'),
        ("a: b", '"a: b"'),
        ("x #y", '"x #y"'),
        (" padded", '" padded"'),
        ("line1\nline2", '"line1\\nline2"'),
        ("सहायता", "सहायता"),
        ("1e3", '"1e3"'),
        ("0o17", '"0o17"'),
        (20, "20"),
    ],
    ids=[
        "plain-text",
        "reference",
        "leading-zero-id",
        "digit-option",
        "star",
        "hash",
        "yaml-bool-word",
        "yaml-null-word",
        "empty",
        "colon-space",
        "comment-marker",
        "leading-space",
        "newline-stays-on-one-line",
        "unicode-unescaped",
        "yaml-1.2-float",
        "yaml-1.2-octal",
        "integer",
    ],
)
def test_scalars_are_quoted_exactly_when_yaml_needs_it(value: str | int, expected: str) -> None:
    rendered = render_scalar(value)

    assert rendered == expected
    assert yaml.safe_load(f"k: {rendered}") == {"k": value}


def test_an_empty_menu_reads_back_as_an_empty_list_not_null() -> None:
    # A live IVR may have no menu; the file must say `[]` so validation names the real problem.
    document = document_from_body(7, body_from_document(ivr_document(7, menu=[])))

    text = render_ivr_yaml(document, schema_path="s.json")

    assert text.endswith("\nmenu: []\n")
    assert yaml.safe_load(text)["menu"] == []


@pytest.mark.parametrize("value", [True, None, 1.5, ["x"]], ids=["bool", "none", "float", "list"])
def test_values_no_ivr_field_holds_are_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="cannot render"):
        render_scalar(value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": 1}, r"unexpected \['extra'\]"),
        ({"menu": None}, None),
    ],
    ids=["unexpected-key", "missing-key"],
)
def test_documents_with_other_keys_are_refused(change: dict[str, Any], message: str | None) -> None:
    document = dict(BASE_DOCUMENT)
    for key, value in change.items():
        if value is None:
            del document[key]
        else:
            document[key] = value

    with pytest.raises(ValueError, match=message or r"missing \['menu'\]"):
        render_ivr_yaml(document, schema_path="x")


#: Words YAML reads as something other than a string unless quoted (YAML 1.1 or 1.2).
_TRICKY = [
    "yes",
    "No",
    "on",
    "off",
    "null",
    "~",
    "1e3",
    "0o17",
    "0123",
    "0x1F",
    "1_000",
    ".inf",
    "12:30",
    "#",
    "*",
    "&a",
    "!x",
    "- ",
    ": ",
    "? x",
    "|",
    ">",
    "%",
    "@",
    "`",
    "'",
    '"',
]
_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.builds("".join, st.lists(st.sampled_from([*_TRICKY, " ", "a", "\n", "é"]), max_size=4)),
)
_reference = st.builds(
    lambda kind, ident: f"{kind}|{ident}",
    st.sampled_from(["recording", "extension", "ringgroup"]),
    st.from_regex(r"[0-9]{1,12}", fullmatch=True),
)


@given(
    name=_text,
    description=_text,
    recording=_reference,
    timeout=st.integers(min_value=1, max_value=300),
    keys=st.lists(st.sampled_from(["0", "1", "2", "9", "*", "#"]), min_size=1, unique=True),
)
def test_any_document_reads_back_as_itself_and_gives_the_same_body(
    name: str, description: str, recording: str, timeout: int, keys: list[str]
) -> None:
    document = ivr_document(
        7,
        name=name,
        description=description,
        recording=recording,
        timeout=timeout,
        menu=[{"option": key, "destination": f"extension|0{n}"} for n, key in enumerate(keys)],
    )
    canonical = document_from_body(7, body_from_document(document))

    loaded = yaml.safe_load(render_ivr_yaml(canonical, schema_path="s.json"))

    assert loaded == canonical
    assert body_from_document(loaded) == body_from_document(document)
