"""Placeholder for `ivrsync import`; replaced by its implementation."""

from __future__ import annotations

import click

from ivrsync.errors import UsageError


@click.command("import")
def command() -> None:
    """Not implemented yet."""
    raise UsageError("`ivrsync import` is not implemented yet")
