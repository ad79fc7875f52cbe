"""`apply`: send the plan's changes to Smartflo, recording each success in the state.

The order of a run, each step before the next: take the state lock (a second apply fails at
once), read the credentials (before any request or question), make the plan (from the configs
against the locked state) or load and check a saved one, show it, stop if it is empty, with
`refresh` read the live IVRs and refuse conflicts (unless `overwrite_drift`), check the safety
rail, ask for confirmation, then apply. The refresh read and the PUTs go through one client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from ivrsync.apply import IvrWriter, apply_plan
from ivrsync.body import referenced_names
from ivrsync.commands.creating import (
    CreateClient,
    check_names_free,
    creating,
    recover,
    write_back,
)
from ivrsync.commands.live import fetch_refreshed
from ivrsync.commands.plan import check_targets
from ivrsync.commands.runtime import Runtime
from ivrsync.commands.validate import require_valid_configs
from ivrsync.create import create_ivrs
from ivrsync.errors import UsageError
from ivrsync.model import (
    PUT_ACTIONS,
    ApplyReport,
    Body,
    Change,
    Outcome,
    Plan,
    ReadBackMismatch,
    RefreshedPlan,
    State,
)
from ivrsync.plan.creates import plan_desired, resolved_change
from ivrsync.plan.planfile import load_plan
from ivrsync.plan.readback import read_back
from ivrsync.plan.refresh import check_conflicts
from ivrsync.plan.safety import Rail, check_mass_change
from ivrsync.plan.verify import check_plan_current, verify_saved_plan
from ivrsync.smartflo.live import IvrLister, fetch_live
from ivrsync.state import StateLock, StateStore, recorded_ids


@dataclass(frozen=True)
class ApplyRequest:
    """What to apply; paths, connection, parallelism, rail, canary and read-back come from the
    runtime's settings."""

    plan_file: str | None = None
    auto_approve: bool = False
    fail_fast: bool = False
    allow_mass_change: bool = False
    targets: tuple[int, ...] = ()
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
    """`report` is None when nothing was sent (an empty plan, or cancelled). `read_back` holds
    every applied IVR Smartflo does not show as sent; `canary` is the id of the IVR sent alone
    first, and `canary_stopped` says the run stopped after it."""

    plan: Plan
    report: ApplyReport | None
    cancelled: bool = False
    read_back: tuple[ReadBackMismatch, ...] = ()
    canary: int | None = None
    canary_stopped: bool = False

    @property
    def ok(self) -> bool:
        return self.report is not None and self.report.ok and not self.read_back


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
    settings = runtime.settings
    runtime.check_base_url()
    # Local, free checks first: a missing config folder or a broken plan file is reported
    # before credentials are even looked at.
    saved = (
        load_plan(Path(request.plan_file), key=runtime.plan_key()) if request.plan_file else None
    )
    config_set = (
        None
        if saved is not None
        else require_valid_configs(
            settings.paths.config_dir, runtime, consequence="nothing was planned or applied"
        )
    )
    store = StateStore(settings.paths.state)
    with store.lock(command=_command_line(request.plan_file)) as lock, ExitStack() as clients:
        credentials = runtime.credentials()
        parallelism = settings.apply.parallelism
        opened: list[_Client] = []

        def client() -> _Client:
            # Opened on first use (opening sends nothing), so that a refresh, the creates and
            # the PUTs share one client (connection, login, retries).
            if not opened:
                opened.append(
                    clients.enter_context(
                        runtime.open_client(
                            settings.smartflo, credentials, max_connections=parallelism
                        )
                    )
                )
            return opened[0]

        # Creates a stopped run left are settled first: the plan depends on what they made.
        recover(store, lock, runtime, client)
        state = lock.state()
        if saved is not None:
            plan = _checked_plan(saved, state)
        else:
            assert config_set is not None
            check_targets(request.targets, config_set.configs, state)
            plan, write_backs = plan_desired(
                config_set.configs,
                config_set.new,
                state,
                targets=request.targets or None,
                recorded=recorded_ids(store.intents.load()),
            )
            write_back(write_backs, store, runtime)
        hooks.show_plan(plan)
        if plan.is_empty:
            return ApplyResult(plan, None)
        runtime.warn_unconfirmed_dialect()
        if request.refresh:
            refreshed = fetch_refreshed(client(), plan, state, runtime)
            hooks.show_refreshed(refreshed)
            check_conflicts(refreshed, overwrite_drift=request.overwrite_drift)
        rail = Rail(settings.apply.mass_change_ratio, settings.apply.mass_change_minimum)
        check_mass_change(plan, state, allow=request.allow_mass_change, rail=rail)
        # Always, refresh or not: a create whose name is taken live would make a duplicate.
        live = check_names_free(client(), plan, runtime) if plan.creates else {}
        if request.plan_file is None and not request.auto_approve and not hooks.confirm():
            return ApplyResult(plan, None, cancelled=True)
        with runtime.while_sending():
            return _send(
                plan, request, runtime, hooks, client=client(), store=store, lock=lock, live=live
            )
    raise AssertionError("unreachable")  # pragma: no cover - every path above returns


class _Client(IvrWriter, CreateClient, Protocol):
    """What apply needs of the client: POSTs, PUTs and reads of the live IVRs."""


def _send(
    plan: Plan,
    request: ApplyRequest,
    runtime: Runtime,
    hooks: ApplyHooks,
    *,
    client: _Client,
    store: StateStore,
    lock: StateLock,
    live: Mapping[int, str],
) -> ApplyResult:
    """Create the new IVRs, then PUT the rest (the canary first when asked), then read back."""
    if not plan.creates:
        return _put(plan, request, runtime, hooks, client=client, lock=lock)
    created = create_ivrs(
        plan.creates,
        creating(client, store, lock, runtime),
        live=live,
        on_outcome=hooks.on_outcome,
    )
    # A change still routing to a new IVR by name routes to one that was not created.
    ready_list: list[Change] = []
    blocked: list[Change] = []
    for change in plan.changes:
        resolved = resolved_change(change, created.ids)
        pending = resolved.body is not None and referenced_names(resolved.body)
        (blocked if pending else ready_list).append(resolved)
    ready = tuple(ready_list)
    unsent = _not_attempted(tuple(blocked), hooks)
    if created.stop_reason is not None:
        unsent += _not_attempted(ready, hooks)
        ready = ()
    rest = _put(
        replace(plan, changes=ready, creates=()),
        request,
        runtime,
        hooks,
        client=client,
        lock=lock,
        created=created.sent,
    )
    assert rest.report is not None or not ready
    outcomes = (*created.outcomes, *unsent, *(rest.report.outcomes if rest.report else ()))
    reason = created.stop_reason or (rest.report.stop_reason if rest.report else None)
    hint = created.stop_hint or (rest.report.stop_hint if rest.report else "")
    report = ApplyReport(
        outcomes=tuple(sorted(outcomes, key=lambda o: o.id)),
        interrupted=bool(rest.report and rest.report.interrupted),
        stop_reason=reason,
        stop_hint=hint,
    )
    return replace(rest, plan=plan, report=report)


def _put(
    plan: Plan,
    request: ApplyRequest,
    runtime: Runtime,
    hooks: ApplyHooks,
    *,
    client: _Client,
    lock: StateLock,
    created: Mapping[int, tuple[str, Body]] | None = None,
) -> ApplyResult:
    """PUT the plan, the canary first when asked, then read back what was applied (and what
    the create phase `created`, by new id)."""
    settings = runtime.settings.apply
    if plan.is_empty:
        if not created:
            return ApplyResult(plan, None)
        nothing = ApplyReport(outcomes=())
        return ApplyResult(
            plan, None, read_back=_read_back(client, nothing, plan, runtime, created)
        )

    def run(part: Plan) -> ApplyReport:
        return apply_plan(
            part,
            writer=client,
            lock=lock,
            parallelism=settings.parallelism,
            fail_fast=request.fail_fast,
            on_outcome=hooks.on_outcome,
            on_interrupt=hooks.on_interrupt,
            clock=runtime.clock,
        )

    puts = [change for change in plan.changes if change.action in PUT_ACTIONS]
    canary = puts[0] if settings.canary and len(puts) > 1 else None
    if canary is None:
        report = run(plan)
        mismatches = _read_back(client, report, plan, runtime, created)
        return ApplyResult(plan, report, read_back=mismatches)
    first = run(replace(plan, changes=(canary,)))
    mismatches = _read_back(client, first, plan, runtime) if first.ok else ()
    rest = tuple(change for change in plan.changes if change.id != canary.id)
    if not first.ok or mismatches:
        reason, hint = _canary_stop(canary, first)
        unsent = _not_attempted(rest, hooks)
        report = _merged(first, unsent, reason=reason, hint=hint)
        return ApplyResult(
            plan, report, read_back=mismatches, canary=canary.id, canary_stopped=True
        )
    others = run(replace(plan, changes=rest))
    report = _merged(first, others.outcomes, reason=others.stop_reason, hint=others.stop_hint)
    report = replace(report, interrupted=others.interrupted)
    mismatches = _read_back(client, others, plan, runtime, created)
    return ApplyResult(plan, report, read_back=mismatches, canary=canary.id)


def _read_back(
    client: IvrLister,
    report: ApplyReport,
    plan: Plan,
    runtime: Runtime,
    created: Mapping[int, tuple[str, Body]] | None = None,
) -> tuple[ReadBackMismatch, ...]:
    """Compare the IVRs `report` applied (and those `created`, by new id: what they were
    POSTed) with one read of the live account (when asked)."""
    applied = {outcome.id for outcome in report.applied if outcome.action != "create"}
    created = created or {}
    if not runtime.settings.apply.read_back or not (applied or created):
        return ()
    live = fetch_live(client, recordings=runtime.settings.smartflo.recordings)
    sent = [
        (change.id, change.name, change.body)
        for change in plan.changes
        if change.id in applied and change.body is not None
    ]
    sent += [(ivr_id, name, body) for ivr_id, (name, body) in sorted(created.items())]
    unreadable = {ivr_id: error.message for ivr_id, error in live.unreadable.items()}
    return read_back(sent, live.ivrs, unreadable)


def _not_attempted(changes: tuple[Change, ...], hooks: ApplyHooks) -> tuple[Outcome, ...]:
    outcomes = []
    for change in changes:
        outcome = Outcome(change.id, change.name, change.action, "not_attempted", "not attempted")
        hooks.on_outcome(outcome)
        outcomes.append(outcome)
    return tuple(outcomes)


def _canary_stop(canary: Change, report: ApplyReport) -> tuple[str | None, str]:
    """Why the run stopped after the canary: its own stop reason, or that it failed."""
    if report.interrupted or report.stop_reason is not None:
        return report.stop_reason, report.stop_hint
    applied = bool(report.applied)
    why = "does not read back as it was sent" if applied else "was refused"
    return (
        f"the canary IVR {canary.id} ({canary.name}) {why}, so nothing else was sent",
        "check the [smartflo] settings the message names (separator, auth_scheme, recordings);"
        " `ivrsync probe` settles them on a scratch IVR",
    )


def _merged(
    first: ApplyReport, rest: tuple[Outcome, ...], *, reason: str | None, hint: str
) -> ApplyReport:
    """One report for the canary and the IVRs after it (sent, or left unsent)."""
    return ApplyReport(
        outcomes=tuple(sorted((*first.outcomes, *rest), key=lambda o: o.id)),
        interrupted=first.interrupted,
        stop_reason=reason,
        stop_hint=hint,
    )


def _command_line(plan_file: str | None) -> str:
    """What the lock file says this run is (shown to a second run that finds it locked)."""
    return f"ivrsync apply {plan_file}" if plan_file else "ivrsync apply"


def _checked_plan(plan: Plan, state: State) -> Plan:
    """The saved plan, refused (PlanFileError) unless it was made from exactly this state and
    says exactly what it sends (`verify_saved_plan`)."""
    check_plan_current(plan, state)
    verify_saved_plan(plan, state)
    return plan
