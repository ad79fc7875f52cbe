"""The ivrsync GitHub Action (action.yml): its shape, its callers, and its steps run end to end.

The end-to-end tests run the action's own steps in order (tests/testing/actions.py plays the
runner): the real `ivrsync` of this checkout against the fake Smartflo server, the comment step
against a fake of the GitHub REST endpoints on 127.0.0.1, and the state commit against a local
bare repository, including one whose pre-receive hook refuses pushes to main with GitHub's own
protected-branch message.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ivrsync import __version__
from ivrsync.commands.init import WORKFLOWS, workflow_text
from ivrsync.fake_smartflo import FakeSmartflo, load_seed, sample_seed_path
from ivrsync.github import PROJECT_REPOSITORY
from tests.testing.actionlint import actionlint_command
from tests.testing.actions import CompositeRun, evaluate, run_composite
from tests.testing.github import BOT, REPO, TOKEN, FakeGitHub, serve_fake_github

ROOT = Path(__file__).resolve().parents[1]
ACTION_FILE = ROOT / "action.yml"
ACTION: dict[str, Any] = yaml.safe_load(ACTION_FILE.read_text(encoding="utf-8"))
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
SMARTFLO_TOKEN = "tok-action-3e9d1b77-never-print-me"
MARKER = "<!-- ivrsync-plan -->"
INSTALL = "Install ivrsync"  # pip-installs the action's source: the tests use this checkout's
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}
PROTECTED_HOOK = """#!/bin/sh
# GitHub's answer to a push to a protected branch, word for word.
while read -r old new ref; do
    echo "$ref" >> "$GIT_DIR/pushed-refs"
    if [ "$ref" = refs/heads/main ]; then
        echo "error: GH006: Protected branch update failed for refs/heads/main." >&2
        echo "error: Changes must be made through a pull request." >&2
        exit 1
    fi
done
"""


# --- the action's shape ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def actionlint() -> list[str]:
    return actionlint_command()


def test_the_action_is_composite_with_the_inputs_of_the_issue() -> None:
    inputs = ACTION["inputs"]

    assert ACTION["runs"]["using"] == "composite"
    assert {
        "command",
        "comment",
        "working-directory",
        "config-dir",
        "state",
        "python-version",
        "allow-mass-change",
        "drift",
        "ivrsync-version",
        "state-commit",
    } <= set(inputs)
    assert [name for name, spec in inputs.items() if spec.get("required")] == ["command"]
    assert all(spec.get("description") for spec in inputs.values())
    assert inputs["drift"]["default"] == "refuse"
    assert set(ACTION["outputs"]) == {"exit-code", "changes", "drift", "report"}


def test_the_action_installs_its_own_version_unless_told_otherwise() -> None:
    install = next(step for step in ACTION["runs"]["steps"] if step.get("name") == INSTALL)

    assert install["env"] == {
        "REQUIREMENT": "${{ inputs.ivrsync-version }}",
        "ACTION_PATH": "${{ github.action_path }}",
    }
    assert '"${REQUIREMENT:-$ACTION_PATH}"' in install["run"]


def test_the_actions_it_uses_are_pinned_like_the_workflows() -> None:
    used = [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step]
    workflow_pins = {
        line.split("uses:")[1].split("#")[0].strip()
        for path in WORKFLOWS_DIR.glob("*.yml")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "uses:" in line and "@" in line
    }

    pinned_names = {pin.split("@")[0] for pin in workflow_pins}
    shared = {uses for uses in used if uses.split("@")[0] in pinned_names}

    assert used
    assert all(PINNED.match(uses) for uses in used), used
    # actions/cache is the action's alone; those both use are pinned to the same commit.
    assert shared <= workflow_pins, "the same commit of each action as the workflows pin"
    assert {uses.split("@")[0] for uses in used} - pinned_names == {"actions/cache"}


def test_no_expression_is_spliced_into_a_script() -> None:
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
        assert step.get("shell", "bash") == "bash"


@pytest.mark.node
def test_actionlint_passes_on_the_actions_steps(actionlint: list[str], tmp_path: Path) -> None:
    """actionlint reads workflows, not actions: the steps go into a workflow whose dispatch
    inputs are the action's inputs, so every expression, step id and output is checked."""
    workflow = {
        "on": {
            "workflow_dispatch": {
                "inputs": {
                    name: {"description": spec["description"], "type": "string"}
                    for name, spec in ACTION["inputs"].items()
                }
            }
        },
        "permissions": {},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": ACTION["runs"]["steps"]}},
    }
    path = tmp_path / "action-steps.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")

    result = subprocess.run([*actionlint, str(path)], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout


def _callers() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every step that uses this action: this repository's workflows and init's."""
    texts = {path.name: path.read_text(encoding="utf-8") for path in WORKFLOWS_DIR.glob("*.yml")}
    texts |= {f"init:{name}": workflow_text(name, "main", "push") for name in WORKFLOWS}
    for name, text in sorted(texts.items()):
        for job in yaml.safe_load(text)["jobs"].values():
            for step in job.get("steps", []):
                uses = step.get("uses", "")
                if uses == "./" or uses.startswith(f"{PROJECT_REPOSITORY}@"):
                    yield name, step


def test_every_caller_passes_only_inputs_the_action_declares() -> None:
    callers = list(_callers())
    declared = ACTION["inputs"]
    choices = {
        "command": {"plan", "apply", "drift", "validate", "test"},
        "drift": {"refuse", "warn", "overwrite"},
        "state-commit": {"push", "pull-request", "none"},
    }

    assert {name for name, _ in callers} == {
        "apply.yml",
        "drift.yml",
        "plan.yml",
        *(f"init:{name}" for name in WORKFLOWS),
    }
    for name, step in callers:
        given = step.get("with", {})
        assert set(given) <= set(declared), name
        assert "command" in given, name
        for key, allowed in choices.items():
            value = str(given.get(key, declared[key].get("default", "")))
            assert "${{" in value or value in allowed, (name, key, value)


def test_init_workflows_use_this_versions_action_and_this_repository_uses_its_own() -> None:
    for name in WORKFLOWS:
        own = (WORKFLOWS_DIR / name.removeprefix("ivrsync-")).read_text(encoding="utf-8")
        generated = workflow_text(name, "main", "push")

        assert f"uses: {PROJECT_REPOSITORY}@v{__version__}\n" in generated
        assert own == workflow_text(name, "main", "push", action="./"), name


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("inputs.branch || github.default", "main"),
        ("inputs.command == 'PLAN' && inputs.comment == 'true'", True),
        ("!inputs.missing", True),
        ("github.number && github.repo == 'acme/ivrs'", True),
        ("(inputs.command != 'plan') || false", False),
    ],
)
def test_the_test_runner_reads_expressions_as_github_does(expression: str, expected: Any) -> None:
    context = {
        "inputs": {"branch": "", "command": "plan", "comment": "true"},
        "github": {"default": "main", "number": 7, "repo": "acme/ivrs"},
    }

    assert evaluate(expression, context) == expected


# --- end to end -----------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve_fake_github() as fake:
        yield fake


@pytest.fixture
def smartflo() -> Iterator[FakeSmartflo]:
    with FakeSmartflo(ivrs=load_seed(sample_seed_path()).ivrs, token=SMARTFLO_TOKEN) as fake:
        yield fake


@pytest.fixture
def repository(tmp_path: Path) -> tuple[Path, Path]:
    """(origin, checkout): a bare origin holding the example configs on main, and a clone."""
    seed = tmp_path / "seed"
    shutil.copytree(ROOT / "ivr-configs", seed / "ivr-configs")
    shutil.copytree(ROOT / "schemas", seed / "schemas")
    git(seed, "init", "-q")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "IVRs")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(origin), str(checkout))
    return origin, checkout


def _run_action(
    workspace: Path,
    tmp_path: Path,
    *,
    inputs: dict[str, str],
    event: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> CompositeRun:
    runner_temp = tmp_path / f"runner-{len(list(tmp_path.glob('runner-*')))}"
    runner_temp.mkdir()
    github_context = {
        "action_path": str(ROOT),
        "token": TOKEN,
        "repository": REPO,
        "server_url": "https://github.example",
        "run_id": "99",
        "run_attempt": "1",
        "sha": "0123456789abcdef",
        "event": event or {"repository": {"default_branch": "main"}},
    }
    base_env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        **{k: v for k, v in GIT_ENV.items() if not k.startswith("GIT_AUTHOR")},
    }
    for name in ("GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        base_env.pop(name)  # commit_state.sh's bot identity applies
    return run_composite(
        ACTION,
        inputs=inputs,
        github=github_context,
        workspace=workspace,
        runner_temp=runner_temp,
        env=base_env | (env or {}),
        skip=(INSTALL,),
    )


def _pull_request(number: int = 7, head_repo: str = REPO) -> dict[str, Any]:
    return {
        "pull_request": {
            "number": number,
            "head": {"sha": "feedface", "repo": {"full_name": head_repo}},
        },
        "repository": {"default_branch": "main"},
    }


def test_plan_on_a_pull_request_comments_once_and_keeps_the_plan(
    repository: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    _, checkout = repository
    env = {"GITHUB_API_URL": github.url}
    inputs = {"command": "plan"}

    first = _run_action(checkout, tmp_path, inputs=inputs, event=_pull_request(), env=env)
    second = _run_action(checkout, tmp_path, inputs=inputs, event=_pull_request(), env=env)

    for run in (first, second):
        assert not run.failed, run.stdout + run.stderr
        assert run.step("ivrsync plan").outputs["changes"] == "true"
    comments = github.bodies(7)
    assert len(comments) == 1
    author, body = comments[0]
    assert author == BOT
    assert body.startswith(MARKER)
    assert "| 0 | 5 | 0 | 0 |" in body
    assert "For feedface, from [this run](https://github.example/acme/ivrs/actions/runs/99)" in body
    assert "adopt <b>IVR 4101</b>" in second.summary
    assert second.step("Pull-request comment").stdout.startswith("updated comment ")
    artifact = second.step("Keep the results as an artifact")
    assert artifact.with_["name"] == "ivrsync-plan-99-1"
    assert sorted(p.name for p in Path(artifact.with_["path"]).iterdir()) == [
        "plan.json",
        "plan.md",
    ]
    assert TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr


def test_an_invalid_push_annotates_and_replaces_the_plan_comment(
    repository: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    _, checkout = repository
    github.add(7, f"{MARKER}\nPlan: 4 to adopt (the last push)", BOT)
    (checkout / "ivr-configs" / "main-menu.yaml").write_text("id: 4101\ntimeout: ten\n")

    run = _run_action(
        checkout,
        tmp_path,
        inputs={"command": "plan"},
        event=_pull_request(),
        env={"GITHUB_API_URL": github.url},
    )

    assert run.failed
    assert "::error file=ivr-configs/main-menu.yaml,line=" in run.step("ivrsync plan").stdout
    [(_, body)] = github.bodies(7)
    assert "### ivrsync: no plan" in body
    assert "the last push" not in body


def test_a_pull_request_from_a_fork_gets_no_comment(
    repository: tuple[Path, Path], github: FakeGitHub, tmp_path: Path
) -> None:
    _, checkout = repository

    run = _run_action(
        checkout,
        tmp_path,
        inputs={"command": "plan"},
        event=_pull_request(head_repo="stranger/ivrs"),
        env={"GITHUB_API_URL": github.url},
    )

    assert not run.failed
    assert run.step("Pull-request comment").outcome == "skipped"
    assert github.requests == []
    assert "| 0 | 5 | 0 | 0 |" in run.summary


def _apply_env(smartflo: FakeSmartflo) -> dict[str, str]:
    return {"SMARTFLO_API_TOKEN": SMARTFLO_TOKEN, "SMARTFLO_BASE_URL": smartflo.url}


def test_apply_sends_the_changes_and_commits_the_state_back(
    repository: tuple[Path, Path], smartflo: FakeSmartflo, tmp_path: Path
) -> None:
    origin, checkout = repository

    run = _run_action(checkout, tmp_path, inputs={"command": "apply"}, env=_apply_env(smartflo))

    assert not run.failed, run.stdout + run.stderr
    assert sorted(r.ivr_id for r in smartflo.puts()) == [4101, 4102, 4103, 4104, 4105]
    log = git(origin, "log", "-1", "--format=%an%n%s", "main").splitlines()
    assert log == [BOT, "ivrsync: record applied state [skip ci]"]
    assert '"4101"' in git(origin, "show", "main:.ivrsync/state.json")
    artifact = Path(run.step("Keep the results as an artifact").with_["path"])
    assert (artifact / "state" / "state.json").is_file()
    assert SMARTFLO_TOKEN not in run.stdout + run.stderr + run.summary


def _adopt_everything(checkout: Path, smartflo: FakeSmartflo, tmp_path: Path) -> None:
    first = _run_action(checkout, tmp_path, inputs={"command": "apply"}, env=_apply_env(smartflo))
    assert not first.failed, first.stdout + first.stderr
    smartflo.reset_requests()


@pytest.mark.parametrize("drift", ["refuse", "warn", "overwrite"])
def test_apply_after_a_portal_edit_does_what_the_drift_input_says(
    repository: tuple[Path, Path], smartflo: FakeSmartflo, tmp_path: Path, drift: str
) -> None:
    _, checkout = repository
    _adopt_everything(checkout, smartflo, tmp_path)
    git(checkout, "pull", "-q")
    main_menu = checkout / "ivr-configs" / "main-menu.yaml"
    main_menu.write_text(main_menu.read_text().replace("timeout: 10", "timeout: 12"))
    smartflo.edit_ivr(4101, timeout=15)  # someone edits the same IVR in the portal

    run = _run_action(
        checkout, tmp_path, inputs={"command": "apply", "drift": drift}, env=_apply_env(smartflo)
    )

    sent = [r.ivr_id for r in smartflo.puts()]
    step = run.step("ivrsync apply")
    if drift == "refuse":
        assert run.failed
        assert sent == []
        assert "::error title=Apply refused: the portal drifted::" in step.stdout
        assert run.step("Commit the state back").outcome == "skipped"
    else:
        assert not run.failed, step.stdout + step.stderr
        assert sent == [4101]
        assert ("::warning title=Portal changes overwritten::" in step.stdout) == (drift == "warn")
    assert ("<!-- ivrsync-drift -->" in run.summary) == (drift != "overwrite")


@pytest.fixture
def protected(repository: tuple[Path, Path]) -> tuple[Path, Path]:
    origin, checkout = repository
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(PROTECTED_HOOK, encoding="utf-8")
    hook.chmod(0o755)
    return origin, checkout


def test_apply_to_a_protected_branch_fails_at_once_and_keeps_the_state_on_a_branch(
    protected: tuple[Path, Path], smartflo: FakeSmartflo, tmp_path: Path
) -> None:
    origin, checkout = protected

    run = _run_action(checkout, tmp_path, inputs={"command": "apply"}, env=_apply_env(smartflo))

    commit = run.step("Commit the state back")
    assert commit.outcome == "failure"
    assert "::error title=main is protected::" in commit.stderr
    assert "state-commit: pull-request" in commit.stderr
    assert "rebasing" not in commit.stdout, "a refusal is not a race: no retry"
    pushed = (origin / "pushed-refs").read_text().split()
    assert pushed[0] == "refs/heads/main"
    assert len(pushed) == 2
    assert pushed[1].startswith("refs/heads/ivrsync-state/")
    assert '"4101"' in git(
        origin, "show", f"{pushed[1].removeprefix('refs/heads/')}:.ivrsync/state.json"
    )
    assert len(smartflo.puts()) == 5, "the apply itself succeeded"


def test_apply_with_state_commit_pull_request_opens_one(
    protected: tuple[Path, Path], smartflo: FakeSmartflo, tmp_path: Path
) -> None:
    origin, checkout = protected
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "gh-calls"
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\necho "GH_TOKEN=$GH_TOKEN $*" >> {calls}\n', encoding="utf-8")
    gh.chmod(0o755)
    path = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]])
    env = _apply_env(smartflo) | {"PATH": path}

    run = _run_action(
        checkout, tmp_path, inputs={"command": "apply", "state-commit": "pull-request"}, env=env
    )

    assert not run.failed, run.stdout + run.stderr
    pushed = (origin / "pushed-refs").read_text().split()
    assert len(pushed) == 1
    assert pushed[0].startswith("refs/heads/ivrsync-state/")
    branch = pushed[0].removeprefix("refs/heads/")
    create, merge = calls.read_text().splitlines()
    assert create.startswith(f"GH_TOKEN={TOKEN} pr create --base main --head {branch} ")
    assert merge == f"GH_TOKEN={TOKEN} pr merge --auto --squash {branch}"
