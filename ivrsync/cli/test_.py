"""`ivrsync test`: run the caller-path tests (`ivr-tests/*.yaml`) against the config set."""

from __future__ import annotations

from typing import cast

import click

from ivrsync.cli.options import (
    config_dir_option,
    format_option,
    no_cache_option,
    runtime,
    settings,
)
from ivrsync.commands.calltest import CallTestRequest, run_tests
from ivrsync.errors import EXIT_ERROR, EXIT_OK
from ivrsync.render.calltest import CallTestFormat, render_test_report


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@config_dir_option
@format_option("text", "github", "markdown", "json")
@no_cache_option
def command(
    paths: tuple[str, ...], config_dir: str | None, output_format: str, no_cache: bool
) -> int:
    """Walk each caller of the test files through the IVRs, as Smartflo would route the call.

    PATHS are test files or folders (default: ivr-tests). Each test starts at an IVR, presses
    keys (or timeout, invalid) and expects a destination; the path taken is shown. github adds
    annotations for failures; markdown is for a job summary. Exits 0 when every test passes, 1
    when one fails or a test file has a problem.
    """
    context = runtime(settings(config_dir=config_dir), use_cache=not no_cache)
    folder = str(context.settings.paths.config_dir)
    report = run_tests(CallTestRequest(config_dir=folder, paths=paths), context)
    click.echo(render_test_report(report, cast(CallTestFormat, output_format)), nl=False)
    return EXIT_OK if report.ok else EXIT_ERROR
