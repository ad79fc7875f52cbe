"""What ivrsync knows of GitHub: its own home there, and the REST calls its action makes.

Standard library only (urllib), so the GitHub Action's steps need nothing beyond ivrsync itself.

    api = GitHubApi("https://api.github.com", token)
    outcome, comment = upsert_comment(api, repo="acme/ivrs", number=7, body=text, marker=MARKER)

`PROJECT_REPOSITORY` is the one place that names this project's repository: the action reference
that `ivrsync init --github` writes, the pre-commit `repo:`, the schema's `$id` and the install
line all derive from it (tests/test_packaging.py checks that every other mention agrees).
"""

from __future__ import annotations

from ivrsync.github.api import Comment, GitHubApi, GitHubError, check_api_url, next_page_url
from ivrsync.github.comment import (
    DEFAULT_AUTHOR,
    MAX_BODY_CHARS,
    TRUNCATION_NOTICE,
    find_marked_comment,
    prepare_body,
    upsert_comment,
)

#: OWNER/NAME of ivrsync's own repository on GitHub (the action, the hooks, the released schema).
PROJECT_REPOSITORY = "ivrsync-dev/ivrsync"
PROJECT_URL = f"https://github.com/{PROJECT_REPOSITORY}"


def release_tag(version: str) -> str:
    """The git tag of a release: `v` + the package version (`v0.1.0`)."""
    return f"v{version}"


def action_reference(version: str) -> str:
    """What a workflow's `uses:` names to run this version's action."""
    return f"{PROJECT_REPOSITORY}@{release_tag(version)}"


def schema_url(version: str) -> str:
    """The stable address of this version's IVR schema: the file at the release tag."""
    return (
        f"https://raw.githubusercontent.com/{PROJECT_REPOSITORY}/{release_tag(version)}"
        "/schemas/ivr.schema.json"
    )


__all__ = [
    "DEFAULT_AUTHOR",
    "MAX_BODY_CHARS",
    "PROJECT_REPOSITORY",
    "PROJECT_URL",
    "TRUNCATION_NOTICE",
    "Comment",
    "GitHubApi",
    "GitHubError",
    "action_reference",
    "check_api_url",
    "find_marked_comment",
    "next_page_url",
    "prepare_body",
    "release_tag",
    "schema_url",
    "upsert_comment",
]
