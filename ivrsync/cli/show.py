"""`ivrsync show PLANFILE`: read a saved plan (e.g. CI's artifact) as `plan` shows plans."""

from __future__ import annotations

import click

from ivrsync.cli.options import format_option, runtime, settings, state_option, use_color
from ivrsync.commands.show import show
from ivrsync.errors import EXIT_OK
from ivrsync.plan.planfile import render_plan_json
from ivrsync.render.plan_markdown import render_plan_markdown
from ivrsync.render.plan_text import render_plan_text


@click.command("show")
@click.argument("plan_file", metavar="PLANFILE", type=click.Path(dir_okay=False, path_type=str))
@state_option
@format_option("text", "markdown", "json")
@click.option("-v", "--verbose", is_flag=True, help="List the unchanged IVRs too.")
@click.option("--no-color", is_flag=True, help="No colours (also: the NO_COLOR variable).")
def command(
    plan_file: str, state_path: str | None, output_format: str, verbose: bool, no_color: bool
) -> int:
    """Show a plan saved by `ivrsync plan --out` (text, markdown or JSON), and warn when the
    state moved since it was made (then `ivrsync apply PLANFILE` would refuse it)."""
    context = runtime(settings(state_path=state_path))
    result = show(plan_file, context)
    if result.stale is not None:
        click.echo(f"warning: this plan is stale: {result.stale}", err=True)
    if output_format == "json":
        output = render_plan_json(result.plan, key=context.plan_key())
    elif output_format == "markdown":
        output = render_plan_markdown(result.plan, verbose=verbose)
    else:
        output = render_plan_text(result.plan, color=use_color(no_color=no_color), verbose=verbose)
    click.echo(output, nl=False)
    return EXIT_OK
