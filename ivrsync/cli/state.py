"""Placeholder for `ivrsync state`; replaced by its implementation."""

from __future__ import annotations

import click

from ivrsync.errors import UsageError


@click.command("state")
def command() -> None:
    """Not implemented yet."""
    raise UsageError("`ivrsync state` is not implemented yet")
