"""`ivrsync schema`: print the JSON Schema of IVR files."""

from __future__ import annotations

import click

from ivrsync.config.schema import schema_text
from ivrsync.errors import EXIT_OK


@click.command("schema")
def command() -> int:
    """Print the JSON Schema (draft 2020-12) that IVR files must satisfy.

    Save it for editors or other validators: `ivrsync schema > ivr.schema.json`.
    """
    click.echo(schema_text(), nl=False)
    return EXIT_OK
