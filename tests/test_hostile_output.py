"""Output injection (issue #10, class 9), end to end: text ivrsync did not write stays inert.

Values and names from IVR files, file names, names and messages from the server (the fake, or a
hostile one) carry every trick at once (`tests.testing.injection.HOSTILE`): terminal escapes, C1
controls, bidi overrides, a line separator, a line break followed by a workflow command, the
legacy `##[` form, backticks and a mention. In every command and format the output holds none of
it raw, no line a runner would take as a workflow command (but those `--format github` means),
and, in markdown, no mention outside code. JSON output escapes instead: it parses back to the
very same text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import body_from_document, digest_body
from ivrsync.fake_smartflo import FakeSmartflo
from ivrsync.model import StateEntry
from ivrsync.smartflo.readshape import read_shape_from_body
from tests.testing.cli import CliResult, RunCli
from tests.testing.documents import VALID, edited, ivr_document
from tests.testing.hostile_server import TOKEN, Canned, hostile_server
from tests.testing.injection import HOSTILE, assert_inert, mentions, yaml_text
from tests.testing.state import APPLIED_AT, write_state

#: A file name holding a bidi override, a line break and a workflow command.
HOSTILE_FILE = "x\u202e\n::error title=y::z.yaml"
HOSTILE_FILE_SHOWN = "x\\u202e\\n::error title=y::z.yaml"
#: How `shown` writes the start of HOSTILE.
SHOWN_START = "Evil\\x1b]0;owned\\x07\\x1b[31mred\\x9b2J\\u202eoverride\\u2066isolate\\u2069"
#: How JSON-quoted values (`quoted`) write it.
QUOTED_START = '"Evil\\u001b]0;owned\\u0007\\u001b[31mred\\u009b2J\\u202eoverride\\u2066'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_hostile_configs(folder: Path) -> None:
    """IVRs 349 and 350 with the same hostile name and description (a warning quotes the
    name); 349 under a hostile file name."""
    folder.mkdir(parents=True, exist_ok=True)
    text = edited("name: Support IVR", f"name: {yaml_text(HOSTILE)}").replace(
        "description: IVR for the support team", f"description: {yaml_text(HOSTILE)}"
    )
    (folder / HOSTILE_FILE).write_text(text, encoding="utf-8")
    (folder / "other.yaml").write_text(text.replace("id: 349", "id: 350"), encoding="utf-8")


def both(result: CliResult) -> str:
    return result.stdout + result.stderr


# -- validate ------------------------------------------------------------------------------------


def test_validate_text_escapes_file_names_keys_and_names(run_cli: RunCli, project: Path) -> None:
    write_hostile_configs(project / "ivr-configs")
    (project / "ivr-configs" / "bad.yaml").write_text(
        VALID + f"{yaml_text(HOSTILE)}: 1\n", encoding="utf-8"
    )

    result = run_cli("validate", "ivr-configs")

    assert result.exit_code == 1
    assert_inert(both(result))
    assert f"ivr-configs/{HOSTILE_FILE_SHOWN}:2:7: warning: name: the name" in result.stdout
    assert f"unknown field '{SHOWN_START[:40]}" in result.stdout


def test_validate_github_writes_only_its_own_workflow_commands(
    run_cli: RunCli, project: Path
) -> None:
    write_hostile_configs(project / "ivr-configs")

    result = run_cli("validate", "--format", "github", "ivr-configs")

    assert result.exit_code == 0  # two warnings
    assert_inert(result.stdout, commands=2)
    assert all(line.startswith("::warning file=") for line in result.stdout.splitlines()[:2])


def test_validate_json_escapes_and_parses_back_to_the_same_names(
    run_cli: RunCli, project: Path
) -> None:
    write_hostile_configs(project / "ivr-configs")

    result = run_cli("validate", "--format", "json", "ivr-configs")

    assert_inert(result.stdout)
    files = {p["file"] for p in json.loads(result.stdout)["problems"]}
    assert f"ivr-configs/{HOSTILE_FILE}" in files  # lossless: JSON escapes, not `shown`


# -- plan ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_plan_escapes_names_values_and_sources(
    run_cli: RunCli, project: Path, output_format: str
) -> None:
    write_hostile_configs(project / "ivr-configs")

    result = run_cli("plan", "--format", output_format, "--state", "state.json")

    assert result.exit_code == 0, result.stderr
    assert_inert(both(result))
    if output_format == "markdown":
        assert mentions(result.stdout) == []
        assert f"<code>{SHOWN_START[:30]}" in result.stdout
    elif output_format == "text":
        assert f"+ IVR 349 {QUOTED_START}" in result.stdout
        assert f"(ivr-configs/{HOSTILE_FILE_SHOWN}) will be adopted" in result.stdout
    else:
        names = {change["name"] for change in json.loads(result.stdout)["changes"]}
        assert names == {HOSTILE}


def test_the_error_naming_a_stale_plans_ivrs_is_escaped(run_cli: RunCli, project: Path) -> None:
    write_hostile_configs(project / "ivr-configs")
    assert run_cli("plan", "--state", "state.json", "--out", "plan.json").exit_code == 0
    write_state(project / "state.json", hostile_entry(349))  # the state moved on

    result = run_cli(
        "apply", "plan.json", "--state", "state.json", env={"SMARTFLO_API_TOKEN": TOKEN}
    )

    assert result.exit_code == 1
    assert "error: the state changed since this plan was made" in result.stderr
    assert f"  349 {SHOWN_START}" in result.stderr
    assert_inert(both(result))


# -- state ---------------------------------------------------------------------------------------


def hostile_entry(ivr_id: int) -> StateEntry:
    """A state entry recorded from a hostile file (or, through import, from the portal)."""
    body = body_from_document({**ivr_document(ivr_id), "name": HOSTILE, "description": HOSTILE})
    return StateEntry(ivr_id, body, digest_body(body), f"ivr-configs/{HOSTILE_FILE}", APPLIED_AT)


@pytest.mark.parametrize(
    "args",
    [("list",), ("list", "--format", "json"), ("show", "349"), ("show", "349", "--format", "json")],
)
def test_state_list_and_show_escape_names_sources_and_bodies(
    run_cli: RunCli, project: Path, args: tuple[str, ...]
) -> None:
    write_state(project / "state.json", hostile_entry(349), hostile_entry(350))

    result = run_cli("state", *args, "--state", "state.json")

    assert result.exit_code == 0, result.stderr
    assert_inert(both(result))
    if "json" in args:
        document = json.loads(result.stdout)
        names = [ivr["name"] for ivr in document["ivrs"]] if "list" in args else [document["name"]]
        assert set(names) == {HOSTILE}
    else:
        assert SHOWN_START in result.stdout


def test_state_unlock_escapes_the_holder_the_lock_file_names(
    run_cli: RunCli, project: Path
) -> None:
    # The lock file's reader refuses unprintable holders; printable text can still hold a
    # legacy workflow command.
    write_state(project / "state.json", hostile_entry(349))
    holder = {
        "pid": 999_999_999,
        "host": "##[add-mask]secret",
        "started_at": APPLIED_AT,
        "command": "::error::x",
    }
    (project / "state.json.lock").write_text(json.dumps(holder), encoding="utf-8")

    result = run_cli("state", "unlock", "--force", "--state", "state.json")

    assert result.stdout == (
        "removed state.json.lock: it was held by pid 999999999 on \\x23#[add-mask]secret since "
        f"{APPLIED_AT} (::error::x)\n"
    )
    assert_inert(both(result))


# -- apply: a server message, the outcome lines and the summary -----------------------------------


def test_apply_escapes_the_server_message_and_names(run_cli: RunCli, project: Path) -> None:
    write_hostile_configs(project / "ivr-configs")
    refusal = {"success": False, "message": HOSTILE, "errors": {"name": [HOSTILE]}}
    canned = Canned(put_status=400, put_body=json.dumps(refusal).encode("ascii"))

    with hostile_server(canned) as server:
        result = run_cli(
            "apply",
            "--auto-approve",
            "--no-canary",  # both refusals are wanted here, not the stop after the first
            "--state",
            "state.json",
            "--base-url",
            server.url,
            env={"SMARTFLO_API_TOKEN": TOKEN},
        )

    assert result.exit_code == 1
    assert len(server.puts()) == 2
    assert "Apply finished with failures: 0 applied, 2 failed" in result.stdout
    assert "failed 349 " + QUOTED_START in both(result)
    assert_inert(both(result))


# -- drift, refresh and import: names and values from the portal -----------------------------------


def read_shape(ivr_id: int, **fields: Any) -> dict[str, Any]:
    return read_shape_from_body(ivr_id, body_from_document(ivr_document(ivr_id, **fields)))


@pytest.fixture
def portal(run_cli: RunCli, project: Path) -> Iterator[FakeSmartflo]:
    """IVRs 1 and 2 imported; then renamed in the portal, and IVR 3 (unmanaged) added, all
    with hostile names, descriptions and webhook ids."""
    with FakeSmartflo(ivrs=[read_shape(1), read_shape(2)], token=TOKEN) as fake:
        env = {"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_BASE_URL": fake.url}
        assert run_cli("import", env=env).exit_code == 0
        for ivr_id in (1, 2):
            fake.edit_ivr(ivr_id, name=HOSTILE, description=HOSTILE)
        menu = fake.live_ivrs()[0]["ivr_menu"]
        menu[0]["webhook_id"] = HOSTILE
        fake.edit_ivr(1, ivr_menu=menu)
        yield fake


def env_of(fake: FakeSmartflo) -> dict[str, str]:
    return {"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_BASE_URL": fake.url}


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_drift_escapes_portal_names_values_and_warnings(
    run_cli: RunCli, portal: FakeSmartflo, output_format: str
) -> None:
    result = run_cli("drift", "--format", output_format, env=env_of(portal))

    assert result.exit_code == 0, result.stderr
    assert_inert(both(result))
    if output_format == "markdown":
        assert mentions(result.stdout) == []
        assert "**Warnings**" in result.stdout
    elif output_format == "json":
        document = json.loads(result.stdout)
        fields = [f for ivr in document["drifted"] for f in ivr["fields"] if f["field"] == "name"]
        assert [f["live"] for f in fields] == [HOSTILE, HOSTILE]
    else:
        assert "was changed in the portal" in result.stdout


def test_plan_refresh_escapes_portal_values(run_cli: RunCli, portal: FakeSmartflo) -> None:
    result = run_cli("plan", "--refresh", env=env_of(portal))

    assert result.exit_code == 0, result.stderr
    assert "Refresh:" in result.stdout
    assert_inert(both(result))


def test_import_escapes_names_and_warnings(run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    item = read_shape(7, name=HOSTILE, description=HOSTILE)
    item["ivr_menu"][0]["webhook_id"] = HOSTILE
    with FakeSmartflo(ivrs=[item], token=TOKEN) as fake:
        result = run_cli("import", env=env_of(fake))

    assert result.exit_code == 0, result.stderr
    assert f"(IVR 7 {QUOTED_START}" in result.stdout
    assert "warning: IVR 7 (Evil\\x1b" in result.stderr
    assert_inert(both(result))
