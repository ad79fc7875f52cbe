"""`ivrsync init [--github] [--force] [--bare]`: options in, `commands.init.init`, a listing out."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from ivrsync.commands.init import EXAMPLE_FILE, InitRequest, InitResult, StateCommit, init
from ivrsync.errors import EXIT_OK

_SHOWN = {
    "written": "wrote",
    "replaced": "replaced",
    "updated": "updated",
    "unchanged": "unchanged",
    "kept": "left",
}


@click.command("init")
@click.option(
    "--github", is_flag=True, help="Also write the plan, apply and drift workflows (the action)."
)
@click.option("--force", is_flag=True, help="Replace files that exist with other content.")
@click.option("--bare", is_flag=True, help="No example IVR in the config folder.")
@click.option(
    "--branch",
    metavar="NAME",
    help="The branch whose merges apply (default: the repository's current branch, else main).",
)
@click.option(
    "--state-commit",
    type=click.Choice(["push", "pull-request"]),
    default="push",
    show_default=True,
    help="How the apply workflow records the state: push it, or by pull request "
    "(for a protected branch nobody may push to).",
)
@click.argument(
    "folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
def command(
    github: bool, force: bool, bare: bool, branch: str | None, state_commit: str, folder: Path
) -> int:
    """Write what an IVR repository needs into FOLDER (default: here).

    ivrsync.toml (commented defaults), ivr-configs/ with an example IVR (none with --bare),
    schemas/ivr.schema.json (so each file's schema line resolves), .gitignore lines,
    .pre-commit-config.yaml, .vscode/settings.json (editor validation) and, with --github, the
    three workflows using the ivrsync action. A file that exists is left as it is unless
    --force; running init again changes nothing.
    """
    result = init(
        InitRequest(
            root=folder,
            github=github,
            force=force,
            bare=bare,
            branch=branch,
            state_commit=cast(StateCommit, state_commit),
        )
    )
    click.echo(_render(result), nl=False)
    return EXIT_OK


def _render(result: InitResult) -> str:
    width = max(len(shown) for shown in _SHOWN.values())
    lines = [f"{_SHOWN[file.action]:<{width}}  {file.path}" for file in result.files]
    kept = result.with_action("kept")
    if kept:
        lines.append(f"Left {len(kept)} file(s) as they are (they exist); --force replaces them.")
    if not result.changed:
        lines.append("Nothing changed: every file is already there.")
        return "\n".join(lines) + "\n"
    lines += ["", "Next steps:"]
    steps = []
    if result.github:
        steps.append(
            "In GitHub, Settings > Environments: create `production` and `drift`, each with the "
            f"secret SMARTFLO_API_TOKEN and deployment branches: {result.branch} only."
        )
    example = [file for file in result.files if file.path == EXAMPLE_FILE]
    if example and example[0].action != "kept":
        steps.append(f"Delete {EXAMPLE_FILE} once you have seen it: its id is not one of yours.")
    steps += [
        "Bring your IVRs in: `SMARTFLO_API_TOKEN=... ivrsync import`, then "
        "`ivrsync plan --detailed-exitcode` (exit 0: the files match what is live).",
        "Commit: `git add -A && git commit -m 'Manage IVRs with ivrsync'` "
        "(the state file .ivrsync/state.json is committed too).",
        "Optionally `pre-commit install`, so invalid IVR files are never committed.",
    ]
    lines += [f"  {number}. {step}" for number, step in enumerate(steps, start=1)]
    return "\n".join(lines) + "\n"
