"""`ivrsync apply [PLANFILE]`: options in, `commands.apply.apply`, the plan, progress, summary.

The run itself (lock, credentials, plan, refresh, rail, confirmation, PUTs) is
`ivrsync.commands.apply`; this module owns only what a terminal needs: the question, the
progress bar, SIGTERM as an interrupt, and the retry log with --verbose.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TextIO

import click

from ivrsync.cli.options import (
    base_url_option,
    config_dir_option,
    connection_options,
    no_cache_option,
    runtime,
    settings,
    state_option,
    target_option,
    use_color,
)
from ivrsync.cli.refresh_options import overwrite_drift_option, refresh_option
from ivrsync.commands.apply import ApplyHooks, ApplyRequest, apply
from ivrsync.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, UsageError
from ivrsync.files import write_atomically
from ivrsync.model import Outcome, Plan
from ivrsync.render.apply_report import (
    render_apply_report_json,
    render_apply_summary,
    render_outcome_line,
    render_read_back,
)
from ivrsync.render.plan_text import render_plan_text
from ivrsync.render.refresh import render_refresh_text

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
    default=None,
    metavar="N",
    help="PUT requests in flight at once (Smartflo's burst limit is small). "
    "[setting apply.parallelism; default 2]",
)
@click.option("--fail-fast", is_flag=True, help="Stop sending after the first failed IVR.")
@click.option(
    "--allow-mass-change",
    is_flag=True,
    help="Proceed when the plan changes more than the safety rail allows (30% of the managed "
    "IVRs, once 10 or more are managed: settings apply.mass_change_ratio and _minimum).",
)
@target_option("Apply only this IVR id (repeatable). Not with PLANFILE.")
@connection_options
@click.option(
    "--canary/--no-canary",
    default=None,
    help="With more than one PUT, send the first IVR alone and read it back before the others. "
    "[setting apply.canary; default on]",
)
@click.option(
    "--read-back/--no-read-back",
    default=None,
    help="After the PUTs, read the live IVRs and compare each applied IVR with what was sent. "
    "[setting apply.read_back; default on]",
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
@no_cache_option
@click.option("--no-color", is_flag=True, help="No colours (also: the NO_COLOR variable).")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=str),
    metavar="FILE",
    help="Also write every outcome and read-back difference to FILE as JSON.",
)
def command(
    plan_file: str | None,
    config_dir: str | None,
    state_path: str | None,
    base_url: str | None,
    auto_approve: bool,
    parallelism: int | None,
    fail_fast: bool,
    allow_mass_change: bool,
    targets: tuple[int, ...],
    timeout: float | None,
    retries: int | None,
    retry_delay: float | None,
    rate_limit: float | None,
    canary: bool | None,
    read_back: bool | None,
    verbose: bool,
    refresh: bool,
    overwrite_drift: bool,
    no_color: bool,
    report_path: str | None,
    no_cache: bool,
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
    resolved = settings(
        config_dir=config_dir,
        state_path=state_path,
        base_url=base_url,
        parallelism=parallelism,
        timeout=timeout,
        retries=retries,
        retry_delay=retry_delay,
        rate_limit=rate_limit,
        canary=canary,
        read_back=read_back,
    )
    request = ApplyRequest(
        plan_file=plan_file,
        auto_approve=auto_approve,
        fail_fast=fail_fast,
        allow_mass_change=allow_mass_change,
        targets=targets,
        refresh=refresh,
        overwrite_drift=overwrite_drift,
    )
    progress: _Progress | None = None

    def show_plan(plan: Plan) -> None:
        nonlocal progress
        color = use_color(no_color=no_color)
        click.echo(render_plan_text(plan, color=color, verbose=verbose), nl=False)
        progress = _Progress(len(plan.changes), stream=sys.stderr, verbose=verbose)

    def on_outcome(outcome: Outcome) -> None:
        if progress is not None:
            progress.show(outcome)

    def on_interrupt(in_flight: int) -> None:
        if progress is not None:
            progress.interrupted(in_flight)

    hooks = ApplyHooks(
        show_plan=show_plan,
        show_refreshed=lambda refreshed: click.echo(
            render_refresh_text(refreshed), err=True, nl=False
        ),
        confirm=_confirmed,
        on_outcome=on_outcome,
        on_interrupt=on_interrupt,
    )
    with _retry_log(verbose):
        try:
            result = apply(
                request,
                runtime(resolved, while_sending=_terminate_as_interrupt, use_cache=not no_cache),
                hooks,
            )
        except _QuestionInterrupted:
            click.echo("\ninterrupted at the question; nothing was sent.", err=True)
            return EXIT_INTERRUPTED
    if progress is not None:
        progress.close()
    if result.cancelled:
        click.echo("Apply cancelled; nothing was sent.", err=True)
        return EXIT_ERROR
    if result.report is None:
        return EXIT_OK
    click.echo("\n" + render_apply_summary(result.report, verbose=verbose), nl=False)
    if result.read_back:
        click.echo("\n" + render_read_back(result.read_back), nl=False)
    if report_path is not None:
        text = render_apply_report_json(result.report, result.read_back)
        write_atomically(Path(report_path), text.encode("utf-8"))
    if result.report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.ok else EXIT_ERROR


class _QuestionInterrupted(Exception):
    """Ctrl-C or Ctrl-D at the confirmation prompt: nothing was sent."""


def _confirmed() -> bool:
    """Ask the person at the terminal; refuse (UsageError) when there is nobody to ask."""
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to apply without confirmation: there is no terminal to ask on",
            hint="pass --auto-approve (in CI), or apply a reviewed plan: "
            "`ivrsync plan --out plan.json`, then `ivrsync apply plan.json`",
        )
    try:
        answer = click.prompt(CONFIRMATION, default="", show_default=False, err=True)
    except (click.exceptions.Abort, KeyboardInterrupt, EOFError) as exc:
        raise _QuestionInterrupted from exc
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

    def __init__(
        self,
        total: int,
        *,
        stream: TextIO,
        verbose: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream
        self.verbose = verbose
        self.terminal = stream.isatty()
        self.done = 0
        self.failed = 0
        self.drawn = False
        self.clock = clock
        self.started = clock()

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
        elapsed = self.clock() - self.started
        pace = ""
        if self.done and elapsed > 0:
            rate = self.done / elapsed
            left = (self.total - self.done) / rate
            pace = f", {rate:.1f}/s, ETA {int(left) // 60}:{int(left) % 60:02d}"
        self.stream.write(f"\rApplying [{bar}] {self.done}/{self.total}{failed}{pace}")
        self.stream.flush()
        self.drawn = True

    def _clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.drawn = False
