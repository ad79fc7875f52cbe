"""Fixtures shared by every test module: a CLI runner and IVR documents to write."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import settings

from ivrsync.cli import cli
from tests.testing.cli import CliResult, RunCli

# No per-example deadline for property tests: the machines that run CI are shared and noisy, and
# a slow example is not a failure. (Speed is measured by the scripts under benchmarks/.)
settings.register_profile("ivrsync", deadline=None)
settings.load_profile("ivrsync")


@pytest.fixture(autouse=True)
def _unpaced_fake_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to the fake server on loopback, which has no rate limit unless a test gives it
    one; pacing every run at Smartflo's 2 requests per second would only make the suite slow.
    (Spawned `ivrsync` processes inherit it; tests of the rate limit set it themselves.)"""
    monkeypatch.setenv("SMARTFLO_RATE_LIMIT", "0")


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run `ivrsync ARGS...` in-process, through the same error handler as the real script.

    Environment variables that would leak the developer's own setup are cleared first.
    """
    for name in (
        "IVRSYNC_CONFIG_DIR",
        "IVRSYNC_STATE",
        "IVRSYNC_CACHE_DIR",
        "SMARTFLO_API_TOKEN",
        "SMARTFLO_EMAIL",
        "SMARTFLO_PASSWORD",
        "SMARTFLO_BASE_URL",
        "IVRSYNC_CONFIG",
        "NO_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run
