"""Options shared by several commands, defined once so they read and behave the same everywhere.

Every option that is also a setting (`ivrsync.toml`) has no default and no environment variable
of its own here: `settings()` resolves flag > environment > file > default in one place
(`ivrsync.settings.resolve_settings`), so `ivrsync config` can say where each value came from.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from ivrsync.commands.runtime import Runtime
from ivrsync.model import Problem
from ivrsync.render.escape import shown
from ivrsync.render.problems import render_problems
from ivrsync.settings import (
    Settings,
    find_repository_root,
    find_settings_file,
    resolve_settings,
)

F = TypeVar("F", bound=Callable[..., Any])


def config_dir_option(func: F) -> F:
    return click.option(
        "--config-dir",
        default=None,
        type=click.Path(file_okay=False, path_type=str),
        help="Folder holding the IVR YAML files (searched recursively). "
        "[setting paths.config_dir, env IVRSYNC_CONFIG_DIR; default: ivr-configs]",
    )(func)


def no_cache_option(func: F) -> F:
    """`--no-cache`: check every IVR file afresh, and read or write no cache entry."""
    return click.option(
        "--no-cache",
        is_flag=True,
        help="Check every IVR file afresh, without reading or writing the cache "
        "[setting cache.dir; default: .ivrsync/cache].",
    )(func)


def state_option(func: F) -> F:
    return click.option(
        "--state",
        "state_path",
        default=None,
        type=click.Path(dir_okay=False, path_type=str),
        help="The last-applied state file. "
        "[setting paths.state, env IVRSYNC_STATE; default: .ivrsync/state.json]",
    )(func)


def base_url_option(func: F) -> F:
    return click.option(
        "--base-url",
        default=None,
        metavar="URL",
        help="Smartflo API base URL (https; plain http only to loopback, e.g. the fake server). "
        "[setting smartflo.base_url, env SMARTFLO_BASE_URL]",
    )(func)


def connection_options(func: F) -> F:
    """--timeout, --retries, --retry-delay, --rate-limit: how requests are sent."""
    for option in reversed(
        (
            click.option(
                "--timeout",
                type=click.FloatRange(min=0, min_open=True),
                default=None,
                metavar="SECONDS",
                help="Timeout of each HTTP read. [setting smartflo.timeout; default 10]",
            ),
            click.option(
                "--retries",
                type=click.IntRange(0, 20),
                default=None,
                metavar="N",
                help="Retries of a request after a 429, 5xx, timeout or dropped connection. "
                "[setting smartflo.retries; default 4]",
            ),
            click.option(
                "--retry-delay",
                type=click.FloatRange(min=0),
                default=None,
                metavar="SECONDS",
                help="Longest wait before the first retry (random, doubling per retry; a "
                "Retry-After wins). [setting smartflo.retry_delay; default 0.5]",
            ),
            click.option(
                "--rate-limit",
                type=click.FloatRange(min=0),
                default=None,
                metavar="PER_SECOND",
                help="Requests per second, shared by every request of the run; 0 = no limit. "
                "[setting smartflo.rate_limit; default 2]",
            ),
        )
    ):
        func = option(func)
    return func


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default=default,
            show_default=True,
            help="Output format.",
        )(func)

    return decorate


def target_option(help_text: str) -> Callable[[F], F]:
    """`--target ID` (repeatable): restrict a command to some IVRs; collected as `targets`."""

    def decorate(func: F) -> F:
        return click.option(
            "--target",
            "targets",
            type=click.IntRange(min=1),
            multiple=True,
            metavar="ID",
            help=help_text,
        )(func)

    return decorate


def use_color(*, no_color: bool = False) -> bool:
    """Colour only for a person at a terminal who did not opt out (https://no-color.org).

    `no_color` is a command's `--no-color` flag; a non-empty NO_COLOR variable opts out too.
    """
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


#: Command-line parameter name -> the setting it sets.
FLAG_SETTINGS: Mapping[str, str] = {
    "config_dir": "paths.config_dir",
    "state_path": "paths.state",
    "base_url": "smartflo.base_url",
    "timeout": "smartflo.timeout",
    "retries": "smartflo.retries",
    "retry_delay": "smartflo.retry_delay",
    "rate_limit": "smartflo.rate_limit",
    "parallelism": "apply.parallelism",
    "canary": "apply.canary",
    "read_back": "apply.read_back",
}


def settings(**flags: object) -> Settings:
    """The settings of this run: `flags` (click parameters by name; None = not given) over the
    environment over `ivrsync.toml` (`--config`, IVRSYNC_CONFIG, or the nearest one found from
    the working folder up to the repository root) over the defaults."""
    context = click.get_current_context(silent=True)
    explicit = context.find_root().params.get("config_file") if context is not None else None
    path = find_settings_file(Path.cwd(), explicit=explicit, env=os.environ)
    given = {FLAG_SETTINGS[name]: value for name, value in flags.items() if value is not None}
    # Without a settings file, the default folder and state are the repository root's, as git
    # finds its root: a run from a sub-folder plans the same IVRs as one from the top.
    root = find_repository_root(Path.cwd()) if path is None else None
    return resolve_settings(path, env=os.environ, flags=given, root=root)


def warn(text: str) -> None:
    click.echo(f"warning: {shown(text)}", err=True)


def show_problems(problems: Sequence[Problem]) -> None:
    click.echo(render_problems(problems, "text"), err=True, nl=False)


def runtime(resolved: Settings, **overrides: Any) -> Runtime:
    """The runtime of a command run from the terminal: the process environment, stderr."""
    return Runtime(
        settings=resolved, env=os.environ, warn=warn, show_problems=show_problems, **overrides
    )
