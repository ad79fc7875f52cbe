"""`plan --refresh` and `apply --refresh [--overwrite-drift]` end to end against the fake server.

Every test starts from three IVRs applied once (configs, state and server agree), then edits the
YAML and/or the server ("the portal") and runs the real CLI in the workspace with its default
paths, so sources read `ivr-configs/ivr-N.yaml`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testing.cli import CliResult, RunCli
from tests.testing.workspace import TOKEN, Workspace, open_workspace, put_ids

CONFLICT_SECTION = (
    '! IVR 2 "IVR 2" (ivr-configs/ivr-2.yaml): CONFLICT, changed in the YAML and the portal\n'
    "    ! timeout: YAML 45, portal 60 (last applied 20)\n"
    "\n"
    "Refresh: 1 conflict (1 IVR), 0 portal changes to overwrite, 0 IVRs drifted, 0 missing; "
    "3 live IVRs.\n"
)
CONFLICT_PLAN = (
    '~ IVR 2 "IVR 2" (ivr-configs/ivr-2.yaml) will be updated\n'
    "    ~ timeout: 20 -> 45\n"
    "\n"
    "Plan: 0 to create, 1 to update, 0 to adopt, 0 to forget, 2 unchanged.\n"
)
CONFLICT_ERROR = (
    "error: a field changed both in the YAML and in the portal since the last apply: "
    "IVR 2 (IVR 2) field timeout\n"
)


@pytest.fixture
def ws(run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """IVRs 1-3 applied once; the current folder is the workspace; no request recorded yet."""
    monkeypatch.chdir(tmp_path)
    with open_workspace(tmp_path, 3) as opened:
        assert ivrsync(run_cli, opened, "apply", "--auto-approve").exit_code == 0
        opened.fake.reset_requests()
        yield opened


def ivrsync(run_cli: RunCli, ws: Workspace, *args: str, token: bool = True) -> CliResult:
    """Run ivrsync with the fake's URL (and the token); the token must never be printed."""
    env = {"SMARTFLO_BASE_URL": ws.fake.url}
    if token:
        env["SMARTFLO_API_TOKEN"] = TOKEN
    result = run_cli(*args, env=env)
    assert TOKEN not in result.stdout + result.stderr
    return result


def make_conflict(ws: Workspace) -> None:
    """IVR 2's timeout: 20 when applied, 45 in the YAML, 60 in the portal."""
    ws.write(2, timeout=45)
    ws.fake.edit_ivr(2, timeout=60)


def requests(ws: Workspace) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in ws.fake.requests]


# -- plan --refresh ---------------------------------------------------------------------------


def test_plan_refresh_shows_a_conflict_after_the_plan(run_cli: RunCli, ws: Workspace) -> None:
    make_conflict(ws)

    result = ivrsync(run_cli, ws, "plan", "--refresh")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == CONFLICT_PLAN + "\n" + CONFLICT_SECTION
    assert requests(ws) == [("GET", "/v1/ivrs")]


def test_plan_refresh_keeps_the_detailed_exit_code_contract(run_cli: RunCli, ws: Workspace) -> None:
    make_conflict(ws)
    conflict = ivrsync(run_cli, ws, "plan", "--refresh", "--detailed-exitcode")
    ws.write(2)  # the YAML back as applied: no change planned, only the portal's drift left
    drift_only = ivrsync(run_cli, ws, "plan", "--refresh", "--detailed-exitcode")

    assert conflict.exit_code == 2  # changes
    assert drift_only.exit_code == 0  # no changes; `ivrsync drift` is the drift check
    assert drift_only.stdout == (
        "No changes. 3 IVRs unchanged; the configs match the state.\n"
        "\n"
        '~ IVR 2 "IVR 2" (ivr-configs/ivr-2.yaml): changed in the portal; no change planned\n'
        "    ~ timeout: 20 -> 60 (last applied -> portal)\n"
        "\n"
        "Refresh: 0 conflicts (0 IVRs), 0 portal changes to overwrite, 1 IVR drifted, "
        "0 missing; 3 live IVRs.\n"
    )


def test_plan_refresh_without_drift_says_so(run_cli: RunCli, ws: Workspace) -> None:
    result = ivrsync(run_cli, ws, "plan", "--refresh")

    assert result.stdout == (
        "No changes. 3 IVRs unchanged; the configs match the state.\n"
        "\n"
        "Refresh: no drift; the portal matches the state; 3 live IVRs.\n"
    )


@pytest.mark.parametrize("output_format", ["json", "markdown"])
def test_plan_refresh_in_json_and_markdown_puts_the_section_on_stderr(
    run_cli: RunCli, ws: Workspace, output_format: str
) -> None:
    make_conflict(ws)
    plain = ivrsync(run_cli, ws, "plan", "--format", output_format, "--out", "plain.json")

    result = ivrsync(
        run_cli, ws, "plan", "--refresh", "--format", output_format, "--out", "refreshed.json"
    )

    assert result.exit_code == 0
    assert result.stdout == plain.stdout  # the document / comment is exactly the plan's
    assert Path("refreshed.json").read_bytes() == Path("plain.json").read_bytes()
    assert result.stderr == (
        "Saved the plan to refreshed.json; apply it with `ivrsync apply refreshed.json`.\n"
        + CONFLICT_SECTION
    )
    if output_format == "json":
        assert "refresh" not in json.loads(result.stdout)


def test_plain_plan_makes_no_request_and_needs_neither_token_nor_a_valid_url(
    run_cli: RunCli, ws: Workspace
) -> None:
    make_conflict(ws)

    result = ivrsync(run_cli, ws, "plan", token=False)
    remote = run_cli("plan", env={"SMARTFLO_BASE_URL": "http://example.com"})

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == CONFLICT_PLAN
    assert (remote.exit_code, remote.stdout) == (0, CONFLICT_PLAN)
    assert ws.fake.requests == []


def test_plan_refresh_without_a_token_fails_before_any_request(
    run_cli: RunCli, ws: Workspace
) -> None:
    result = ivrsync(run_cli, ws, "plan", "--refresh", "--out", "plan.json", token=False)

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: no Smartflo credentials")
    assert ws.fake.requests == []
    assert not Path("plan.json").exists()


# -- apply --refresh --------------------------------------------------------------------------


def test_apply_refresh_refuses_a_conflict_naming_ivr_and_field_and_sends_nothing(
    run_cli: RunCli, ws: Workspace
) -> None:
    make_conflict(ws)
    state_before = ws.state_path.read_bytes()

    result = ivrsync(run_cli, ws, "apply", "--refresh", "--auto-approve")

    assert result.exit_code == 1
    assert result.stdout == CONFLICT_PLAN
    assert result.stderr.startswith(CONFLICT_SECTION + CONFLICT_ERROR + "hint: ")
    assert "--overwrite-drift" in result.stderr
    assert requests(ws) == [("GET", "/v1/ivrs")]
    assert ws.on_server()[2]["timeout"] == 60
    assert ws.state_path.read_bytes() == state_before
    # No journal and no lock left (the cache of checked files may sit beside the state).
    left = sorted(p.name for p in ws.state_path.parent.iterdir())
    assert [name for name in left if name != "cache"] == ["state.json"]


def test_apply_refresh_with_overwrite_drift_puts_the_yaml_value(
    run_cli: RunCli, ws: Workspace
) -> None:
    make_conflict(ws)

    result = ivrsync(run_cli, ws, "apply", "--refresh", "--overwrite-drift", "--auto-approve")

    assert result.exit_code == 0, result.stderr
    assert result.stderr == CONFLICT_SECTION + 'applied 2 "IVR 2"\n'
    assert put_ids(ws.fake) == [2]
    assert ws.on_server()[2]["timeout"] == 45
    assert ws.state_bodies() == ws.desired()


def test_portal_drift_on_a_field_the_repo_left_alone_is_a_warning_and_does_not_block(
    run_cli: RunCli, ws: Workspace
) -> None:
    ws.write(2, timeout=45)
    ws.fake.edit_ivr(2, description="Edited in the portal")  # overwritten by the next PUT
    ws.fake.edit_ivr(3, timeout=99)  # no change planned: left alone
    section = (
        '~ IVR 2 "IVR 2" (ivr-configs/ivr-2.yaml): changed in the portal; '
        "the next PUT overwrites it\n"
        "    ~ description: portal Edited in the portal -> YAML IVR for the support team\n"
        '~ IVR 3 "IVR 3" (ivr-configs/ivr-3.yaml): changed in the portal; no change planned\n'
        "    ~ timeout: 20 -> 99 (last applied -> portal)\n"
        "\n"
        "Refresh: 0 conflicts (0 IVRs), 1 portal change to overwrite, 1 IVR drifted, "
        "0 missing; 3 live IVRs.\n"
    )

    planned = ivrsync(run_cli, ws, "plan", "--refresh")
    applied = ivrsync(run_cli, ws, "apply", "--refresh", "--auto-approve")

    assert planned.stdout == CONFLICT_PLAN + "\n" + section
    assert applied.exit_code == 0, applied.stderr
    assert applied.stderr == section + 'applied 2 "IVR 2"\n'
    assert put_ids(ws.fake) == [2]
    assert ws.on_server()[2] == ws.desired()[2]
    assert ws.on_server()[3]["timeout"] == 99


def test_apply_refresh_checks_a_plan_file_against_the_live_ivrs(
    run_cli: RunCli, ws: Workspace
) -> None:
    ws.write(2, timeout=45)
    assert ivrsync(run_cli, ws, "plan", "--out", "plan.json").exit_code == 0
    ws.fake.edit_ivr(2, timeout=60)  # the portal moves after the review

    refused = ivrsync(run_cli, ws, "apply", "plan.json", "--refresh")
    overwritten = ivrsync(run_cli, ws, "apply", "plan.json", "--refresh", "--overwrite-drift")

    assert refused.exit_code == 1
    assert CONFLICT_SECTION + CONFLICT_ERROR in refused.stderr
    assert overwritten.exit_code == 0, overwritten.stderr
    assert put_ids(ws.fake) == [2]
    assert ws.on_server()[2]["timeout"] == 45


def test_apply_refresh_with_no_changes_reads_nothing(run_cli: RunCli, ws: Workspace) -> None:
    ws.fake.edit_ivr(2, timeout=60)

    result = ivrsync(run_cli, ws, "apply", "--refresh")

    assert (result.exit_code, result.stderr) == (0, "")
    assert ws.fake.requests == []


def test_overwrite_drift_without_refresh_is_a_usage_error(run_cli: RunCli, ws: Workspace) -> None:
    make_conflict(ws)

    result = ivrsync(run_cli, ws, "apply", "--overwrite-drift", "--auto-approve")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: --overwrite-drift needs --refresh")
    assert ws.fake.requests == []
    assert ws.on_server()[2]["timeout"] == 60
