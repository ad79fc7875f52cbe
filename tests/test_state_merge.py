"""Two branches both applied: a conflicted state file is recognised, and `state merge` merges
two states of one lineage (per IVR, the later apply wins), from files or from git's index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ivrsync.body import digest_body
from ivrsync.errors import StateError
from ivrsync.model import State, StateEntry
from ivrsync.state import merge_states, render_state_document
from tests.testing.cli import RunCli
from tests.testing.documents import ivr_document, write_ivr
from tests.testing.state import LINEAGE, body_of, entry_of

OTHER_LINEAGE = "7d2e9c4a-0f1b-4e7a-9c3d-5b6a7e8f9a0b"


def entry(ivr_id: int, at: str, timeout: int = 20) -> StateEntry:
    body = body_of(ivr_id) | {"timeout": timeout}
    return replace(entry_of(ivr_id), body=body, digest=digest_body(body), applied_at=at)


def state(serial: int, *entries: StateEntry, lineage: str = LINEAGE) -> State:
    return State(lineage, serial, {e.id: e for e in entries})


EARLY, LATE = "2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z"


def test_per_ivr_the_later_apply_wins_and_the_serial_moves_past_both() -> None:
    ours = state(5, entry(1, LATE, 31), entry(2, EARLY, 20))
    theirs = state(7, entry(1, EARLY, 10), entry(2, LATE, 42), entry(3, EARLY))

    merged = merge_states(ours, theirs)

    assert merged.lineage == LINEAGE
    assert merged.serial == 8
    assert {i: e.body["timeout"] for i, e in merged.entries.items()} == {1: 31, 2: 42, 3: 20}


def test_a_forget_on_one_side_holds_when_the_other_did_not_touch_the_ivr() -> None:
    base = state(4, entry(1, EARLY), entry(2, EARLY))
    ours = state(5, entry(1, EARLY), entry(2, EARLY))  # untouched
    theirs = state(5, entry(1, LATE, 50))  # forgot 2

    assert sorted(merge_states(ours, theirs, base).entries) == [1]
    assert sorted(merge_states(ours, theirs).entries) == [1, 2]  # no base: kept, safely


def test_different_lineages_are_refused() -> None:
    with pytest.raises(StateError, match="different lineages") as caught:
        merge_states(state(1, entry(1, EARLY)), state(1, entry(1, LATE), lineage=OTHER_LINEAGE))

    assert "--ours" in caught.value.hint


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e", "GIT_CONFIG_GLOBAL": os.devnull,
    }  # fmt: skip
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)


@pytest.fixture
def conflicted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose two branches both changed the state: merging them conflicts."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_ivr(repo / "ivr-configs", ivr_document(1))
    state_file = repo / ".ivrsync" / "state.json"
    state_file.parent.mkdir()
    state_file.write_text(render_state_document(state(3, entry(1, EARLY), entry(2, EARLY))))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "other")
    state_file.write_text(render_state_document(state(5, entry(1, EARLY), entry(2, LATE, 42))))
    git(repo, "commit", "-q", "-am", "other applied 2")
    git(repo, "checkout", "-q", "main")
    state_file.write_text(render_state_document(state(4, entry(1, LATE, 31), entry(2, EARLY))))
    git(repo, "commit", "-q", "-am", "main applied 1")
    assert git(repo, "merge", "-q", "other").returncode != 0
    monkeypatch.chdir(repo)
    return repo


def test_a_conflicted_state_is_recognised_with_the_fix(run_cli: RunCli, conflicted: Path) -> None:
    result = run_cli("plan")

    assert result.exit_code == 1
    assert "holds a git merge conflict (line " in result.stderr
    assert "ivrsync state merge" in result.stderr
    assert "git checkout --" not in result.stderr


def test_state_merge_reads_both_sides_from_the_index(run_cli: RunCli, conflicted: Path) -> None:
    result = run_cli("state", "merge")

    assert result.exit_code == 0, result.stderr
    assert "merged: 2 managed IVRs, serial 6" in result.stdout
    document = json.loads((conflicted / ".ivrsync" / "state.json").read_text("utf-8"))
    assert document["ivrs"]["1"]["body"]["timeout"] == 31
    assert document["ivrs"]["2"]["body"]["timeout"] == 42
    assert run_cli("plan").exit_code == 0


def test_state_merge_outside_a_conflict_says_what_it_needs(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run_cli("state", "merge")

    assert result.exit_code == 1
    assert "holds no conflicting versions" in result.stderr
    assert "ivrsync state merge OURS THEIRS" in result.stderr


def test_state_merge_as_a_git_merge_driver(tmp_path: Path, conflicted: Path) -> None:
    git(conflicted, "merge", "--abort")
    # The `ivrsync` script beside the Python running the tests (whatever venv that is).
    ivrsync = Path(sys.executable).parent / "ivrsync"
    assert ivrsync.exists(), ivrsync
    driver = f"{ivrsync} state merge %A %B --base %O --out %A"
    git(conflicted, "config", "merge.ivrsync-state.driver", driver)
    (conflicted / ".gitattributes").write_text(".ivrsync/state.json merge=ivrsync-state\n")

    merged = git(conflicted, "merge", "-q", "other", "-m", "merge")

    assert merged.returncode == 0, merged.stdout + merged.stderr
    document = json.loads((conflicted / ".ivrsync" / "state.json").read_text("utf-8"))
    assert document["ivrs"]["1"]["body"]["timeout"] == 31
    assert document["ivrs"]["2"]["body"]["timeout"] == 42
