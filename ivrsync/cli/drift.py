"""`ivrsync drift`: what changed in the portal since ivrsync last applied. Read-only."""

from __future__ import annotations

import click

from ivrsync.cli.options import (
    base_url_option,
    connection_options,
    format_option,
    runtime,
    settings,
    state_option,
)
from ivrsync.commands.drift import drift
from ivrsync.errors import EXIT_CHANGES, EXIT_OK
from ivrsync.render.drift import render_drift_json, render_drift_markdown, render_drift_text


@click.command("drift")
@state_option
@base_url_option
@connection_options
@format_option("text", "markdown", "json")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there is no drift (or nothing is managed yet), 2 when there is, 1 on an "
    "error.",
)
@click.option("-v", "--verbose", is_flag=True, help="List every unmanaged live IVR.")
def command(
    state_path: str | None,
    base_url: str | None,
    timeout: float | None,
    retries: int | None,
    retry_delay: float | None,
    rate_limit: float | None,
    output_format: str,
    detailed_exitcode: bool,
    verbose: bool,
) -> int:
    """Compare the live IVRs with the state (what ivrsync last applied).

    Reports fields changed in the portal (last-applied value -> live value), managed IVRs that
    no longer exist, and live IVRs that ivrsync does not manage (listed, not counted as drift).
    Read-only: never takes the state lock and never writes. Suitable for a nightly CI job.
    """
    resolved = settings(
        state_path=state_path,
        base_url=base_url,
        timeout=timeout,
        retries=retries,
        retry_delay=retry_delay,
        rate_limit=rate_limit,
    )
    report = drift(runtime(resolved))
    if output_format == "json":
        output = render_drift_json(report)
    elif output_format == "markdown":
        output = render_drift_markdown(report)
    else:
        output = render_drift_text(report, verbose=verbose)
    click.echo(output, nl=False)
    if not report.managed:
        # Not an error: the apply workflow checks drift before the very first apply too.
        click.echo(
            "warning: nothing is managed yet, so there is no drift to check; "
            "`ivrsync import` (or a first `ivrsync apply`) starts managing IVRs",
            err=True,
        )
    return EXIT_CHANGES if detailed_exitcode and report.has_drift else EXIT_OK
