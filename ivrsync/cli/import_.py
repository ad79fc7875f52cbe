"""`ivrsync import`: write a YAML file for each live IVR and record it in the state as applied."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ivrsync.cli.options import base_url_option, config_dir_option, state_option
from ivrsync.config.validate import load_config_set
from ivrsync.errors import EXIT_OK, ConfigError
from ivrsync.importer import ImportFile, plan_import, refuse_overwrites, select_ivrs, write_import
from ivrsync.render.problems import render_problems
from ivrsync.smartflo.client import open_client
from ivrsync.smartflo.credentials import check_base_url, credentials_from_env
from ivrsync.smartflo.live import fetch_live
from ivrsync.state import StateStore


@click.command("import")
@config_dir_option
@state_option
@base_url_option
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
    config_dir: str, state_path: str, base_url: str, ids: tuple[int, ...], force: bool
) -> int:
    """Bring existing Smartflo IVRs under management.

    Fetches the live IVRs (GET /v1/ivrs) and writes one YAML file per IVR into the config
    folder, named after the IVR; an IVR a file already defines goes back to that file. Each
    imported IVR is recorded in the state as last applied, so `ivrsync plan` right after shows
    no changes. Never overwrites a file without --force. Credentials come from
    SMARTFLO_API_TOKEN, or SMARTFLO_EMAIL and SMARTFLO_PASSWORD.
    """
    url = check_base_url(base_url)
    credentials = credentials_from_env(os.environ)
    with open_client(base_url=url, credentials=credentials) as client:
        account = fetch_live(client)
    # Only the IVRs being imported must be readable: `--id 12` works beside an odd IVR 13.
    account.require(ids or account.unreadable)
    plan = plan_import(select_ivrs(account.ivrs, ids or None), Path(config_dir))
    refuse_overwrites(plan, force=force)

    def report(file: ImportFile) -> None:
        name = json.dumps(file.ivr.name, ensure_ascii=False)
        click.echo(f"Wrote {file.display} (IVR {file.ivr.id} {name})")

    store = StateStore(Path(state_path))
    with store.lock(command="ivrsync import") as lock:
        entries = write_import(plan, lock=lock, force=force, on_written=report)
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    noun = "IVR" if len(entries) == 1 else "IVRs"
    click.echo(f"Imported {len(entries)} {noun}; recorded in {state_path} as last applied.")

    written = [file.path for file in plan.files]
    if not written:
        return EXIT_OK
    shown = {file.display for file in plan.files}
    problems = [p for p in load_config_set(written).problems if p.file in shown]
    if problems:
        click.echo(render_problems(problems, "text"), err=True, nl=False)
    if any(problem.is_error for problem in problems):
        raise ConfigError(
            "some imported files do not pass validation (their live values are outside what "
            "the schema allows)",
            hint="fix the problems listed above; the state holds the live values, so "
            "`ivrsync plan` then shows exactly your fixes",
        )
    return EXIT_OK
