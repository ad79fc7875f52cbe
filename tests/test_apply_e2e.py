"""End to end: the real `ivrsync apply` against the real fake Smartflo server over loopback.

Most runs are in-process (`run_cli`); a subprocess (`python -m ivrsync apply`) is used where a
real process matters: SIGKILL, SIGINT, a second process holding the lock, a terminal on stdin.
"""

from __future__ import annotations

import os
import pty
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ivrsync.errors import StateError
from ivrsync.fake_smartflo import FakeSmartflo, FaultConfig, FaultKind, ScriptedFault
from ivrsync.model import BODY_FIELDS
from ivrsync.state import StateStore
from tests.testing.cli import RunCli
from tests.testing.processes import Spawned, finish, settle, spawn_apply
from tests.testing.workspace import TOKEN, Workspace, apply_cli, open_workspace, put_ids

REPOSITORY = Path(__file__).resolve().parent.parent


def adopt_all(run_cli: RunCli, workspace: Workspace) -> None:
    """First apply: every IVR enters the state (the server already has the same bodies)."""
    result = apply_cli(run_cli, workspace, "--auto-approve", "--parallelism", "8")
    assert result.exit_code == 0, result.stderr
    workspace.fake.reset_requests()


def wait_until(condition: Callable[[], bool], process: Spawned) -> None:
    """Poll until `condition` holds (or the process exits); fail after 30 s."""
    deadline = time.monotonic() + 30
    while not condition() and process.poll() is None:
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


def acknowledged(fake: FakeSmartflo) -> set[int]:
    """The IVRs whose PUT the server accepted."""
    return {r.ivr_id for r in fake.puts() if r.status == 200 and r.ivr_id is not None}


# -- Must show 1: exactly the changed IVRs, in the documented shape ---------------------------


def test_three_changed_of_fifty_send_exactly_three_puts_then_none(
    run_cli: RunCli, tmp_path: Path
) -> None:
    with open_workspace(tmp_path, 50) as ws:
        adopt_all(run_cli, ws)
        ws.write(7, timeout=45)
        ws.write(
            23,
            menu=[
                {"option": 2, "destination": "ringgroup|17839"},
                {"option": "1", "destination": "extension|845"},
            ],
        )
        ws.write(41, name="Renamed IVR 41")

        first = apply_cli(run_cli, ws, "--auto-approve")
        puts = ws.fake.puts()
        ws.fake.reset_requests()
        second = apply_cli(run_cli, ws, "--auto-approve")

        assert first.exit_code == 0
        assert sorted(r.ivr_id or 0 for r in puts) == [7, 23, 41]
        desired = ws.desired()
        for request in puts:
            assert request.ivr_id is not None
            assert request.body == desired[request.ivr_id]
            assert list(request.body) == list(BODY_FIELDS)  # the documented field order
        assert puts[0].body is not None
        assert next(r.body for r in puts if r.ivr_id == 23)["option"] == ["1", "2"]
        assert ws.on_server() == desired
        assert second.exit_code == 0
        assert "No changes." in second.stdout
        assert ws.fake.requests == []


# -- Must show 2: transient failures everywhere, still converges ------------------------------


def test_two_hundred_changes_with_twenty_percent_transient_failures_converge(
    run_cli: RunCli, tmp_path: Path
) -> None:
    faults = FaultConfig(
        rate=0.2,
        kinds=("429", "503", "drop", "timeout"),
        retry_after=0,
        timeout_delay=0.6,
        seed=20261126,
    )
    with open_workspace(tmp_path, 200) as ws:
        for ivr_id in range(1, 201):  # every IVR differs from the server: 200 changes
            ws.write(ivr_id, timeout=40, description=f"changed {ivr_id}")
        ws.fake.set_faults(faults)

        result = apply_cli(
            run_cli,
            ws,
            "--auto-approve",
            "--parallelism",
            "8",
            "--timeout",
            "0.25",
            "--retries",
            "10",
        )

        injected = {r.fault for r in ws.fake.puts() if r.fault is not None}
        assert result.exit_code == 0, result.stdout[-2000:]
        assert "Apply complete: 200 applied, 0 failed" in result.stdout
        assert injected == {"429", "503", "drop", "timeout"}
        assert ws.on_server() == ws.desired()
        assert ws.state_bodies() == ws.on_server()


# -- Must show 3a: every kind of refusal ------------------------------------------------------

_MESSAGES = {
    "success_false": "the server refused it (HTTP 200: The IVR could not be updated.)",
    "success_false_400": "the server refused it (HTTP 400: The given data was invalid.)",
    "success_false_401": "the token was rejected (HTTP 401: Unauthenticated.): it may be expired,"
    " revoked or deleted",
    "success_false_403": "API access is not enabled for this account (HTTP 403: API access is not"
    " enabled for this account. Please contact Tata Tele Business.)",
    "success_false_404": "IVR 3 does not exist in this account (HTTP 404: IVR not found.)",
}


@pytest.mark.parametrize(
    ("kind", "stops"),
    [
        ("success_false", False),
        ("success_false_400", False),
        ("success_false_401", True),
        ("success_false_403", True),
        ("success_false_404", False),
    ],
    ids=["200", "400", "401-stops", "403-stops", "404"],
)
def test_success_false_gives_the_right_outcome_and_message(
    run_cli: RunCli, tmp_path: Path, kind: FaultKind, stops: bool
) -> None:
    with open_workspace(tmp_path, 5) as ws:
        adopt_all(run_cli, ws)
        for ivr_id in range(1, 6):
            ws.write(ivr_id, timeout=60)
        ws.fake.set_faults(FaultConfig(script=(ScriptedFault(kind, ivr_id=3),)))

        result = apply_cli(run_cli, ws, "--auto-approve", "--parallelism", "1")

        failed_line = f'failed 3 "IVR 3": {_MESSAGES[kind]}\n'
        assert result.exit_code == 1
        assert [r.ivr_id for r in ws.fake.puts()] == ([1, 2, 3] if stops else [1, 2, 3, 4, 5])
        if stops:
            assert result.stderr == 'applied 1 "IVR 1"\napplied 2 "IVR 2"\n' + failed_line
            assert "Apply stopped early: 2 applied, 1 failed, 2 not attempted" in result.stdout
            assert f"Stopped because: IVR 3: {_MESSAGES[kind]}" in result.stdout
            assert sorted(ws.state().entries[i].body["timeout"] for i in range(1, 6)) == [
                20,
                20,
                20,
                60,
                60,
            ]
        else:
            assert failed_line in result.stderr
            assert "Apply finished with failures: 4 applied, 1 failed" in result.stdout
            assert ws.state().entries[3].body["timeout"] == 20
            assert ws.state().entries[4].body["timeout"] == 60
        assert f'  3 "IVR 3": {_MESSAGES[kind]}\n    hint: ' in result.stdout


def test_a_wrong_token_stops_at_the_first_request(run_cli: RunCli, tmp_path: Path) -> None:
    with open_workspace(tmp_path, 4) as ws:
        result = apply_cli(
            run_cli,
            ws,
            "--auto-approve",
            "--parallelism",
            "1",
            env={"SMARTFLO_API_TOKEN": "Bearer wrong-token-123"},
        )

        assert result.exit_code == 1
        assert len(ws.fake.puts()) == 1
        assert "Apply stopped early: 0 applied, 1 failed, 3 not attempted" in result.stdout
        assert "hint:" in result.stdout
        assert "wrong-token-123" not in result.stdout + result.stderr
        assert not ws.state_path.exists()


# -- Must show 3b: SIGKILL at a random moment, then a rerun converges -------------------------


@pytest.mark.parametrize("seed", [1, 2, 3], ids=["kill-1", "kill-2", "kill-3"])
def test_a_run_killed_with_sigkill_loses_nothing_and_a_rerun_converges(
    run_cli: RunCli, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    with open_workspace(tmp_path, 120, latency=0.01) as ws:
        for ivr_id in range(1, 121):
            ws.write(ivr_id, timeout=33)
        store = StateStore(ws.state_path)
        kill_after = rng.randint(1, 110)

        process = spawn_apply(ws, "--auto-approve", "--parallelism", "4")
        samples = 0
        deadline = time.monotonic() + 60
        while len(ws.fake.puts()) < kill_after and process.poll() is None:
            assert time.monotonic() < deadline
            store.load()  # readable at every point: raises StateError otherwise
            samples += 1
            time.sleep(0.002)  # leave the GIL to the in-process fake server now and then
        process.send_signal(signal.SIGKILL)
        code, _, _ = finish(process)
        settle(ws.fake)  # requests the dead process left in flight are answered into the void
        after_kill = store.load()

        # Nothing recorded that the server did not acknowledge, every record is the YAML body.
        assert code == -signal.SIGKILL
        assert samples > 0
        assert set(after_kill.entries) <= acknowledged(ws.fake)
        desired = ws.desired()
        assert all(e.body == desired[i] for i, e in after_kill.entries.items())

        ws.fake.reset_requests()
        rerun = apply_cli(run_cli, ws, "--auto-approve", "--parallelism", "4")

        assert rerun.exit_code == 0, rerun.stderr
        # The rerun sent only what the killed run had not recorded.
        assert put_ids(ws.fake) == sorted(set(desired) - set(after_kill.entries))
        assert ws.on_server() == desired
        assert ws.state_bodies() == desired
        assert not store.journal_path.exists()


def test_a_corrupt_state_is_never_read_as_empty(tmp_path: Path) -> None:
    # The sampling loop above relies on load() raising for a bad state; prove that it does.
    path = tmp_path / "state.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(StateError):
        StateStore(path).load()


# -- Ctrl-C -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm-from-a-cancelled-job"]
)
def test_an_interrupt_exits_130_and_the_state_records_what_succeeded(
    tmp_path: Path, signum: signal.Signals
) -> None:
    with open_workspace(tmp_path, 30, latency=0.15) as ws:
        for ivr_id in range(1, 31):
            ws.write(ivr_id, timeout=34)

        process = spawn_apply(ws, "--auto-approve", "--parallelism", "2")
        wait_until(lambda: len(ws.fake.puts()) >= 4, process)
        process.send_signal(signum)
        code, stdout, stderr = finish(process)

        state = ws.state()
        assert code == 130, stderr
        assert "Interrupted: waiting for" in stderr
        assert "Apply interrupted (Ctrl-C):" in stdout
        assert set(state.entries) == acknowledged(ws.fake)
        assert 4 <= len(state.entries) < 30
        desired = ws.desired()
        assert all(e.body == desired[i] for i, e in state.entries.items())
        # Nothing started after the interrupt: every request sent was answered and recorded.
        assert {r.ivr_id for r in ws.fake.puts()} == set(state.entries)
        assert not StateStore(ws.state_path).journal_path.exists()  # merged on the way out


# -- the lock, with a real second process -----------------------------------------------------


def test_a_second_apply_fails_at_once_naming_the_running_process(
    run_cli: RunCli, tmp_path: Path
) -> None:
    with open_workspace(tmp_path, 6, latency=0.3) as ws:
        for ivr_id in range(1, 7):
            ws.write(ivr_id, timeout=35)
        process = spawn_apply(ws, "--auto-approve", "--parallelism", "1")
        wait_until(lambda: len(ws.fake.requests) >= 1, process)

        second = apply_cli(run_cli, ws, "--auto-approve")
        # At once: the first run (6 PUTs of 0.3 s, one at a time) is still going.
        first_still_running = process.poll() is None
        code, _, _ = finish(process)

        assert second.exit_code == 1
        assert str(process.pid) in second.stderr
        assert "ivrsync apply" in second.stderr
        assert first_still_running
        assert code == 0
        assert ws.state_bodies() == ws.desired()
        assert len(ws.fake.puts()) == 6  # the second run sent nothing


# -- confirmation on a real terminal, and without one -----------------------------------------


@pytest.mark.parametrize(
    ("answer", "code", "sent"),
    [(b"yes\n", 0, 2), (b"y\n", 1, 0), (b"\n", 1, 0)],
    ids=["yes", "y-is-not-yes", "empty"],
)
def test_the_confirmation_on_a_terminal_accepts_only_yes(
    run_cli: RunCli, tmp_path: Path, answer: bytes, code: int, sent: int
) -> None:
    with open_workspace(tmp_path, 3) as ws:
        adopt_all(run_cli, ws)
        ws.write(1, timeout=36)
        ws.write(2, timeout=36)
        terminal, child_end = pty.openpty()
        try:
            process = spawn_apply(ws, stdin=child_end)
            os.close(child_end)
            os.write(terminal, answer)  # the terminal buffers the line until it is read
            result, stdout, stderr = finish(process)
        finally:
            os.close(terminal)

        assert result == code, stderr
        assert "Apply these changes to Smartflo? Only 'yes' is accepted:" in stderr
        assert len(ws.fake.puts()) == sent
        if code == 1:
            assert "Apply cancelled; nothing was sent." in stderr
        else:
            assert "Apply complete: 2 applied" in stdout


def test_without_a_terminal_a_real_process_refuses(tmp_path: Path) -> None:
    with open_workspace(tmp_path, 3) as ws:
        code, stdout, stderr = finish(spawn_apply(ws))

        assert code == 1
        assert "error: refusing to apply without confirmation" in stderr
        assert "Plan: 0 to create, 0 to update, 3 to adopt" in stdout
        assert ws.fake.requests == []


# -- Must show 5: the token never shows -------------------------------------------------------


def test_the_token_never_appears_in_output_state_or_journal_even_verbose(
    run_cli: RunCli, tmp_path: Path
) -> None:
    with open_workspace(tmp_path, 4) as ws:
        for ivr_id in range(1, 5):
            ws.write(ivr_id, timeout=37)
        ws.fake.set_faults(
            FaultConfig(
                script=(
                    ScriptedFault("503", ivr_id=1),
                    ScriptedFault("429", ivr_id=2),
                    ScriptedFault("success_false_401", ivr_id=4),
                ),
                retry_after=0,
            )
        )

        # apply_cli itself asserts the token is absent from stdout and stderr.
        result = apply_cli(
            run_cli,
            ws,
            "--auto-approve",
            "--verbose",
            "--parallelism",
            "1",
            env={"SMARTFLO_API_TOKEN": f"Bearer {TOKEN}"},
        )

        assert result.exit_code == 1
        assert "retrying" in result.stderr  # verbose did log the retries
        assert TOKEN not in ws.state_path.read_text(encoding="utf-8")
        assert all(TOKEN not in str(r) for r in ws.fake.requests)


@pytest.mark.parametrize("key", [b"\x04", None], ids=["ctrl-d", "ctrl-c"])
def test_ctrl_d_or_ctrl_c_at_the_question_says_nothing_was_sent(
    run_cli: RunCli, tmp_path: Path, key: bytes | None
) -> None:
    with open_workspace(tmp_path, 2) as ws:
        adopt_all(run_cli, ws)
        ws.write(1, timeout=36)
        terminal, child_end = pty.openpty()
        try:
            process = spawn_apply(ws, stdin=child_end)
            os.close(child_end)
            if key is not None:
                os.write(terminal, key)
            else:
                # The pty is not the child's controlling terminal, so Ctrl-C is a signal here;
                # by then the child waits at the question (it needs no more than its start-up).
                time.sleep(3)
                process.send_signal(signal.SIGINT)
            result, _stdout, stderr = finish(process)
        finally:
            os.close(terminal)

        assert result == 130, stderr
        assert "interrupted at the question; nothing was sent." in stderr
        assert ws.fake.puts() == []
