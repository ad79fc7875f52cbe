"""`ivrsync state list|show|unlock` through the real CLI handler."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from ivrsync.model import State
from ivrsync.state import StateStore, render_state_document
from tests.testing.cli import RunCli
from tests.testing.state import LINEAGE, entry_of


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
        "body:\n"
        "  {\n"
        '    "name": "Support IVR",\n'
        '    "description": "",\n'
        '    "recording": "recording|0231",\n'
        '    "timeout": 20,\n'
        '    "incorrect_count": 5,\n'
        '    "invalid_recording": "recording|349",\n'
        '    "invalid_destination": "extension|05047530002",\n'
        '    "timeout_retry_recording": "recording|52156",\n'
        '    "timeout_recording": "recording|123",\n'
        '    "timeout_destination": "extension|05047530002",\n'
        '    "timeout_tries": 3,\n'
        '    "recording_invalid": "recording|58999",\n'
        '    "option": [\n'
        '      "1",\n'
        '      "2"\n'
        "    ],\n"
        '    "destination": [\n'
        '      "extension|05047530002",\n'
        '      "extension|845"\n'
        "    ]\n"
        "  }\n"
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
            "Error: Invalid value for 'ID': 0 is not in the range x>=1.\n",
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
