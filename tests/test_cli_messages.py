"""The messages a new user meets first, through the real CLI (`validate` and `plan`).

Each case is one small mistake in an otherwise valid IVR file: the exact problem line, exit code
1, and nothing written (no plan file, no state, the IVR file untouched). Where the hint gives the
fix, following it makes the file valid.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrsync.config.schema import destination_types
from tests.testing.cli import RunCli
from tests.testing.documents import VALID, edited

FILE = "ivr-configs/ivr.yaml"
TYPES = ", ".join(destination_types())
PLAN_REFUSED = (
    "error: the IVR configs have errors, so no plan was made\n"
    "hint: fix the problems listed above (`ivrsync validate` lists them too)\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ivr-configs").mkdir()
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file but the cache of checked files (which a run may fill: tests/test_cache_cli.py)."""
    cache = root / ".ivrsync" / "cache"
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and cache not in p.parents
    }


def assert_refused(run_cli: RunCli, project: Path, text: str, *problems: str) -> None:
    """`validate` and `plan` both report exactly `problems` (errors, in the file), exit 1, and
    write nothing."""
    (project / FILE).write_text(text, encoding="utf-8")
    before = snapshot(project)

    validated = run_cli("validate")
    planned = run_cli("plan", "--out", "plan.json")

    listed = "".join(f"{FILE}:{problem}\n" for problem in problems)
    count = f"{len(problems)} error{'s' if len(problems) > 1 else ''}, 0 warnings"
    assert (validated.exit_code, validated.stdout, validated.stderr) == (
        1,
        f"{listed}checked 1 file: {count}\n",
        "",
    )
    assert (planned.exit_code, planned.stdout, planned.stderr) == (
        1,
        "",
        f"{listed}{count}\n{PLAN_REFUSED}",
    )
    assert snapshot(project) == before


def assert_valid(run_cli: RunCli, project: Path, text: str) -> None:
    (project / FILE).write_text(text, encoding="utf-8")
    result = run_cli("validate")
    assert (result.exit_code, result.stdout) == (0, "checked 1 file: no problems\n")


# --- ids pasted from the portal -----------------------------------------------------------------

BARE_IDS = [
    (
        "recording",
        ("recording: recording|0231", "recording: 30211"),
        "4:12: error: recording: '30211' is an id without its type (hint: write recording: "
        "recording|30211 (or outbound_tts|30211 for a text-to-speech prompt))",
        "recording: recording|30211",
    ),
    (
        "recording-quoted",  # what the old hint ("quote it") led to
        ("recording: recording|0231", 'recording: "30211"'),
        "4:12: error: recording: '30211' is an id without its type (hint: write recording: "
        "recording|30211 (or outbound_tts|30211 for a text-to-speech prompt))",
        "recording: recording|30211",
    ),
    (
        "leading-zero",  # YAML 1.1 reads octal 681488386: the message keeps the id as written
        (
            "invalid_destination: extension|05047530002",
            "invalid_destination: 05047530002",
        ),
        "8:22: error: invalid_destination: '05047530002' is an id without its type (hint: put "
        "the type of what it names first, e.g. invalid_destination: extension|05047530002; "
        f"types: {TYPES})",
        "invalid_destination: extension|05047530002",
    ),
    (
        "leading-zero-not-octal",  # 8 and 9 are no octal digits: YAML keeps it as text
        ("destination: extension|845", "destination: 0504753000289"),
        "18:18: error: menu[1].destination: '0504753000289' is an id without its type (hint: "
        "put the type of what it names first, e.g. destination: extension|0504753000289; "
        f"types: {TYPES})",
        "destination: extension|0504753000289",
    ),
    (
        "hexadecimal",
        ("destination: extension|845", "destination: 0x1F"),
        "18:18: error: menu[1].destination: '0x1F' is an id without its type (hint: put the "
        f"type of what it names first, e.g. destination: extension|0x1F; types: {TYPES})",
        "destination: extension|0x1F",
    ),
    (
        "underscores",
        ("timeout_recording: recording|123", "timeout_recording: 1_000"),
        "10:20: error: timeout_recording: '1_000' is an id without its type (hint: write "
        "timeout_recording: recording|1_000 (or outbound_tts|1_000 for a text-to-speech "
        "prompt))",
        "timeout_recording: recording|1_000",
    ),
    (
        "decimal-point",
        ("timeout_destination: extension|05047530002", "timeout_destination: 4101.0"),
        "11:22: error: timeout_destination: '4101.0' is an id without its type (hint: put the "
        "type of what it names first, e.g. timeout_destination: extension|4101.0; "
        f"types: {TYPES})",
        "timeout_destination: extension|4101.0",
    ),
]


@pytest.mark.parametrize(
    ("edit", "problem", "fixed"),
    [case[1:] for case in BARE_IDS],
    ids=[case[0] for case in BARE_IDS],
)
def test_an_id_without_its_type_is_told_the_whole_reference(
    run_cli: RunCli, project: Path, edit: tuple[str, str], problem: str, fixed: str
) -> None:
    assert_refused(run_cli, project, edited(*edit), problem)
    assert_valid(run_cli, project, edited(edit[0], fixed))


# --- a mistyped field ---------------------------------------------------------------------------

TYPOS = [
    (
        "document-field",
        ("name: Support IVR", "nmae: Support IVR"),
        "2:1: error: nmae: unknown field 'nmae'; did you mean 'name'? (hint: rename it to 'name')",
        "name: Support IVR",
    ),
    (
        "menu-entry-field",
        ("    destination: extension|845", "    destinaton: extension|845"),
        "18:5: error: menu[1].destinaton: unknown field 'destinaton'; did you mean "
        "'destination'? (hint: rename it to 'destination')",
        "    destination: extension|845",
    ),
]


@pytest.mark.parametrize(
    ("edit", "problem", "fixed"), [case[1:] for case in TYPOS], ids=[case[0] for case in TYPOS]
)
def test_a_mistyped_field_is_one_problem_at_the_mistyped_key(
    run_cli: RunCli, project: Path, edit: tuple[str, str], problem: str, fixed: str
) -> None:
    assert_refused(run_cli, project, edited(*edit), problem)
    assert_valid(run_cli, project, edited(edit[0], fixed))


def test_a_field_missing_beside_an_unrelated_unknown_one_is_two_problems(
    run_cli: RunCli, project: Path
) -> None:
    (project / FILE).write_text(edited("name: Support IVR", "webhook: x"), encoding="utf-8")

    result = run_cli("validate")

    assert result.exit_code == 1
    assert [line.split(": error: ")[1][:30] for line in result.stdout.splitlines()[:-1]] == [
        "name: missing field 'name' (hi",
        "webhook: unknown field 'webhoo",
    ]


# --- YAML syntax errors -------------------------------------------------------------------------

#: Edits of the valid file (tests/testing/documents.py VALID, 18 lines, the menu on lines 14-18)
#: that break its YAML, and the problem at the line to fix. `# not PyYAML's line`: PyYAML
#: stopped elsewhere (every kind, with both parsers: tests/test_yaml_errors.py).
SYNTAX_ERRORS: list[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]] = [
    (
        "over-indented-field",
        (("timeout: 20", "  timeout: 20"),),
        (
            "5:3: error: 'timeout' is indented more than 'recording' above it (line 4) (hint: "
            "line `timeout:` up with `recording:` (column 1))",
        ),
    ),
    (
        "over-indented-menu-field",
        (("    destination: extension|845", "      destination: extension|845"),),
        (
            "18:7: error: 'destination' is indented more than 'option' above it (line 17) "
            "(hint: line `destination:` up with `option:` (column 5))",
        ),
    ),
    (
        "menu-field-indented-too-little",
        (("    destination: extension|845", "  destination: extension|845"),),
        (
            "18:3: error: 'destination' is indented less than the fields of its list entry "
            "('option', line 17) (hint: line `destination:` up with `option:` (column 5))",
        ),
    ),
    (
        "indented-first-line",  # not PyYAML's line (2)
        (("id: 349", "  id: 349"),),
        (
            "1:3: error: the first field 'id' is indented 2 spaces, so every top-level field "
            "must be, and 'name' on line 2 is not (hint: start every top-level field at column "
            "1, with no spaces before it)",
        ),
    ),
    (
        "missing-dash",
        (
            ("  - option: 2", "  option: 2"),
            ("    destination: extension|845", "  destination: extension|845"),
        ),
        (
            "17:3: error: 'option' lines up with the '-' of the entries above (line 15), but has "
            "no '-' of its own (hint: start the next entry with `- `: `- option: 2`)",
        ),
    ),
    (
        "missing-dash-on-the-first-entry",  # not PyYAML's line (17)
        (
            ('  - option: "1"', '  option: "1"'),
            ("    destination: extension|0504", "  destination: extension|0504"),
        ),
        (
            "15:3: error: 'option' starts a mapping under 'menu', but line 17 starts a list "
            "entry: every entry of a list starts with '-' (hint: write `- option:` on line 15, "
            "and line the fields under it up after the `- `)",
        ),
    ),
    (
        "missing-dash-read-as-the-same-entry",  # YAML parses it: two keys twice in one entry
        (("  - option: 2", "    option: 2"),),
        (
            "17:5: error: menu[0].option: duplicate key 'option': first at line 15, again at "
            "line 17 (hint: if a new entry starts at line 17, begin it with `- `; otherwise "
            "keep one of them: YAML would silently use only the last)",
            "18:5: error: menu[0].destination: duplicate key 'destination': first at line 16, "
            "again at line 18 (hint: if a new entry starts at line 18, begin it with `- `; "
            "otherwise keep one of them: YAML would silently use only the last)",
        ),
    ),
    (
        "tab",
        (("  - option: 2", "\t- option: 2"),),
        (
            "17:1: error: the line is indented with a tab (hint: indent with spaces: YAML does "
            "not allow tabs)",
        ),
    ),
    (
        "unclosed-quote",  # not PyYAML's line (the end of the file)
        (('option: "1"', 'option: "1'),),
        (
            "15:13: error: the quote opened here is never closed (hint: close it on this line: "
            '- option: "1")',
        ),
    ),
    (
        "quote-closed-by-a-later-line",  # not PyYAML's line (15)
        (("name: Support IVR", 'name: "Support IVR'),),
        (
            "2:7: error: the quote opened here is not closed on its line, so YAML reads on to "
            'the next " (line 15) (hint: close it on this line: name: "Support IVR")',
        ),
    ),
    (
        "unclosed-bracket",  # not PyYAML's line (3)
        (("name: Support IVR", "name: [Support IVR"),),
        (
            "2:7: error: the '[' opened here is not closed on its line (hint: close it with `]` "
            'on this line, or quote the value if the [ is part of the text: name: "[Support '
            'IVR")',
        ),
    ),
    (
        "missing-colon",  # not PyYAML's line (6)
        (("timeout: 20", "timeout 20"),),
        ("5:1: error: 'timeout 20' has no ':' after the field name (hint: write `timeout: 20`)",),
    ),
    (
        "colon-in-a-value",
        (("name: Support IVR", "name: Support: IVR"),),
        (
            "2:7: error: the value of 'name' contains ': ', which YAML reads as another key "
            '(hint: quote the value: name: "Support: IVR")',
        ),
    ),
]


@pytest.mark.parametrize(
    ("edits", "problems"),
    [case[1:] for case in SYNTAX_ERRORS],
    ids=[case[0] for case in SYNTAX_ERRORS],
)
def test_a_syntax_error_is_told_in_words_at_the_line_to_fix(
    run_cli: RunCli, project: Path, edits: tuple[tuple[str, str], ...], problems: tuple[str, ...]
) -> None:
    text = VALID
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)

    assert_refused(run_cli, project, text, *problems)
