"""`ivrsync cache clear`: empty the cache of checked IVR files."""

from __future__ import annotations

import click

from ivrsync.cli.options import runtime, settings
from ivrsync.commands.cache import clear
from ivrsync.errors import EXIT_OK
from ivrsync.files import display_path
from ivrsync.render.escape import shown


@click.group("cache")
def command() -> None:
    """The cache of checked IVR files ([cache] dir, default .ivrsync/cache)."""


@command.command("clear")
def clear_command() -> int:
    """Delete every cache entry: the next run checks every IVR file afresh.

    Never needed for correct results (an entry is used only for a file with the same bytes,
    checked by the same ivrsync, schema and settings); it frees the space.
    """
    result = clear(runtime(settings()))
    where = shown(display_path(result.folder))
    click.echo(f"Cleared the cache in {where}: {result.removed} files, {result.freed:,} bytes.")
    return EXIT_OK
