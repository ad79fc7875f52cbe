"""The pull-request comment upsert (`ivrsync.github`, run as `ivrsync github comment`).

Against a fake GitHub (tests/testing/github.py): a real HTTP server on 127.0.0.1 implementing the
three REST endpoints the upsert uses (list issue comments with `Link` pagination, create, update),
checking the token on every request.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ivrsync import github as upsert
from tests.testing.cli import CliResult, RunCli
from tests.testing.github import BOT, REPO, TOKEN, FakeGitHub, serve_fake_github

MARKER = "<!-- ivrsync-plan -->"

#: `comment(body, pr=7, *options)`: `ivrsync github comment` with BODY in a file.
Comment = Callable[..., CliResult]


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve_fake_github() as fake:
        yield fake


def _env(github: FakeGitHub, token: str = TOKEN) -> dict[str, str]:
    return {"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.url}


@pytest.fixture
def comment(run_cli: RunCli, github: FakeGitHub, tmp_path: Path) -> Comment:
    def run(body: str, pr: int = 7, *extra: str) -> CliResult:
        body_file = tmp_path / "plan.md"
        body_file.write_text(body, encoding="utf-8")
        args = ("github", "comment", "--pr", str(pr), "--body-file", str(body_file), *extra)
        return run_cli(*args, env=_env(github))

    return run


def test_posting_twice_leaves_one_comment_updated(github: FakeGitHub, comment: Comment) -> None:
    github.add(7, "Looks good to me", "alice")

    assert comment(f"{MARKER}\nPlan: 1 to update.\n").exit_code == 0
    assert comment(f"{MARKER}\nPlan: 2 to update.\n").exit_code == 0

    assert github.bodies(7) == [
        ("alice", "Looks good to me"),
        (BOT, f"{MARKER}\nPlan: 2 to update.\n"),
    ]
    assert [method for method, _ in github.writes()] == ["POST", "PATCH"]


def test_other_pull_requests_are_untouched(github: FakeGitHub, comment: Comment) -> None:
    github.add(8, f"{MARKER}\nplan of #8", BOT)

    assert comment(f"{MARKER}\nplan of #7", pr=7).exit_code == 0

    assert github.bodies(8) == [(BOT, f"{MARKER}\nplan of #8")]
    assert github.bodies(7) == [(BOT, f"{MARKER}\nplan of #7")]


def test_the_plan_comment_is_found_beyond_the_first_page(
    github: FakeGitHub, comment: Comment
) -> None:
    github.per_page_cap = 10  # the server pages by 10 whatever the client asks
    for index in range(25):
        github.add(7, f"review comment {index}", "bob")
    plan_id = github.add(7, f"{MARKER}\nold plan", BOT)
    github.add(7, "one more", "bob")

    assert comment(f"{MARKER}\nnew plan").exit_code == 0

    gets = [path for method, path in github.requests if method == "GET"]
    assert len(gets) == 3
    assert github.writes() == [("PATCH", f"/repos/{REPO}/issues/comments/{plan_id}")]
    assert (BOT, f"{MARKER}\nnew plan") in github.bodies(7)
    assert len(github.bodies(7)) == 27


def test_a_human_quoting_the_marker_is_not_hijacked(github: FakeGitHub, comment: Comment) -> None:
    quoted = f"> {MARKER}\n> Plan: 1 to update.\nWhy does IVR 349 change?"
    github.add(7, quoted, "carol")

    assert comment(f"{MARKER}\nPlan: 1 to update.").exit_code == 0

    assert github.bodies(7) == [("carol", quoted), (BOT, f"{MARKER}\nPlan: 1 to update.")]


def test_a_comment_of_a_deleted_account_is_skipped_not_a_crash(
    github: FakeGitHub, comment: Comment
) -> None:
    # GitHub sends `"user": null` for a comment whose author's account no longer exists.
    github.comments[7] = [{"id": 1, "body": f"> {MARKER}\nquoted", "user": None}]
    plan = github.add(7, f"{MARKER}\nold", BOT)

    assert comment(f"{MARKER}\nnew").exit_code == 0

    assert github.writes() == [("PATCH", f"/repos/{REPO}/issues/comments/{plan}")]
    assert github.comments[7][1]["body"] == f"{MARKER}\nnew"


def test_without_an_author_filter_the_first_marked_comment_is_edited(
    github: FakeGitHub, comment: Comment
) -> None:
    first = github.add(7, f"{MARKER}\nold", BOT)
    github.add(7, f"{MARKER}\nolder duplicate", BOT)

    assert comment(f"{MARKER}\nnew", 7, "--author", "").exit_code == 0

    assert github.writes() == [("PATCH", f"/repos/{REPO}/issues/comments/{first}")]


def test_a_body_without_the_marker_gets_it_so_the_next_run_finds_it(
    github: FakeGitHub, comment: Comment
) -> None:
    assert comment("Plan: no changes.").exit_code == 0
    assert comment("Plan: still no changes.").exit_code == 0

    assert github.bodies(7) == [(BOT, f"{MARKER}\nPlan: still no changes.")]


def test_an_oversized_body_is_cut_to_fit_a_comment() -> None:
    body = upsert.prepare_body(MARKER + "\n" + "x" * 100_000, marker=MARKER)

    assert len(body) <= 65_536
    assert body.startswith(MARKER)
    assert body.endswith(upsert.TRUNCATION_NOTICE)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ('<https://api.github.com/x?page=3>; rel="last"', None),
        (
            '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; '
            'rel="last"',
            "https://api.github.com/x?page=2",
        ),
        (
            '<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>;'
            ' rel="next"',
            "https://api.github.com/x?page=3",
        ),
        (
            "<https://api.github.com/x?a=1,2&page=2>; rel=next",
            "https://api.github.com/x?a=1,2&page=2",
        ),
    ],
    ids=["absent", "empty", "last-page", "next-first", "next-second", "unquoted-rel-comma-in-url"],
)
def test_next_page_url(header: str | None, expected: str | None) -> None:
    assert upsert.next_page_url(header) == expected


def test_a_refused_request_fails_without_showing_the_token(
    run_cli: RunCli, github: FakeGitHub, tmp_path: Path
) -> None:
    body_file = tmp_path / "plan.md"
    body_file.write_text("plan", encoding="utf-8")

    result = run_cli(
        "github",
        "comment",
        "--pr",
        "7",
        "--body-file",
        str(body_file),
        env=_env(github, token="wrong-" + TOKEN),
    )

    assert result.exit_code == 1
    assert "HTTP 401: Bad credentials" in result.stderr
    assert "hint: the token is missing, expired or wrong" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert github.bodies(7) == []


@pytest.mark.parametrize(
    "url",
    ["http://api.github.example", "ftp://127.0.0.1", "file:///etc/passwd", "https://"],
    ids=["plain-http-remote", "ftp", "file", "no-host"],
)
def test_the_token_is_only_sent_over_https_or_loopback(url: str) -> None:
    with pytest.raises(upsert.GitHubError, match="refusing API URL"):
        upsert.GitHubApi(url, TOKEN)


def test_a_link_to_another_host_is_not_followed(github: FakeGitHub) -> None:
    api = upsert.GitHubApi(github.url, TOKEN)

    with pytest.raises(upsert.GitHubError, match="refusing to follow"):
        api.request("GET", "https://elsewhere.example/repos/acme/ivrs/issues/7/comments")


def test_the_command_runs_as_a_workflow_step(github: FakeGitHub, tmp_path: Path) -> None:
    """The real command, in a fresh interpreter, with only what a workflow step gives it."""
    body_file = tmp_path / "plan.md"
    body_file.write_text(f"{MARKER}\nPlan: 1 to update.\n", encoding="utf-8")
    env = _env(github) | {"PATH": str(Path(sys.executable).parent)}
    command = [
        sys.executable,
        "-m",
        "ivrsync",
        "github",
        "comment",
        "--pr",
        "7",
        "--body-file",
        str(body_file),
    ]

    runs = [subprocess.run(command, env=env, capture_output=True, text=True) for _ in range(2)]

    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    assert runs[0].stdout.startswith("created comment ")
    assert runs[1].stdout.startswith("updated comment ")
    assert all(TOKEN not in run.stdout + run.stderr for run in runs)
    assert len(github.bodies(7)) == 1


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_REPOSITORY": REPO}, "error: GITHUB_TOKEN is not set"),
        ({"GITHUB_TOKEN": TOKEN}, "error: --repo must be OWNER/NAME, got ''"),
        (
            {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "acme/ivrs; rm -rf /"},
            "error: --repo must be OWNER/NAME",
        ),
    ],
    ids=["no-token", "no-repository", "bad-repository"],
)
def test_a_missing_setting_is_a_clear_usage_error(
    run_cli: RunCli, tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    body_file = tmp_path / "plan.md"
    body_file.write_text("plan", encoding="utf-8")
    cleared = {"GITHUB_TOKEN": None, "GITHUB_REPOSITORY": None}

    result = run_cli(
        "github", "comment", "--pr", "7", "--body-file", str(body_file), env=cleared | env
    )

    assert result.exit_code == 1
    assert result.stderr.startswith(expected)


def test_an_unreadable_body_file_is_a_usage_error(
    run_cli: RunCli, github: FakeGitHub, tmp_path: Path
) -> None:
    result = run_cli(
        "github",
        "comment",
        "--pr",
        "7",
        "--body-file",
        str(tmp_path / "missing.md"),
        env=_env(github),
    )

    assert result.exit_code == 1
    assert "error: cannot read " in result.stderr
    assert github.requests == []
