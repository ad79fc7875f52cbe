"""`--refresh` and `--overwrite-drift`, defined once for `plan` and `apply`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def refresh_option(help_text: str) -> Callable[[F], F]:
    """`--refresh`, with help saying what it does for this command."""

    def decorate(func: F) -> F:
        return click.option("--refresh", is_flag=True, help=help_text)(func)

    return decorate


def overwrite_drift_option(func: F) -> F:
    return click.option(
        "--overwrite-drift",
        is_flag=True,
        help=(
            "With --refresh: apply IVRs with conflicts anyway, replacing the portal's value with "
            "the YAML's."
        ),
    )(func)
