"""`ivrsync validate`: check IVR files and report every problem of every file at once."""

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
from ivrsync.commands.validate import validate
from ivrsync.errors import EXIT_ERROR, EXIT_OK
from ivrsync.render.problems import ProblemFormat, render_problems


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@config_dir_option
@format_option("text", "json", "github")
@click.option("--strict", is_flag=True, help="Fail on warnings too, not only on errors.")
@no_cache_option
def command(
    paths: tuple[str, ...],
    config_dir: str | None,
    output_format: str,
    strict: bool,
    no_cache: bool,
) -> int:
    """Check IVR files against the schema and against each other.

    PATHS are files or folders (folders are searched recursively for *.yaml and *.yml); without
    PATHS, the config folder is checked. Every problem of every file is reported, sorted, with
    its file, line and column. Exits 0 when there are no errors (and, with --strict, no
    warnings), 1 otherwise.
    """
    context = runtime(settings(config_dir=config_dir), use_cache=not no_cache)
    folder = context.settings.paths.config_dir
    cache = context.config_cache()
    checks = context.telephony_checks()
    result = validate(paths, config_dir=folder, strict=strict, checks=checks, cache=cache)
    context.save_cache()
    click.echo(
        render_problems(
            result.config_set.problems,
            cast(ProblemFormat, output_format),
            files_read=result.config_set.files_read,
        ),
        nl=False,
    )
    return EXIT_ERROR if result.failed else EXIT_OK
