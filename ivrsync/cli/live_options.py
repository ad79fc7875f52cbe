"""`--refresh` and `--overwrite-drift`: how `plan` and `apply` fold the live IVRs into a plan.

Both commands fetch the live IVRs the same way (one `GET /v1/ivrs` through
`ivrsync.smartflo.live`) and classify them the same way (`ivrsync.plan.refresh`); only where the
section goes differs, so the option and the fetch live here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ivrsync.errors import UsageError
from ivrsync.model import Plan, RefreshedPlan, State
from ivrsync.plan.refresh import refresh_plan
from ivrsync.smartflo.live import IvrLister, fetch_live

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


def check_overwrite_drift(*, refresh: bool, overwrite_drift: bool) -> None:
    """Raise UsageError for `--overwrite-drift` without `--refresh`.

    Without `--refresh` nothing reads the live IVRs, so there is no conflict to override: the
    flag would silently do nothing, which hides a mistyped command line.
    """
    if overwrite_drift and not refresh:
        raise UsageError(
            "--overwrite-drift needs --refresh: only a refreshed apply reads the live IVRs "
            "and can find conflicts to overwrite",
            hint="run `ivrsync apply --refresh --overwrite-drift`, or drop --overwrite-drift",
        )


def fetch_refreshed(client: IvrLister, plan: Plan, state: State) -> RefreshedPlan:
    """`plan` (made from `state`) with the live IVRs folded in: one `GET /v1/ivrs`.

    Raises the client's ApiError subclasses, and ApiError for a live IVR it cannot map among
    those the plan or the state names; any other unreadable IVR is left out with a warning.
    """
    account = fetch_live(client)
    involved = {change.id for change in plan.changes} | set(state.entries)
    account.require(involved)
    for warning in account.skipped(involved):
        click.echo(f"warning: {warning}", err=True)
    return refresh_plan(plan, state, account.ivrs)
