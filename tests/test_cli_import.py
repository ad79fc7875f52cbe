"""`ivrsync import` end to end: the real CLI against the fake Smartflo server over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivrsync.fake_smartflo import FakeSmartflo
from ivrsync.smartflo.readshape import live_ivr_from_read_shape
from ivrsync.state import StateStore
from tests.testing.accounts import TOKEN, env_for, seed
from tests.testing.cli import RunCli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def fake() -> Iterator[FakeSmartflo]:
    with FakeSmartflo(ivrs=seed(), token=TOKEN) as server:
        yield server


def live_bodies(fake: FakeSmartflo) -> dict[int, Any]:
    return {ivr.id: ivr.body for ivr in (live_ivr_from_read_shape(i) for i in fake.live_ivrs())}


def test_import_writes_valid_files_the_state_matches_the_server_and_plan_is_empty(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    env = env_for(fake)

    result = run_cli("import", env=env)

    assert result.exit_code == 0, result.stderr
    # Two live IVRs share a name: valid, but the validator's warning is worth passing on.
    assert result.stderr == (
        "ivr-configs/support-1002.yaml:3:7: warning: name: the name 'Support' is also used by "
        "ivr-configs/support-1003.yaml (hint: give each IVR its own name so people can tell "
        "them apart)\n"
        "ivr-configs/support-1003.yaml:3:7: warning: name: the name 'Support' is also used by "
        "ivr-configs/support-1002.yaml (hint: give each IVR its own name so people can tell "
        "them apart)\n"
        "0 errors, 2 warnings\n"
    )
    written = sorted(p.relative_to(project).as_posix() for p in project.glob("ivr-configs/*"))
    assert len(written) == 31
    assert "ivr-configs/welcome-ivr.yaml" in written
    assert "ivr-configs/support-1002.yaml" in written  # "Support" twice: the id is added
    assert "ivr-configs/sales-returns.yaml" in written  # the slash made safe
    assert "ivr-configs/cafe-nino.yaml" in written
    assert "ivr-configs/ivr-1006.yaml" in written  # nothing usable left of the name
    assert result.stdout.splitlines()[0] == ('Wrote ivr-configs/sales.yaml (IVR 1001 "Sales")')
    assert result.stdout.endswith(
        "Imported 31 IVRs; recorded in .ivrsync/state.json as last applied.\n"
    )
    assert fake.puts() == []

    validate = run_cli("validate", env=env)
    assert validate.exit_code == 0, validate.stdout

    state = StateStore(project / ".ivrsync" / "state.json").load()
    assert {i: e.body for i, e in state.entries.items()} == live_bodies(fake)
    assert state.entries[7926].source == "ivr-configs/welcome-ivr.yaml"

    plan = run_cli("plan", "--detailed-exitcode", env=env)
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert plan.stdout == "No changes. 31 IVRs unchanged; the configs match the state.\n"

    for output in (result, validate, plan):
        assert TOKEN not in output.stdout + output.stderr


def test_a_second_import_refuses_to_overwrite_and_force_rewrites(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    env = env_for(fake)
    assert run_cli("import", "--id", "7926", "--id", "1001", env=env).exit_code == 0
    welcome = project / "ivr-configs" / "welcome-ivr.yaml"
    welcome.write_text(welcome.read_text(encoding="utf-8") + "# my note\n", encoding="utf-8")
    state_before = (project / ".ivrsync" / "state.json").read_bytes()

    refused = run_cli("import", env=env)

    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        "error: import would overwrite 2 existing file(s): ivr-configs/sales.yaml, "
        "ivr-configs/welcome-ivr.yaml\n"
        "hint: commit or move them first, import other IVRs with --id, or pass --force\n"
    )
    assert welcome.read_text(encoding="utf-8").endswith("# my note\n")
    assert (project / ".ivrsync" / "state.json").read_bytes() == state_before
    assert len(list(project.glob("ivr-configs/*"))) == 2

    forced = run_cli("import", "--force", env=env)

    assert forced.exit_code == 0, forced.stderr
    # Nothing changed in the portal: the file is left as it was, its comment included.
    assert welcome.read_text(encoding="utf-8").endswith("# my note\n")
    assert len(list(project.glob("ivr-configs/*"))) == 31
    assert run_cli("plan", "--detailed-exitcode", env=env).exit_code == 0


def test_import_force_edits_changed_values_in_place_and_keeps_comments(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    env = env_for(fake)
    assert run_cli("import", "--id", "7926", env=env).exit_code == 0
    welcome = project / "ivr-configs" / "welcome-ivr.yaml"
    original = welcome.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    timeout_at = next(i for i, line in enumerate(lines) if line.startswith("timeout:"))
    lines[timeout_at] = lines[timeout_at].rstrip("\n") + "   # agreed with ops\n"
    lines.insert(timeout_at, "# Timings below were reviewed in PR 7\n")
    welcome.write_text("".join(lines), encoding="utf-8")
    # Someone changes the IVR in the portal; import --force brings the change into the file.
    live = live_bodies(fake)[7926]
    fake.edit_ivr(7926, shape="body", timeout=int(live["timeout"]) + 5)

    forced = run_cli("import", "--id", "7926", "--force", env=env)

    assert forced.exit_code == 0, forced.stderr
    text = welcome.read_text(encoding="utf-8")
    assert "# Timings below were reviewed in PR 7\n" in text
    assert f"timeout: {int(live['timeout']) + 5}   # agreed with ops\n" in text
    # Only that one value changed: every other line is as the person left it.
    before, after = "".join(lines).splitlines(), text.splitlines()
    assert [(a, b) for a, b in zip(before, after, strict=True) if a != b] == [
        (f"timeout: {live['timeout']}   # agreed with ops", after[timeout_at + 1])
    ]
    assert run_cli("plan", "--detailed-exitcode", env=env).exit_code == 0


def test_import_force_says_when_a_file_must_be_rewritten_whole(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    env = env_for(fake)
    assert run_cli("import", "--id", "7926", env=env).exit_code == 0
    welcome = project / "ivr-configs" / "welcome-ivr.yaml"
    import yaml

    document = yaml.safe_load(welcome.read_text(encoding="utf-8"))
    # A flow-style file (one line of JSON-like YAML) cannot be edited in place.
    flow = "# kept by hand\n" + yaml.safe_dump(document, default_flow_style=True, width=10**6)
    welcome.write_text(flow, encoding="utf-8")

    forced = run_cli("import", "--id", "7926", "--force", env=env)

    assert forced.exit_code == 0, forced.stderr
    assert (
        "ivr-configs/welcome-ivr.yaml: rewritten whole, so its comments are not kept "
        "(it is not one block mapping)"
    ) in forced.stderr
    assert "# kept by hand" not in welcome.read_text(encoding="utf-8")
    assert run_cli("plan", "--detailed-exitcode", env=env).exit_code == 0


def test_an_unknown_id_is_an_error_naming_it_and_nothing_is_written(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    result = run_cli("import", "--id", "7926", "--id", "4242", env=env_for(fake))

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: --id 4242: no IVR with this id in the Smartflo account\n"
    )
    assert not (project / "ivr-configs").exists()
    assert not (project / ".ivrsync").exists()


def test_webhooks_set_in_the_portal_are_warned_about(
    run_cli: RunCli, project: Path, fake: FakeSmartflo
) -> None:
    menu = fake.live_ivrs()[-1]["ivr_menu"]  # IVR 7926, the sample
    menu[0]["webhook_id"] = "88"
    fake.edit_ivr(7926, ivr_menu=menu)

    result = run_cli("import", "--id", "7926", env=env_for(fake))

    assert result.exit_code == 0
    assert result.stderr == (
        "warning: IVR 7926 (Welcome IVR), option 1: webhook_id 88 is set in the portal but the "
        "PUT body cannot carry it; a full PUT may clear it\n"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "error: no Smartflo credentials"),
        ({"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_BASE_URL": "http://example.com"}, "error: "),
    ],
    ids=["no-credentials", "plain-http-off-loopback"],
)
def test_bad_setup_fails_before_any_request(
    run_cli: RunCli, project: Path, fake: FakeSmartflo, env: dict[str, str], message: str
) -> None:
    full_env = {"SMARTFLO_BASE_URL": fake.url, **env}

    result = run_cli("import", env=full_env)

    assert result.exit_code == 1
    assert result.stderr.lower().startswith(message.lower())
    assert fake.requests == []
    assert TOKEN not in result.stdout + result.stderr
    assert not (project / "ivr-configs").exists()
