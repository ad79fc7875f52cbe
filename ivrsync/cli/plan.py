"""`ivrsync plan`: what apply would change, from the configs and the state alone (no network).

`--refresh` adds the live IVRs (one `GET /v1/ivrs`, so credentials and --base-url are needed then
and only then) and a refresh section: conflicts, portal changes the next PUT overwrites, other
drift. In text format the section follows the plan on stdout, each part closing with its own
summary line. In json and markdown format it goes to stderr instead, so stdout stays exactly the
plan document (`apply PLANFILE` reads it) or the pull-request comment. `--out` saves the same plan
document with or without `--refresh`, and `--detailed-exitcode` keeps its meaning: 2 when the plan
has changes; drift alone is 0 (`ivrsync drift --detailed-exitcode` reports drift).
"""

from __future__ import annotations

import click

from ivrsync.cli.options import (
    base_url_option,
    config_dir_option,
    format_option,
    no_cache_option,
    runtime,
    settings,
    state_option,
    target_option,
    use_color,
)
from ivrsync.cli.refresh_options import refresh_option
from ivrsync.commands.plan import PlanRequest, plan
from ivrsync.errors import EXIT_CHANGES, EXIT_OK, IvrsyncError
from ivrsync.plan.planfile import render_plan_json
from ivrsync.render.escape import json_text, shown_lines
from ivrsync.render.plan_markdown import render_plan_markdown
from ivrsync.render.plan_text import render_plan_text
from ivrsync.render.refresh import render_refresh_text


@click.command("plan")
@config_dir_option
@state_option
@format_option("text", "markdown", "json")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, writable=True, path_type=str),
    help="Also save the plan (the JSON document) to FILE, for `ivrsync apply FILE`.",
    metavar="FILE",
)
@target_option("Plan only this IVR id (repeatable). The plan is marked partial.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are (1 is still an error).",
)
@click.option("-v", "--verbose", is_flag=True, help="List the unchanged IVRs too.")
@click.option("--no-color", is_flag=True, help="No colours (also: the NO_COLOR variable).")
@refresh_option(
    "Also fetch the live IVRs and show what the portal changed since the last apply, apart "
    "from the YAML's changes; a field changed in both is a conflict. Needs credentials."
)
@base_url_option
@no_cache_option
def command(
    config_dir: str | None,
    state_path: str | None,
    output_format: str,
    out_path: str | None,
    targets: tuple[int, ...],
    detailed_exitcode: bool,
    verbose: bool,
    no_color: bool,
    refresh: bool,
    base_url: str | None,
    no_cache: bool,
) -> int:
    """Show what `ivrsync apply` would change: IVRs to update, adopt or forget.

    Compares the IVR files with the state file (what ivrsync last applied). Never calls the
    Smartflo API (unless --refresh) and never writes the state. Invalid configs make no plan:
    their problems are printed and the exit code is 1.

    With --refresh, also reads the live IVRs (credentials from SMARTFLO_API_TOKEN, or
    SMARTFLO_EMAIL and SMARTFLO_PASSWORD) and shows conflicts and portal drift after the plan
    (on stderr for json and markdown). The exit code is the same as without it.
    """
    resolved = settings(config_dir=config_dir, state_path=state_path, base_url=base_url)
    request = PlanRequest(
        targets=targets,
        out_path=out_path,
        refresh=refresh,
        with_flow=output_format == "markdown",
    )
    context = runtime(resolved, use_cache=not no_cache)
    result = plan(request, context)
    if out_path is not None:
        click.echo(
            f"Saved the plan to {out_path}; apply it with `ivrsync apply {out_path}`.", err=True
        )
    refusal = _refusal_text(result.refusal)
    if output_format == "json":
        output = json_text(render_plan_json(result.plan, key=context.plan_key()))
        if refusal is not None:
            # The JSON document stays exactly the plan (apply reads it); the notice goes aside.
            click.echo(f"warning: apply will refuse this plan: {shown_lines(refusal)}", err=True)
    elif output_format == "markdown":
        output = render_plan_markdown(
            result.plan, verbose=verbose, refusal=refusal, flow=result.flow
        )
    else:
        color = use_color(no_color=no_color)
        output = render_plan_text(result.plan, color=color, verbose=verbose, refusal=refusal)
        if result.refreshed is not None:
            output += "\n" + render_refresh_text(result.refreshed)
    click.echo(output, nl=False)
    if result.refreshed is not None and output_format != "text":
        click.echo(render_refresh_text(result.refreshed), err=True, nl=False)
    return EXIT_CHANGES if detailed_exitcode and not result.plan.is_empty else EXIT_OK


def _refusal_text(refusal: IvrsyncError | None) -> str | None:
    if refusal is None:
        return None
    return f"{refusal.message}\n(override: {refusal.hint})" if refusal.hint else refusal.message
