"""`ivrsync plan` end to end: real files in tmp_path, a real state file, the real CLI handler."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import body_from_document, digest_body
from ivrsync.cli.options import use_color
from ivrsync.model import StateEntry
from ivrsync.plan.planfile import PLAN_FORMAT_VERSION, document_checksum, load_plan
from ivrsync.state import StateStore
from tests.testing.cli import RunCli
from tests.testing.documents import ivr_document, write_ivr

IDS = (101, 102, 103, 104, 105)
CONFIGS = Path("ivr-configs")
STATE = Path(".ivrsync/state.json")


def record_applied(*documents: dict[str, Any]) -> None:
    """Record these documents' bodies as applied, through the StateStore (as apply does)."""
    STATE.parent.mkdir(parents=True, exist_ok=True)
    with StateStore(STATE).lock(command="test") as lock:
        for document in documents:
            body = body_from_document(document)
            lock.record_applied(
                StateEntry(
                    id=document["id"],
                    body=body,
                    digest=digest_body(body),
                    source=f"ivr-configs/ivr-{document['id']}.yaml",
                    applied_at="2026-11-26T23:30:00Z",
                )
            )


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Five IVR files in ./ivr-configs, all recorded as applied in ./.ivrsync/state.json."""
    monkeypatch.chdir(tmp_path)
    documents = [ivr_document(ivr_id) for ivr_id in IDS]
    for document in documents:
        write_ivr(CONFIGS, document)
    record_applied(*documents)
    return documents


def test_one_field_changed_in_text(run_cli: RunCli, applied: list[dict[str, Any]]) -> None:
    write_ivr(CONFIGS, ivr_document(103, timeout=30))

    result = run_cli("plan")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        '~ IVR 103 "IVR 103" (ivr-configs/ivr-103.yaml) will be updated\n'
        "    ~ timeout: 20 -> 30\n"
        "\n"
        "Plan: 0 to create, 1 to update, 0 to adopt, 0 to forget, 4 unchanged.\n"
    )


def test_one_field_changed_in_markdown(run_cli: RunCli, applied: list[dict[str, Any]]) -> None:
    write_ivr(CONFIGS, ivr_document(103, timeout=30))

    result = run_cli("plan", "--format", "markdown")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "<!-- ivrsync-plan -->\n## ivrsync plan\n\n"
        "| to create | to update | to adopt | to forget | unchanged |\n"
        "|---:|---:|---:|---:|---:|\n"
        "| 0 | 1 | 0 | 0 | 4 |\n\n"
        "<details><summary><code>~</code> update <b>IVR 103</b> <code>IVR 103</code> "
        "(<code>ivr-configs/ivr-103.yaml</code>)</summary>\n\n"
        "```diff\n- timeout: 20\n+ timeout: 30\n```\n\n</details>\n"
    )


def test_one_field_changed_in_json(run_cli: RunCli, applied: list[dict[str, Any]]) -> None:
    write_ivr(CONFIGS, ivr_document(103, timeout=30))
    state = StateStore(STATE).load()

    result = run_cli("plan", "--format", "json")

    assert (result.exit_code, result.stderr) == (0, "")
    document = json.loads(result.stdout)
    desired = body_from_document(ivr_document(103, timeout=30))
    assert document == {
        "version": PLAN_FORMAT_VERSION,
        "ivrsync_version": document["ivrsync_version"],
        "lineage": state.lineage,
        "serial": state.serial,
        "partial": False,
        "targets": None,
        "summary": {"create": 0, "update": 1, "adopt": 0, "forget": 0, "unchanged": 4},
        "changes": [
            {
                "id": 103,
                "name": "IVR 103",
                "action": "update",
                "source": "ivr-configs/ivr-103.yaml",
                "fields": [{"field": "timeout", "before": 20, "after": 30}],
                "body": desired,
                "digest": digest_body(desired),
                "state_digest": state.entries[103].digest,
            }
        ],
        "unchanged": [
            {"id": i, "name": f"IVR {i}", "source": f"ivr-configs/ivr-{i}.yaml"}
            for i in (101, 102, 104, 105)
        ],
        "checksum": document_checksum(document),
    }


def _reordered_keys(document: dict[str, Any]) -> dict[str, Any]:
    return dict(reversed(list(document.items())))


def _reordered_menu(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "menu": list(reversed(document["menu"]))}


def _int_options(document: dict[str, Any]) -> dict[str, Any]:
    menu = [{**entry, "option": int(entry["option"])} for entry in document["menu"]]
    return {**document, "menu": menu}


@pytest.mark.parametrize(
    "rewrite",
    [lambda d: d, _reordered_keys, _reordered_menu, _int_options],
    ids=["as-applied", "keys-reordered", "menu-reordered", "int-options"],
)
def test_no_perpetual_diff(run_cli: RunCli, applied: list[dict[str, Any]], rewrite: Any) -> None:
    for document in applied:
        write_ivr(CONFIGS, rewrite(document))

    result = run_cli("plan", "--detailed-exitcode")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "No changes. 5 IVRs unchanged; the configs match the state.\n"


def test_int_options_really_are_written_as_ints(applied: list[dict[str, Any]]) -> None:
    # Guards the test above: the YAML must hold `option: 1`, not `option: '1'`.
    path = write_ivr(CONFIGS, _int_options(applied[0]))

    assert "option: 1\n" in path.read_text(encoding="utf-8")


def test_adding_a_file_plans_an_adopt(run_cli: RunCli, applied: list[dict[str, Any]]) -> None:
    write_ivr(CONFIGS, ivr_document(106))

    result = run_cli("plan", "--detailed-exitcode", "--format", "json")

    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert [(c["id"], c["action"], c["state_digest"]) for c in document["changes"]] == [
        (106, "adopt", None)
    ]
    assert document["changes"][0]["body"] == body_from_document(ivr_document(106))


def test_deleting_a_file_plans_a_forget(run_cli: RunCli, applied: list[dict[str, Any]]) -> None:
    (CONFIGS / "ivr-102.yaml").unlink()

    result = run_cli("plan", "--detailed-exitcode")

    assert result.exit_code == 2
    assert result.stdout == (
        '- IVR 102 "IVR 102" (ivr-configs/ivr-102.yaml) will be forgotten\n'
        "    will be removed from the state only; the IVR stays in Smartflo untouched"
        " (no API call)\n"
        "\n"
        "Plan: 0 to create, 0 to update, 0 to adopt, 1 to forget, 4 unchanged.\n"
    )


def test_changes_exit_0_without_detailed_exitcode(
    run_cli: RunCli, applied: list[dict[str, Any]]
) -> None:
    write_ivr(CONFIGS, ivr_document(106))

    assert run_cli("plan").exit_code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"version": 1, "ivrs": ', "is not valid JSON"),
        (b"\xff\xfe", "is not UTF-8 text"),
    ],
    ids=["truncated-json", "binary"],
)
def test_corrupt_state_is_a_clear_error_and_stays_unchanged(
    run_cli: RunCli, applied: list[dict[str, Any]], content: bytes, message: str
) -> None:
    STATE.write_bytes(content)

    result = run_cli("plan", "--detailed-exitcode")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"error: the state file {STATE} is corrupt: it {message}")
    assert "hint: " in result.stderr
    assert STATE.read_bytes() == content


def test_plan_never_writes_the_state(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_ivr(CONFIGS, ivr_document(101))

    result = run_cli("plan", "--detailed-exitcode")

    assert result.exit_code == 2
    assert (
        "Plan: 0 to create, 0 to update, 1 to adopt, 0 to forget, 0 unchanged.\n" in result.stdout
    )
    # The cache of checked files is all it leaves (tests/test_cache_cli.py); never a state.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ivrsync", "ivr-configs"]
    assert [p.name for p in (tmp_path / ".ivrsync").iterdir()] == ["cache"]


def test_target_makes_a_partial_plan(run_cli: RunCli, applied: list[dict[str, Any]]) -> None:
    write_ivr(CONFIGS, ivr_document(101, timeout=5))
    write_ivr(CONFIGS, ivr_document(103, timeout=30))
    (CONFIGS / "ivr-105.yaml").unlink()

    result = run_cli("plan", "--target", "103", "--target", "105", "--detailed-exitcode")

    notice = (
        "Partial plan: only IVRs 103, 105 (--target). "
        "Other IVRs were not compared and may have changes too.\n"
    )
    assert result.exit_code == 2
    assert result.stdout == (
        f"{notice}\n"
        '~ IVR 103 "IVR 103" (ivr-configs/ivr-103.yaml) will be updated\n'
        "    ~ timeout: 20 -> 30\n"
        "\n"
        '- IVR 105 "IVR 105" (ivr-configs/ivr-105.yaml) will be forgotten\n'
        "    will be removed from the state only; the IVR stays in Smartflo untouched"
        " (no API call)\n"
        "\n"
        "Plan: 0 to create, 1 to update, 0 to adopt, 1 to forget, 0 unchanged.\n"
        f"{notice}"
    )


def test_target_json_is_marked_partial(run_cli: RunCli, applied: list[dict[str, Any]]) -> None:
    result = run_cli("plan", "--target", "104", "--format", "json", "--detailed-exitcode")

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert (document["partial"], document["targets"], document["summary"]) == (
        True,
        [104],
        {"create": 0, "update": 0, "adopt": 0, "forget": 0, "unchanged": 1},
    )


def test_unknown_target_is_an_error(run_cli: RunCli, applied: list[dict[str, Any]]) -> None:
    result = run_cli("plan", "--target", "999")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: --target 999: no IVR with this id in the configs or the state\n"
        "hint: target the `id` of an IVR file, or of an IVR listed by `ivrsync state list`\n"
    )


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_out_saves_a_plan_that_loads_back(
    run_cli: RunCli, applied: list[dict[str, Any]], output_format: str
) -> None:
    write_ivr(CONFIGS, ivr_document(103, timeout=30))
    write_ivr(CONFIGS, ivr_document(106))

    result = run_cli("plan", "--out", "plan.json", "--format", output_format)

    assert result.exit_code == 0
    assert result.stderr == (
        "Saved the plan to plan.json; apply it with `ivrsync apply plan.json`.\n"
    )
    saved = load_plan(Path("plan.json"))
    assert [(c.id, c.action) for c in saved.changes] == [(103, "update"), (106, "adopt")]
    assert saved.serial == StateStore(STATE).load().serial
    if output_format == "json":
        assert result.stdout == Path("plan.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("out", "what"),
    [
        (".ivrsync/state.json", "the state file"),
        ("./.ivrsync/../.ivrsync/state.json", "the state file"),
        (".ivrsync/state.json.journal", "the state journal"),
        (".ivrsync/state.json.lock", "the state lock"),
        ("ivr-configs/ivr-103.yaml", "an IVR file"),
    ],
    ids=["state", "state-other-spelling", "journal", "lock", "ivr-file"],
)
def test_out_never_overwrites_the_state_or_an_ivr_file(
    run_cli: RunCli, applied: list[dict[str, Any]], out: str, what: str
) -> None:
    write_ivr(CONFIGS, ivr_document(103, timeout=30))
    files = [STATE, CONFIGS / "ivr-103.yaml", Path(".ivrsync/state.json.journal")]
    before = {path: path.read_bytes() if path.exists() else None for path in files}

    result = run_cli("plan", "--out", out)

    assert (result.exit_code, result.stdout) == (1, "")
    assert f"error: --out {out} is {what}" in result.stderr
    assert {path: path.read_bytes() if path.exists() else None for path in files} == before


def test_invalid_configs_print_problems_and_no_plan(
    run_cli: RunCli, applied: list[dict[str, Any]]
) -> None:
    write_ivr(CONFIGS, ivr_document(103, timeout="soon"))

    result = run_cli("plan", "--format", "json", "--out", "plan.json", "--detailed-exitcode")

    assert (result.exit_code, result.stdout) == (1, "")
    assert "ivr-configs/ivr-103.yaml:" in result.stderr
    assert result.stderr.endswith(
        "error: the IVR configs have errors, so no plan was made\n"
        "hint: fix the problems listed above (`ivrsync validate` lists them too)\n"
    )
    assert not Path("plan.json").exists()


def test_warnings_go_to_stderr_and_the_plan_is_made(
    run_cli: RunCli, applied: list[dict[str, Any]]
) -> None:
    menu = [{"option": "1", "destination": "ivr|999"}]
    write_ivr(CONFIGS, ivr_document(103, menu=menu))

    result = run_cli("plan", "--format", "json")

    assert result.exit_code == 0
    assert "warning" in result.stderr
    assert "ivr|999 names no IVR in the config set" in result.stderr
    assert json.loads(result.stdout)["changes"][0]["fields"] == [
        {"field": "menu.1", "before": "extension|05047530002", "after": "ivr|999"},
        {"field": "menu.2", "before": "extension|845", "after": None},
    ]


def test_missing_config_dir_is_an_error(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run_cli("plan")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: config folder 'ivr-configs' does not exist\n")


def test_options_come_from_the_environment_too(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_ivr(Path("elsewhere"), ivr_document(7))
    Path("st.json").write_text("not json", encoding="utf-8")

    result = run_cli("plan", env={"IVRSYNC_CONFIG_DIR": "elsewhere", "IVRSYNC_STATE": "st.json"})

    assert result.exit_code == 1
    assert result.stderr.startswith("error: the state file st.json is corrupt")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("tty", "no_color_flag", "no_color_env", "expected"),
    [
        (True, False, None, True),
        (False, False, None, False),
        (True, True, None, False),
        (True, False, "1", False),
        (True, False, "", True),
    ],
    ids=["terminal", "pipe", "flag", "env", "empty-env-is-unset"],
)
def test_colour_only_on_a_terminal_without_opt_out(
    monkeypatch: pytest.MonkeyPatch,
    tty: bool,
    no_color_flag: bool,
    no_color_env: str | None,
    expected: bool,
) -> None:
    monkeypatch.setattr("sys.stdout", _Terminal() if tty else io.StringIO())
    if no_color_env is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color_env)

    assert use_color(no_color=no_color_flag) is expected
