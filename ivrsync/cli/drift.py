"""Placeholder for `ivrsync drift`; replaced by its implementation."""

from __future__ import annotations

import click

from ivrsync.errors import UsageError


@click.command("drift")
def command() -> None:
    """Not implemented yet."""
    raise UsageError("`ivrsync drift` is not implemented yet")
