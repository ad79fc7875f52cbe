"""`ivrsync validate` and `ivrsync schema` end to end, and the problem renderers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivrsync.model import Problem
from ivrsync.render.problems import escape_property, render_problems
from tests.testing.cli import RunCli
from tests.testing.documents import VALID, edited, ivr_document, write_ivr

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted(p for p in (ROOT / "ivr-configs").rglob("*.y*ml"))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the shipped examples -----------------------------------------------------------------------


def test_validate_accepts_the_shipped_examples(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)

    result = run_cli("validate", "--strict")

    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"checked {len(EXAMPLES)} files: no problems\n",
        "",
    )


def test_validate_runs_as_a_real_process_on_the_examples() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ivrsync", "validate", "ivr-configs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert (result.returncode, result.stdout) == (
        0,
        f"checked {len(EXAMPLES)} files: no problems\n",
    )


# --- every kind of bad input --------------------------------------------------------------------

BAD_INPUTS: list[tuple[str, dict[str, str | bytes], int, str]] = [
    (
        "syntax-error",
        {"ivr.yaml": "id: 1\nname: [Sales\n"},
        1,
        "ivr.yaml:2:7: error: the '[' opened here is not closed on its line (hint: close it "
        'with `]` on this line, or quote the value if the [ is part of the text: name: "[Sales")',
    ),
    (
        "empty-file",
        {"ivr.yaml": ""},
        1,
        "ivr.yaml:1:1: error: the file is empty: it holds no IVR "
        "(hint: write one IVR mapping (id, name, ..., menu), or delete the file)",
    ),
    (
        "several-documents",
        {"ivr.yaml": VALID + "---\n" + VALID},
        1,
        "ivr.yaml:19:1: error: several YAML documents in one file (another starts at line 19) "
        "(hint: keep one IVR per file: remove the `---` line, or move the next IVR to its own "
        "file)",
    ),
    (
        "not-a-mapping",
        {"ivr.yaml": "- id: 1\n"},
        1,
        "ivr.yaml:1:1: error: the document is a list: expected a mapping of IVR fields "
        "(hint: write the fields as `key: value` lines at the top level (id: 349, ...))",
    ),
    (
        "duplicate-key",
        {"ivr.yaml": edited("timeout: 20", "timeout: 20\ntimeout: 30")},
        1,
        "ivr.yaml:6:1: error: timeout: duplicate key 'timeout': first at line 5, again at "
        "line 6 (hint: keep one of them: YAML would silently use only the last)",
    ),
    (
        "wrong-type",
        {"ivr.yaml": edited("timeout_tries: 3", "timeout_tries: three")},
        1,
        "ivr.yaml:12:16: error: timeout_tries: expected a whole number, got the text 'three' "
        "(hint: How many times the IVR replays its prompt when the caller presses nothing "
        "(1-10).)",
    ),
    (
        "missing-field",
        {"ivr.yaml": edited("description: IVR for the support team\n", "")},
        1,
        "ivr.yaml:1:1: error: description: missing field 'description' (hint: add the "
        "`description:` line. What the IVR is for, e.g. IVR for the support team. May be "
        "empty.)",
    ),
    (
        "unknown-field",
        {"ivr.yaml": edited("incorrect_count: 5", "incorrect_count: 5\nincorect_count: 5")},
        1,
        "ivr.yaml:7:1: error: incorect_count: unknown field 'incorect_count'; "
        "'incorrect_count' is already set (hint: remove it, or keep its value in the "
        "`incorrect_count:` line)",
    ),
    (
        "bad-reference",
        {"ivr.yaml": edited("timeout_destination: extension|", "timeout_destination: ext|")},
        1,
        "ivr.yaml:11:22: error: timeout_destination: unknown destination type 'ext' (hint: "
        "write <type>|<id>, e.g. extension|05047530002; types: extension, agent, ringgroup, "
        "auto_attendant, auto_attend, department, time_condition, timegroup, voicemail, "
        "api_dialplan, ivr, custom_dialplan, hangup)",
    ),
    (
        "bad-option",
        {"ivr.yaml": edited("option: 2", "option: '*2'")},
        1,
        "ivr.yaml:17:13: error: menu[1].option: the text '*2' is not a menu key (hint: use one "
        'DTMF key: "0" to "9", "*" or "#" (quote * and # in YAML))',
    ),
    (
        "same-option-twice",
        {"ivr.yaml": edited("option: 2", "option: 1")},
        1,
        "ivr.yaml:17:13: error: menu[1].option: option '1' appears twice in the menu (first at "
        "line 15) (hint: each key can lead to one destination only: remove or change one entry)",
    ),
    (
        "same-id-in-two-files",
        {"a.yaml": VALID, "b.yaml": VALID.replace("Support IVR", "Sales IVR")},
        1,
        "a.yaml:1:5: error: id: IVR id 349 is also used by b.yaml (hint: keep each IVR in "
        "exactly one file: remove the copy or fix its id)\n"
        "b.yaml:1:5: error: id: IVR id 349 is also used by a.yaml (hint: keep each IVR in "
        "exactly one file: remove the copy or fix its id)",
    ),
    (
        "same-name-in-two-files",
        {"a.yaml": VALID, "b.yaml": VALID.replace("id: 349", "id: 350")},
        0,
        "a.yaml:2:7: warning: name: the name 'Support IVR' is also used by b.yaml (hint: give "
        "each IVR its own name so people can tell them apart)\n"
        "b.yaml:2:7: warning: name: the name 'Support IVR' is also used by a.yaml (hint: give "
        "each IVR its own name so people can tell them apart)",
    ),
    (
        "unknown-ivr",
        {"ivr.yaml": edited("destination: extension|845", "destination: ivr|351")},
        0,
        "ivr.yaml:18:18: warning: menu[1].destination: ivr|351 names no IVR in the config set "
        "(hint: fine if IVR 351 is managed outside ivrsync; otherwise fix the id or add a file "
        "for it)",
    ),
    (
        "not-utf8",
        {"ivr.yaml": VALID.replace("Support", "Caf\xe9").encode("latin-1")},
        1,
        "ivr.yaml:2:10: error: not UTF-8 text: byte 0xe9 cannot be decoded "
        "(hint: save the file as UTF-8)",
    ),
]


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize(
    ("files", "exit_code", "expected"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_validate_reports_bad_input_with_file_line_and_message(
    files: dict[str, str | bytes], exit_code: int, expected: str, run_cli: RunCli, workdir: Path
) -> None:
    write_files(workdir, files)

    result = run_cli("validate", *files)

    problems = expected.count("\n") + 1
    errors = expected.count(": error: ")
    summary = (
        f"checked {len(files)} file{'s' if len(files) > 1 else ''}: "
        f"{errors} error{'' if errors == 1 else 's'}, "
        f"{problems - errors} warning{'' if problems - errors == 1 else 's'}"
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        exit_code,
        f"{expected}\n{summary}\n",
        "",
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda path: path.symlink_to(path.parent / "gone.yaml"),
        lambda path: os.mkfifo(path),
    ],
    ids=["broken-link", "fifo"],
)
def test_validate_reports_unreadable_files_in_a_folder(
    make: object, run_cli: RunCli, workdir: Path
) -> None:
    (workdir / "ivrs").mkdir()
    make(workdir / "ivrs" / "x.yaml")  # type: ignore[operator]

    result = run_cli("validate", "ivrs")

    assert result.exit_code == 1
    assert result.stdout.startswith("ivrs/x.yaml: error: cannot read: ")
    assert result.stdout.endswith("\nchecked 1 file: 1 error, 0 warnings\n")


def test_warnings_fail_only_with_strict(run_cli: RunCli, workdir: Path) -> None:
    (workdir / "ivr.yaml").write_text(edited("destination: extension|845", "destination: ivr|9"))

    assert run_cli("validate", "ivr.yaml").exit_code == 0
    assert run_cli("validate", "--strict", "ivr.yaml").exit_code == 1


def test_all_problems_of_all_files_are_reported_together_sorted(
    run_cli: RunCli, workdir: Path
) -> None:
    write_files(
        workdir,
        {
            "b.yaml": edited("timeout: 20", "timeout: 0"),
            "a.yaml": "",
            "c.yaml": edited("id: 349", "id: 350").replace("Support IVR", "Other"),
        },
    )

    result = run_cli("validate", ".")

    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == [
        "a.yaml:1:1",
        "b.yaml:5:10",
        "checked 3 files",
    ]


# --- options and errors -------------------------------------------------------------------------


def test_config_dir_option_and_environment_variable(run_cli: RunCli, workdir: Path) -> None:
    write_ivr(workdir / "ivrs", ivr_document(1))

    by_option = run_cli("validate", "--config-dir", "ivrs")
    by_env = run_cli("validate", env={"IVRSYNC_CONFIG_DIR": "ivrs"})

    assert by_option.stdout == by_env.stdout == "checked 1 file: no problems\n"


def test_a_missing_config_dir_is_a_clear_error(run_cli: RunCli, workdir: Path) -> None:
    result = run_cli("validate")

    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "error: config folder 'ivr-configs' does not exist\n"
        "hint: run ivrsync from the repository root, or point --config-dir (or "
        "IVRSYNC_CONFIG_DIR) at the folder holding the IVR files\n",
    )


def test_a_missing_path_is_a_clear_error(run_cli: RunCli, workdir: Path) -> None:
    result = run_cli("validate", "nope.yaml")

    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        1,
        "error: nope.yaml: no such file or directory",
    )


def test_json_format(run_cli: RunCli, workdir: Path) -> None:
    (workdir / "ivr.yaml").write_text(edited("timeout: 20", "timeout: 0"))

    result = run_cli("validate", "--format", "json", "ivr.yaml")

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "version": 1,
        "valid": False,
        "counts": {"errors": 1, "warnings": 0, "files": 1},
        "problems": [
            {
                "file": "ivr.yaml",
                "line": 5,
                "column": 10,
                "path": "timeout",
                "severity": "error",
                "message": "0 is below the minimum of 1",
                "hint": "use a whole number from 1 to 300",
            }
        ],
    }


def test_github_format(run_cli: RunCli, workdir: Path) -> None:
    (workdir / "ivr.yaml").write_text(edited("destination: extension|845", "destination: ivr|9"))
    (workdir / "empty.yaml").write_text("")

    result = run_cli("validate", "--format", "github", ".")

    assert (result.exit_code, result.stdout) == (
        1,
        "::error file=empty.yaml,line=1,col=1,title=ivrsync::the file is empty: it holds no IVR "
        "(hint: write one IVR mapping (id, name, ..., menu), or delete the file)\n"
        "::warning file=ivr.yaml,line=18,col=18,title=ivrsync%3A menu[1].destination::ivr|9 "
        "names no IVR in the config set (hint: fine if IVR 9 is managed outside ivrsync; "
        "otherwise fix the id or add a file for it)\n"
        "checked 2 files: 1 error, 1 warning\n",
    )


def test_schema_command_prints_the_schema(run_cli: RunCli) -> None:
    result = run_cli("schema")

    assert (result.exit_code, result.stdout) == (
        0,
        (ROOT / "schemas" / "ivr.schema.json").read_text(encoding="utf-8"),
    )


# --- renderers ----------------------------------------------------------------------------------

PROBLEMS = [
    Problem("a,b:c.yaml", 0, 0, "", "cannot read: 100% broken\r\nreally", "error", ""),
    Problem("x.yaml", 3, 7, "menu[0].option", "bad", "warning", "fix it"),
]


def test_text_rendering() -> None:
    # A problem is one line: a line break in it (from a value) is shown as its escape.
    assert render_problems(PROBLEMS, "text") == (
        "a,b:c.yaml: error: cannot read: 100% broken\\r\\nreally\n"
        "x.yaml:3:7: warning: menu[0].option: bad (hint: fix it)\n"
        "1 error, 1 warning\n"
    )


def test_github_rendering_escapes_data_and_properties() -> None:
    assert render_problems(PROBLEMS, "github", files_read=2) == (
        "::error file=a%2Cb%3Ac.yaml,title=ivrsync::cannot read: 100%25 broken\\r\\nreally\n"
        "::warning file=x.yaml,line=3,col=7,title=ivrsync%3A menu[0].option::bad (hint: fix it)\n"
        "checked 2 files: 1 error, 1 warning\n"
    )
    assert escape_property("50%,a:b\n") == "50%25%2Ca%3Ab%0A"


def test_rendering_nothing() -> None:
    assert render_problems([], "text", files_read=1) == "checked 1 file: no problems\n"
    assert json.loads(render_problems([], "json")) == {
        "version": 1,
        "valid": True,
        "counts": {"errors": 0, "warnings": 0},
        "problems": [],
    }


# --- no input makes a traceback -----------------------------------------------------------------

#: Text that looks like YAML more often than plain random text would.
YAMLISH = st.lists(
    st.sampled_from(
        [
            "id: 1\n",
            "menu:\n",
            "  - option: ",
            "*",
            "#",
            "&a ",
            "*a\n",
            "<<: ",
            "{",
            "}",
            "[",
            "]",
            ": ",
            "- ",
            "\t",
            "'",
            '"',
            "---\n",
            "? ",
            "!!binary ",
            "!!python/object ",
            "2001-12-14\n",
            "\n",
            "  ",
            "destination: ivr|1\n",
        ]
    )
    | st.text(max_size=5),
    max_size=25,
).map("".join)


#: The valid file with YAML-ish text inserted somewhere: near-valid files of every shape.
VALID_WITH_INSERTS = st.builds(
    lambda cut, insert: VALID[:cut] + insert + VALID[cut:],
    st.integers(min_value=0, max_value=len(VALID)),
    YAMLISH,
)


def _assert_validate_survives(run_cli: RunCli, content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "ivr.yaml")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
        result = run_cli("validate", "--format", "json", str(path))
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["valid"] is (result.exit_code == 0)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.one_of(YAMLISH, st.text(), VALID_WITH_INSERTS))
def test_validate_never_crashes_on_any_text(run_cli: RunCli, text: str) -> None:
    _assert_validate_survives(run_cli, text)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.binary(max_size=200) | st.builds(lambda b: VALID.encode() + b, st.binary(max_size=20)))
def test_validate_never_crashes_on_any_bytes(run_cli: RunCli, data: bytes) -> None:
    _assert_validate_survives(run_cli, data)


def _billion_laughs() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    lines += ["menu: [*a8, {option: *a8, destination: *a8}]", "name: *a8", "id: 1", "id: 2"]
    return "\n".join(lines) + "\n"


HOSTILE = [
    ("billion-laughs", _billion_laughs(), "bomb.yaml:13:1: error: id: duplicate key 'id'"),
    ("deep-flow", "menu: " + "[" * 990 + "]" * 990 + "\n", "bomb.yaml:1:8: error: menu[0]:"),
    (
        "deep-block",
        "menu:\n" + "".join("  " * i + "- \n" for i in range(1500)),
        "bomb.yaml:1001:1999: error: YAML syntax error: exceeded maximum nesting depth",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE]
)
def test_hostile_yaml_is_reported_not_expanded(text: str, expected: str, tmp_path: Path) -> None:
    # A real process with a generous timeout: a regression must fail, not hang the suite.
    (tmp_path / "bomb.yaml").write_text(text, encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-m", "ivrsync", "validate", "bomb.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert (result.returncode, result.stderr) == (1, "")
    assert any(line.startswith(expected) for line in result.stdout.splitlines()), result.stdout


def test_a_named_file_is_checked_against_the_whole_config_folder(
    run_cli: RunCli, workdir: Path
) -> None:
    folder = workdir / "ivr-configs"
    write_ivr(folder, ivr_document(4101), "main.yaml")
    sales = ivr_document(4102, menu=[{"option": "1", "destination": "ivr|4101"}])
    write_ivr(folder, sales, "sales.yaml")
    broken = ivr_document(4103, timeout=0)  # an error in a file not named: not reported
    write_ivr(folder, broken, "other.yaml")

    result = run_cli("validate", "ivr-configs/sales.yaml")

    assert result.exit_code == 0, result.stdout
    assert "names no IVR" not in result.stdout
    assert "other.yaml" not in result.stdout
    assert result.stdout == "checked 1 file: no problems\n"


def test_a_duplicate_id_elsewhere_in_the_folder_is_reported_for_the_named_file(
    run_cli: RunCli, workdir: Path
) -> None:
    folder = workdir / "ivr-configs"
    write_ivr(folder, ivr_document(7, name="A"), "a.yaml")
    write_ivr(folder, ivr_document(7, name="B"), "b.yaml")

    result = run_cli("validate", "ivr-configs/a.yaml")

    assert result.exit_code == 1
    assert "IVR id 7 is also used by ivr-configs/b.yaml" in result.stdout
    assert "ivr-configs/b.yaml:" not in result.stdout


def test_a_syntax_error_adds_no_warnings_to_other_files(run_cli: RunCli, workdir: Path) -> None:
    folder = workdir / "ivr-configs"
    write_ivr(folder, ivr_document(1, menu=[{"option": "1", "destination": "ivr|2"}]))
    (folder / "ivr-2.yaml").write_text("id: 2\nname: [unclosed\n", "utf-8")

    result = run_cli("validate")

    assert result.exit_code == 1
    assert "ivr-2.yaml" in result.stdout
    assert "names no IVR" not in result.stdout
