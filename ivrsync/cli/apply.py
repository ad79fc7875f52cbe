"""Placeholder for `ivrsync apply`; replaced by its implementation."""

from __future__ import annotations

import click

from ivrsync.errors import UsageError


@click.command("apply")
def command() -> None:
    """Not implemented yet."""
    raise UsageError("`ivrsync apply` is not implemented yet")
