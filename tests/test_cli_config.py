"""`ivrsync config` and settings through the CLI: origins, precedence, errors, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.testing.cli import RunCli
from tests.testing.documents import ivr_document, write_ivr

SECRET = "tok-config-9f2e-never-printed"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def origins(run_cli: RunCli, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    result = run_cli(*args, "config", "--format", "json", env=env)
    assert result.exit_code == 0, result.stderr
    return {row["name"]: row["origin"] for row in json.loads(result.stdout)["settings"]}


def test_config_shows_each_origin_and_no_secret(run_cli: RunCli, project: Path) -> None:
    (project / "ivrsync.toml").write_text(
        '# team settings\n[smartflo]\ntimeout = 5\nseparator = "||"\n', "utf-8"
    )
    env = {"SMARTFLO_BASE_URL": "http://127.0.0.1:9", "SMARTFLO_API_TOKEN": SECRET}

    result = run_cli("config", env=env)

    assert result.exit_code == 0
    assert SECRET not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# settings file: ivrsync.toml"
    assert any(x.startswith("smartflo.timeout = 5.0 ") and x.endswith("# file ivrsync.toml:3")
               for x in lines)  # fmt: skip
    assert any(x.endswith("# env SMARTFLO_BASE_URL") for x in lines)
    assert any(x.startswith('smartflo.token_env = "SMARTFLO_API_TOKEN"') for x in lines)
    assert any(x.startswith("apply.canary = true ") and x.endswith("# default") for x in lines)


def test_flag_beats_env_beats_file_beats_default(run_cli: RunCli, project: Path) -> None:
    (project / "ivrsync.toml").write_text('[paths]\nstate = "from-file.json"\n', "utf-8")
    write_ivr(project / "ivr-configs", ivr_document(1))

    assert origins(run_cli)["paths.state"] == "file ivrsync.toml:2"
    env = {"IVRSYNC_STATE": "from-env.json"}
    assert origins(run_cli, env=env)["paths.state"] == "env IVRSYNC_STATE"
    (project / "ivrsync.toml").unlink()
    assert origins(run_cli)["paths.state"] == "default"
    # A flag wins over the environment in a real command: the plan reads that state.
    (project / "flag.json").write_text("not json", "utf-8")
    result = run_cli("plan", "--state", "flag.json", env=env)
    assert result.exit_code == 1
    assert "flag.json" in result.stderr


def test_an_unknown_key_names_file_line_and_key_with_a_suggestion(
    run_cli: RunCli, project: Path
) -> None:
    (project / "ivrsync.toml").write_text("[apply]\ncanary = true\nparalelism = 4\n", "utf-8")

    result = run_cli("plan")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: ivrsync.toml:3: unknown key `paralelism` in [apply]\n"
        "hint: did you mean `parallelism`?\n"
    )


def test_a_wrong_type_names_file_line_and_key(run_cli: RunCli, project: Path) -> None:
    (project / "ivrsync.toml").write_text('[smartflo]\ntimeout = "fast"\n', "utf-8")

    result = run_cli("validate")

    assert result.exit_code == 1
    assert "ivrsync.toml:2" in result.stderr
    assert "timeout" in result.stderr
    assert "'fast'" in result.stderr or '"fast"' in result.stderr


def test_settings_are_found_from_a_sub_folder_and_paths_are_the_files(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "ivrsync.toml").write_text("[paths]\n", "utf-8")
    write_ivr(project / "ivr-configs", ivr_document(7))
    (project / "ivr-configs" / "deeper").mkdir()
    monkeypatch.chdir(project / "ivr-configs" / "deeper")

    result = run_cli("validate")

    assert result.exit_code == 0, result.stderr
    assert "checked 1 file" in result.stdout


def test_an_explicit_settings_file_that_does_not_exist_is_an_error(
    run_cli: RunCli, project: Path
) -> None:
    result = run_cli("--config", "missing.toml", "plan")

    assert result.exit_code == 1
    assert "missing.toml" in result.stderr


FIRST_CONTACT = "warning: the API dialect (separator, auth_scheme, recordings) is not confirmed"


@pytest.mark.parametrize("command", ["apply", "import"])
def test_first_contact_with_a_real_account_warns_until_the_dialect_is_set(
    run_cli: RunCli, project: Path, command: str
) -> None:
    write_ivr(project / "ivr-configs", ivr_document(1))
    env = {"SMARTFLO_API_TOKEN": SECRET, "SMARTFLO_BASE_URL": "https://smartflo.invalid"}
    args = [command, "--retries", "0"] + (["--auto-approve"] if command == "apply" else [])

    unconfirmed = run_cli(*args, env=env)
    (project / "ivrsync.toml").write_text(
        '[smartflo]\nseparator = "|"\nauth_scheme = "bearer"\nrecordings = "swapped"\n', "utf-8"
    )
    confirmed = run_cli(*args, env=env)

    assert unconfirmed.exit_code == 1  # the host does not exist: the warning came first
    assert FIRST_CONTACT in unconfirmed.stderr
    assert "ivrsync probe --ivr ID --write" in unconfirmed.stderr
    assert confirmed.exit_code == 1
    assert FIRST_CONTACT not in confirmed.stderr


def test_the_fake_server_on_loopback_is_no_first_contact(run_cli: RunCli, project: Path) -> None:
    write_ivr(project / "ivr-configs", ivr_document(1))
    env = {"SMARTFLO_API_TOKEN": SECRET, "SMARTFLO_BASE_URL": "http://127.0.0.1:9"}

    result = run_cli("apply", "--auto-approve", "--retries", "0", env=env)

    assert result.exit_code == 1
    assert FIRST_CONTACT not in result.stderr


def test_without_settings_a_sub_folder_uses_the_repository_roots_folders(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_ivr(project / "ivr-configs", ivr_document(5))
    (project / "docs" / "deep").mkdir(parents=True)
    monkeypatch.chdir(project / "docs" / "deep")

    planned = run_cli("plan")
    shown = origins(run_cli)

    assert planned.exit_code == 0, planned.stderr
    assert "Plan: 0 to create, 0 to update, 1 to adopt" in planned.stdout
    assert shown["paths.config_dir"] == "default"
