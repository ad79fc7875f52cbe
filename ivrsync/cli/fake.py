"""Placeholder for `ivrsync fake-smartflo`; replaced by its implementation."""

from __future__ import annotations

import click

from ivrsync.errors import UsageError


@click.command("fake-smartflo")
def command() -> None:
    """Not implemented yet."""
    raise UsageError("`ivrsync fake-smartflo` is not implemented yet")
