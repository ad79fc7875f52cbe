"""Options shared by several commands, defined once so they read and behave the same everywhere."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from ivrsync.commands.runtime import Runtime
from ivrsync.model import Problem
from ivrsync.render.escape import shown
from ivrsync.render.problems import render_problems
from ivrsync.smartflo.credentials import DEFAULT_BASE_URL

F = TypeVar("F", bound=Callable[..., Any])

#: Defaults, each overridable by an environment variable, as the README documents.
DEFAULT_CONFIG_DIR = "ivr-configs"
DEFAULT_STATE = ".ivrsync/state.json"


def config_dir_option(func: F) -> F:
    return click.option(
        "--config-dir",
        envvar="IVRSYNC_CONFIG_DIR",
        default=DEFAULT_CONFIG_DIR,
        show_default=True,
        show_envvar=True,
        type=click.Path(file_okay=False, path_type=str),
        help="Folder holding the IVR YAML files (searched recursively).",
    )(func)


def state_option(func: F) -> F:
    return click.option(
        "--state",
        "state_path",
        envvar="IVRSYNC_STATE",
        default=DEFAULT_STATE,
        show_default=True,
        show_envvar=True,
        type=click.Path(dir_okay=False, path_type=str),
        help="The last-applied state file.",
    )(func)


def base_url_option(func: F) -> F:
    return click.option(
        "--base-url",
        envvar="SMARTFLO_BASE_URL",
        default=DEFAULT_BASE_URL,
        show_default=True,
        show_envvar=True,
        metavar="URL",
        help="Smartflo API base URL (https; plain http only to loopback, e.g. the fake server).",
    )(func)


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


def warn(text: str) -> None:
    click.echo(f"warning: {shown(text)}", err=True)


def show_problems(problems: Sequence[Problem]) -> None:
    click.echo(render_problems(problems, "text"), err=True, nl=False)


def runtime(**overrides: Any) -> Runtime:
    """The runtime of a command run from the terminal: the process environment, stderr."""
    return Runtime(env=os.environ, warn=warn, show_problems=show_problems, **overrides)
