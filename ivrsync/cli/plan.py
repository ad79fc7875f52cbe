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

import os
from collections.abc import Iterable
from pathlib import Path

import click

from ivrsync.cli.live_options import fetch_refreshed, refresh_option
from ivrsync.cli.options import (
    base_url_option,
    config_dir_option,
    format_option,
    state_option,
    target_option,
    use_color,
)
from ivrsync.config.validate import load_config_dir
from ivrsync.errors import EXIT_CHANGES, EXIT_OK, ConfigError, UsageError
from ivrsync.model import RefreshedPlan
from ivrsync.plan.diff import compute_plan
from ivrsync.plan.planfile import render_plan_json, save_plan
from ivrsync.render.plan_markdown import render_plan_markdown
from ivrsync.render.plan_text import render_plan_text
from ivrsync.render.problems import render_problems
from ivrsync.render.refresh import render_refresh_text
from ivrsync.smartflo.client import open_client
from ivrsync.smartflo.credentials import Credentials, check_base_url, credentials_from_env
from ivrsync.state import StateStore


def _check_out_path(out_path: str, store: StateStore, sources: Iterable[str]) -> None:
    """Refuse an --out that would overwrite the state (or its journal or lock) or an IVR file.

    `plan` never writes the state, and a plan saved over an IVR file would destroy it.
    """
    out = Path(out_path).resolve()
    protected = {store.path: "the state file", store.journal_path: "the state journal"}
    protected[store.lock_path] = "the state lock"
    protected.update((Path(source), "an IVR file") for source in sources)
    for path, what in protected.items():
        if path.resolve() == out:
            raise UsageError(
                f"--out {out_path} is {what}; saving the plan there would overwrite it",
                hint="save the plan to a file of its own, e.g. --out plan.json",
            )


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
def command(
    config_dir: str,
    state_path: str,
    output_format: str,
    out_path: str | None,
    targets: tuple[int, ...],
    detailed_exitcode: bool,
    verbose: bool,
    no_color: bool,
    refresh: bool,
    base_url: str,
) -> int:
    """Show what `ivrsync apply` would change: IVRs to update, adopt or forget.

    Compares the IVR files with the state file (what ivrsync last applied). Never calls the
    Smartflo API (unless --refresh) and never writes the state. Invalid configs make no plan:
    their problems are printed and the exit code is 1.

    With --refresh, also reads the live IVRs (credentials from SMARTFLO_API_TOKEN, or
    SMARTFLO_EMAIL and SMARTFLO_PASSWORD) and shows conflicts and portal drift after the plan
    (on stderr for json and markdown). The exit code is the same as without it.
    """
    credentials: Credentials | None = None  # set exactly when --refresh is given
    if refresh:
        # Checked before any work, so a bad URL or a missing token fails at once.
        base_url = check_base_url(base_url)
        credentials = credentials_from_env(os.environ)
    config_set = load_config_dir(config_dir)
    if config_set.problems:
        click.echo(render_problems(config_set.problems, "text"), err=True, nl=False)
    if not config_set.ok:
        raise ConfigError(
            "the IVR configs have errors, so no plan was made",
            hint="fix the problems listed above (`ivrsync validate` lists them too)",
        )
    store = StateStore(Path(state_path))
    if out_path is not None:
        _check_out_path(out_path, store, (config.source for config in config_set.configs))
    state = store.load()
    plan = compute_plan(config_set.configs, state, targets=targets or None)
    refreshed: RefreshedPlan | None = None
    if credentials is not None:
        # Fetched before the plan is saved or shown: a failed read leaves no new plan file.
        with open_client(base_url=base_url, credentials=credentials) as client:
            refreshed = fetch_refreshed(client, plan, state)
    if out_path is not None:
        save_plan(plan, Path(out_path))
        click.echo(
            f"Saved the plan to {out_path}; apply it with `ivrsync apply {out_path}`.", err=True
        )

    if output_format == "json":
        output = render_plan_json(plan)
    elif output_format == "markdown":
        output = render_plan_markdown(plan, verbose=verbose)
    else:
        output = render_plan_text(plan, color=use_color(no_color=no_color), verbose=verbose)
        if refreshed is not None:
            output += "\n" + render_refresh_text(refreshed)
    click.echo(output, nl=False)
    if refreshed is not None and output_format != "text":
        click.echo(render_refresh_text(refreshed), err=True, nl=False)
    return EXIT_CHANGES if detailed_exitcode and not plan.is_empty else EXIT_OK
