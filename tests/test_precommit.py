"""The pre-commit hook that IVR repositories use (.pre-commit-hooks.yaml), installed as they would.

`pre-commit try-repo` pip-installs this project into a fresh environment (from PyPI, so this test
needs the network to PyPI) and runs the hook in another repository: a team's, holding the example
configs. The hook repository is a snapshot of this working tree, committed, so uncommitted edits
are tested and the environment is built once for both runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


def _run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)


def _commit_all(repo: Path, env: dict[str, str]) -> None:
    for args in (
        ("git", "-c", "init.defaultBranch=main", "init", "-q"),
        ("git", "add", "-A"),
        ("git", "commit", "-q", "-m", "snapshot"),
    ):
        subprocess.run(args, cwd=repo, env=env, check=True)


@pytest.mark.network
def test_try_repo_ivrsync_validate_passes_on_the_examples_and_fails_on_a_bad_file(
    tmp_path: Path,
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("IVRSYNC_", "SMARTFLO_", "PRE_COMMIT", "GIT_"))
    }
    env |= GIT_ENV | {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    # The hook repository: this working tree's files (tracked, or new and not ignored), committed.
    hooks_repo = tmp_path / "ivrsync"
    listed = _run(ROOT, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in sorted(set(filter(None, listed.stdout.split("\0")))):
        if (ROOT / name).is_file():
            (hooks_repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, hooks_repo / name)
    _commit_all(hooks_repo, env)
    # A team's IVR repository with the example configs.
    team = tmp_path / "team"
    shutil.copytree(ROOT / "ivr-configs", team / "ivr-configs")
    (team / "README.md").write_text("not an IVR\n", encoding="utf-8")
    _commit_all(team, env)
    try_repo = (sys.executable, "-m", "pre_commit", "try-repo", str(hooks_repo), "ivrsync-validate")

    passing = _run(team, *try_repo, "--all-files", env=env)

    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "ivrsync validate" in passing.stdout
    assert "Passed" in passing.stdout

    # A second IVR with an id already used by the main menu, and a timeout of the wrong type.
    main_menu = yaml.safe_load(
        (team / "ivr-configs" / "main-menu.yaml").read_text(encoding="utf-8")
    )
    clash = team / "ivr-configs" / "clash.yaml"
    clash.write_text(yaml.safe_dump(main_menu | {"timeout": "ten"}), encoding="utf-8")
    subprocess.run(("git", "add", "-A"), cwd=team, env=env, check=True)

    failing = _run(team, *try_repo, "--all-files", env=env)

    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "Failed" in failing.stdout
    assert "ivr-configs/clash.yaml" in failing.stdout
    assert "timeout" in failing.stdout
    assert "4101" in failing.stdout  # the id clash across files
