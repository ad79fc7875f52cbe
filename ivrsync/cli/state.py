"""`ivrsync state list|show|unlock`: look at the last-applied state without opening JSON."""

from __future__ import annotations

from pathlib import Path

import click

from ivrsync.cli.options import format_option, settings, state_option
from ivrsync.commands.state import list_state, merge, show_entry, unlock
from ivrsync.errors import EXIT_OK
from ivrsync.files import display_path
from ivrsync.render.state import (
    OutputFormat,
    render_state_entry,
    render_state_list,
    render_unlocked,
)


@click.group("state")
def command() -> None:
    """Look at the last-applied state, or remove a stale lock."""


@command.command("list")
@state_option
@format_option("text", "json")
def list_command(state_path: str | None, output_format: OutputFormat) -> int:
    """List the managed IVRs: id, name, source file, when applied."""
    path = settings(state_path=state_path).paths.state
    click.echo(render_state_list(list_state(path), display_path(path), output_format), nl=False)
    return EXIT_OK


@command.command("show")
@click.argument("ivr_id", metavar="ID", type=click.IntRange(min=1))
@state_option
@format_option("text", "json")
def show_command(ivr_id: int, state_path: str | None, output_format: OutputFormat) -> int:
    """Show what was last applied to IVR ID: its body, digest, source and time."""
    path = settings(state_path=state_path).paths.state
    click.echo(render_state_entry(show_entry(path, ivr_id), output_format), nl=False)
    return EXIT_OK


@command.command("unlock")
@click.option(
    "--force",
    is_flag=True,
    help="Remove the lock even when its holder may still be running, or runs on another host.",
)
@state_option
def unlock_command(force: bool, state_path: str | None) -> int:
    """Remove the lock of a run that died; refuses while the holder may be alive."""
    lock_path, holder = unlock(settings(state_path=state_path).paths.state, force=force)
    click.echo(render_unlocked(lock_path, holder))
    return EXIT_OK


@command.command("merge")
@click.argument("ours", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.argument("theirs", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--base", type=click.Path(dir_okay=False, path_type=str), help="Their common base.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=str),
    help="Where to write the merge (default: the state file).",
)
@state_option
def merge_command(
    ours: str | None, theirs: str | None, base: str | None, out: str | None, state_path: str | None
) -> int:
    """Merge two states of the same lineage after two branches both applied.

    Without OURS and THEIRS, reads both sides (and the base) of the conflicted state file from
    git's index. Per IVR, the entry applied last wins. As a git merge driver:
    `ivrsync state merge %A %B --base %O --out %A`.
    """
    path = settings(state_path=state_path).paths.state
    target = Path(out) if out else path
    merged = merge(path, ours=ours, theirs=theirs, base=base, out=target)
    count = len(merged.entries)
    click.echo(
        f"merged: {count} managed IVR{'s' if count != 1 else ''}, serial {merged.serial}; "
        f"written to {display_path(target)} (`git add` it to conclude the merge)"
    )
    return EXIT_OK
