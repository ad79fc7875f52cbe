"""`ivrsync config`: print every effective setting and where it came from (never a secret)."""

from __future__ import annotations

import click

from ivrsync.cli.options import format_option, settings
from ivrsync.errors import EXIT_OK
from ivrsync.files import display_path
from ivrsync.render.settings import render_settings_json, render_settings_text
from ivrsync.settings import settings_report


@click.command("config")
@format_option("text", "json")
def command(output_format: str) -> int:
    """Show every setting: its value and its origin (flag, env VAR, file ivrsync.toml:LINE,
    default). Secrets are never settings: `token_env` names the variable holding the token."""
    resolved = settings()
    rows = settings_report(resolved)
    shown = display_path(resolved.file) if resolved.file is not None else None
    render = render_settings_json if output_format == "json" else render_settings_text
    click.echo(render(rows, shown), nl=False)
    return EXIT_OK
