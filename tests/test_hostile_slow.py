"""A slow server (issue #10, class 3) through the real CLI: one that drips its status line and
headers a byte at a time holds no run beyond `[smartflo] request_deadline`.

The message is the one a dripping body gets, a PUT is retried as any timeout is, and nothing is
recorded. Times are asserted only as generous bounds that prove nothing hung: each dripped
answer alone would take about 50 s.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ivrsync.state import StateStore
from tests.testing.cli import CliResult, RunCli
from tests.testing.documents import ivr_document, write_ivr
from tests.testing.hostile_server import TOKEN, Canned, hostile_server

LATE = "the server took longer than 1 s to answer (request_deadline)"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One IVR file, no state, and in `ivrsync.toml` a one-second request deadline (two
    attempts, no wait between them)."""
    monkeypatch.chdir(tmp_path)
    settings = "[smartflo]\nrequest_deadline = 1\ntimeout = 5\nretries = 1\nretry_delay = 0\n"
    (tmp_path / "ivrsync.toml").write_text(settings, encoding="utf-8")
    write_ivr(tmp_path / "ivr-configs", ivr_document(7, name="Sales"))
    return tmp_path


def timed(run_cli: RunCli, canned: Canned, *args: str) -> tuple[CliResult, float]:
    """`ivrsync ARGS --base-url <the server>`, and how long it took."""
    with hostile_server(canned) as server:
        started = time.monotonic()
        result = run_cli(*args, "--base-url", server.url, env={"SMARTFLO_API_TOKEN": TOKEN})
        return result, time.monotonic() - started


def test_plan_refresh_stops_at_the_request_deadline(run_cli: RunCli, project: Path) -> None:
    canned = Canned(head_drip=0.2)

    result, elapsed = timed(run_cli, canned, "plan", "--refresh")

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: listing IVRs (GET /v1/ivrs): gave up after 2 attempts; last: {LATE}\n"
        "hint: check the network and the base URL (SMARTFLO_BASE_URL); repeating the run is safe\n"
    )
    assert [method for method, _ in canned.requests] == ["GET", "GET"]
    assert elapsed < 10, f"held for {elapsed:.1f} s"


def test_apply_stops_at_the_request_deadline_and_records_nothing(
    run_cli: RunCli, project: Path
) -> None:
    canned = Canned(head_drip=0.2)

    result, elapsed = timed(run_cli, canned, "apply", "--auto-approve")

    assert result.exit_code == 1
    assert result.stderr == f'failed 7 "Sales": gave up after 2 attempts; last: {LATE}\n'
    assert result.stdout.endswith(
        "Apply finished with failures: 0 applied, 1 failed, 0 not attempted, 0 forgotten.\n"
        "Failed (1):\n"
        f'  7 "Sales": gave up after 2 attempts; last: {LATE}\n'
        "    hint: check the network and the base URL (SMARTFLO_BASE_URL); repeating the run is "
        "safe\n"
        "Nothing is lost: what failed or was not attempted is still pending, so the next\n"
        "`ivrsync plan` / `ivrsync apply` shows only those IVRs.\n"
    )
    assert canned.puts() == ["/v1/ivr/7", "/v1/ivr/7"]  # a PUT is retried, as any timeout is
    assert elapsed < 10, f"held for {elapsed:.1f} s"
    store = StateStore(project / ".ivrsync" / "state.json")
    assert store.load().entries == {}
    assert store.lock_holder() is None  # the run ended, and its lock with it
