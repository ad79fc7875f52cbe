"""Placeholder for `ivrsync schema`; replaced by its implementation."""

from __future__ import annotations

import click

from ivrsync.errors import UsageError


@click.command("schema")
def command() -> None:
    """Not implemented yet."""
    raise UsageError("`ivrsync schema` is not implemented yet")
