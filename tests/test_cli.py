"""The top-level handler: exit codes and messages for usage errors and bugs."""

from __future__ import annotations

from tests.conftest import RunCli


def test_version_prints_the_package_version(run_cli: RunCli) -> None:
    from ivrsync import __version__

    result = run_cli("--version")

    assert result.exit_code == 0
    assert result.stdout == f"ivrsync, version {__version__}\n"


def test_unknown_option_is_a_usage_error_with_exit_1_not_2(run_cli: RunCli) -> None:
    # 2 is reserved for "changes present" under --detailed-exitcode.
    result = run_cli("--no-such-option")

    assert result.exit_code == 1
    assert "Error: No such option '--no-such-option'" in result.stderr
    assert result.stderr.startswith("Usage: ivrsync ")
