"""`ivrsync import`: write a YAML file for each live IVR and record it in the state as applied."""

from __future__ import annotations

import click

from ivrsync.cli.options import (
    base_url_option,
    config_dir_option,
    connection_options,
    runtime,
    settings,
    state_option,
)
from ivrsync.commands.import_ import check_imported, import_ivrs
from ivrsync.errors import EXIT_OK
from ivrsync.files import display_path
from ivrsync.importer import ImportFile
from ivrsync.render.escape import quoted, shown
from ivrsync.render.problems import render_problems


@click.command("import")
@config_dir_option
@state_option
@base_url_option
@connection_options
@click.option(
    "--id",
    "ids",
    type=click.IntRange(min=1),
    multiple=True,
    metavar="ID",
    help="Import only this IVR id (repeatable). Default: every IVR of the account.",
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def command(
    config_dir: str | None,
    state_path: str | None,
    base_url: str | None,
    timeout: float | None,
    retries: int | None,
    retry_delay: float | None,
    rate_limit: float | None,
    ids: tuple[int, ...],
    force: bool,
) -> int:
    """Bring existing Smartflo IVRs under management.

    Fetches the live IVRs (GET /v1/ivrs) and writes one YAML file per IVR into the config
    folder, named after the IVR; an IVR a file already defines goes back to that file. Each
    imported IVR is recorded in the state as last applied, so `ivrsync plan` right after shows
    no changes. Never overwrites a file without --force. Credentials come from
    SMARTFLO_API_TOKEN, or SMARTFLO_EMAIL and SMARTFLO_PASSWORD.
    """

    def report(file: ImportFile) -> None:
        click.echo(f"Wrote {shown(file.display)} (IVR {file.ivr.id} {quoted(file.ivr.name)})")

    resolved = settings(
        config_dir=config_dir,
        state_path=state_path,
        base_url=base_url,
        timeout=timeout,
        retries=retries,
        retry_delay=retry_delay,
        rate_limit=rate_limit,
    )
    result = import_ivrs(ids=ids, force=force, runtime=runtime(resolved), on_written=report)
    shown_state = display_path(resolved.paths.state)
    noun = "IVR" if len(result.entries) == 1 else "IVRs"
    click.echo(f"Imported {len(result.entries)} {noun}; recorded in {shown_state} as last applied.")
    if result.problems:
        click.echo(render_problems(result.problems, "text"), err=True, nl=False)
    check_imported(result)
    return EXIT_OK
