"""Placeholder for `ivrsync validate`; replaced by its implementation."""

from __future__ import annotations

import click

from ivrsync.errors import UsageError


@click.command("validate")
def command() -> None:
    """Not implemented yet."""
    raise UsageError("`ivrsync validate` is not implemented yet")
