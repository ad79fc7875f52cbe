"""A saved plan sends only what a reviewer saw: checked against the schema, its digests and the
state before any request; an optional key makes the checksum an HMAC."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import digest_body
from ivrsync.plan.planfile import document_checksum
from tests.testing.cli import CliResult, RunCli
from tests.testing.workspace import TOKEN, Workspace, apply_cli, open_workspace

KEY = "plan-key-3f9a"


@pytest.fixture
def adopted(run_cli: RunCli, tmp_path: Path) -> Iterator[Workspace]:
    with open_workspace(tmp_path, 3) as workspace:
        assert apply_cli(run_cli, workspace, "--auto-approve").exit_code == 0
        workspace.write(2, timeout=44)
        yield workspace


def saved_plan(run_cli: RunCli, workspace: Workspace, env: dict[str, str] | None = None) -> Path:
    path = workspace.root / "plan.json"
    args = ["--config-dir", str(workspace.config_dir), "--state", str(workspace.state_path)]
    result = run_cli("plan", *args, "--out", str(path), env=env)
    assert result.exit_code == 0, result.stderr
    return path


def tamper(path: Path, edit: Callable[[dict[str, Any]], None], *, digest: bool = True) -> None:
    """Edit the first change, then fix its digest (unless not `digest`) and the checksum, as
    anyone who can edit the artifact can."""
    document = json.loads(path.read_text("utf-8"))
    change = document["changes"][0]
    edit(change)
    if digest and change["body"] is not None:
        change["digest"] = digest_body(change["body"])
    document["checksum"] = document_checksum(document)
    path.write_text(json.dumps(document), "utf-8")


def apply_saved(run_cli: RunCli, workspace: Workspace, path: Path, **env: str) -> CliResult:
    return apply_cli(run_cli, workspace, str(path), env=env)


EDITS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "body edited, fields not",
        lambda c: c["body"].update(timeout=99),
        "the field changes it shows are not what its body does",
    ),
    (
        "a field the PUT body does not have",
        lambda c: c["body"].update(webhook="https://attacker.example"),
        "its body has other fields than the PUT body's",
    ),
    (
        "a value the schema refuses",
        lambda c: (c["body"].update(timeout=0), c["fields"][0].update(after=0)),
        "its body fails the schema",
    ),
    (
        "a destination the schema refuses",
        lambda c: c["body"].update(destination=["javascript:alert(1)", "extension|845"]),
        "its body fails the schema",
    ),
]


@pytest.mark.parametrize(
    ("edit", "message"), [(e, m) for _, e, m in EDITS], ids=[i for i, *_ in EDITS]
)
def test_a_tampered_plan_is_refused_before_any_request(
    run_cli: RunCli, adopted: Workspace, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    path = saved_plan(run_cli, adopted)
    tamper(path, edit)
    adopted.fake.reset_requests()

    result = apply_saved(run_cli, adopted, path)

    assert result.exit_code == 1
    assert "the plan file does not hold up; nothing was sent" in result.stderr
    assert message in result.stderr
    assert adopted.fake.requests == []


def test_a_body_that_does_not_match_its_digest_is_refused(
    run_cli: RunCli, adopted: Workspace
) -> None:
    path = saved_plan(run_cli, adopted)
    tamper(path, lambda c: c["body"].update(timeout=99), digest=False)
    adopted.fake.reset_requests()

    result = apply_saved(run_cli, adopted, path)

    assert result.exit_code == 1
    assert "does not match its digest" in result.stderr
    assert adopted.fake.requests == []


def test_an_untouched_plan_applies(run_cli: RunCli, adopted: Workspace) -> None:
    path = saved_plan(run_cli, adopted)

    result = apply_saved(run_cli, adopted, path)

    assert result.exit_code == 0, result.stderr
    assert [put.ivr_id for put in adopted.fake.puts()][-1:] == [2]


def test_with_a_key_the_checksum_is_an_hmac_only_the_key_makes(
    run_cli: RunCli, adopted: Workspace
) -> None:
    keyed = {"IVRSYNC_PLAN_KEY": KEY, "SMARTFLO_API_TOKEN": TOKEN}
    path = saved_plan(run_cli, adopted, env=keyed)
    assert json.loads(path.read_text("utf-8"))["checksum"].startswith("hmac-sha256:")
    adopted.fake.reset_requests()

    unkeyed = apply_saved(run_cli, adopted, path)
    wrong = apply_saved(run_cli, adopted, path, IVRSYNC_PLAN_KEY="not-the-key")
    tamper_copy = adopted.root / "tampered.json"
    tamper_copy.write_text(path.read_text("utf-8"), "utf-8")
    tamper(tamper_copy, lambda c: None)  # re-checksummed without the key: unsigned now
    unsigned = apply_saved(run_cli, adopted, tamper_copy, IVRSYNC_PLAN_KEY=KEY)
    assert adopted.fake.requests == []
    right = apply_saved(run_cli, adopted, path, IVRSYNC_PLAN_KEY=KEY)

    assert "is signed with a key (hmac-sha256), and no key is set" in unkeyed.stderr
    assert "fails its checksum" in wrong.stderr
    assert "is not signed, and IVRSYNC_PLAN_KEY is set" in unsigned.stderr
    assert right.exit_code == 0, right.stderr
    assert KEY not in right.stdout + right.stderr + unkeyed.stderr + wrong.stderr


@pytest.mark.parametrize("checksum", ["sha256:é", "hmac-sha256:\u202e", "sha256:" + "0" * 64])
def test_a_checksum_of_any_text_is_a_clean_refusal(
    run_cli: RunCli, adopted: Workspace, checksum: str
) -> None:
    path = saved_plan(run_cli, adopted)
    document = json.loads(path.read_text("utf-8"))
    document["checksum"] = checksum
    path.write_text(json.dumps(document), "utf-8")

    result = apply_saved(run_cli, adopted, path, IVRSYNC_PLAN_KEY=KEY)
    unkeyed = apply_saved(run_cli, adopted, path)

    assert result.exit_code == 1
    assert unkeyed.exit_code == 1
    assert "internal error" not in result.stderr + unkeyed.stderr
