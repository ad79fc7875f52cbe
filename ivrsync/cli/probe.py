"""`ivrsync probe --ivr ID [--write]`: settle the API dialect on a scratch IVR of the account."""

from __future__ import annotations

import sys

import click

from ivrsync.cli.options import (
    base_url_option,
    connection_options,
    runtime,
    settings,
    state_option,
)
from ivrsync.commands.probe import probe
from ivrsync.errors import EXIT_ERROR, EXIT_OK, UsageError
from ivrsync.files import display_path
from ivrsync.render.probe import render_findings, render_restore_failure


@click.command("probe")
@click.option(
    "--ivr",
    "ivr_id",
    type=click.IntRange(min=1),
    required=True,
    metavar="ID",
    help="The scratch IVR to probe with (make one in the portal for this).",
)
@click.option("--write", is_flag=True, help="Record the answers in ivrsync.toml ([smartflo]).")
@click.option("--allow-managed", is_flag=True, help="Probe with an IVR ivrsync manages.")
@click.option("--yes", is_flag=True, help="Do not ask before rewriting the scratch IVR.")
@state_option
@base_url_option
@connection_options
def command(
    ivr_id: int,
    write: bool,
    allow_managed: bool,
    yes: bool,
    state_path: str | None,
    base_url: str | None,
    timeout: float | None,
    retries: int | None,
    retry_delay: float | None,
    rate_limit: float | None,
) -> int:
    """Find the auth scheme, reference separator, recording mapping, webhook behaviour and
    accepted destination types of this account, using one scratch IVR.

    Test bodies use only recordings and destinations the account already has; every PUT is
    read back; the scratch IVR's original body is restored and verified at the end (at most
    15 requests). Exit 0 when restored, 1 when not (the original body and the
    command to restore it are printed).
    """
    resolved = settings(
        state_path=state_path,
        base_url=base_url,
        timeout=timeout,
        retries=retries,
        retry_delay=retry_delay,
        rate_limit=rate_limit,
    )

    def confirm(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise UsageError(
                "refusing to rewrite the scratch IVR without confirmation: there is no terminal",
                hint="pass --yes",
            )
        return bool(click.confirm(question, err=True))

    result = probe(
        ivr_id, runtime(resolved), write=write, allow_managed=allow_managed, confirm=confirm
    )
    click.echo(render_findings(result.findings, requests=result.requests), nl=False)
    if result.written_to is not None:
        click.echo(
            f"Wrote {', '.join(sorted(result.answers))} to {display_path(result.written_to)}."
        )
    if not result.restored:
        assert result.restore_file is not None
        click.echo(
            render_restore_failure(
                ivr_id,
                result.original,
                result.restore_file,
                base_url=resolved.smartflo.base_url,
                token_env=resolved.smartflo.token_env,
            ),
            err=True,
            nl=False,
        )
        return EXIT_ERROR
    return EXIT_OK
