"""The top-level handler: exit codes and messages for usage errors and bugs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.testing.cli import RunCli


def test_version_prints_the_package_version(run_cli: RunCli) -> None:
    from ivrsync import __version__

    result = run_cli("--version")

    assert result.exit_code == 0
    assert result.stdout == f"ivrsync, version {__version__}\n"


def test_unknown_option_is_a_usage_error_with_exit_1_not_2(run_cli: RunCli) -> None:
    # 2 is reserved for "changes present" under --detailed-exitcode.
    result = run_cli("--no-such-option")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: No such option '--no-such-option'\nhint: see `ivrsync --help`\n"
    )


def test_a_mistyped_command_gets_a_suggestion(run_cli: RunCli) -> None:
    result = run_cli("plnn")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: No such command 'plnn'\nhint: did you mean `ivrsync plan`? (see `ivrsync --help`)\n"
    )


def test_a_bad_value_is_said_in_words_with_the_commands_help(run_cli: RunCli) -> None:
    result = run_cli("apply", "--parallelism", "abc")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: Invalid value for '--parallelism': 'abc' is not a whole number in the allowed "
        "range\nhint: see `ivrsync apply --help`\n"
    )


def test_a_bug_exits_3_and_saves_the_traceback(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def crash(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("the planted bug")

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("ivrsync.cli.validate.validate", crash)

    result = run_cli("validate", str(tmp_path))

    log = tmp_path / "cache" / "ivrsync" / "ivrsync.log"
    assert result.exit_code == 3
    assert result.stderr == (
        "internal error: ZeroDivisionError: the planted bug\n"
        f"This is a bug in ivrsync; the traceback is in {log}. Please report it.\n"
    )
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
    assert "raise ZeroDivisionError" in log.read_text(encoding="utf-8")


def test_a_bug_whose_traceback_cannot_be_saved_still_exits_3(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def crash(*_args: object, **_kwargs: object) -> None:
        raise KeyError("boom")

    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr("ivrsync.cli.validate.validate", crash)

    result = run_cli("validate", str(tmp_path))

    assert result.exit_code == 3
    assert "the traceback could not be saved" in result.stderr
