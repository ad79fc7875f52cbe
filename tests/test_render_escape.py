"""`ivrsync.render.escape`: every unsafe character escaped, workflow commands broken, code inert."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivrsync.render.escape import (
    code_span,
    html_code,
    json_document,
    json_text,
    quoted,
    shown,
    shown_lines,
)
from tests.testing.injection import HOSTILE, unsafe_characters, workflow_command_lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Support IVR", "Support IVR"),
        ("सहायता केंद्र", "सहायता केंद्र"),  # Devanagari with its joiners: untouched
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("c1 \u009b2J csi", "c1 \\x9b2J csi"),
        ("bidi \u202eabc\u202c", "bidi \\u202eabc\\u202c"),
        ("isolates \u2066\u2067\u2068\u2069", "isolates \\u2066\\u2067\\u2068\\u2069"),
        ("line\nbreak\r\ttab", "line\\nbreak\\r\\ttab"),
        ("separators \u2028\u2029\u00a0", "separators \\u2028\\u2029\\xa0"),
        ("bom \ufeff zero-width \u200b", "bom \\ufeff zero-width \\u200b"),
        ("tag \U000e0041", "tag \\U000e0041"),
        ("caf\udce9.yaml", "caf\\udce9.yaml"),  # a lone surrogate: an undecodable file name
        ("::error::x", "\\x3a:error::x"),
        ("   ::warning file=a::b", "   \\x3a:warning file=a::b"),
        ("a ::error::x", "a ::error::x"),  # not at a line start: no command
        ("see ##[error]x and ##[add-mask]y", "see \\x23#[error]x and \\x23#[add-mask]y"),
        ("first\n::error::second", "first\\n::error::second"),  # one line, so no line start
    ],
    ids=[
        "plain",
        "devanagari",
        "csi",
        "osc",
        "c1",
        "bidi-override",
        "bidi-isolates",
        "line-breaks",
        "separators",
        "invisible",
        "astral-tag",
        "surrogate",
        "command",
        "indented-command",
        "mid-line",
        "legacy-command",
        "command-after-break",
    ],
)
def test_shown(text: str, expected: str) -> None:
    assert shown(text) == expected


def test_shown_lines_keeps_line_breaks_and_neutralises_each_line() -> None:
    assert (
        shown_lines("error: x\n::error::y\n  \x1b[2Jz") == "error: x\n\\x3a:error::y\n  \\x1b[2Jz"
    )


@given(st.text())
def test_shown_output_is_always_one_inert_line(text: str) -> None:
    result = shown(text)
    assert "\n" not in result
    assert unsafe_characters(result) == []
    assert workflow_command_lines(result) == []


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
        max_leaves=10,
    )
)
def test_json_forms_are_inert_and_lose_nothing(value: object) -> None:
    for text in (quoted(value), json_document(value), json_text(json.dumps(value))):
        assert unsafe_characters(text) == []
        assert workflow_command_lines(text) == []
        assert json.loads(text) == value


def test_quoted_writes_json_escapes() -> None:
    assert quoted("a\u202e\x1b\u2028 ##[x]") == '"a\\u202e\\u001b\\u2028 \\u0023#[x]"'
    assert quoted("\U000e0001") == '"\\udb40\\udc01"'  # other planes as a surrogate pair


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Support", "`Support`"),
        ("a`b", "``a`b``"),
        ("a``b`c", "```a``b`c```"),
        ("`starts", "`` `starts ``"),
        ("ends`", "`` ends` ``"),
        (" padded ", "`  padded  `"),
        ("@octocat", "`@octocat`"),
        ("<b>x</b> | y", "`<b>x</b> | y`"),
        ("two\nlines", "`two\\nlines`"),
    ],
    ids=["plain", "backtick", "runs", "leading", "trailing", "spaces", "mention", "html", "break"],
)
def test_code_span(text: str, expected: str) -> None:
    assert code_span(text) == expected


def test_html_code_escapes_html_and_table_pipes() -> None:
    assert html_code('<script>@x</script> | "y"') == (
        "<code>&lt;script&gt;@x&lt;/script&gt; &#124; &quot;y&quot;</code>"
    )


def test_the_hostile_sample_is_inert_in_every_form() -> None:
    for text in (shown(HOSTILE), quoted(HOSTILE), code_span(HOSTILE), html_code(HOSTILE)):
        assert unsafe_characters(text) == []
        assert workflow_command_lines(text) == []
