"""Apply proves that Smartflo stored what it sent: the canary goes first, every IVR is read back.

Each test runs the real CLI against the fake server in a dialect ivrsync's settings do not
match, which is what a wrong guess about the real API looks like.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import body_from_document
from ivrsync.fake_smartflo import FakeSmartflo
from ivrsync.smartflo.readshape import read_shape_from_body
from tests.testing.cli import CliResult, RunCli
from tests.testing.documents import ivr_document, write_ivr

TOKEN = "tok-canary-51ab-never-printed"
IDS = range(1, 21)


def document(ivr_id: int, **overrides: Any) -> dict[str, Any]:
    # Distinct recordings per IVR, so a swapped recording mapping is visible on every one.
    return ivr_document(
        ivr_id,
        invalid_recording=f"recording|{ivr_id}01",
        recording_invalid=f"recording|{ivr_id}02",
        **overrides,
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def account(**dialect: Any) -> FakeSmartflo:
    seed = [read_shape_from_body(i, body_from_document(document(i))) for i in IDS]
    return FakeSmartflo(ivrs=seed, token=TOKEN, **dialect)


def cli(run_cli: RunCli, fake: FakeSmartflo, *args: str) -> CliResult:
    result = run_cli(*args, env={"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_BASE_URL": fake.url})
    assert TOKEN not in result.stdout + result.stderr
    return result


def twenty_changes(project: Path) -> None:
    for ivr_id in IDS:
        write_ivr(project / "ivr-configs", document(ivr_id, timeout=40 + ivr_id))


@pytest.fixture
def imported(run_cli: RunCli, project: Path) -> Iterator[tuple[Path, FakeSmartflo]]:
    """An account imported with matching settings; the caller changes the dialect after."""
    with account() as fake:
        assert cli(run_cli, fake, "import").exit_code == 0
        yield project, fake


def test_a_wrong_separator_sends_only_the_canary_and_names_the_setting(
    run_cli: RunCli, project: Path
) -> None:
    twenty_changes(project)
    with account(separator="||") as fake:  # the server wants two pipes; ivrsync sends one
        result = cli(run_cli, fake, "apply", "--auto-approve")

        assert result.exit_code == 1
        assert len(fake.puts()) == 1
        assert "the canary IVR 1 (IVR 1) was refused, so nothing else was sent" in result.stdout
        assert "separator" in result.stdout
        assert "must be of the form type||id" in result.stdout + result.stderr
        assert "Not attempted (19)" in result.stdout


def test_a_lenient_server_that_mangles_references_stops_after_the_canary(
    run_cli: RunCli, project: Path
) -> None:
    twenty_changes(project)
    with account(separator="||", separator_strict=False) as fake:
        result = cli(run_cli, fake, "apply", "--auto-approve")

        assert result.exit_code == 1
        assert len(fake.puts()) == 1
        assert "does not read back as it was sent, so nothing else was sent" in result.stdout
        assert "Read-back: 1 applied IVR does not read back as sent:" in result.stdout
        assert "[smartflo] separator" in result.stdout


def test_a_wrong_recording_mapping_stops_after_the_canary_naming_both_fields(
    run_cli: RunCli, project: Path
) -> None:
    twenty_changes(project)
    with account(recordings="direct") as fake:
        result = cli(run_cli, fake, "apply", "--auto-approve")

        assert result.exit_code == 1
        assert len(fake.puts()) == 1
        assert 'invalid_recording: sent "recording|101", stored "recording|102"' in result.stdout
        assert 'recording_invalid: sent "recording|102", stored "recording|101"' in result.stdout
        assert "[smartflo] recordings" in result.stdout


def test_without_the_canary_read_back_names_every_mismatching_ivr(
    run_cli: RunCli, project: Path
) -> None:
    twenty_changes(project)
    with account(recordings="direct") as fake:
        result = cli(run_cli, fake, "apply", "--auto-approve", "--no-canary")

        assert result.exit_code == 1
        assert len(fake.puts()) == 20
        assert "Read-back: 20 applied IVRs do not read back as sent:" in result.stdout
        for ivr_id in IDS:
            assert f'  {ivr_id} "IVR {ivr_id}":\n' in result.stdout
        # What was sent is recorded as last applied, so drift keeps showing the difference.
        drift = cli(run_cli, fake, "drift", "--detailed-exitcode")
        assert drift.exit_code == 2, drift.stdout + drift.stderr
        assert "invalid_recording" in drift.stdout


def test_a_matching_dialect_applies_everything_and_reads_back_equal(
    run_cli: RunCli, project: Path
) -> None:
    twenty_changes(project)
    with account(separator="||") as fake:
        (project / "ivrsync.toml").write_text('[smartflo]\nseparator = "||"\n', "utf-8")

        result = cli(run_cli, fake, "apply", "--auto-approve")

        assert result.exit_code == 0, result.stdout + result.stderr
        assert len(fake.puts()) == 20
        assert fake.puts()[0].ivr_id == 1  # the canary first
        assert all("||" in put.body["recording"] for put in fake.puts())  # type: ignore[index]
        assert "Read-back" not in result.stdout


@pytest.mark.parametrize(
    "setting",
    ['separator = "||"', 'auth_scheme = "raw"', 'recordings = "direct"'],
    ids=["separator", "auth_scheme", "recordings"],
)
def test_changing_a_wire_setting_changes_no_plan(
    run_cli: RunCli, imported: tuple[Path, FakeSmartflo], setting: str
) -> None:
    project, fake = imported
    (project / "ivrsync.toml").write_text(f"[smartflo]\n{setting}\n", "utf-8")

    result = cli(run_cli, fake, "plan", "--detailed-exitcode")

    assert result.exit_code == 0, result.stdout
    assert "No changes" in result.stdout
