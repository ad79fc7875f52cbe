"""`ivrsync github comment`: the steps of ivrsync's GitHub Action that talk to GitHub.

Run by the action (action.yml); a team's workflow calls the action, not this. The token comes
from the environment (GITHUB_TOKEN), never from an argument, so it is in no process listing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from ivrsync.errors import EXIT_OK, UsageError
from ivrsync.github import DEFAULT_AUTHOR, GitHubApi, upsert_comment
from ivrsync.render.plan_markdown import PLAN_MARKER

DEFAULT_API_URL = "https://api.github.com"


@click.group("github")
def command() -> None:
    """Steps of the ivrsync GitHub Action that talk to GitHub (the pull-request comment)."""


@command.command("comment")
@click.option("--pr", "number", type=click.IntRange(min=1), required=True, help="Pull request.")
@click.option(
    "--body-file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Markdown file holding the comment (e.g. `ivrsync plan --format markdown`).",
)
@click.option("--repo", default="", help="OWNER/NAME (default: $GITHUB_REPOSITORY).")
@click.option(
    "--marker",
    default=PLAN_MARKER,
    show_default=True,
    help="The hidden line that identifies the comment.",
)
@click.option(
    "--author",
    default=DEFAULT_AUTHOR,
    show_default=True,
    help="Only a comment by this login is edited; '' edits anyone's.",
)
@click.option("--api-url", default="", help="Default: $GITHUB_API_URL, else api.github.com.")
def comment(number: int, body_file: Path, repo: str, marker: str, author: str, api_url: str) -> int:
    """Create or update the one pull-request comment that starts with MARKER.

    The comment by AUTHOR holding the marker is edited in place; when there is none, a new one
    is posted, so running this on every push leaves exactly one comment. A body over GitHub's
    limit is cut with a notice. Needs GITHUB_TOKEN (the workflow's token, with
    `pull-requests: write`).
    """
    env = os.environ
    repo = repo or env.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise UsageError(
            f"--repo must be OWNER/NAME, got {repo!r}",
            hint="a workflow's steps have GITHUB_REPOSITORY set; elsewhere pass --repo",
        )
    token = env.get("GITHUB_TOKEN", "")
    if not token:
        raise UsageError(
            "GITHUB_TOKEN is not set",
            hint="pass the workflow's token: `env: GITHUB_TOKEN: ${{ github.token }}`",
        )
    try:
        body = body_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {body_file}: {exc}") from None
    api = GitHubApi(api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL, token)
    outcome, posted = upsert_comment(
        api, repo=repo, number=number, body=body, marker=marker, author=author or None
    )
    click.echo(f"{outcome} comment {posted.id} on {repo}#{number}")
    return EXIT_OK
