"""The plan-comment upsert script (.github/scripts/upsert_plan_comment.py) against a fake GitHub.

The fake is a real HTTP server on 127.0.0.1 implementing the three REST endpoints the script uses
(list issue comments with `Link` pagination, create, update), checking the token on every request.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".github" / "scripts" / "upsert_plan_comment.py"
TOKEN = "ghs_test-token-not-real-0123456789"
REPO = "acme/ivrs"
BOT = "github-actions[bot]"
MARKER = "<!-- ivrsync-plan -->"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("upsert_plan_comment", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


upsert = _load_script()


@dataclass
class FakeGitHub:
    """In-memory issue comments of one repository, served over HTTP like api.github.com."""

    per_page_cap: int = 100
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1000
    url: str = ""

    def add(self, number: int, body: str, author: str) -> int:
        self.next_id += 1
        item = {"id": self.next_id, "body": body, "user": {"login": author}}
        self.comments.setdefault(number, []).append(item)
        return self.next_id

    def bodies(self, number: int) -> list[tuple[str, str]]:
        return [(c["user"]["login"], c["body"]) for c in self.comments.get(number, [])]

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    list_path = re.compile(rf"/repos/{re.escape(REPO)}/issues/(\d+)/comments")
    edit_path = re.compile(rf"/repos/{re.escape(REPO)}/issues/comments/(\d+)")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            fake.requests.append((self.command, self.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._reply(401, {"message": "Bad credentials"})
                return False
            return True

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length", "0"))
            payload: dict[str, Any] = json.loads(self.rfile.read(length))
            return payload

        def do_GET(self) -> None:
            if not self._authorized():
                return
            parts = urllib.parse.urlsplit(self.path)
            match = list_path.fullmatch(parts.path)
            if match is None:
                self._reply(404, {"message": "Not Found"})
                return
            number = int(match.group(1))
            query = urllib.parse.parse_qs(parts.query)
            per_page = min(int(query.get("per_page", ["30"])[0]), fake.per_page_cap)
            page = int(query.get("page", ["1"])[0])
            items = fake.comments.get(number, [])
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            last = max(1, -(-len(items) // per_page))
            if page < last:
                base = f"{fake.url}{parts.path}?per_page={per_page}"
                headers["Link"] = (
                    f'<{base}&page={page + 1}>; rel="next", <{base}&page={last}>; rel="last"'
                )
            self._reply(200, chunk, headers)

        def do_POST(self) -> None:
            if not self._authorized():
                return
            match = list_path.fullmatch(self.path)
            if match is None:
                self._reply(404, {"message": "Not Found"})
                return
            number = int(match.group(1))
            comment_id = fake.add(number, self._body()["body"], BOT)
            self._reply(201, fake.comments[number][-1] | {"id": comment_id})

        def do_PATCH(self) -> None:
            if not self._authorized():
                return
            match = edit_path.fullmatch(self.path)
            comment_id = int(match.group(1)) if match else -1
            for items in fake.comments.values():
                for item in items:
                    if item["id"] == comment_id:
                        if item["user"]["login"] != BOT:
                            self._reply(403, {"message": "not yours"})
                            return
                        item["body"] = self._body()["body"]
                        self._reply(200, item)
                        return
            self._reply(404, {"message": "Not Found"})

    return Handler


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _run(github: FakeGitHub, tmp_path: Path, body: str, pr: int = 7, *extra: str) -> int:
    body_file = tmp_path / "plan.md"
    body_file.write_text(body, encoding="utf-8")
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.url}
    code: int = upsert.main(["--pr", str(pr), "--body-file", str(body_file), *extra], env)
    return code


def test_posting_twice_leaves_one_comment_updated(github: FakeGitHub, tmp_path: Path) -> None:
    github.add(7, "Looks good to me", "alice")

    assert _run(github, tmp_path, f"{MARKER}\nPlan: 1 to update.\n") == 0
    assert _run(github, tmp_path, f"{MARKER}\nPlan: 2 to update.\n") == 0

    assert github.bodies(7) == [
        ("alice", "Looks good to me"),
        (BOT, f"{MARKER}\nPlan: 2 to update.\n"),
    ]
    assert [method for method, _ in github.writes()] == ["POST", "PATCH"]


def test_other_pull_requests_are_untouched(github: FakeGitHub, tmp_path: Path) -> None:
    github.add(8, f"{MARKER}\nplan of #8", BOT)

    assert _run(github, tmp_path, f"{MARKER}\nplan of #7", pr=7) == 0

    assert github.bodies(8) == [(BOT, f"{MARKER}\nplan of #8")]
    assert github.bodies(7) == [(BOT, f"{MARKER}\nplan of #7")]


def test_the_plan_comment_is_found_beyond_the_first_page(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.per_page_cap = 10  # the server pages by 10 whatever the client asks
    for index in range(25):
        github.add(7, f"review comment {index}", "bob")
    plan_id = github.add(7, f"{MARKER}\nold plan", BOT)
    github.add(7, "one more", "bob")

    assert _run(github, tmp_path, f"{MARKER}\nnew plan") == 0

    gets = [path for method, path in github.requests if method == "GET"]
    assert len(gets) == 3
    assert github.writes() == [("PATCH", f"/repos/{REPO}/issues/comments/{plan_id}")]
    assert (BOT, f"{MARKER}\nnew plan") in github.bodies(7)
    assert len(github.bodies(7)) == 27


def test_a_human_quoting_the_marker_is_not_hijacked(github: FakeGitHub, tmp_path: Path) -> None:
    quoted = f"> {MARKER}\n> Plan: 1 to update.\nWhy does IVR 349 change?"
    github.add(7, quoted, "carol")

    assert _run(github, tmp_path, f"{MARKER}\nPlan: 1 to update.") == 0

    assert github.bodies(7) == [("carol", quoted), (BOT, f"{MARKER}\nPlan: 1 to update.")]


def test_a_comment_of_a_deleted_account_is_skipped_not_a_crash(
    github: FakeGitHub, tmp_path: Path
) -> None:
    # GitHub sends `"user": null` for a comment whose author's account no longer exists.
    github.comments[7] = [{"id": 1, "body": f"> {MARKER}\nquoted", "user": None}]
    plan = github.add(7, f"{MARKER}\nold", BOT)

    assert _run(github, tmp_path, f"{MARKER}\nnew") == 0

    assert github.writes() == [("PATCH", f"/repos/{REPO}/issues/comments/{plan}")]
    assert github.comments[7][1]["body"] == f"{MARKER}\nnew"


def test_without_an_author_filter_the_first_marked_comment_is_edited(
    github: FakeGitHub, tmp_path: Path
) -> None:
    first = github.add(7, f"{MARKER}\nold", BOT)
    github.add(7, f"{MARKER}\nolder duplicate", BOT)

    assert _run(github, tmp_path, f"{MARKER}\nnew", 7, "--author", "") == 0

    assert github.writes() == [("PATCH", f"/repos/{REPO}/issues/comments/{first}")]


def test_a_body_without_the_marker_gets_it_so_the_next_run_finds_it(
    github: FakeGitHub, tmp_path: Path
) -> None:
    assert _run(github, tmp_path, "Plan: no changes.") == 0
    assert _run(github, tmp_path, "Plan: still no changes.") == 0

    assert github.bodies(7) == [(BOT, f"{MARKER}\nPlan: still no changes.")]


def test_an_oversized_body_is_cut_to_fit_a_comment() -> None:
    body = upsert.prepare_body(MARKER + "\n" + "x" * 100_000)

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
    github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body_file = tmp_path / "plan.md"
    body_file.write_text("plan", encoding="utf-8")
    env = {
        "GITHUB_TOKEN": "wrong-" + TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": github.url,
    }

    code = upsert.main(["--pr", "7", "--body-file", str(body_file)], env)

    captured = capsys.readouterr()
    assert code == 1
    assert "HTTP 401: Bad credentials" in captured.err
    assert TOKEN not in captured.out + captured.err
    assert github.bodies(7) == []


@pytest.mark.parametrize(
    "url",
    ["http://api.github.example", "ftp://127.0.0.1", "file:///etc/passwd", "https://"],
    ids=["plain-http-remote", "ftp", "file", "no-host"],
)
def test_the_token_is_only_sent_over_https_or_loopback(url: str) -> None:
    with pytest.raises(upsert.UpsertError, match="refusing API URL"):
        upsert.GitHubApi(url, TOKEN)


def test_a_link_to_another_host_is_not_followed(github: FakeGitHub) -> None:
    api = upsert.GitHubApi(github.url, TOKEN)

    with pytest.raises(upsert.UpsertError, match="refusing to follow"):
        api.request("GET", "https://elsewhere.example/repos/acme/ivrs/issues/7/comments")


def test_the_script_runs_as_a_workflow_step(github: FakeGitHub, tmp_path: Path) -> None:
    """The real script, in a fresh interpreter, with only what a workflow step gives it."""
    body_file = tmp_path / "plan.md"
    body_file.write_text(f"{MARKER}\nPlan: 1 to update.\n", encoding="utf-8")
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.url}
    command = [sys.executable, str(SCRIPT), "--pr", "7", "--body-file", str(body_file)]

    runs = [subprocess.run(command, env=env, capture_output=True, text=True) for _ in range(2)]

    assert [run.returncode for run in runs] == [0, 0]
    assert runs[0].stdout.startswith("created plan comment ")
    assert runs[1].stdout.startswith("updated plan comment ")
    assert all(TOKEN not in run.stdout + run.stderr for run in runs)
    assert len(github.bodies(7)) == 1


def test_missing_token_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body_file = tmp_path / "plan.md"
    body_file.write_text("plan", encoding="utf-8")

    code = upsert.main(["--pr", "7", "--body-file", str(body_file)], {"GITHUB_REPOSITORY": REPO})

    assert code == 2
    assert "GITHUB_TOKEN is not set" in capsys.readouterr().err
