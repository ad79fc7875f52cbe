"""`ivrsync show PLANFILE`: a saved plan rendered as `plan` renders it, stale plans flagged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testing.cli import RunCli
from tests.testing.workspace import Workspace, apply_cli, open_workspace


@pytest.fixture
def saved(run_cli: RunCli, tmp_path: Path) -> Iterator[tuple[Workspace, Path, list[str]]]:
    with open_workspace(tmp_path, 3) as workspace:
        assert apply_cli(run_cli, workspace, "--auto-approve").exit_code == 0
        workspace.write(2, timeout=44)
        args = ["--config-dir", str(workspace.config_dir), "--state", str(workspace.state_path)]
        path = tmp_path / "plan.json"
        assert run_cli("plan", *args, "--out", str(path)).exit_code == 0
        yield workspace, path, args


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_show_renders_the_saved_plan_as_plan_does(
    run_cli: RunCli, saved: tuple[Workspace, Path, list[str]], output_format: str
) -> None:
    _, path, args = saved

    shown = run_cli("show", str(path), "--state", args[3], "--format", output_format)
    planned = run_cli("plan", *args, "--format", output_format)

    assert shown.exit_code == 0
    assert shown.stdout == planned.stdout
    assert shown.stderr == ""


def test_show_json_is_the_same_plan_document(
    run_cli: RunCli, saved: tuple[Workspace, Path, list[str]]
) -> None:
    _, path, args = saved

    shown = run_cli("show", str(path), "--state", args[3], "--format", "json")

    original = json.loads(path.read_text("utf-8"))
    assert json.loads(shown.stdout)["changes"] == original["changes"]
    assert json.loads(shown.stdout)["checksum"] == original["checksum"]


def test_show_warns_when_the_plan_is_stale(
    run_cli: RunCli, saved: tuple[Workspace, Path, list[str]]
) -> None:
    workspace, path, args = saved
    workspace.write(3, timeout=55)
    assert apply_cli(run_cli, workspace, "--auto-approve", "--target", "3").exit_code == 0

    shown = run_cli("show", str(path), "--state", args[3])

    assert shown.exit_code == 0
    assert shown.stderr.startswith("warning: this plan is stale: the state changed since")
    assert "~ IVR 2" in shown.stdout


def test_show_of_an_edited_plan_is_refused(
    run_cli: RunCli, saved: tuple[Workspace, Path, list[str]]
) -> None:
    _, path, args = saved
    path.write_text(path.read_text("utf-8").replace('"timeout": 44', '"timeout": 45'), "utf-8")

    shown = run_cli("show", str(path), "--state", args[3])

    assert shown.exit_code == 1
    assert "fails its checksum" in shown.stderr
