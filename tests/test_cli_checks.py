"""The telephony checks through `ivrsync validate`: a failing and a passing example per rule.

`unreachable-ivr` needs entry points and `no-person-within` is off by default: both are set in
`ivrsync.toml` (`[routing] entry_points`, `[checks]`), which reaches `load_config_set` in the
settings work. Until then those tests are expected to fail (strict: remove the mark once they
pass).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.testing.cli import CliResult, RunCli
from tests.testing.flow import ivr, menu, write_ivrs

PERSON = "extension|05047530002"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _validate(run_cli: RunCli, *documents: dict[str, Any], settings: str = "") -> CliResult:
    write_ivrs(Path("ivr-configs"), *documents)
    if settings:
        Path("ivrsync.toml").write_text(settings, encoding="utf-8")
    return run_cli("validate", "--strict")


def _loop(**extra: str) -> list[dict[str, Any]]:
    return [
        ivr(1, menu(k1="ivr|2", **extra), timeout_destination="ivr|2", invalid_destination="ivr|2"),
        ivr(2, menu(k1="ivr|1"), timeout_destination="ivr|1", invalid_destination="ivr|1"),
    ]


def _passes(result: CliResult) -> None:
    assert (result.exit_code, result.stdout) == (0, "checked 2 files: no problems\n")


@pytest.mark.usefixtures("project")
def test_inescapable_loop(run_cli: RunCli) -> None:
    result = _validate(run_cli, *_loop())

    assert result.exit_code == 1
    assert result.stdout == (
        "ivr-configs/ivr-1.yaml:14:1: warning: menu: callers can never leave: every key, timeout "
        "and invalid key leads back into IVR 1 (1), IVR 2 (2) [inescapable-loop] (hint: route a "
        "key, the timeout or the invalid destination to a person, a voicemail or hangup|1)\n"
        "ivr-configs/ivr-2.yaml:14:1: warning: menu: callers can never leave: every key, timeout "
        "and invalid key leads back into IVR 1 (1), IVR 2 (2) [inescapable-loop] (hint: route a "
        "key, the timeout or the invalid destination to a person, a voicemail or hangup|1)\n"
        "checked 2 files: 0 errors, 2 warnings\n"
    )


@pytest.mark.usefixtures("project")
def test_a_loop_with_a_way_out(run_cli: RunCli) -> None:
    _passes(_validate(run_cli, *_loop(k0=PERSON)))


@pytest.mark.usefixtures("project")
def test_hangup_fallback(run_cli: RunCli) -> None:
    result = _validate(run_cli, ivr(1, timeout_destination="hangup|1"), ivr(2))

    assert result.exit_code == 1
    assert result.stdout == (
        "ivr-configs/ivr-1.yaml:11:22: warning: timeout_destination: callers who press nothing 4 "
        "times are cut off: timeout_destination is hangup|1 [hangup-fallback] (hint: send them to "
        "a person or a voicemail instead (extension|..., voicemail|...))\n"
        "checked 2 files: 0 errors, 1 warning\n"
    )


@pytest.mark.usefixtures("project")
def test_hangup_on_a_key_is_no_fallback(run_cli: RunCli) -> None:
    _passes(_validate(run_cli, ivr(1, menu(k9="hangup|1")), ivr(2)))


@pytest.mark.parametrize("timeout", [2, 61], ids=["short", "long"])
@pytest.mark.usefixtures("project")
def test_timeout_length(run_cli: RunCli, timeout: int) -> None:
    result = _validate(run_cli, ivr(1, timeout=timeout), ivr(2))

    assert result.exit_code == 1
    assert result.stdout.startswith("ivr-configs/ivr-1.yaml:5:10: warning: timeout: callers ")
    assert "[timeout-length]" in result.stdout


@pytest.mark.parametrize("timeout", [3, 60], ids=["3s", "60s"])
@pytest.mark.usefixtures("project")
def test_timeouts_callers_can_live_with(run_cli: RunCli, timeout: int) -> None:
    _passes(_validate(run_cli, ivr(1, timeout=timeout), ivr(2)))


@pytest.mark.usefixtures("project")
def test_warnings_alone_pass_without_strict(run_cli: RunCli) -> None:
    write_ivrs(Path("ivr-configs"), ivr(1, timeout=2))

    assert run_cli("validate").exit_code == 0


_ENTRY = '[routing]\nentry_points = ["IVR 1"]\n'


@pytest.mark.usefixtures("project")
def test_unreachable_ivr(run_cli: RunCli) -> None:
    result = _validate(run_cli, ivr(1), ivr(2), settings=_ENTRY)

    assert result.exit_code == 1
    assert "ivr-configs/ivr-2.yaml:2:7: warning: name: no caller can reach" in result.stdout


@pytest.mark.usefixtures("project")
def test_reachable_ivrs(run_cli: RunCli) -> None:
    _passes(_validate(run_cli, ivr(1, menu(k1="ivr|2")), ivr(2), settings=_ENTRY))


_PERSON_ON = '[checks]\nno-person-within = "warning"\n'


@pytest.mark.usefixtures("project")
def test_no_person_within(run_cli: RunCli) -> None:
    far = ivr(1, menu(k1="voicemail|3"), timeout_destination=PERSON)

    result = _validate(run_cli, far, ivr(2), settings=_PERSON_ON)

    assert result.exit_code == 1
    assert "[no-person-within]" in result.stdout


@pytest.mark.usefixtures("project")
def test_a_person_within_reach(run_cli: RunCli) -> None:
    _passes(_validate(run_cli, ivr(1, menu(k1="ivr|2")), ivr(2), settings=_PERSON_ON))


@pytest.mark.usefixtures("project")
def test_a_rule_set_to_error_fails_validate(run_cli: RunCli) -> None:
    write_ivrs(Path("ivr-configs"), ivr(1, timeout=2))
    Path("ivrsync.toml").write_text('[checks]\ntimeout-length = "error"\n', encoding="utf-8")

    result = run_cli("validate")

    assert result.exit_code == 1
    assert ": error: timeout: " in result.stdout
