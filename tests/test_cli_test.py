"""`ivrsync test` end to end: the shipped caller paths, a broken route, formats, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.testing.cli import RunCli
from tests.testing.flow import ROOT, example_project, ivr, write_ivrs

SALES = Path("ivr-configs/teams/sales.yaml")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped examples as the working folder."""
    monkeypatch.chdir(example_project(tmp_path))
    return tmp_path


def _break_the_dealers_route() -> None:
    text = SALES.read_text(encoding="utf-8")
    SALES.write_text(text.replace("ringgroup|17839", "ringgroup|17840"), encoding="utf-8")


def test_the_shipped_caller_paths_all_pass_as_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ivrsync", "test"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )

    lines = result.stdout.splitlines()
    assert (result.returncode, result.stderr) == (0, "")
    assert lines[-1] == "12 caller paths: 12 passed, 0 failed"
    assert lines[:2] == [
        "PASS ivr-tests/kaveri.yaml:3: sales orders reach the dealers' ring group",
        "  Kaveri Main Menu -1-> Kaveri Sales -2-> ringgroup|17839",
    ]
    assert "  Kaveri Main Menu -2-> Kaveri Support -2-> Kaveri Repairs -1-> department|13" in lines


def test_the_shipped_tests_cover_keys_timeouts_invalid_keys_and_a_nested_menu() -> None:
    text = (ROOT / "ivr-tests" / "kaveri.yaml").read_text(encoding="utf-8")

    assert text.count("- name:") >= 8
    assert "timeout" in text
    assert "invalid" in text
    assert "Kaveri Repairs" in text


@pytest.mark.usefixtures("project")
def test_a_broken_route_fails_the_test_that_takes_it_with_the_path(run_cli: RunCli) -> None:
    _break_the_dealers_route()

    result = run_cli("test")

    assert result.exit_code == 1
    assert result.stdout.count("FAIL ") == 1
    assert result.stdout.startswith(
        "FAIL ivr-tests/kaveri.yaml:3: sales orders reach the dealers' ring group\n"
        "  expected ringgroup|17839, but the call reached ringgroup|17840\n"
        "  Kaveri Main Menu -1-> Kaveri Sales -2-> ringgroup|17840\n"
        "PASS ivr-tests/kaveri.yaml:8: accounts and billing is one key away\n"
    )
    assert result.stdout.endswith("12 caller paths: 11 passed, 1 failed\n")


@pytest.mark.usefixtures("project")
def test_github_format_annotates_the_failing_test(run_cli: RunCli) -> None:
    _break_the_dealers_route()

    result = run_cli("test", "--format", "github")

    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "::error file=ivr-tests/kaveri.yaml,line=3,col=3,title=ivrsync test%3A sales orders "
        "reach the dealers' ring group::expected ringgroup|17839, but the call reached "
        "ringgroup|17840%0AKaveri Main Menu -1-> Kaveri Sales -2-> ringgroup|17840"
    )
    assert sum(line.startswith("::") for line in result.stdout.splitlines()) == 1


@pytest.mark.usefixtures("project")
def test_markdown_format_is_a_table_for_the_job_summary(run_cli: RunCli) -> None:
    _break_the_dealers_route()

    lines = run_cli("test", "--format", "markdown").stdout.splitlines()

    assert lines[:5] == [
        "### ivrsync test: 11 of 12 caller paths passed (failed)",
        "",
        "| | caller path | where it went |",
        "|---|---|---|",
        "| **FAIL** | sales orders reach the dealers&#x27; ring group <sub>ivr-tests/kaveri.yaml:3"
        "</sub> | expected ringgroup&#124;17839, but the call reached ringgroup&#124;17840<br>"
        "<code>Kaveri Main Menu -1-&gt; Kaveri Sales -2-&gt; ringgroup&#124;17840</code> |",
    ]
    assert len(lines) == 16


@pytest.mark.usefixtures("project")
def test_json_format(run_cli: RunCli) -> None:
    result = run_cli("test", "--format", "json", "ivr-tests/kaveri.yaml")

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert document["version"] == 1
    assert document["counts"] == {"passed": 12, "failed": 0, "files": 1}
    first = document["results"][0]
    assert (first["name"], first["line"], first["end"]) == (
        "sales orders reach the dealers' ring group",
        3,
        "ringgroup|17839",
    )
    assert [step["at"] for step in first["path"]] == ["ivr|4101", "ivr|4102", "ringgroup|17839"]


@pytest.mark.usefixtures("project")
def test_a_bad_test_file_is_reported_with_its_line(run_cli: RunCli) -> None:
    Path("ivr-tests/broken.yaml").write_text(
        "- name: x\n  start: Kaveri Main Menu\n  pres: ['1']\n  expect: department|7\n",
        encoding="utf-8",
    )

    result = run_cli("test")

    assert result.exit_code == 1
    assert (
        "ivr-tests/broken.yaml:3:3: error: [0].pres: unknown field 'pres'; did you mean 'press'?"
        in result.stdout
    )
    assert result.stdout.endswith("12 caller paths: 12 passed, 0 failed; 1 problem in test files\n")


@pytest.mark.usefixtures("project")
def test_a_test_starting_nowhere_fails(run_cli: RunCli) -> None:
    Path("ivr-tests/extra.yaml").write_text(
        "- name: lost\n  start: Kaveri Main Manu\n  expect: department|7\n", encoding="utf-8"
    )

    result = run_cli("test", "ivr-tests/extra.yaml")

    assert (result.exit_code, result.stdout) == (
        1,
        "FAIL ivr-tests/extra.yaml:1: lost\n"
        "  start: no IVR named 'Kaveri Main Manu' in the config set\n"
        "1 caller path: 0 passed, 1 failed\n",
    )


@pytest.mark.usefixtures("project")
def test_without_tests_folder_it_says_where_tests_go(run_cli: RunCli) -> None:
    result = run_cli("test", "--config-dir", "ivr-configs", "nowhere")
    default = run_cli("test", "--config-dir", "ivr-configs")

    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        1,
        "error: nowhere: no such file or directory",
    )
    assert default.exit_code == 0
    Path("ivr-tests/kaveri.yaml").unlink()
    Path("ivr-tests").rmdir()
    missing = run_cli("test")
    assert missing.exit_code == 1
    assert missing.stderr == (
        "error: ivr-tests (the default folder of caller-path tests): no such file or directory\n"
        "hint: write tests in ivr-tests/*.yaml, or pass test files or folders\n"
    )


def test_invalid_configs_run_no_test(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_ivrs(Path("ivr-configs"), ivr(1, timeout=0))
    Path("ivr-tests").mkdir()

    result = run_cli("test")

    assert result.exit_code == 1
    assert "error: the IVR configs have errors, so no test was run" in result.stderr


@pytest.mark.usefixtures("project")
def test_the_readme_example_test_file_passes(run_cli: RunCli) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `ivrsync test`") :]
    example = section[section.index("```yaml\n") + 8 : section.index("```\n", 1)]
    Path("ivr-tests/readme.yaml").write_text(example, encoding="utf-8")

    result = run_cli("test", "ivr-tests/readme.yaml")

    assert (result.exit_code, result.stdout.splitlines()[-1]) == (
        0,
        "2 caller paths: 2 passed, 0 failed",
    )
