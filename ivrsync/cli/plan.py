"""Placeholder for `ivrsync plan`; replaced by its implementation."""

from __future__ import annotations

import click

from ivrsync.errors import UsageError


@click.command("plan")
def command() -> None:
    """Not implemented yet."""
    raise UsageError("`ivrsync plan` is not implemented yet")
