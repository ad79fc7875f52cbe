"""YAML syntax errors in plain words, at the line to fix (config/yaml_errors.py, indentation.py).

One table of small broken files, each with the line and column to point at and the exact words.
PyYAML stops at the same place with both of its parsers (libyaml's and the pure-Python one),
in different words; every case runs with both. Cases marked `# not PyYAML's line` are the ones
where the line to fix is not the line PyYAML stopped at.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ivrsync.config.indentation import misplaced_line
from ivrsync.config.line_errors import (
    colon_in_value,
    no_space_after_colon,
    quote_run_on,
    tab,
    unclosed_bracket,
)
from ivrsync.config.yaml_errors import describe_yaml_error, duplicate_key_hint

PARSERS = [yaml.CSafeLoader, yaml.SafeLoader]
TAB_HINT = "indent with spaces: YAML does not allow tabs"

Case = tuple[str, str, tuple[int, int], str, str]

CASES: list[Case] = [
    # --- a key indented more than the key above it
    (
        "over-indented-key",
        "id: 1\nname: x\n  timeout: 20\n",
        (3, 3),
        "'timeout' is indented more than 'name' above it (line 2)",
        "line `timeout:` up with `name:` (column 1)",
    ),
    (
        "over-indented-by-one",
        "id: 1\n name: x\n",
        (2, 2),
        "'name' is indented more than 'id' above it (line 1)",
        "line `name:` up with `id:` (column 1)",
    ),
    (
        "over-indented-after-a-comment",  # PyYAML's words change: "did not find expected key"
        "id: 1\nname: x\n# the timeout\n  timeout: 20\n",
        (4, 3),
        "'timeout' is indented more than 'name' above it (line 2)",
        "line `timeout:` up with `name:` (column 1)",
    ),
    (
        "over-indented-after-a-quoted-value",
        'id: 1\nname: "Support IVR"\n  description: x\n',
        (3, 3),
        "'description' is indented more than 'name' above it (line 2)",
        "line `description:` up with `name:` (column 1)",
    ),
    (
        "over-indented-after-a-value-on-two-lines",
        "description: IVR for\n  the support team\n  timeout: 20\n",
        (3, 3),
        "'timeout' is indented more than 'description' above it (line 1)",
        "line `timeout:` up with `description:` (column 1)",
    ),
    (
        "over-indented-menu-field",
        'menu:\n  - option: "1"\n      destination: ivr|2\n',
        (3, 7),
        "'destination' is indented more than 'option' above it (line 2)",
        "line `destination:` up with `option:` (column 5)",
    ),
    (
        "over-indented-in-the-second-entry",
        "menu:\n  - option: 1\n    destination: ivr|2\n  - option: 2\n     destination: ivr|3\n",
        (5, 6),
        "'destination' is indented more than 'option' above it (line 4)",
        "line `destination:` up with `option:` (column 5)",
    ),
    (
        "over-indented-after-a-block-of-text",
        "description: |\n  text\n bad: 1\n",
        (3, 2),
        "'bad' is indented more than 'description' above it (line 1)",
        "line `bad:` up with `description:` (column 1)",
    ),
    # --- a key indented less than the mapping it belongs to
    (
        "under-indented-menu-field",  # at the column of the entries' `-`
        "menu:\n  - option: 1\n  destination: ivr|2\n",
        (3, 3),
        "'destination' is indented less than the fields of its list entry ('option', line 2)",
        "line `destination:` up with `option:` (column 5)",
    ),
    (
        "menu-field-between-columns",
        "menu:\n  - option: 1\n   destination: ivr|2\n",
        (3, 4),
        "'destination' starts at column 4, where nothing above it starts",
        "line `destination:` up with `option:` (column 5)",
    ),
    (
        "top-level-field-between-columns",
        "id: 1\nmenu:\n  - option: 1\n    destination: ivr|2\n timeout: 3\n",
        (5, 2),
        "'timeout' starts at column 2, where nothing above it starts",
        "line `timeout:` up with `menu:` (column 1)",
    ),
    (
        "top-level-field-indented-like-the-menu",
        "menu:\n  - option: 1\n    destination: ivr|2\n  timeout: 3\n",
        (4, 3),
        "'timeout' is indented like the entries of 'menu' (line 1)",
        "line `timeout:` up with `menu:` (column 1): it is a top-level field",
    ),
    (
        "unknown-field-between-columns",
        "menu:\n  - option: 1\n    destination: ivr|2\n   note: 2\n",
        (4, 4),
        "'note' starts at column 4, where nothing above it starts",
        "line `note:` up with the fields it belongs with: `destination:` (column 5, line 3) or "
        "`menu:` (column 1, line 1)",
    ),
    (
        "indented-first-line",  # not PyYAML's line: it stops at the first line not indented
        "  id: 1\n  name: x\ntimeout: 3\n",
        (1, 3),
        "the first field 'id' is indented 2 spaces, so every top-level field must be, and "
        "'timeout' on line 3 is not",
        "start every top-level field at column 1, with no spaces before it",
    ),
    # --- a `-` missing, or out of line
    (
        "missing-dash",
        "menu:\n  - option: 1\n    destination: ivr|2\n  option: 2\n  destination: ivr|3\n",
        (4, 3),
        "'option' lines up with the '-' of the entries above (line 2), but has no '-' of its own",
        "start the next entry with `- `: `- option: 2`",
    ),
    (
        "missing-dash-on-the-first-entry",  # not PyYAML's line: it stops at the next entry
        "menu:\n  option: 1\n  destination: ivr|2\n  - option: 2\n    destination: ivr|3\n",
        (2, 3),
        "'option' starts a mapping under 'menu', but line 4 starts a list entry: every entry "
        "of a list starts with '-'",
        "write `- option:` on line 2, and line the fields under it up after the `- `",
    ),
    (
        "missing-dash-on-the-first-entry-indented-deeper",  # not PyYAML's line
        "menu:\n    option: 1\n    destination: ivr|2\n  - option: 2\n",
        (2, 5),
        "'option' starts a mapping under 'menu', but line 4 starts a list entry: every entry "
        "of a list starts with '-'",
        "write `- option:` on line 2, and line the fields under it up after the `- `",
    ),
    (
        "no-space-after-the-dash",  # not PyYAML's line: it stops at the line after
        "menu:\n  -option: 1\n    destination: ivr|2\n",
        (2, 3),
        "'-option' has no space after its '-', so YAML reads a key, not a list entry",
        "write `- option:`",
    ),
    (
        "dash-indented-less",
        "menu:\n  - option: 1\n    destination: ivr|2\n - option: 2\n",
        (4, 2),
        "the '-' at column 2 does not line up with the '-' of the entries above (column 3, line 2)",
        "move it to column 3",
    ),
    (
        "dash-indented-more",
        "menu:\n  - option: 1\n    destination: ivr|2\n   - option: 2\n",
        (4, 4),
        "the '-' at column 4 does not line up with the '-' of the entries above (column 3, line 2)",
        "move it to column 3",
    ),
    (
        "dash-at-the-fields-column",
        "menu:\n  - option: 1\n    destination: ivr|2\n    - option: 2\n",
        (4, 5),
        "this '-' lines up with the fields of the entry above (line 2), not with its '-' "
        "(column 3)",
        "move the `-` to column 3, under the `-` on line 2",
    ),
    (
        "entry-on-the-line-of-its-field",
        "menu: - option: 1\n",
        (1, 7),
        "a list entry ('-') cannot start on the line of its field",
        "put `- option: 1` on its own line below `menu:`, indented",
    ),
    # --- tabs
    (
        "tab-before-a-key",
        "id: 1\n\tname: x\n",
        (2, 1),
        "the line is indented with a tab",
        TAB_HINT,
    ),
    (
        "tab-before-a-dash",
        "menu:\n\t- option: 1\n",
        (2, 1),
        "the line is indented with a tab",
        TAB_HINT,
    ),
    (
        "tab-after-spaces",
        "menu:\n  - option: 1\n  \t  destination: ivr|2\n",
        (3, 3),
        "the line is indented with a tab",
        TAB_HINT,
    ),
    # --- quotes
    (
        "unclosed-quote",  # not PyYAML's line: it stops at the end of the file
        'id: 1\nname: "Support\ndescription: y\ntimeout: 20\n',
        (2, 7),
        "the quote opened here is never closed",
        'close it on this line: name: "Support"',
    ),
    (
        "unclosed-single-quote",  # not PyYAML's line
        "id: 1\nname: 'Support\ndescription: y\n",
        (2, 7),
        "the quote opened here is never closed",
        "close it on this line: name: 'Support'",
    ),
    (
        "unclosed-quote-in-the-menu",  # not PyYAML's line
        'menu:\n  - option: "1\n    destination: ivr|2\n',
        (2, 13),
        "the quote opened here is never closed",
        'close it on this line: - option: "1"',
    ),
    (
        "unclosed-quote-on-the-last-line",
        'id: 1\nname: "abc',
        (2, 7),
        "the quote opened here is never closed",
        'close it on this line: name: "abc"',
    ),
    (
        "unclosed-quote-of-a-key",
        'id: 1\n"name: x\n',
        (2, 1),
        "the quote opened here is never closed",
        'end the quoted text with " where it ends, or remove the "',
    ),
    (
        "quote-closed-by-the-next-line",  # not PyYAML's line: it stops after the next quote
        'id: 1\nname: "Support\ndescription: "y"\ntimeout: 20\n',
        (2, 7),
        'the quote opened here is not closed on its line, so YAML reads on to the next " (line 3)',
        'close it on this line: name: "Support"',
    ),
    (
        "quote-closed-lines-later",  # not PyYAML's line
        'menu:\n  - option: "1\n    destination: ivr|2\n  - option: "2"\n',
        (2, 13),
        'the quote opened here is not closed on its line, so YAML reads on to the next " (line 4)',
        'close it on this line: - option: "1"',
    ),
    (
        "text-after-the-closing-quote",
        'id: 1\nname: "Sales" team\n',
        (2, 15),
        "text after the closing quote",
        "put the whole value inside the quotes, or write it without quotes",
    ),
    # --- brackets and braces
    (
        "unclosed-bracket",  # not PyYAML's line: it stops on the next one
        "id: 1\nname: [Sales\ndescription: y\n",
        (2, 7),
        "the '[' opened here is not closed on its line",
        "close it with `]` on this line, or quote the value if the [ is part of the text: "
        'name: "[Sales"',
    ),
    (
        "unclosed-bracket-at-the-end",  # not PyYAML's line
        "id: 1\nname: [Sales\n",
        (2, 7),
        "the '[' opened here is not closed on its line",
        "close it with `]` on this line, or quote the value if the [ is part of the text: "
        'name: "[Sales"',
    ),
    (
        "unclosed-brace-in-the-menu",  # not PyYAML's line
        "menu:\n  - {option: 1, destination: ivr|2\n  - {option: 2, destination: ivr|3}\n",
        (2, 5),
        "the '{' opened here is not closed on its line",
        "close it with `}` on this line",
    ),
    (
        "a-closing-bracket-too-many",
        "id: 1\nname: [a, b]]\n",
        (2, 13),
        "text after the closing ']'",
        "quote the whole value if the brackets are part of the text",
    ),
    (
        "a-closing-bracket-alone",
        "id: 1\nname: ]\n",
        (2, 7),
        "a value cannot start with ] unless it is quoted",
        'quote it: name: "]"',
    ),
    # --- colons
    (
        "colon-in-a-value",
        "id: 1\nname: Sales: main\n",
        (2, 7),
        "the value of 'name' contains ': ', which YAML reads as another key",
        'quote the value: name: "Sales: main"',
    ),
    (
        "missing-colon",  # not PyYAML's line: it stops on the next one
        "id: 1\ntimeout 20\nmenu: []\n",
        (2, 1),
        "'timeout 20' has no ':' after the field name",
        "write `timeout: 20`",
    ),
    (
        "missing-colon-in-the-menu",  # not PyYAML's line
        "menu:\n  - option: 1\n    destination ivr|2\n  - option: 2\n",
        (3, 5),
        "'destination ivr|2' has no ':' after the field name",
        "write `destination: ivr|2`",
    ),
    (
        "missing-space-after-the-colon",  # not PyYAML's line
        "id: 1\nname:Sales\ntimeout: 20\n",
        (2, 1),
        "'name:Sales' has no space after its ':'",
        "write `name: Sales`",
    ),
    (
        "missing-space-after-the-colon-on-the-first-line",  # not PyYAML's line (2)
        "id:349\nname: x\n",
        (1, 1),
        "'id:349' has no space after its ':'",
        "write `id: 349`",
    ),
    (
        "missing-space-after-the-colon-in-the-menu",  # not PyYAML's line (3)
        "menu:\n  - option:1\n    destination: ivr|2\n",
        (2, 5),
        "'option:1' has no space after its ':'",
        "write `option: 1`",
    ),
    (
        "colon-without-a-key",
        "id: 1\n: x\n",
        (2, 1),
        "a ':' with no field name before it",
        "write the field name before the `:`",
    ),
    # --- characters that start something else in YAML
    (
        "unquoted-star",
        "menu:\n  - option: *\n",
        (2, 13),
        "an unquoted * starts a YAML alias, and no name follows it",
        'quote values that start with * or &, e.g. option: "*"',
    ),
    (
        "unquoted-ampersand",
        "option: &\n",
        (1, 9),
        "an unquoted & starts a YAML anchor, and no name follows it",
        'quote values that start with * or &, e.g. option: "*"',
    ),
    (
        "unquoted-at-sign",
        "name: @sales\n",
        (1, 7),
        "a value cannot start with @ unless it is quoted",
        'quote it: name: "@sales"',
    ),
    # --- nothing better known: PyYAML's words, and a general hint
    (
        "bad-inside-closed-brackets",
        "name: [a: b: c]\n",
        (1, 12),
        "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at "
        "line 1)",
        "fix the YAML at this position (indentation, quotes, brackets)",
    ),
]

#: The pure-Python parser's words for the last case.
PURE_WORDS = {
    "bad-inside-closed-brackets": "YAML syntax error: expected ',' or ']', but got ':' (while "
    "parsing a flow sequence at line 1)",
}


def yaml_error(text: str, parser: type[yaml.SafeLoader]) -> yaml.MarkedYAMLError:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.load(text, Loader=parser)
    return caught.value


@pytest.mark.parametrize("parser", PARSERS, ids=["libyaml", "pure-python"])
@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_syntax_errors_are_told_at_the_line_to_fix(
    parser: type[yaml.SafeLoader], case: Case
) -> None:
    name, text, at, message, hint = case
    if parser is yaml.SafeLoader:
        message = PURE_WORDS.get(name, message)

    assert describe_yaml_error(yaml_error(text, parser), text) == (message, hint, at)


def test_only_the_last_cases_keep_pyyaml_s_words() -> None:
    kept = [case[0] for case in CASES if case[3].startswith("YAML syntax error")]
    assert kept == ["bad-inside-closed-brackets"]


@pytest.mark.parametrize(
    ("lines", "at", "mapping_value"),
    [
        (["id: 1", "name: x", "timeout: 20"], (3, 1), False),  # the line fits: not explained
        (["id: 1", "name: x"], (9, 1), False),  # past the end
        (["- a", "- b"], (2, 1), False),  # a list document: no fields to line up with
        (["name: x", "  [a, b]: 1"], (2, 11), True),  # not a key PyYAML's mark is on
    ],
    ids=["fits", "past-the-end", "list-document", "not-a-key"],
)
def test_misplaced_line_is_none_when_the_lines_do_not_explain_the_error(
    lines: list[str], at: tuple[int, int], mapping_value: bool
) -> None:
    assert misplaced_line(lines, *at, mapping_value=mapping_value) is None


def test_a_quote_is_left_open_when_its_value_runs_on_to_the_error_line() -> None:
    text = 'a: "one\nb: "two"\nc: "three\n  four"\nd: 1\n'

    assert quote_run_on(text, 2) == (1, 4)  # `"one\nb: "` ends on line 2
    assert quote_run_on(text, 4) == (3, 4)  # a value on two lines, on purpose: the caller
    assert quote_run_on(text, 5) is None  # asks only about the line PyYAML stopped at


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("name: [a, b]", None),  # closed on its line: the trouble is inside
        ("menu: [", None),  # a list spread over lines, on purpose
        ("name: ['a]', b", (1, 7)),  # a ] in quotes closes nothing
        ("name: {a: [1]", (1, 7)),
    ],
    ids=["closed", "spread-over-lines", "bracket-in-quotes", "nested"],
)
def test_unclosed_bracket(line: str, expected: tuple[int, int] | None) -> None:
    found = unclosed_bracket([line], (1, 7))
    assert (found[2] if found else None) == expected


def test_the_one_line_rules_do_not_claim_other_lines() -> None:
    assert tab(["a: 1", "b: 2"], (2, 1), "did not find expected key") is None
    # PyYAML's mark on the key's own `:`: the line ran on from the one above, no `: ` in a value.
    assert colon_in_value(["a: 1", "  b: 2"], (2, 4)) is None
    assert colon_in_value(["a: x: 2"], (1, 5)) is not None
    # A URL and a line with its key are no `key:value` written without the space.
    assert no_space_after_colon(["see http://x", "b: 2"], 2) is None
    assert no_space_after_colon(["a: b:c", "b: 2"], 2) is None


def test_a_key_twice_in_a_menu_entry_hints_at_a_lost_dash() -> None:
    keep = "keep one of them: YAML would silently use only the last"

    assert duplicate_key_hint(("menu", 0, "option"), 4) == (
        f"if a new entry starts at line 4, begin it with `- `; otherwise {keep}"
    )
    assert duplicate_key_hint(("timeout",), 6) == keep


@given(st.text(alphabet=" \t-:'\"[]{}#|>*&\nab1", max_size=60))
def test_any_syntax_error_is_described_within_the_file(text: str) -> None:
    for parser in PARSERS:
        try:
            yaml.load(text, Loader=parser)
        except yaml.MarkedYAMLError as exc:
            message, hint, (line, column) = describe_yaml_error(exc, text)
            assert message
            assert hint
            # libyaml ends a file without a final newline with one: its mark may be a line on.
            assert 1 <= line <= text.count("\n") + 2
            assert column >= 1
        except yaml.YAMLError:
            pass
