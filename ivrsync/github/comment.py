"""The one pull-request comment that carries a report (the plan), created once, then edited.

The comment is found by a hidden marker line (`<!-- ivrsync-plan -->`, which `ivrsync plan
--format markdown` writes) among the pull request's comments written by one author (by default
the workflow's bot, `github-actions[bot]`), so a person quoting the marker in their own comment is
never overwritten. Found: it is edited in place; not found: a new comment is posted. Running the
upsert twice for the same pull request therefore leaves exactly one such comment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from ivrsync.github.api import Comment, GitHubApi

DEFAULT_AUTHOR = "github-actions[bot]"
#: GitHub rejects comment bodies over 65,536 characters; keep a margin for the notice.
MAX_BODY_CHARS = 65_000
TRUNCATION_NOTICE = (
    "\n\n> **Plan truncated** to fit a GitHub comment; the full plan is in the job summary and the "
    "`ivrsync-plan` artifact.\n"
)


def find_marked_comment(
    comments: Iterable[Comment], *, marker: str, author: str | None = DEFAULT_AUTHOR
) -> Comment | None:
    """The oldest comment containing `marker` (written by `author`, unless it is None), or None.

    `comments` must be in the API's order (oldest first), so the same comment is chosen every time.
    """
    for comment in comments:
        if marker in comment.body and (author is None or comment.author == author):
            return comment
    return None


def prepare_body(body: str, *, marker: str) -> str:
    """The comment body to send: starts with the marker if it lacks it, fits GitHub's limit."""
    if marker not in body:
        body = f"{marker}\n{body}"
    if len(body) > MAX_BODY_CHARS:
        body = body[: MAX_BODY_CHARS - len(TRUNCATION_NOTICE)] + TRUNCATION_NOTICE
    return body


def upsert_comment(
    api: GitHubApi,
    *,
    repo: str,
    number: int,
    body: str,
    marker: str,
    author: str | None = DEFAULT_AUTHOR,
) -> tuple[Literal["created", "updated"], Comment]:
    """Edit the pull request's marked comment to `body`, or post it when there is none.

    Raises GitHubError when the API refuses or cannot be reached (nothing half-done: the only
    write is the last request).
    """
    body = prepare_body(body, marker=marker)
    existing = find_marked_comment(
        api.list_issue_comments(repo, number), marker=marker, author=author
    )
    if existing is None:
        return "created", api.create_issue_comment(repo, number, body)
    return "updated", api.update_issue_comment(repo, existing.id, body)
