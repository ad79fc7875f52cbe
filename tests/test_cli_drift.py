"""`ivrsync drift` end to end: import, edit IVRs "in the portal", report exactly those edits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivrsync.fake_smartflo import FakeSmartflo
from tests.testing.accounts import TOKEN, env_for, seed
from tests.testing.cli import RunCli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def fake(run_cli: RunCli, project: Path) -> Iterator[FakeSmartflo]:
    """A fake account of 31 IVRs, all imported (so all managed)."""
    with FakeSmartflo(ivrs=seed(), token=TOKEN) as server:
        assert run_cli("import", env=env_for(server)).exit_code == 0
        yield server


def edit_two_ivrs(fake: FakeSmartflo) -> None:
    """A timeout on the sample IVR; a description and menu key 1 on a generated one."""
    fake.edit_ivr(7926, timeout=45)
    menu = next(i for i in fake.live_ivrs() if i["id"] == 1005)["ivr_menu"]
    menu[0].update(destination_type="department", destination_id="11")
    fake.edit_ivr(1005, description="Edited in the portal", ivr_menu=menu)


STATE = Path(".ivrsync/state.json")


def test_drift_reports_exactly_the_portal_edits_and_leaves_the_state_alone(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    state_before = STATE.read_bytes()
    edit_two_ivrs(fake)

    result = run_cli("drift", "--detailed-exitcode", env=env_for(fake))

    assert result.exit_code == 2, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        '~ IVR 1005 "Café Niño" (ivr-configs/cafe-nino.yaml) was changed in the portal\n'
        "    ~ description: IVR for the support team -> Edited in the portal\n"
        "    ~ option 1: extension|05047530004 -> department|11\n"
        '~ IVR 7926 "Welcome IVR" (ivr-configs/welcome-ivr.yaml) was changed in the portal\n'
        "    ~ timeout: 30 -> 45\n"
        "\n"
        "Drift: 2 IVRs changed in the portal, 0 missing, 29 in sync; 0 live IVRs not managed.\n"
    )
    assert STATE.read_bytes() == state_before
    assert sorted(p.name for p in STATE.parent.iterdir()) == ["state.json"]  # no lock, no journal
    assert fake.puts() == []
    assert TOKEN not in result.stdout + result.stderr


def test_drift_as_json_gives_the_live_values(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    edit_two_ivrs(fake)

    result = run_cli("drift", "--format", "json", env=env_for(fake))

    assert result.exit_code == 0  # without --detailed-exitcode, drift is not a failure
    document = json.loads(result.stdout)
    assert document["summary"] == {
        "managed": 31,
        "drifted": 2,
        "missing": 0,
        "in_sync": 29,
        "unmanaged": 0,
    }
    assert {d["id"]: d["fields"] for d in document["drifted"]} == {
        1005: [
            {
                "field": "description",
                "state": "IVR for the support team",
                "live": "Edited in the portal",
            },
            {"field": "menu.1", "state": "extension|05047530004", "live": "department|11"},
        ],
        7926: [{"field": "timeout", "state": 30, "live": 45}],
    }


def test_drift_as_markdown_carries_the_marker(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    edit_two_ivrs(fake)

    result = run_cli("drift", "--format", "markdown", env=env_for(fake))

    assert result.exit_code == 0
    assert result.stdout.startswith("<!-- ivrsync-drift -->\n## ivrsync drift\n")
    assert result.stdout.count("<details>") == 2


def test_no_drift_exits_0_even_with_detailed_exitcode(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    result = run_cli("drift", "--detailed-exitcode", env=env_for(fake))

    assert (result.exit_code, result.stdout) == (
        0,
        "No drift: 31 managed IVRs in sync with the state; 0 live IVRs not managed.\n",
    )


def test_unmanaged_and_missing_ivrs(run_cli: RunCli, project: Path) -> None:
    items = seed()
    with FakeSmartflo(ivrs=items[:3], token=TOKEN) as first:
        assert run_cli("import", "--id", "7926", "--id", "1001", env=env_for(first)).exit_code == 0
    with FakeSmartflo(ivrs=[items[0], items[2]], token=TOKEN) as later:  # 1001 deleted
        result = run_cli("drift", "--detailed-exitcode", env=env_for(later))

    assert result.exit_code == 2
    assert result.stdout == (
        '- IVR 1001 "Sales" (ivr-configs/sales.yaml) no longer exists in Smartflo\n'
        '? IVR 1002 "Support" is not managed by ivrsync\n'
        "\n"
        "Drift: 0 IVRs changed in the portal, 1 missing, 1 in sync; 1 live IVR not managed.\n"
    )


def test_a_corrupt_state_is_an_error_before_any_request(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    STATE.write_text("{not json", encoding="utf-8")
    fake.reset_requests()

    result = run_cli("drift", env=env_for(fake))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert fake.requests == []
    assert STATE.read_text(encoding="utf-8") == "{not json"


def test_an_unreadable_ivr_is_left_out_unless_it_is_managed(run_cli: RunCli, project: Path) -> None:
    odd = {**seed()[0], "id": 99, "name": "Odd", "description": None}  # null: cannot be mapped
    with FakeSmartflo(ivrs=[*seed(), odd], token=TOKEN) as server:
        env = env_for(server)
        # Importing another IVR works beside the odd one...
        assert run_cli("import", "--id", "7926", env=env).exit_code == 0

        # ...and drift leaves the unmanaged odd IVR out, with a warning, instead of failing.
        left_out = run_cli("drift", "--detailed-exitcode", env=env)
        assert left_out.exit_code == 0, left_out.stderr
        assert left_out.stderr.startswith(
            "warning: IVR 99 was left out: cannot read IVR 99, field 'description'"
        )

        # A managed IVR that cannot be read cannot be compared: that stops drift.
        server.edit_ivr(7926, timeout=None)
        broken = run_cli("drift", "--detailed-exitcode", env=env)
        assert broken.exit_code == 1
        assert "error: cannot read IVR 7926, field 'timeout'" in broken.stderr
        assert "Traceback" not in broken.stderr


def test_with_no_state_drift_says_nothing_is_managed_yet(run_cli: RunCli, project: Path) -> None:
    with FakeSmartflo(ivrs=seed(), token=TOKEN) as server:
        plain = run_cli("drift", env=env_for(server))
        detailed = run_cli("drift", "--detailed-exitcode", env=env_for(server))

    assert plain.exit_code == 0
    assert plain.stdout.splitlines()[-1].startswith("Nothing is managed yet: the state lists no")
    assert "No drift" not in plain.stdout
    assert detailed.exit_code == 0  # the apply workflow checks drift before a first apply too
    assert "warning: nothing is managed yet, so there is no drift to check" in detailed.stderr


def test_most_managed_ivrs_missing_points_at_another_account(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    with FakeSmartflo(ivrs=seed()[:2], token=TOKEN) as other_account:
        result = run_cli("drift", env=env_for(other_account))

    assert "the base URL or the token probably points at another Smartflo account" in result.stdout
    assert "! 29 of 31 managed IVRs do not exist in this account" in result.stdout


def test_one_missing_ivr_is_no_wrong_account(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    with FakeSmartflo(ivrs=seed()[1:], token=TOKEN) as same_account_minus_one:
        result = run_cli("drift", env=env_for(same_account_minus_one))

    assert "no longer exists in Smartflo" in result.stdout
    assert "another Smartflo account" not in result.stdout


def test_many_unmanaged_ivrs_are_counted_and_listed_with_verbose(
    run_cli: RunCli, project: Path
) -> None:
    with FakeSmartflo(ivrs=seed(), token=TOKEN) as server:
        assert run_cli("import", "--id", "1001", env=env_for(server)).exit_code == 0
        summary = run_cli("drift", env=env_for(server))
        listed = run_cli("drift", "-v", env=env_for(server))

    assert "? 30 live IVRs are not managed by ivrsync (list them with -v)" in summary.stdout
    assert summary.stdout.count("is not managed by ivrsync") == 0
    assert listed.stdout.count("is not managed by ivrsync") == 30
