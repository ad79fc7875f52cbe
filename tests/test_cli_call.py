"""`ivrsync call`: one caller's path, what they hear and where they end up."""

from __future__ import annotations

import pytest

from tests.testing.cli import RunCli
from tests.testing.flow import ROOT


@pytest.fixture(autouse=True)
def _examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_a_call_through_a_nested_menu_to_the_invalid_destination(run_cli: RunCli) -> None:
    result = run_cli("call", "Kaveri Support", "2", "9", "9", "9")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "Kaveri Support (IVR 4103) answers\n"
        "  hears recording|30231\n"
        "press 2: to Kaveri Repairs (IVR 4105)\n"
        "  hears recording|30251\n"
        "press 9: not in the menu (invalid key 1): Kaveri Repairs (IVR 4105) plays its menu again\n"
        "  hears recording|30215, recording|30251\n"
        "press 9: not in the menu (invalid key 2): Kaveri Repairs (IVR 4105) plays its menu again\n"
        "  hears recording|30215, recording|30251\n"
        "press 9: not in the menu (invalid key 3): no more tries, to department|13\n"
        "  hears recording|30218\n"
        "The call ends at department|13.\n"
    )


def test_timeouts_and_presses_left_over(run_cli: RunCli) -> None:
    result = run_cli("call", "4104", "timeout", "timeout", "1")

    assert result.stdout == (
        "Kaveri After Hours (IVR 4104) answers\n"
        "  hears recording|30241\n"
        "no key pressed (timeout 1): Kaveri After Hours (IVR 4104) plays its menu again\n"
        "  hears recording|30216, recording|30241\n"
        "no key pressed (timeout 2): no more tries, to voicemail|21\n"
        "  hears recording|30242\n"
        "The call ends at voicemail|21. 1 more press was not made.\n"
    )


def test_a_caller_still_in_a_menu(run_cli: RunCli) -> None:
    result = run_cli("call", "kaveri main menu", "1")

    assert result.stdout.endswith("The caller is still in Kaveri Sales, waiting for a key.\n")


def test_interactive_calls_ask_for_each_key(run_cli: RunCli) -> None:
    result = run_cli("call", "4101", "--interactive", input="2\n\nx\n#\n")

    assert result.exit_code == 0
    assert "press 2: to Kaveri Support (IVR 4103)\n" in result.stdout
    assert "no key pressed (timeout 1): Kaveri Support (IVR 4103) plays its menu again" in (
        result.stdout
    )
    assert "error" not in result.stdout
    assert result.stderr.startswith("not a press: 'x' (presses are 0-9")
    assert result.stdout.endswith("press #: to hangup|1\nThe call ends at hangup|1.\n")


def test_an_interactive_caller_may_hang_up(run_cli: RunCli) -> None:
    result = run_cli("call", "4101", "--interactive", input="1\nq\n")

    assert result.stdout.endswith("The caller hangs up in Kaveri Sales.\n")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("4101", "1", "0x"), "error: not a press: '0x'"),
        (("Nobody",), "error: no IVR named or numbered 'Nobody' in the config set"),
    ],
    ids=["bad-key", "unknown-ivr"],
)
def test_what_cannot_be_called(run_cli: RunCli, args: tuple[str, ...], error: str) -> None:
    result = run_cli("call", *args)

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[0] == error
