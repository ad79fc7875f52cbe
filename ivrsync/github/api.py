"""A minimal GitHub REST client over urllib: issue comments, with pagination. No third party.

The token is sent only over https (or plain http to a loopback test server) and only to URLs under
the API's own address: a `Link` header pointing elsewhere is refused, never followed. It never
appears in an error message, a repr or a log.
"""

from __future__ import annotations

import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ivrsync import __version__
from ivrsync.errors import IvrsyncError

PER_PAGE = 100
#: Bounds the pagination loop: 100 pages of 100 comments.
MAX_PAGES = 100
#: Bounds one answer: a page of 100 comments of 65,536 characters fits easily.
MAX_ANSWER_BYTES = 32 << 20


class GitHubError(IvrsyncError):
    """The GitHub API refused a request or could not be reached; the message says which."""


@dataclass(frozen=True)
class Comment:
    """One issue (or pull-request) comment: its id, text and author's login."""

    id: int
    body: str
    author: str


def comment_from_json(item: object) -> Comment:
    """The comment of one API item. Raises GitHubError when it is not a comment."""
    if not isinstance(item, Mapping) or not isinstance(item.get("id"), int):
        raise GitHubError("the API answered something that is not a comment")
    # `user` is null for a comment whose account was deleted (the API schema allows it).
    user = item.get("user") or {}
    login = user.get("login") if isinstance(user, Mapping) else None
    return Comment(id=item["id"], body=str(item.get("body") or ""), author=str(login or ""))


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


def check_api_url(url: str) -> str:
    """`url` without a trailing slash; refuses anything but https, or plain http to loopback."""
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
    raise GitHubError(
        f"refusing API URL {url!r}: use https (plain http only to loopback)",
        hint="set GITHUB_API_URL (or --api-url) to the API's https address",
    )


class GitHubApi:
    """The REST calls of the plan comment. The token is sent, never shown."""

    def __init__(self, api_url: str, token: str, *, timeout: float = 30.0) -> None:
        self.api_url = check_api_url(api_url)
        self._token = token
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"GitHubApi({self.api_url!r})"

    def request(
        self, method: str, url: str, payload: Mapping[str, Any] | None = None
    ) -> tuple[Any, str | None]:
        """Send one request; return (decoded JSON body, Link header). Raises GitHubError."""
        if not url.startswith(self.api_url + "/"):
            raise GitHubError(f"refusing to follow {url!r}: not under {self.api_url}")
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (checked)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", f"ivrsync/{__version__}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                raw = response.read(MAX_ANSWER_BYTES + 1)
                link = response.headers.get("Link")
        except urllib.error.HTTPError as exc:
            detail = _error_message(exc.read(64 << 10))
            raise GitHubError(
                self._redact(f"{method} {url}: HTTP {exc.code}{detail}"), hint=_hint(exc.code)
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise GitHubError(self._redact(f"{method} {url}: {exc}")) from None
        if len(raw) > MAX_ANSWER_BYTES:
            raise GitHubError(f"{method} {url}: the answer is larger than {MAX_ANSWER_BYTES} bytes")
        try:
            return (json.loads(raw) if raw else None), link
        except ValueError:
            raise GitHubError(f"{method} {url}: the answer is not JSON") from None

    def list_issue_comments(self, repo: str, number: int) -> Iterator[Comment]:
        """Every comment of issue or pull request `number`, oldest first, following pagination."""
        url: str | None = (
            f"{self.api_url}/repos/{repo}/issues/{number}/comments?per_page={PER_PAGE}"
        )
        pages = 0
        while url is not None:
            pages += 1
            if pages > MAX_PAGES:
                raise GitHubError(f"more than {MAX_PAGES} pages of comments; giving up")
            items, link = self.request("GET", url)
            if not isinstance(items, list):
                raise GitHubError(f"GET {url}: expected a list of comments")
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

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _error_message(raw: bytes) -> str:
    try:
        message = json.loads(raw).get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {message}" if isinstance(message, str) else ""


def _hint(status: int) -> str:
    if status == 401:
        return "the token is missing, expired or wrong: pass the workflow's github.token"
    if status in (403, 404):
        return (
            "give the workflow `permissions: pull-requests: write`; a pull request from a fork "
            "gets a read-only token, so its plan is in the job summary only"
        )
    return ""
