"""`ivrsync state list|show|unlock` through the real CLI handler."""

from __future__ import annotations

import errno
import json
import os
import socket
from pathlib import Path

import pytest

from ivrsync.model import State
from ivrsync.state import StateStore, render_state_document
from tests.testing.cli import RunCli
from tests.testing.hang import no_hang
from tests.testing.hostile import HOSTILE_FILES, HOSTILE_LINES
from tests.testing.state import LINEAGE, entry_of, journal_bytes
from tests.testing.workspace import apply_cli, open_workspace, put_ids


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    path = tmp_path / "state.json"
    state = State(
        LINEAGE,
        7,
        {
            1000: entry_of(1000, name="Sales", source="ivr-configs/sales.yaml"),
            349: entry_of(349, name="Support IVR", source="ivr-configs/support.yaml"),
        },
    )
    path.write_text(render_state_document(state), encoding="utf-8")
    return path


def test_list_shows_the_managed_ivrs_sorted_by_id_with_a_footer(
    run_cli: RunCli, state_path: Path
) -> None:
    result = run_cli("state", "list", "--state", str(state_path))

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "ID    NAME         SOURCE                    APPLIED AT\n"
        "349   Support IVR  ivr-configs/support.yaml  2026-11-26T23:30:00Z\n"
        "1000  Sales        ivr-configs/sales.yaml    2026-11-26T23:30:00Z\n"
        "\n"
        f"lineage: {LINEAGE}\n"
        "serial:  7\n"
        "count:   2 IVRs\n"
    )


def test_list_as_json(run_cli: RunCli, state_path: Path) -> None:
    result = run_cli("state", "list", "--format", "json", "--state", str(state_path))

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "state": str(state_path),
        "lineage": LINEAGE,
        "serial": 7,
        "count": 2,
        "journal_records": 0,
        "ivrs": [
            {
                "id": 349,
                "name": "Support IVR",
                "source": "ivr-configs/support.yaml",
                "applied_at": "2026-11-26T23:30:00Z",
                "digest": entry_of(349, name="Support IVR").digest,
            },
            {
                "id": 1000,
                "name": "Sales",
                "source": "ivr-configs/sales.yaml",
                "applied_at": "2026-11-26T23:30:00Z",
                "digest": entry_of(1000, name="Sales").digest,
            },
        ],
    }


def test_list_of_a_missing_state_says_it_is_empty(run_cli: RunCli, tmp_path: Path) -> None:
    missing = tmp_path / "nothing" / "state.json"

    result = run_cli("state", "list", env={"IVRSYNC_STATE": str(missing)})

    assert result.exit_code == 0
    assert result.stdout == (
        f"No IVRs are managed in {missing} yet.\n"
        "lineage: none (never written)\n"
        "serial:  0\n"
        "count:   0 IVRs\n"
    )
    assert not missing.parent.exists()


def test_list_mentions_records_of_an_interrupted_apply(run_cli: RunCli, tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    lock = store.lock(command="ivrsync apply")
    lock.record_applied(entry_of(5, source="a.yaml"))
    try:
        result = run_cli("state", "list", "--state", str(store.path))
    finally:
        lock.close()

    assert result.exit_code == 0
    assert result.stdout.endswith(
        "serial:  1\n"
        "count:   1 IVR\n"
        "note: 1 change(s) come from the journal of an interrupted apply; the next apply merges "
        "them into the state file\n"
    )


def test_show_prints_the_entry_with_its_body(run_cli: RunCli, state_path: Path) -> None:
    entry = entry_of(349, name="Support IVR", source="ivr-configs/support.yaml")

    result = run_cli("state", "show", "349", "--state", str(state_path))

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "IVR 349: Support IVR\n"
        "source:     ivr-configs/support.yaml\n"
        "applied at: 2026-11-26T23:30:00Z\n"
        f"digest:     {entry.digest}\n"
        "last applied, as the IVR file writes it:\n"
        "  id: 349\n"
        '  name: "Support IVR"\n'
        '  description: ""\n'
        '  recording: "recording|0231"\n'
        "  timeout: 20\n"
        "  incorrect_count: 5\n"
        '  invalid_recording: "recording|349"\n'
        '  invalid_destination: "extension|05047530002"\n'
        '  timeout_retry_recording: "recording|52156"\n'
        '  timeout_recording: "recording|123"\n'
        '  timeout_destination: "extension|05047530002"\n'
        "  timeout_tries: 3\n"
        '  recording_invalid: "recording|58999"\n'
        "  menu:\n"
        '    - option: "1"\n'
        '      destination: "extension|05047530002"\n'
        '    - option: "2"\n'
        '      destination: "extension|845"\n'
    )


def test_show_as_json(run_cli: RunCli, state_path: Path) -> None:
    entry = entry_of(1000, name="Sales", source="ivr-configs/sales.yaml")

    result = run_cli("state", "show", "1000", "--format", "json", "--state", str(state_path))

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "id": 1000,
        "name": "Sales",
        "source": "ivr-configs/sales.yaml",
        "applied_at": entry.applied_at,
        "digest": entry.digest,
        "body": dict(entry.body),
    }


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ("state", "show", "42"),
            "error: IVR 42 is not in the state {state}\n"
            "hint: `ivrsync state list` shows the managed IVRs\n",
        ),
        (
            ("state", "show", "0"),
            "error: Invalid value for 'ID': 0 is not in the range x>=1\n"
            "hint: see `ivrsync state show --help`\n",
        ),
        (
            ("state", "unlock"),
            "error: the state {state} is not locked (there is no {state}.lock)\n"
            "hint: nothing to unlock\n",
        ),
    ],
    ids=["show-unknown-id", "show-bad-id", "unlock-without-lock"],
)
def test_errors_exit_1_with_a_message(
    run_cli: RunCli, state_path: Path, args: tuple[str, ...], stderr: str
) -> None:
    result = run_cli(*args, "--state", str(state_path))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.endswith(stderr.format(state=state_path))


def test_a_corrupt_state_is_an_error_not_a_traceback(run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{oops", encoding="utf-8")

    result = run_cli("state", "list", "--state", str(path))

    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: the state file {path} is corrupt: it is not valid JSON (line 1, column 2"
    )
    assert "Traceback" not in result.stderr
    assert path.read_text(encoding="utf-8") == "{oops"


def test_unlock_removes_a_lock_whose_process_is_gone(run_cli: RunCli, state_path: Path) -> None:
    lock_path = Path(f"{state_path}.lock")
    holder = {
        "pid": 999_999_999,
        "host": socket.gethostname(),
        "started_at": "2026-11-26T23:30:00Z",
        "command": "ivrsync apply",
    }
    lock_path.write_text(json.dumps(holder), encoding="utf-8")

    result = run_cli("state", "unlock", "--state", str(state_path))

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"removed {lock_path}: it was held by pid 999999999 on {socket.gethostname()} "
        "since 2026-11-26T23:30:00Z (ivrsync apply)\n"
    )
    assert not lock_path.exists()


def test_unlock_refuses_a_live_holder_unless_forced(run_cli: RunCli, state_path: Path) -> None:
    lock = StateStore(state_path).lock(command="ivrsync apply")
    try:
        refused = run_cli("state", "unlock", "--state", str(state_path))
        still_locked = Path(f"{state_path}.lock").exists()
        forced = run_cli("state", "unlock", "--force", "--state", str(state_path))
    finally:
        lock.close()

    assert refused.exit_code == 1
    assert refused.stderr == (
        f"error: the state {state_path} is locked by {lock.holder.describe()}, which is still "
        "running\nhint: wait for it to finish; --force removes the lock anyway (dangerous)\n"
    )
    assert still_locked
    assert forced.exit_code == 0
    assert forced.stdout == f"removed {state_path}.lock: it was held by {lock.holder.describe()}\n"


# ---------------------------------------------------------------------------------------------
# Hostile input: special files, hostile JSON, planted links, a full disk: clean errors (exit 1)


@pytest.mark.parametrize(
    "command", [("state", "list"), ("state", "show", "1")], ids=["list", "show"]
)
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "dev-null", "socket"])
def test_a_special_file_as_state_is_a_clean_error_not_a_hang(
    run_cli: RunCli, tmp_path: Path, command: tuple[str, ...], kind: str
) -> None:
    path = tmp_path / "state.json"
    if kind == "fifo":
        os.mkfifo(path)
        what = "a FIFO (named pipe)"
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
        what = "a socket"
    else:
        path = Path("/dev/zero" if kind == "dev-zero" else "/dev/null")
        what = "a character device"

    with no_hang():
        result = run_cli(*command, "--state", str(path))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: cannot read the state file {path}: {path} is {what}, not a regular file\n"
        "hint: --state (or IVRSYNC_STATE) must name the state file: a regular JSON file\n"
    )


def test_a_state_file_over_the_size_bound_is_a_clean_error(run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with path.open("wb") as handle:
        handle.truncate((64 << 20) + 1)  # sparse

    result = run_cli("state", "list", "--state", str(path))

    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: cannot read the state file {path}: {path} is larger than 64 MiB"
    )


_HOSTILE = {case_id: (data, message) for data, message, case_id in HOSTILE_FILES}


@pytest.mark.parametrize(
    "case_id",
    [
        "int-too-long-serial",
        "int-too-long-in-body",
        "id-sup2",
        "surrogate-in-body",
        "surrogate-in-source",
        "deep-top-level",
        "deep-value",
        "nan",
        "infinity",
        "float-overflow",
    ],
)
def test_hostile_json_in_the_state_file_is_a_clean_error(
    run_cli: RunCli, tmp_path: Path, case_id: str
) -> None:
    data, message = _HOSTILE[case_id]
    path = tmp_path / "state.json"
    path.write_bytes(data)

    result = run_cli("state", "list", "--state", str(path))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"error: the state file {path} is corrupt: ")
    assert message in result.stderr
    assert "internal error" not in result.stderr
    assert path.read_bytes() == data


@pytest.mark.parametrize(
    "case_id", ["int-too-long-id", "nan", "surrogate-in-body", "deep", "float-overflow"]
)
def test_a_hostile_journal_line_is_a_clean_error_naming_the_line(
    run_cli: RunCli, state_path: Path, case_id: str
) -> None:
    line, message = {i: (line, m) for line, m, i in HOSTILE_LINES}[case_id]
    journal = Path(f"{state_path}.journal")
    journal.write_bytes(journal_bytes(LINEAGE, 7) + line + b"\n")

    result = run_cli("state", "list", "--state", str(state_path))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(
        f"error: the state journal {journal} is corrupt: {journal} line 2"
    )
    assert message in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("target", ["real.json", "missing.json"], ids=["to-a-file", "dangling"])
def test_apply_refuses_a_symlinked_state_before_sending_anything(
    run_cli: RunCli, tmp_path: Path, target: str
) -> None:
    with open_workspace(tmp_path, 2) as workspace:
        workspace.state_path.parent.mkdir(parents=True)
        real = workspace.state_path.parent / "real.json"
        real.write_text(render_state_document(State(LINEAGE, 1, {})), encoding="utf-8")
        before = real.read_bytes()
        workspace.state_path.symlink_to(workspace.state_path.parent / target)

        result = apply_cli(run_cli, workspace, "--auto-approve")

        assert result.exit_code == 1
        assert result.stderr.endswith(
            f"error: the state file {workspace.state_path} is a symbolic link; ivrsync does not "
            "write through symbolic links\n"
            "hint: pass the file it points to as --state (or IVRSYNC_STATE), or replace the link "
            "by that file\n"
        )
        assert put_ids(workspace.fake) == []
        assert real.read_bytes() == before
        assert workspace.state_path.is_symlink()
        assert not (workspace.state_path.parent / "missing.json").exists()


def test_unlock_refuses_a_symlinked_lock_and_leaves_its_target_alone(
    run_cli: RunCli, state_path: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    lock_path = Path(f"{state_path}.lock")
    lock_path.symlink_to(victim)

    result = run_cli("state", "unlock", "--force", "--state", str(state_path))

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot open the state lock {lock_path}: {lock_path} is a symbolic link; "
        "ivrsync does not write through symbolic links\n"
        f"hint: ivrsync creates {lock_path} itself: remove what is there, then rerun\n"
    )
    assert victim.read_bytes() == b"precious"


@pytest.mark.parametrize(
    "host", ["\u001b]0;owned\u0007", "\u001b[2J", "\ud800"], ids=["osc", "clear", "surrogate"]
)
def test_unlock_never_echoes_control_characters_from_the_lock_file(
    run_cli: RunCli, state_path: Path, host: str
) -> None:
    lock_path = Path(f"{state_path}.lock")
    holder = {"pid": 12, "host": host, "started_at": "t", "command": "c"}
    lock_path.write_text(json.dumps(holder), encoding="utf-8")  # ASCII: escapes stay escaped

    result = run_cli("state", "unlock", "--force", "--state", str(state_path))

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"removed {lock_path}: it was held by pid 0 on unknown since unknown (unknown)\n"
    )


def test_a_full_disk_while_journaling_names_the_ivr_a_rerun_sends_again(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_workspace(tmp_path, 1) as workspace:
        real_write = os.write

        def write(fd: int, data: bytes) -> int:
            if bytes(data).startswith(b'{"entry":'):  # a journal record
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(fd, data)

        monkeypatch.setattr(os, "write", write)
        failed = apply_cli(run_cli, workspace, "--auto-approve")
        monkeypatch.undo()
        rerun = apply_cli(run_cli, workspace, "--auto-approve")

        journal = Path(f"{workspace.state_path}.journal")
        assert failed.exit_code == 1
        reason = (
            "IVR 1 is applied but not recorded in the state: cannot append to the state "
            f"journal {journal}: No space left on device"
        )
        # Named where it happened, and again in the summary, which the full disk no longer hides.
        assert f'failed 1 "IVR 1": {reason}\n' in failed.stderr
        assert "Apply stopped early: 0 applied, 1 failed" in failed.stdout
        assert f"Stopped because: the state cannot record what Smartflo acknowledged: {reason}" in (
            failed.stdout
        )
        assert (
            "hint: the next apply sends IVR 1 again (the same body, so harmless)" in failed.stdout
        )
        assert rerun.exit_code == 0, rerun.stderr
        assert put_ids(workspace.fake) == [1, 1]  # acknowledged, not recorded, sent again
        assert set(workspace.state().entries) == {1}
