#!/usr/bin/env python3
"""Create or update the one pull-request comment that carries the ivrsync plan.

Usage (in a workflow step; the token comes from the environment, never from an argument):

    GITHUB_TOKEN=... python upsert_plan_comment.py --repo OWNER/NAME --pr 12 --body-file plan.md

The comment is found by the hidden marker line `<!-- ivrsync-plan -->` that `ivrsync plan --format
markdown` writes, among the pull request's issue comments written by `--author` (by default the
workflow's bot, `github-actions[bot]`), so a person quoting the marker in their own comment is never
overwritten. Found: it is edited in place (PATCH); not found: a new comment is posted. Running it
twice for the same pull request therefore leaves exactly one plan comment.

Standard library only, so a workflow can run it before anything is installed. The pure functions
(`find_plan_comment`, `next_page_url`, `prepare_body`) are apart from the I/O (`GitHubApi`).
Exit codes: 0 done, 1 the API refused or could not be reached, 2 bad arguments or environment.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

MARKER = "<!-- ivrsync-plan -->"
DEFAULT_AUTHOR = "github-actions[bot]"
DEFAULT_API_URL = "https://api.github.com"
#: GitHub rejects comment bodies over 65,536 characters; keep a margin for the notice.
MAX_BODY_CHARS = 65_000
TRUNCATION_NOTICE = (
    "\n\n> **Plan truncated** to fit a GitHub comment; the full plan is in the job summary and the "
    "`ivrsync-plan` artifact.\n"
)
PER_PAGE = 100
#: Bounds the pagination loop: 100 pages of 100 comments.
MAX_PAGES = 100


class UpsertError(Exception):
    """The GitHub API refused a request or could not be reached; the message says which."""


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str


# --- pure functions -----------------------------------------------------------------------------


def find_plan_comment(
    comments: Iterable[Comment], *, marker: str = MARKER, author: str | None = DEFAULT_AUTHOR
) -> Comment | None:
    """The oldest comment containing `marker` (written by `author`, unless it is None), or None.

    `comments` must be in the API's order (oldest first), so the same comment is chosen every time.
    """
    for comment in comments:
        if marker in comment.body and (author is None or comment.author == author):
            return comment
    return None


def next_page_url(link_header: str | None) -> str | None:
    """The `rel="next"` target of an RFC 8288 `Link` header, or None on the last page."""
    for part in re.split(r",\s*(?=<)", link_header or ""):
        link = re.fullmatch(r"\s*<([^>]*)>(.*)", part, flags=re.DOTALL)
        if link is None:
            continue
        for rel in re.findall(r';\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))', link.group(2)):
            if "next" in " ".join(rel).split():
                return link.group(1)
    return None


def prepare_body(body: str, *, marker: str = MARKER) -> str:
    """The comment body to send: starts with the marker if it lacks it, fits GitHub's limit."""
    if marker not in body:
        body = f"{marker}\n{body}"
    if len(body) > MAX_BODY_CHARS:
        body = body[: MAX_BODY_CHARS - len(TRUNCATION_NOTICE)] + TRUNCATION_NOTICE
    return body


def comment_from_json(item: Mapping[str, Any]) -> Comment:
    # `user` is null for a comment whose account was deleted (the API schema allows it).
    user = item.get("user") or {}
    return Comment(
        id=int(item["id"]), body=str(item.get("body") or ""), author=str(user.get("login") or "")
    )


def check_api_url(url: str) -> str:
    """Refuse to send the token anywhere but https, or plain http to a loopback test server."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname:
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if loopback:
            return url.rstrip("/")
    raise UpsertError(f"refusing API URL {url!r}: use https (plain http only to loopback)")


# --- I/O ----------------------------------------------------------------------------------------


class GitHubApi:
    """A minimal GitHub REST client over urllib. The token is sent, never shown."""

    def __init__(self, api_url: str, token: str, *, timeout: float = 30.0) -> None:
        self.api_url = check_api_url(api_url)
        self._token = token
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"GitHubApi({self.api_url!r})"

    def request(
        self, method: str, url: str, payload: Mapping[str, Any] | None = None
    ) -> tuple[Any, str | None]:
        """Send one request; return (decoded JSON body, Link header). Raises UpsertError."""
        if not url.startswith(self.api_url + "/"):
            # A Link header pointing elsewhere must not receive the token.
            raise UpsertError(f"refusing to follow {url!r}: not under {self.api_url}")
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (checked)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "ivrsync-upsert-plan-comment")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                raw = response.read()
                link = response.headers.get("Link")
        except urllib.error.HTTPError as exc:
            detail = _error_message(exc.read())
            raise UpsertError(f"{method} {url}: HTTP {exc.code}{detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise UpsertError(f"{method} {url}: {exc}") from exc
        try:
            return (json.loads(raw) if raw else None), link
        except ValueError as exc:
            raise UpsertError(f"{method} {url}: the response is not JSON") from exc

    def list_issue_comments(self, repo: str, number: int) -> Iterator[Comment]:
        """Every comment of issue or pull request `number`, oldest first, following pagination."""
        url: str | None = (
            f"{self.api_url}/repos/{repo}/issues/{number}/comments?per_page={PER_PAGE}"
        )
        pages = 0
        while url is not None:
            pages += 1
            if pages > MAX_PAGES:
                raise UpsertError(f"more than {MAX_PAGES} pages of comments; giving up")
            items, link = self.request("GET", url)
            if not isinstance(items, list):
                raise UpsertError(f"GET {url}: expected a list of comments")
            yield from (comment_from_json(item) for item in items)
            url = next_page_url(link)

    def create_issue_comment(self, repo: str, number: int, body: str) -> Comment:
        item, _ = self.request(
            "POST", f"{self.api_url}/repos/{repo}/issues/{number}/comments", {"body": body}
        )
        return comment_from_json(item)

    def update_issue_comment(self, repo: str, comment_id: int, body: str) -> Comment:
        item, _ = self.request(
            "PATCH", f"{self.api_url}/repos/{repo}/issues/comments/{comment_id}", {"body": body}
        )
        return comment_from_json(item)


def _error_message(raw: bytes) -> str:
    try:
        message = json.loads(raw).get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {message}" if isinstance(message, str) else ""


def upsert_plan_comment(
    api: GitHubApi,
    *,
    repo: str,
    number: int,
    body: str,
    marker: str = MARKER,
    author: str | None = DEFAULT_AUTHOR,
) -> tuple[Literal["created", "updated"], Comment]:
    """Edit the pull request's plan comment to `body`, or post it when there is none."""
    body = prepare_body(body, marker=marker)
    existing = find_plan_comment(
        api.list_issue_comments(repo, number), marker=marker, author=author
    )
    if existing is None:
        return "created", api.create_issue_comment(repo, number, body)
    return "updated", api.update_issue_comment(repo, existing.id, body)


# --- command line -------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", help="OWNER/NAME (default: $GITHUB_REPOSITORY)")
    parser.add_argument("--pr", type=int, required=True, help="pull request number")
    parser.add_argument("--body-file", required=True, help="markdown file with the plan")
    parser.add_argument("--marker", default=MARKER, help="hidden line that identifies the comment")
    parser.add_argument(
        "--author",
        default=DEFAULT_AUTHOR,
        help="only a comment by this login is edited; '' edits anyone's (default: %(default)s)",
    )
    parser.add_argument("--api-url", help="default: $GITHUB_API_URL or https://api.github.com")
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    args = _parser().parse_args(argv)
    repo = args.repo or env.get("GITHUB_REPOSITORY", "")
    token = env.get("GITHUB_TOKEN", "")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        print(f"error: --repo must be OWNER/NAME, got {repo!r}", file=sys.stderr)
        return 2
    if not token:
        print("error: GITHUB_TOKEN is not set", file=sys.stderr)
        return 2
    try:
        with open(args.body_file, encoding="utf-8") as handle:
            body = handle.read()
    except OSError as exc:
        print(f"error: cannot read {args.body_file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        api = GitHubApi(args.api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL, token)
        action, comment = upsert_plan_comment(
            api,
            repo=repo,
            number=args.pr,
            body=body,
            marker=args.marker,
            author=args.author or None,
        )
    except UpsertError as exc:
        print(f"error: {exc}".replace(token, "***"), file=sys.stderr)
        return 1
    print(f"{action} plan comment {comment.id} on {repo}#{args.pr}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
