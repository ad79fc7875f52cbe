"""`ivrsync apply [PLANFILE]`: send the plan's changes to Smartflo, recording each success.

The order of a run, each step before the next: take the state lock (a second apply fails at
once), read the credentials (before any request or question), make the plan (from the configs
against the locked state) or load and check a saved one, print it, stop if it is empty, with
`--refresh` read the live IVRs and refuse conflicts (unless `--overwrite-drift`), check the
safety rail, ask for confirmation, then apply and summarise. The refresh read and the PUTs go
through the same client.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TextIO

import click

from ivrsync.apply import apply_plan
from ivrsync.cli.live_options import (
    check_overwrite_drift,
    fetch_refreshed,
    overwrite_drift_option,
    refresh_option,
)
from ivrsync.cli.options import (
    base_url_option,
    config_dir_option,
    state_option,
    target_option,
    use_color,
)
from ivrsync.config.validate import load_config_dir
from ivrsync.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, ConfigError, UsageError
from ivrsync.model import Outcome, Plan, State
from ivrsync.plan.diff import compute_plan
from ivrsync.plan.planfile import check_plan_current, load_plan
from ivrsync.plan.refresh import check_conflicts
from ivrsync.plan.safety import check_mass_change
from ivrsync.render.apply_report import render_apply_summary, render_outcome_line
from ivrsync.render.plan_text import render_plan_text
from ivrsync.render.problems import render_problems
from ivrsync.render.refresh import render_refresh_text
from ivrsync.smartflo.client import open_client
from ivrsync.smartflo.credentials import check_base_url, credentials_from_env
from ivrsync.smartflo.retry import RetryPolicy
from ivrsync.state import StateStore

CONFIRMATION = "Apply these changes to Smartflo? Only 'yes' is accepted"


@click.command("apply")
@click.argument(
    "plan_file",
    required=False,
    metavar="[PLANFILE]",
    type=click.Path(dir_okay=False, path_type=str),
)
@config_dir_option
@state_option
@base_url_option
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Apply without asking (for CI). A PLANFILE is never asked about.",
)
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    metavar="N",
    help="PUT requests in flight at once (Smartflo's burst limit is small).",
)
@click.option("--fail-fast", is_flag=True, help="Stop sending after the first failed IVR.")
@click.option(
    "--allow-mass-change",
    is_flag=True,
    help="Proceed when more than 30% of the managed IVRs (10 or more) would change.",
)
@target_option("Apply only this IVR id (repeatable). Not with PLANFILE.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Timeout of each HTTP request.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=4,
    show_default=True,
    metavar="N",
    help="Retries of a request after a 429, 5xx, timeout or dropped connection.",
)
@click.option(
    "--retry-delay",
    type=click.FloatRange(min=0),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="Longest wait before the first retry (random, doubling per retry; a Retry-After wins).",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="List unchanged IVRs, the server's message per IVR, and every retry.",
)
@refresh_option(
    "Before asking or sending, fetch the live IVRs, show what the portal changed since the "
    "last apply, and refuse to run when a field changed both in the YAML and in the portal."
)
@overwrite_drift_option
def command(
    plan_file: str | None,
    config_dir: str,
    state_path: str,
    base_url: str,
    auto_approve: bool,
    parallelism: int,
    fail_fast: bool,
    allow_mass_change: bool,
    targets: tuple[int, ...],
    timeout: float,
    retries: int,
    retry_delay: float,
    verbose: bool,
    refresh: bool,
    overwrite_drift: bool,
) -> int:
    """Apply the plan to Smartflo: PUT each changed IVR, record each success in the state.

    Without PLANFILE, makes the plan from the configs (as `ivrsync plan` would), prints it and
    asks for confirmation (`--auto-approve` skips the question; with no terminal it is
    required). With PLANFILE (from `ivrsync plan --out`), applies exactly that plan without
    asking, and refuses it if the state changed since it was made.

    With --refresh, reads the live IVRs first and prints what the portal changed (stderr); a
    field changed both in the YAML and in the portal refuses the whole run before anything is
    sent, unless --overwrite-drift.

    Credentials come from SMARTFLO_API_TOKEN, or SMARTFLO_EMAIL and SMARTFLO_PASSWORD. Exit 0
    when everything applied, 1 otherwise, 130 on Ctrl-C. A rerun sends only what is pending.
    """
    check_overwrite_drift(refresh=refresh, overwrite_drift=overwrite_drift)
    if plan_file is not None and targets:
        raise UsageError(
            "--target cannot be used with a PLANFILE: the plan file already fixes what is applied",
            hint="make a partial plan with `ivrsync plan --target ID --out FILE` instead",
        )
    url = check_base_url(base_url)
    retry = RetryPolicy(attempts=retries + 1, base_delay=retry_delay)
    store = StateStore(Path(state_path))
    with store.lock(command=_command_line(plan_file)) as lock:
        credentials = credentials_from_env(os.environ)
        state = lock.state()
        plan = (
            _saved_plan(plan_file, state) if plan_file else _fresh_plan(config_dir, state, targets)
        )
        click.echo(render_plan_text(plan, color=use_color(), verbose=verbose), nl=False)
        if plan.is_empty:
            return EXIT_OK
        progress = _Progress(len(plan.changes), stream=sys.stderr, verbose=verbose)
        # Opening the client sends nothing; it is opened here so that --refresh reads the live
        # IVRs through the same client (connection, login, retries) as the PUTs.
        with (
            open_client(
                base_url=url,
                credentials=credentials,
                timeout=timeout,
                retry=retry,
                max_connections=parallelism,
            ) as client,
            _retry_log(verbose),
        ):
            if refresh:
                refreshed = fetch_refreshed(client, plan, state)
                click.echo(render_refresh_text(refreshed), err=True, nl=False)
                check_conflicts(refreshed, overwrite_drift=overwrite_drift)
            check_mass_change(plan, state, allow=allow_mass_change)
            if plan_file is None and not auto_approve and not _confirmed():
                click.echo("Apply cancelled; nothing was sent.", err=True)
                return EXIT_ERROR
            with _terminate_as_interrupt():
                report = apply_plan(
                    plan,
                    writer=client,
                    lock=lock,
                    parallelism=parallelism,
                    fail_fast=fail_fast,
                    on_outcome=progress.show,
                    on_interrupt=progress.interrupted,
                )
        progress.close()
    click.echo("\n" + render_apply_summary(report), nl=False)
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if report.ok else EXIT_ERROR


def _command_line(plan_file: str | None) -> str:
    """What the lock file says this run is (shown to a second run that finds it locked)."""
    return f"ivrsync apply {plan_file}" if plan_file else "ivrsync apply"


def _fresh_plan(config_dir: str, state: State, targets: tuple[int, ...]) -> Plan:
    """The plan from the configs against the locked state; ConfigError when they are invalid."""
    config_set = load_config_dir(config_dir)
    if config_set.problems:
        click.echo(render_problems(config_set.problems, "text"), err=True, nl=False)
    if not config_set.ok:
        raise ConfigError(
            "the IVR configs have errors, so nothing was planned or applied",
            hint="fix the problems listed above (`ivrsync validate` lists them too)",
        )
    return compute_plan(config_set.configs, state, targets=targets or None)


def _saved_plan(plan_file: str, state: State) -> Plan:
    """The saved plan, refused (PlanFileError) unless it was made from exactly this state."""
    plan = load_plan(Path(plan_file))
    check_plan_current(plan, state)
    return plan


def _confirmed() -> bool:
    """Ask the person at the terminal; refuse (UsageError) when there is nobody to ask."""
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to apply without confirmation: there is no terminal to ask on",
            hint="pass --auto-approve (in CI), or apply a reviewed plan: "
            "`ivrsync plan --out plan.json`, then `ivrsync apply plan.json`",
        )
    answer = click.prompt(CONFIRMATION, default="", show_default=False, err=True)
    return bool(answer.strip() == "yes")


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While PUTs are sent, SIGTERM stops the run the way Ctrl-C does.

    A cancelled CI job or a `kill` sends SIGTERM; by default it would end the process at once,
    abandoning requests in flight. As an interrupt, requests in flight finish, every success is
    recorded and merged into the state, and the exit code is 130. (Nothing acknowledged would
    be lost either way, thanks to the journal; this keeps the summary and the state tidy.)
    Signal handlers can only be set from the main thread; elsewhere the default stays.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _retry_log(verbose: bool) -> Iterator[None]:
    """With --verbose, the API client's log (each retry and why) goes to stderr for the run.

    The client redacts secrets from everything it logs; httpx's own loggers stay silent.
    """
    if not verbose:
        yield
        return
    logger = logging.getLogger("ivrsync")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


class _Progress:
    """Progress on stderr: a bar that redraws itself on a terminal, else one line per IVR.

    Failures are printed in full in both modes. IVRs not attempted are left to the summary.
    """

    def __init__(self, total: int, *, stream: TextIO, verbose: bool) -> None:
        self.total = total
        self.stream = stream
        self.verbose = verbose
        self.terminal = stream.isatty()
        self.done = 0
        self.failed = 0
        self.drawn = False

    def show(self, outcome: Outcome) -> None:
        if outcome.status == "not_attempted":
            return
        self.done += 1
        self.failed += outcome.status in ("failed", "abandoned")
        line = render_outcome_line(outcome, verbose=self.verbose)
        if not self.terminal:
            click.echo(line, file=self.stream)
            return
        if outcome.status != "applied" or self.verbose:
            self._clear()
            click.echo(line, file=self.stream)
        self._draw()

    def interrupted(self, in_flight: int) -> None:
        self._clear()
        noun = "request" if in_flight == 1 else "requests"
        click.echo(
            f"Interrupted: waiting for {in_flight} {noun} in flight to finish "
            "(Ctrl-C again to abandon them).",
            file=self.stream,
        )

    def close(self) -> None:
        if self.drawn:
            click.echo("", file=self.stream)
            self.drawn = False

    def _draw(self) -> None:
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        failed = f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\rApplying [{bar}] {self.done}/{self.total}{failed}")
        self.stream.flush()
        self.drawn = True

    def _clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.drawn = False
