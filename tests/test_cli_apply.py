"""`ivrsync apply` in-process, against the real fake server: options, refusals, output.

The workspace helpers are in tests/testing/workspace.py.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivrsync.cli.apply import _Progress
from ivrsync.fake_smartflo import FaultConfig, ScriptedFault
from ivrsync.model import ApplyReport, Outcome
from ivrsync.render.apply_report import render_apply_summary, render_outcome_line
from ivrsync.state import StateStore
from tests.testing.cli import RunCli
from tests.testing.workspace import Workspace, apply_cli, open_workspace, put_ids


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with open_workspace(tmp_path, 5) as opened:
        yield opened


@pytest.fixture
def adopted(run_cli: RunCli, workspace: Workspace) -> Workspace:
    """The workspace after a first apply: every IVR in the state, the server unchanged."""
    result = apply_cli(run_cli, workspace, "--auto-approve")
    assert result.exit_code == 0, result.stderr
    workspace.fake.reset_requests()
    return workspace


# -- happy paths ------------------------------------------------------------------------------


def test_first_apply_adopts_every_ivr_and_prints_plan_progress_and_summary(
    run_cli: RunCli, workspace: Workspace
) -> None:
    result = apply_cli(run_cli, workspace, "--auto-approve", "--parallelism", "1")

    assert result.exit_code == 0
    assert result.stdout.endswith(
        "Plan: 0 to create, 0 to update, 5 to adopt, 0 to forget, 0 unchanged.\n"
        "\n"
        "Apply complete: 5 applied, 0 failed, 0 not attempted, 0 forgotten.\n"
    )
    # Not a terminal: one line per IVR, in completion order (parallelism 1: by id).
    assert result.stderr == "".join(f'applied {i} "IVR {i}"\n' for i in range(1, 6))
    assert workspace.state_bodies() == workspace.desired()
    assert [r.ivr_id for r in workspace.fake.puts()] == [1, 2, 3, 4, 5]


def test_no_changes_sends_nothing_and_exits_0(run_cli: RunCli, adopted: Workspace) -> None:
    serial = adopted.state().serial

    result = apply_cli(run_cli, adopted)  # no --auto-approve needed: nothing to ask about

    assert result.exit_code == 0
    assert result.stdout == "No changes. 5 IVRs unchanged; the configs match the state.\n"
    assert adopted.fake.requests == []
    assert adopted.state().serial == serial


def test_forget_leaves_the_state_without_a_request(run_cli: RunCli, adopted: Workspace) -> None:
    adopted.remove(2)

    result = apply_cli(run_cli, adopted, "--auto-approve")

    assert result.exit_code == 0
    assert result.stderr == 'forgotten 2 "IVR 2"\n'
    assert "0 applied, 0 failed, 0 not attempted, 1 forgotten" in result.stdout
    assert adopted.fake.requests == []
    assert sorted(adopted.state().entries) == [1, 3, 4, 5]


def test_target_applies_only_that_ivr(run_cli: RunCli, adopted: Workspace) -> None:
    adopted.write(2, timeout=31)
    adopted.write(3, timeout=32)

    result = apply_cli(run_cli, adopted, "--auto-approve", "--target", "3")

    assert result.exit_code == 0
    assert [r.ivr_id for r in adopted.fake.puts()] == [3]
    assert "Partial plan" in result.stdout
    assert adopted.state_bodies()[3] == adopted.desired()[3]
    assert adopted.state_bodies()[2] != adopted.desired()[2]


def test_verbose_shows_the_server_message_and_every_retry(
    run_cli: RunCli, adopted: Workspace
) -> None:
    adopted.write(2, timeout=31)
    adopted.fake.set_faults(FaultConfig(script=(ScriptedFault("503", ivr_id=2),)))

    result = apply_cli(run_cli, adopted, "--auto-approve", "--verbose")

    assert result.exit_code == 0
    assert 'applied 2 "IVR 2": IVR updated successfully\n' in result.stderr
    assert "IVR 2: HTTP 503: non-JSON body" in result.stderr
    assert "retrying in 0.00s" in result.stderr
    assert '  IVR 1 "IVR 1"' in result.stdout  # unchanged IVRs are listed


# -- plan files -------------------------------------------------------------------------------


def test_a_plan_file_is_applied_exactly_without_asking(
    run_cli: RunCli, adopted: Workspace, tmp_path: Path
) -> None:
    adopted.write(2, timeout=31)
    plan_path = tmp_path / "plan.json"
    planned = run_cli(
        "plan",
        "--config-dir",
        str(adopted.config_dir),
        "--state",
        str(adopted.state_path),
        "--out",
        str(plan_path),
    )
    assert planned.exit_code == 0, planned.stderr
    adopted.write(3, timeout=99)  # changed after the review: not in the plan, so not sent

    result = apply_cli(run_cli, adopted, str(plan_path))  # no terminal, no --auto-approve

    assert result.exit_code == 0, result.stderr
    assert [(r.ivr_id, r.body) for r in adopted.fake.puts()] == [(2, adopted.desired()[2])]


def test_a_stale_plan_file_is_refused_naming_the_ivr_and_nothing_is_sent(
    run_cli: RunCli, adopted: Workspace, tmp_path: Path
) -> None:
    adopted.write(2, timeout=31)
    adopted.write(3, timeout=32)
    plan_path = tmp_path / "plan.json"
    run_cli(
        "plan",
        "--config-dir",
        str(adopted.config_dir),
        "--state",
        str(adopted.state_path),
        "--out",
        str(plan_path),
    )
    # Someone applies IVR 3 alone after the plan was made.
    assert apply_cli(run_cli, adopted, "--auto-approve", "--target", "3").exit_code == 0
    adopted.fake.reset_requests()
    before = adopted.state_path.read_bytes()

    result = apply_cli(run_cli, adopted, str(plan_path))

    assert result.exit_code == 1
    assert "error: the state changed since this plan was made" in result.stderr
    assert "IVRs of this plan whose state moved (1):\n  3 IVR 3\n" in result.stderr
    assert "hint: make and review a new plan" in result.stderr
    assert adopted.fake.requests == []
    assert adopted.state_path.read_bytes() == before


def test_target_with_a_plan_file_is_a_usage_error(run_cli: RunCli, workspace: Workspace) -> None:
    result = apply_cli(run_cli, workspace, "plan.json", "--target", "3")

    assert result.exit_code == 1
    assert "error: --target cannot be used with a PLANFILE" in result.stderr


# -- refusals ---------------------------------------------------------------------------------


def test_without_a_terminal_or_auto_approve_it_refuses(
    run_cli: RunCli, workspace: Workspace
) -> None:
    result = apply_cli(run_cli, workspace)

    assert result.exit_code == 1
    assert "error: refusing to apply without confirmation: there is no terminal to ask on" in (
        result.stderr
    )
    assert "hint: pass --auto-approve" in result.stderr
    assert "Plan: 0 to create, 0 to update, 5 to adopt" in result.stdout  # the plan was shown first
    assert workspace.fake.requests == []
    assert not workspace.state_path.exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SMARTFLO_API_TOKEN": ""}, "error: no Smartflo credentials"),
        ({"SMARTFLO_API_TOKEN": "", "SMARTFLO_EMAIL": "a@b.c"}, "SMARTFLO_PASSWORD"),
    ],
    ids=["none", "email-without-password"],
)
def test_missing_credentials_fail_before_any_request(
    run_cli: RunCli, workspace: Workspace, env: dict[str, str], message: str
) -> None:
    result = apply_cli(run_cli, workspace, "--auto-approve", env=env)

    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""  # not even a plan
    assert workspace.fake.requests == []
    assert StateStore(workspace.state_path).lock_holder() is None


def test_plain_http_to_a_remote_host_is_refused(run_cli: RunCli, workspace: Workspace) -> None:
    result = apply_cli(run_cli, workspace, "--auto-approve", "--base-url", "http://example.com")

    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert "http" in result.stderr
    assert workspace.fake.requests == []


def test_invalid_configs_exit_1_with_their_problems_and_send_nothing(
    run_cli: RunCli, workspace: Workspace
) -> None:
    workspace.write(2, timeout="soon")

    result = apply_cli(run_cli, workspace, "--auto-approve")

    assert result.exit_code == 1
    assert "ivr-2.yaml" in result.stderr
    assert "error: the IVR configs have errors, so nothing was planned or applied" in result.stderr
    assert workspace.fake.requests == []


def test_a_second_apply_fails_at_once_naming_the_lock_holder(
    run_cli: RunCli, workspace: Workspace
) -> None:
    with StateStore(workspace.state_path).lock(command="ivrsync apply plan.json") as lock:
        result = apply_cli(run_cli, workspace, "--auto-approve")
        holder = lock.holder

    assert result.exit_code == 1
    assert str(holder.pid) in result.stderr
    assert holder.host in result.stderr
    assert "ivrsync apply plan.json" in result.stderr
    assert result.stdout == ""
    assert workspace.fake.requests == []


def test_the_mass_change_rail_lists_the_ivrs_and_allow_mass_change_proceeds(
    run_cli: RunCli, tmp_path: Path
) -> None:
    with open_workspace(tmp_path, 10) as ws:
        assert apply_cli(run_cli, ws, "--auto-approve").exit_code == 0
        ws.fake.reset_requests()
        for ivr_id in (1, 2, 3):
            ws.write(ivr_id, timeout=45)
        ws.remove(10)

        refused = apply_cli(run_cli, ws, "--auto-approve")
        sent_while_refused = len(ws.fake.requests)
        allowed = apply_cli(run_cli, ws, "--auto-approve", "--allow-mass-change")

        assert refused.exit_code == 1
        assert (
            "error: this plan would change 4 of 10 managed IVRs (40%, more than 30%); "
            "nothing was sent:\n"
            "  update 1 IVR 1\n  update 2 IVR 2\n  update 3 IVR 3\n  forget 10 IVR 10\n"
            "hint: check that this is intended"
        ) in refused.stderr
        assert "--allow-mass-change" in refused.stderr
        assert sent_while_refused == 0
        assert allowed.exit_code == 0
        assert put_ids(ws.fake) == [1, 2, 3]
        assert ws.state_bodies() == ws.desired()


# -- failures ---------------------------------------------------------------------------------


def test_a_failed_ivr_does_not_stop_the_others_and_fail_fast_does(
    run_cli: RunCli, adopted: Workspace
) -> None:
    for ivr_id in (1, 2, 3, 4):
        adopted.write(ivr_id, timeout=50 + ivr_id)
    refusal = FaultConfig(script=(ScriptedFault("success_false_400", ivr_id=2),))

    adopted.fake.set_faults(refusal)
    # IVR 1 goes first either way; without the canary, the rerun's first IVR (2) would stop it.
    fast = apply_cli(run_cli, adopted, "--auto-approve", "--parallelism", "1", "--fail-fast")
    adopted.fake.set_faults(refusal)
    rest = apply_cli(run_cli, adopted, "--auto-approve", "--parallelism", "1", "--no-canary")

    assert fast.exit_code == 1
    assert fast.stderr == (
        'applied 1 "IVR 1"\n'
        'failed 2 "IVR 2": the server refused it (HTTP 400: The given data was invalid.)\n'
    )
    assert "Stopped because: --fail-fast: 2 IVR 2 failed" in fast.stdout
    assert 'Not attempted (2):\n  3 "IVR 3"\n  4 "IVR 4"\n' in fast.stdout
    # The rerun plans only what is pending (2, 3, 4); 2 fails again, the others go through.
    assert rest.exit_code == 1
    assert "Plan: 0 to create, 3 to update" in rest.stdout
    assert "Apply finished with failures: 2 applied, 1 failed, 0 not attempted, 0 forgotten." in (
        rest.stdout
    )
    assert [r.ivr_id for r in adopted.fake.puts()] == [1, 2, 2, 3, 4]
    assert sorted(i for i, b in adopted.state_bodies().items() if b == adopted.desired()[i]) == [
        1,
        3,
        4,
        5,
    ]


# -- rendering --------------------------------------------------------------------------------


def _outcome(ivr_id: int, status: Any, message: str = "", hint: str = "") -> Outcome:
    return Outcome(ivr_id, f"IVR {ivr_id}", "update", status, message, hint)


@pytest.mark.parametrize(
    ("outcome", "verbose", "line"),
    [
        (_outcome(1, "applied", "IVR updated successfully"), False, 'applied 1 "IVR 1"'),
        (
            _outcome(1, "applied", "IVR updated successfully"),
            True,
            'applied 1 "IVR 1": IVR updated successfully',
        ),
        (_outcome(2, "failed", "IVR 2: gave up"), False, 'failed 2 "IVR 2": gave up'),
        (_outcome(3, "not_attempted", "not attempted"), False, 'not attempted 3 "IVR 3"'),
    ],
    ids=["applied", "applied-verbose", "failed-without-prefix", "not-attempted"],
)
def test_outcome_lines(outcome: Outcome, verbose: bool, line: str) -> None:
    assert render_outcome_line(outcome, verbose=verbose) == line


def test_the_summary_of_an_interrupted_run() -> None:
    report = ApplyReport(
        outcomes=(
            _outcome(1, "applied", "ok"),
            _outcome(2, "abandoned", "abandoned in flight", "run again"),
            _outcome(3, "not_attempted"),
        ),
        interrupted=True,
    )

    assert render_apply_summary(report) == (
        "Apply interrupted (Ctrl-C): 1 applied, 0 failed, 1 not attempted, 0 forgotten,"
        " 1 abandoned in flight.\n"
        "Abandoned in flight (1):\n"
        '  2 "IVR 2": abandoned in flight\n'
        "    hint: run again\n"
        "Not attempted (1):\n"
        '  3 "IVR 3"\n'
        "Nothing is lost: what failed or was not attempted is still pending, so the next\n"
        "`ivrsync plan` / `ivrsync apply` shows only those IVRs.\n"
    )


class _TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_progress_is_a_bar_with_failures_printed_above_it() -> None:
    stream = _TerminalStream()
    ticks = iter([0.0, 2.0, 4.0, 6.0])  # the start, then each redraw two seconds later
    progress = _Progress(3, stream=stream, verbose=False, clock=lambda: next(ticks))

    progress.show(_outcome(1, "applied", "ok"))
    progress.show(_outcome(2, "failed", "IVR 2: the server refused it"))
    progress.interrupted(1)
    progress.show(_outcome(3, "applied", "ok"))
    progress.show(_outcome(4, "not_attempted"))
    progress.close()

    assert stream.getvalue() == (
        "\rApplying [##########--------------------] 1/3, 0.5/s, ETA 0:04"
        "\r\x1b[K"
        'failed 2 "IVR 2": the server refused it\n'
        "\rApplying [####################----------] 2/3, 1 failed, 0.5/s, ETA 0:02"
        "\r\x1b[K"
        "Interrupted: waiting for 1 request in flight to finish (Ctrl-C again to abandon them).\n"
        "\rApplying [##############################] 3/3, 1 failed, 0.5/s, ETA 0:00"
        "\n"
    )


def test_a_long_not_attempted_list_is_summarised_and_complete_with_verbose_and_report(
    run_cli: RunCli, tmp_path: Path
) -> None:
    with open_workspace(tmp_path, 14) as workspace:
        refusal = FaultConfig(script=(ScriptedFault("success_false_401", ivr_id=1),))
        workspace.fake.set_faults(refusal)
        report = tmp_path / "report.json"

        result = apply_cli(
            run_cli, workspace, "--auto-approve", "--no-canary", "--parallelism", "1",
            "--report", str(report), "--no-color",
        )  # fmt: skip
        workspace.fake.set_faults(refusal)
        verbose = apply_cli(run_cli, workspace, "--auto-approve", "--parallelism", "1", "-v")

    assert result.exit_code == 1
    assert "Not attempted (13):" in result.stdout
    assert '  11 "IVR 11"\n  ... and 3 more (all of them: -v, or --report FILE)\n' in result.stdout
    assert '  14 "IVR 14"' not in result.stdout
    assert '  14 "IVR 14"' in verbose.stdout
    document = json.loads(report.read_text("utf-8"))
    assert document["ok"] is False
    assert document["counts"]["not_attempted"] == 13
    assert [o["id"] for o in document["outcomes"]] == list(range(1, 15))
    assert document["outcomes"][0]["status"] == "failed"
