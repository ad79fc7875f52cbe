"""`apply`: send the plan's changes to Smartflo, recording each success in the state.

The order of a run, each step before the next: take the state lock (a second apply fails at
once), read the credentials (before any request or question), make the plan (from the configs
against the locked state) or load and check a saved one, show it, stop if it is empty, with
`refresh` read the live IVRs and refuse conflicts (unless `overwrite_drift`), check the safety
rail, ask for confirmation, then apply. The refresh read and the PUTs go through one client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivrsync.apply import apply_plan
from ivrsync.commands.live import fetch_refreshed
from ivrsync.commands.plan import check_targets
from ivrsync.commands.runtime import Runtime
from ivrsync.commands.validate import require_valid_configs
from ivrsync.errors import UsageError
from ivrsync.model import ApplyReport, Outcome, Plan, RefreshedPlan, State
from ivrsync.plan.diff import compute_plan
from ivrsync.plan.planfile import check_plan_current, load_plan
from ivrsync.plan.refresh import check_conflicts
from ivrsync.plan.safety import check_mass_change
from ivrsync.smartflo.credentials import DEFAULT_BASE_URL, check_base_url, credentials_from_env
from ivrsync.smartflo.retry import RetryPolicy
from ivrsync.state import StateStore


@dataclass(frozen=True)
class ApplyRequest:
    config_dir: str
    state_path: str
    plan_file: str | None = None
    base_url: str = DEFAULT_BASE_URL
    auto_approve: bool = False
    parallelism: int = 2
    fail_fast: bool = False
    allow_mass_change: bool = False
    targets: tuple[int, ...] = ()
    timeout: float = 10.0
    retries: int = 4
    retry_delay: float = 0.5
    refresh: bool = False
    overwrite_drift: bool = False


@dataclass(frozen=True)
class ApplyHooks:
    """What the person running apply sees and answers, in the order a run calls them.

    `confirm` is asked only for a fresh plan without `auto_approve`; False cancels the run
    before anything is sent.
    """

    show_plan: Callable[[Plan], None]
    show_refreshed: Callable[[RefreshedPlan], None]
    confirm: Callable[[], bool]
    on_outcome: Callable[[Outcome], None]
    on_interrupt: Callable[[int], None] | None = None


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    report: ApplyReport | None  # None when nothing was sent: an empty plan, or cancelled
    cancelled: bool = False


def check_request(request: ApplyRequest) -> None:
    """Refuse combinations of options that cannot mean what the user wants (UsageError)."""
    if request.overwrite_drift and not request.refresh:
        # Without refresh nothing reads the live IVRs, so there is no conflict to override:
        # the flag would silently do nothing, which hides a mistyped command line.
        raise UsageError(
            "--overwrite-drift needs --refresh: only a refreshed apply reads the live IVRs "
            "and can find conflicts to overwrite",
            hint="run `ivrsync apply --refresh --overwrite-drift`, or drop --overwrite-drift",
        )
    if request.plan_file is not None and request.targets:
        raise UsageError(
            "--target cannot be used with a PLANFILE: the plan file already fixes what is applied",
            hint="make a partial plan with `ivrsync plan --target ID --out FILE` instead",
        )


def apply(request: ApplyRequest, runtime: Runtime, hooks: ApplyHooks) -> ApplyResult:
    """Run one apply. Raises IvrsyncError subclasses for everything that stops it early."""
    check_request(request)
    url = check_base_url(request.base_url)
    retry = RetryPolicy(attempts=request.retries + 1, base_delay=request.retry_delay)
    store = StateStore(Path(request.state_path))
    with store.lock(command=_command_line(request.plan_file)) as lock:
        credentials = credentials_from_env(runtime.env)
        state = lock.state()
        plan = (
            _saved_plan(request.plan_file, state)
            if request.plan_file
            else _fresh_plan(request, state, runtime)
        )
        hooks.show_plan(plan)
        if plan.is_empty:
            return ApplyResult(plan, None)
        # Opening the client sends nothing; it is opened here so that the refresh reads the
        # live IVRs through the same client (connection, login, retries) as the PUTs.
        with runtime.open_client(
            base_url=url,
            credentials=credentials,
            timeout=request.timeout,
            retry=retry,
            max_connections=request.parallelism,
        ) as client:
            if request.refresh:
                refreshed = fetch_refreshed(client, plan, state, runtime)
                hooks.show_refreshed(refreshed)
                check_conflicts(refreshed, overwrite_drift=request.overwrite_drift)
            check_mass_change(plan, state, allow=request.allow_mass_change)
            if request.plan_file is None and not request.auto_approve and not hooks.confirm():
                return ApplyResult(plan, None, cancelled=True)
            with runtime.while_sending():
                report = apply_plan(
                    plan,
                    writer=client,
                    lock=lock,
                    parallelism=request.parallelism,
                    fail_fast=request.fail_fast,
                    on_outcome=hooks.on_outcome,
                    on_interrupt=hooks.on_interrupt,
                    clock=runtime.clock,
                )
    return ApplyResult(plan, report)


def _command_line(plan_file: str | None) -> str:
    """What the lock file says this run is (shown to a second run that finds it locked)."""
    return f"ivrsync apply {plan_file}" if plan_file else "ivrsync apply"


def _fresh_plan(request: ApplyRequest, state: State, runtime: Runtime) -> Plan:
    """The plan from the configs against the locked state; ConfigError when they are invalid."""
    config_set = require_valid_configs(
        request.config_dir, runtime, consequence="nothing was planned or applied"
    )
    check_targets(request.targets, config_set.configs, state)
    return compute_plan(config_set.configs, state, targets=request.targets or None)


def _saved_plan(plan_file: str, state: State) -> Plan:
    """The saved plan, refused (PlanFileError) unless it was made from exactly this state."""
    plan = load_plan(Path(plan_file))
    check_plan_current(plan, state)
    return plan
