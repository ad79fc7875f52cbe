"""Guards a new user meets: local checks before credentials, an empty folder forgets nothing,
and plans say when apply will refuse them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.testing.cli import RunCli
from tests.testing.workspace import Workspace, apply_cli, open_workspace


@pytest.fixture
def adopted(run_cli: RunCli, tmp_path: Path) -> Workspace:
    with open_workspace(tmp_path, 4) as workspace:
        assert apply_cli(run_cli, workspace, "--auto-approve").exit_code == 0
        workspace.fake.reset_requests()
        yield workspace


def test_a_missing_config_folder_is_reported_before_credentials(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run_cli("apply", "--auto-approve")

    assert result.exit_code == 1
    assert "config folder 'ivr-configs' does not exist" in result.stderr
    assert "credentials" not in result.stderr


def test_an_empty_config_folder_forgets_nothing_without_the_flag(
    run_cli: RunCli, adopted: Workspace
) -> None:
    for ivr_id in (1, 2, 3, 4):
        adopted.remove(ivr_id)
    state_before = adopted.state_path.read_bytes()

    refused = apply_cli(run_cli, adopted, "--auto-approve")
    planned = run_cli("plan", *adopted.args()[1:5])

    assert refused.exit_code == 1
    assert "this plan would forget every managed IVR (4 of 4)" in refused.stderr
    assert "--allow-mass-change" in refused.stderr
    assert adopted.state_path.read_bytes() == state_before
    assert adopted.fake.requests == []
    assert planned.stdout.startswith(
        "! apply will refuse this plan: this plan would forget every managed IVR (4 of 4)"
    )
    allowed = apply_cli(run_cli, adopted, "--auto-approve", "--allow-mass-change")
    assert allowed.exit_code == 0
    assert "4 forgotten" in allowed.stdout


def test_validate_warns_about_an_empty_folder(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    result = run_cli("validate", str(tmp_path / "empty"))
    strict = run_cli("validate", "--strict", str(tmp_path / "empty"))

    assert result.exit_code == 0
    assert "warning" in result.stdout
    assert "no IVR files (*.yaml, *.yml) found here" in result.stdout
    assert strict.exit_code == 1


def test_a_plan_that_trips_the_rail_says_so_at_the_top_in_every_format(
    run_cli: RunCli, tmp_path: Path
) -> None:
    with open_workspace(tmp_path, 12) as workspace:
        assert apply_cli(run_cli, workspace, "--auto-approve").exit_code == 0
        for ivr_id in range(1, 6):
            workspace.write(ivr_id, timeout=50)
        args = workspace.args()[1:5]

        text = run_cli("plan", *args)
        markdown = run_cli("plan", *args, "--format", "markdown")
        document = run_cli("plan", *args, "--format", "json")

    headline = "apply will refuse this plan: this plan would change 5 of 12 managed IVRs (42%"
    assert text.stdout.startswith("! " + headline)
    assert "--allow-mass-change" in text.stdout.split("\n\n")[0]
    lines = markdown.stdout.splitlines()
    assert lines[3] == "> [!WARNING]"
    assert lines[4] == "> **apply will refuse this plan**:"
    assert lines[5].startswith("> `this plan would change 5 of 12 managed IVRs (42%")
    assert "warning: " + headline in document.stderr
    assert document.stdout.startswith("{")


def test_a_plan_within_the_rail_has_no_notice(run_cli: RunCli, adopted: Workspace) -> None:
    adopted.write(1, timeout=50)

    text = run_cli("plan", *adopted.args()[1:5])

    assert "apply will refuse" not in text.stdout
