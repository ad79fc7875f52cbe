"""The GitOps loop rehearsed with real git repositories and the fake Smartflo server.

`origin` is a bare repository standing in for GitHub. Each step runs where its workflow would: a
developer's clone, the pull-request job's checkout, the apply job's checkout of the default branch.
The commands are the real `ivrsync` CLI in a subprocess (as the workflows call it) and the apply
workflow's own commit-back script, .github/scripts/commit_state.sh.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ivrsync.fake_smartflo import (
    FakeSmartflo,
    FaultConfig,
    ScriptedFault,
    load_seed,
    sample_seed_path,
)

ROOT = Path(__file__).resolve().parents[1]
COMMIT_STATE = ROOT / ".github" / "scripts" / "commit_state.sh"
TOKEN = "gitops-loop-token-4f1c9e"
BOT = "github-actions[bot]"
MARKER = "<!-- ivrsync-plan -->"
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Asha Dev",
    "GIT_AUTHOR_EMAIL": "asha@example.com",
    "GIT_COMMITTER_NAME": "Asha Dev",
    "GIT_COMMITTER_EMAIL": "asha@example.com",
}


def _clean_env() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SMARTFLO_", "IVRSYNC_", "GIT_", "NO_COLOR"))
    }


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=_clean_env() | GIT_ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def ivrsync(cwd: Path, *args: str, fake: FakeSmartflo | None = None) -> Run:
    """`ivrsync ARGS` in `cwd`, as a workflow step runs it; with `fake`, its URL and token."""
    env = _clean_env() | {"PYTHONPATH": str(ROOT)}
    if fake is not None:
        env |= {"SMARTFLO_BASE_URL": fake.url, "SMARTFLO_API_TOKEN": TOKEN}
    result = subprocess.run(
        [sys.executable, "-m", "ivrsync", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert TOKEN not in result.stdout + result.stderr
    return Run(result.returncode, result.stdout, result.stderr)


def commit_state_back(checkout: Path) -> subprocess.CompletedProcess[str]:
    """The apply workflow's last step: commit .ivrsync/ to main as the bot, push (with retries)."""
    return subprocess.run(
        ["bash", str(COMMIT_STATE), ".ivrsync", "main"],
        cwd=checkout,
        env=_clean_env() | {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
        capture_output=True,
        text=True,
    )


def checkout(origin: Path, where: Path, branch: str = "main") -> Path:
    """A fresh clone at `branch`, as actions/checkout gives a job."""
    git(origin.parent, "clone", "-q", "--branch", branch, str(origin), str(where))
    return where


def set_field(path: Path, **fields: Any) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document.update(fields)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def plan_json(repo: Path) -> dict[str, Any]:
    run = ivrsync(repo, "plan", "--format", "json")
    assert run.code == 0, run.stderr
    document: dict[str, Any] = json.loads(run.stdout)
    return document


@pytest.fixture
def fake() -> Iterator[FakeSmartflo]:
    """The Smartflo account: the documented sample, which holds the example IVRs 4101-4105."""
    with FakeSmartflo(ivrs=load_seed(sample_seed_path()).ivrs, token=TOKEN) as server:
        yield server


@pytest.fixture
def origin(tmp_path: Path, fake: FakeSmartflo) -> Path:
    """A team's repository on 'GitHub': the example configs, adopted once, state committed."""
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q")
    shutil.copytree(ROOT / "ivr-configs", seed / "ivr-configs")
    (seed / ".gitignore").write_text(".ivrsync/*.lock\n", encoding="utf-8")
    first = ivrsync(seed, "apply", "--auto-approve", fake=fake)
    assert first.code == 0, first.stderr
    assert (seed / ".ivrsync" / "state.json").is_file()
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "Manage the IVRs with ivrsync")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    fake.reset_requests()
    return bare


def test_a_reviewed_change_is_planned_merged_applied_and_recorded(
    origin: Path, fake: FakeSmartflo, tmp_path: Path
) -> None:
    state_before = git(origin, "show", "main:.ivrsync/state.json")

    # A developer changes one IVR on a branch and pushes it.
    dev = checkout(origin, tmp_path / "dev")
    git(dev, "switch", "-q", "-c", "support-timeout")
    set_field(dev / "ivr-configs" / "teams" / "support.yaml", timeout=25)
    git(dev, "commit", "-q", "-am", "Support IVR: wait 25 s for a key")
    git(dev, "push", "-q", "origin", "support-timeout")

    # The pull-request job: validate, then the plan shows exactly that change.
    pr = checkout(origin, tmp_path / "pr", branch="support-timeout")
    assert ivrsync(pr, "validate", "--format", "github").code == 0
    plan = plan_json(pr)
    assert plan["summary"] == {"create": 0, "update": 1, "adopt": 0, "forget": 0, "unchanged": 4}
    [change] = plan["changes"]
    assert (change["id"], change["action"], change["source"]) == (
        4103,
        "update",
        "ivr-configs/teams/support.yaml",
    )
    assert change["fields"] == [{"field": "timeout", "before": 15, "after": 25}]
    markdown = ivrsync(pr, "plan", "--format", "markdown", "--out", "plan.json")
    assert markdown.code == 0, markdown.stderr
    assert MARKER in markdown.stdout
    assert "4103" in markdown.stdout
    assert "4101" not in markdown.stdout
    assert ivrsync(pr, "plan", "--detailed-exitcode").code == 2
    assert fake.requests == [], "a plan never talks to Smartflo"

    # The branch is merged.
    git(dev, "switch", "-q", "main")
    git(dev, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "support-timeout")
    git(dev, "push", "-q", "origin", "main")

    # The apply job: checkout of main, apply, commit the state back.
    job = checkout(origin, tmp_path / "apply-job")
    applied = ivrsync(job, "apply", "--auto-approve", fake=fake)
    assert applied.code == 0, applied.stderr
    assert [(put.method, put.path) for put in fake.puts()] == [("PUT", "/v1/ivr/4103")]
    assert fake.puts()[0].body["timeout"] == 25
    pushed = commit_state_back(job)
    assert pushed.returncode == 0, pushed.stderr

    # On main: the bot's commit records the state; nothing else changed; a plan is empty.
    log = git(origin, "log", "-1", "--format=%an%n%s", "--name-only", "main").splitlines()
    assert log[0] == BOT
    assert "[skip ci]" in log[1]
    assert [line for line in log[2:] if line] == [".ivrsync/state.json"]
    state_after = json.loads(git(origin, "show", "main:.ivrsync/state.json"))
    assert state_after["ivrs"]["4103"]["body"]["timeout"] == 25
    assert state_after["serial"] > json.loads(state_before)["serial"]
    result = checkout(origin, tmp_path / "after")
    assert plan_json(result)["summary"] == {
        "create": 0,
        "update": 0,
        "adopt": 0,
        "forget": 0,
        "unchanged": 5,
    }
    assert ivrsync(result, "plan", "--detailed-exitcode").code == 0
    assert ivrsync(result, "drift", "--detailed-exitcode", fake=fake).code == 0


def test_a_failed_apply_still_commits_what_succeeded_and_a_rerun_sends_the_rest(
    origin: Path, fake: FakeSmartflo, tmp_path: Path
) -> None:
    dev = checkout(origin, tmp_path / "dev")
    set_field(dev / "ivr-configs" / "teams" / "sales.yaml", timeout=12)
    set_field(dev / "ivr-configs" / "teams" / "support.yaml", timeout=18)
    git(dev, "commit", "-q", "-am", "Sales and support: new timeouts")
    git(dev, "push", "-q", "origin", "main")
    # Smartflo refuses the sales IVR once (a 400 is not retried).
    fake.set_faults(
        FaultConfig(script=(ScriptedFault(method="PUT", ivr_id=4102, kind="success_false_400"),))
    )

    job = checkout(origin, tmp_path / "apply-job")
    # Without the canary (which would stop the run at the refused first IVR): this test is about
    # a partial success reaching the repository.
    failed = ivrsync(job, "apply", "--auto-approve", "--no-canary", fake=fake)
    pushed = commit_state_back(job)  # `if: always()`: runs although the apply failed

    assert failed.code == 1
    assert pushed.returncode == 0, pushed.stderr
    state = json.loads(git(origin, "show", "main:.ivrsync/state.json"))
    assert state["ivrs"]["4103"]["body"]["timeout"] == 18, "the acknowledged update is recorded"
    assert state["ivrs"]["4102"]["body"]["timeout"] != 12, "the refused one is still pending"

    # The next run (a re-run, or the next merge) sends only what is still pending.
    fake.set_faults(None)
    fake.reset_requests()
    rerun_job = checkout(origin, tmp_path / "rerun-job")
    rerun = ivrsync(rerun_job, "apply", "--auto-approve", fake=fake)
    assert rerun.code == 0, rerun.stderr
    assert [put.path for put in fake.puts()] == ["/v1/ivr/4102"]
    assert commit_state_back(rerun_job).returncode == 0
    assert ivrsync(checkout(origin, tmp_path / "after"), "plan", "--detailed-exitcode").code == 0
