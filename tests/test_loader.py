"""The loader: discovery, reading, parsing, duplicate keys and lazy line/column lookup."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ivrsync.config.discovery import discover
from ivrsync.config.loader import LoadedFile, format_path, load_file, parse_text
from ivrsync.errors import UsageError
from ivrsync.files import display_path
from ivrsync.model import Problem


def parse(text: str) -> LoadedFile:
    return parse_text(Path("x.yaml"), "x.yaml", text)


def only_problem(loaded: LoadedFile) -> Problem:
    assert len(loaded.problems) == 1, loaded.problems
    return loaded.problems[0]


# --- discovery ----------------------------------------------------------------------------------


def test_discover_searches_folders_recursively_for_yaml_and_yml_sorted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("b.yaml", "a.yml", "sub/c.yaml", "sub/deeper/d.yml", "notes.txt", "x.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")

    found = discover(["."])

    assert found.displays == ("a.yml", "b.yaml", "sub/c.yaml", "sub/deeper/d.yml")
    assert [display_path(p) for p in found.files] == list(found.displays)
    assert found.problems == ()


def test_discover_skips_hidden_folders_unless_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.yaml", ".git/config.yaml", "sub/.venv/x.yml", ".hidden/b.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")

    assert discover(["."]).displays == ("a.yaml",)
    assert discover([".hidden"]).displays == (".hidden/b.yaml",)


def test_discover_takes_named_files_whatever_their_suffix_and_drops_repeats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ivrs").mkdir()
    (tmp_path / "ivrs" / "a.yaml").write_text("")
    (tmp_path / "menu.txt").write_text("")

    found = discover(["menu.txt", "ivrs", "ivrs/a.yaml", "./ivrs/a.yaml"])

    assert found.displays == ("ivrs/a.yaml", "menu.txt")


def test_discover_raises_usage_error_for_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.yaml: no such file or directory") as raised:
        discover([tmp_path / "nope.yaml"])
    assert raised.value.hint


def test_discover_does_not_follow_symlinked_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ivrs").mkdir()
    (tmp_path / "ivrs" / "a.yaml").write_text("")
    (tmp_path / "ivrs" / "loop").symlink_to(tmp_path / "ivrs", target_is_directory=True)

    assert discover(["ivrs"]).displays == ("ivrs/a.yaml",)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ivr-configs/a.yaml", "ivr-configs/a.yaml"),
        ("./ivr-configs/../ivr-configs/a.yaml", "ivr-configs/a.yaml"),
        ("/elsewhere/a.yaml", "/elsewhere/a.yaml"),
    ],
    ids=["relative", "normalised", "outside-the-working-directory"],
)
def test_display_path(
    given: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert display_path(given) == expected


def test_display_path_of_an_absolute_path_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "ivr-configs" / "a.yaml") == "ivr-configs/a.yaml"


@pytest.mark.parametrize(
    ("json_path", "expected"),
    [((), ""), (("name",), "name"), (("menu", 1, "destination"), "menu[1].destination")],
    ids=["root", "field", "menu-entry"],
)
def test_format_path(json_path: tuple[str | int, ...], expected: str) -> None:
    assert format_path(json_path) == expected


# --- reading ------------------------------------------------------------------------------------


def test_load_file_parses_a_mapping_without_problems(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("id: 1\nname: Sales\n", encoding="utf-8")

    loaded = load_file(path, "a.yaml")

    assert (loaded.document, loaded.problems, loaded.is_mapping) == (
        {"id": 1, "name": "Sales"},
        (),
        True,
    )


def test_load_file_strips_a_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbfid: 1\n")

    assert load_file(path, "a.yaml").document == {"id": 1}


@pytest.mark.parametrize(
    ("data", "line", "column", "message"),
    [
        (b"id: 1\nname: Caf\xe9\n", 2, 10, "not UTF-8 text: byte 0xe9 cannot be decoded"),
        (b"\xff\xfei\x00d\x00", 1, 1, "not UTF-8 text: byte 0xff cannot be decoded"),
    ],
    ids=["latin-1", "utf-16"],
)
def test_load_file_reports_non_utf8_bytes_where_they_are(
    data: bytes, line: int, column: int, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(data)

    problem = only_problem(load_file(path, "a.yaml"))

    assert (problem.line, problem.column, problem.message) == (line, column, message)
    assert problem.hint == "save the file as UTF-8"


def test_load_file_reports_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()

    problem = only_problem(load_file(tmp_path / "x.yaml", "x.yaml"))

    assert (problem.file, problem.line, problem.message) == ("x.yaml", 0, "cannot read: a folder")


def test_load_file_reports_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").symlink_to(tmp_path / "gone.yaml")

    problem = only_problem(load_file(tmp_path / "x.yaml", "x.yaml"))

    assert problem.message == "cannot read: No such file or directory"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_load_file_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.yaml")

    problem = only_problem(load_file(tmp_path / "x.yaml", "x.yaml"))

    assert problem.message == "cannot read: not a regular file"


# --- parsing ------------------------------------------------------------------------------------

PARSE_PROBLEMS = [
    ("", 1, 1, "the file is empty: it holds no IVR"),
    ("# only a comment\n", 1, 1, "the file is empty: it holds no IVR"),
    ("---\n", 2, 1, "the document is empty (null): expected a mapping of IVR fields"),
    ("- 1\n- 2\n", 1, 1, "the document is a list: expected a mapping of IVR fields"),
    ("hello\n", 1, 1, "the document is a single text value: expected a mapping of IVR fields"),
    ("42\n", 1, 1, "the document is a single int value: expected a mapping of IVR fields"),
    ("id: 1\n---\nid: 2\n", 2, 1, "several YAML documents in one file (another starts at line 2)"),
    # Syntax errors at the line to fix, in words (all of their kinds: tests/test_yaml_errors.py).
    ("id: 1\nname: [a\n", 2, 7, "the '[' opened here is not closed on its line"),
    ("id: 1\n  name: x\n", 2, 3, "'name' is indented more than 'id' above it (line 1)"),
    (
        "menu:\n  - option: *\n",
        2,
        13,
        "an unquoted * starts a YAML alias, and no name follows it",
    ),
    ("id: 1\n\tname: x\n", 2, 1, "the line is indented with a tab"),
    (
        "name: a\x07b\n",
        1,
        8,
        "YAML cannot contain this character: control characters are not allowed",
    ),
    (
        "? [a, b]\n: 1\n",
        1,
        3,
        "YAML syntax error: found unhashable key (while constructing a mapping at line 1)",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    PARSE_PROBLEMS,
    ids=[
        "empty",
        "comment-only",
        "null-document",
        "list",
        "text",
        "number",
        "several-documents",
        "unclosed-bracket",
        "bad-indentation",
        "unquoted-star",
        "tab",
        "control-character",
        "unhashable-key",
    ],
)
def test_parse_problems(text: str, line: int, column: int, message: str) -> None:
    problem = only_problem(parse(text))

    assert (problem.file, problem.line, problem.column, problem.message) == (
        "x.yaml",
        line,
        column,
        message,
    )
    assert problem.severity == "error"
    assert problem.hint


def test_unquoted_star_hint_says_to_quote_it() -> None:
    assert only_problem(parse("option: *\n")).hint == (
        'quote values that start with * or &, e.g. option: "*"'
    )


def test_tab_hint_says_to_indent_with_spaces() -> None:
    assert (
        only_problem(parse("a: 1\n\tb: 2\n")).hint == "indent with spaces: YAML does not allow tabs"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "id: 1\nname: a\nid: 2\n",
            [(3, 1, "id", "duplicate key 'id': first at line 1, again at line 3")],
        ),
        (
            "menu:\n  - option: 1\n    destination: a\n    option: 2\n",
            [(4, 5, "menu[0].option", "duplicate key 'option': first at line 2, again at line 4")],
        ),
        (
            "a: 1\na: 2\na: 3\n",
            [
                (2, 1, "a", "duplicate key 'a': first at line 1, again at line 2"),
                (3, 1, "a", "duplicate key 'a': first at line 1, again at line 3"),
            ],
        ),
        (
            "1: x\n'1': y\n",  # an int key and a text key are different keys
            [],
        ),
        (
            "base: &base {timeout: 5}\nmain:\n  <<: *base\n  timeout: 9\n",  # an override
            [],
        ),
    ],
    ids=["top-level", "in-menu-entry", "three-times", "int-and-text", "merge-override"],
)
def test_duplicate_keys_are_errors_naming_both_lines(
    text: str, expected: list[tuple[int, int, str, str]]
) -> None:
    loaded = parse(text)

    assert [(p.line, p.column, p.path, p.message) for p in loaded.problems] == expected
    assert loaded.parsed  # the document is kept, so schema problems are reported too


def test_a_duplicate_key_keeps_the_last_value_like_pyyaml() -> None:
    assert parse("id: 1\nid: 2\n").document == {"id": 2}


# --- locating -----------------------------------------------------------------------------------

LOCATED = """\
# comment
id: 349
name: Support
menu:
  - option: "1"
    destination: extension|1
  - {option: "2", destination: ivr|350}
"""


@pytest.mark.parametrize(
    ("json_path", "key", "expected"),
    [
        ((), False, (2, 1)),
        (("id",), False, (2, 5)),
        (("id",), True, (2, 1)),
        (("menu", 0, "destination"), False, (6, 18)),
        (("menu", 1, "destination"), False, (7, 32)),
        (("menu", 1), False, (7, 5)),
        (("timeout",), False, (2, 1)),
        (("menu", 5, "option"), False, (5, 3)),
    ],
    ids=[
        "root",
        "value",
        "key",
        "block-entry",
        "flow-entry",
        "entry",
        "missing-field-points-at-its-mapping",
        "missing-index-points-at-the-list",
    ],
)
def test_locate(json_path: tuple[str | int, ...], key: bool, expected: tuple[int, int]) -> None:
    assert parse(LOCATED).locate(json_path, key=key) == expected


def test_locate_follows_merge_keys() -> None:
    loaded = parse("base: &b\n  timeout: 5\nmain:\n  <<: *b\n  id: 1\n")

    assert loaded.locate(("main", "timeout")) == (2, 12)


def test_locate_without_a_document_is_whole_file() -> None:
    assert parse("a: [").locate(("a",)) == (0, 0)
