"""Run a plan against Smartflo, recording every acknowledged PUT in the state as it happens.

`apply_plan` is the engine behind `ivrsync apply`. It sends exactly the plan's `update`/`adopt`
bodies (nothing else, never twice), records each one the server acknowledged through the state lock
before it reports it, and drops `forget` entries from the state without any request. It never
prints: progress goes to the `on_outcome` callback, the result is an `ApplyReport`.

The pre-flight checks `ivrsync apply` runs before sending anything live here too, so the CLI only
translates: `check_plan_current` (a saved plan against the state it was made from) and
`check_mass_change` (the safety rail).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from ivrsync.errors import ApiError, StateError
from ivrsync.files import utc_timestamp
from ivrsync.model import ApplyReport, Body, Change, Outcome, OutcomeStatus, Plan, StateEntry


class IvrWriter(Protocol):
    """What apply needs from the API client (`SmartfloClient` is one)."""

    def put_ivr(self, ivr_id: int, body: Body) -> str:
        """PUT the full body; return the server's message. Raises `ApiError` on refusal."""
        ...


class StateRecorder(Protocol):
    """What apply needs from the state lock (`StateLock` is one). Both calls are thread-safe."""

    def record_applied(self, entry: StateEntry) -> None: ...

    def record_forgotten(self, ivr_id: int) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _ignore(_: Outcome) -> None:
    return None


@dataclass
class _Run:
    """Bookkeeping shared by the main thread and the workers; every field is guarded by `cond`.

    The workers, not the futures, are the source of truth: a worker marks its IVR in flight before
    it sends and settles it after the state recorded it, so the report stays exact even when
    Ctrl-C lands between two statements of the main thread.
    """

    cond: threading.Condition = field(default_factory=threading.Condition)
    stopping: bool = False  # no new request may start
    closed: bool = False  # the run is over: nothing may be recorded any more
    stop_reason: str | None = None
    stop_hint: str = ""
    in_flight: set[int] = field(default_factory=set)
    recording: int = 0  # workers inside record_applied right now
    settled: int = 0  # tasks finished, whether they sent a request or not
    results: dict[int, Outcome] = field(default_factory=dict)
    events: list[Outcome] = field(default_factory=list)  # results not yet passed to on_outcome
    error: BaseException | None = None  # a non-API failure (a state write, a bug): re-raised

    def stop(self, reason: str, hint: str = "") -> None:
        """Stop starting new requests (caller holds `cond`); the first reason wins."""
        if not self.stopping:
            self.stopping = True
            self.stop_reason = reason
            self.stop_hint = hint

    def drained(self, total: int) -> bool:
        """Nothing more will happen: every task settled, or stopped with none in flight."""
        return self.settled == total or (self.stopping and not self.in_flight)


def apply_plan(
    plan: Plan,
    *,
    writer: IvrWriter,
    lock: StateRecorder,
    parallelism: int = 2,
    fail_fast: bool = False,
    on_outcome: Callable[[Outcome], None] = _ignore,
    on_interrupt: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> ApplyReport:
    """Apply `plan`: PUT every `update`/`adopt` body, drop every `forget` from the state.

    Contract:
    - Exactly the plan's bodies are sent, each at most once per run, with at most `parallelism`
      requests in flight. `forget` changes are recorded first, with no request.
    - Every acknowledged PUT is recorded with `lock.record_applied` (durable when it returns)
      before its outcome is reported, so a crash loses at most what was in flight.
    - A failed IVR does not stop the others, unless `fail_fast`. An `ApiError` with `fatal` set
      (401, 403, missing credentials) stops the run at once: no request starts after it; requests
      already in flight finish and are reported; the rest are `not_attempted`.
    - Ctrl-C (KeyboardInterrupt in the calling thread) stops new requests, waits for those in
      flight (`on_interrupt(n)` is called first with their number) and returns a report with
      `interrupted` set; a second Ctrl-C abandons them (outcome `abandoned`, not recorded).
    - `on_outcome` is called from the calling thread, once per change, in completion order
      (`forget` first, `not_attempted` last).
    - A `StateError` while recording (the journal cannot be written: a full disk) fails that IVR
      with the reason and stops the run like a fatal API error: the report says what happened,
      and a rerun sends the IVR again. Raises any other non-API exception of a worker (a bug)
      after the requests in flight finished; raises ValueError, before sending
      anything, for a plan whose `update`/`adopt` changes lack a body.
    """
    if parallelism < 1:
        raise ValueError(f"parallelism must be at least 1, not {parallelism}")
    puts = [c for c in plan.changes if c.action != "forget"]
    for change in puts:
        if change.body is None or change.digest is None:
            raise ValueError(f"change {change.id} ({change.action}) has no body to send")

    for change in plan.changes:
        if change.action == "forget":
            lock.record_forgotten(change.id)
            on_outcome(_outcome(change, "forgotten", "left the state; Smartflo is untouched"))

    run = _Run()
    interrupted = False
    executor = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="ivrsync-apply")
    try:
        try:
            # Every task is queued at once so a free worker never waits for the main thread;
            # each task checks `stopping` before it sends, which is what makes "no new request
            # after a stop" exact.
            for change in puts:
                executor.submit(_put_one, run, change, writer, lock, fail_fast, clock)
            _pump(run, len(puts), on_outcome)
        except KeyboardInterrupt:
            interrupted = True
            with run.cond:
                run.stop("interrupted")
                in_flight = len(run.in_flight)
            # A second Ctrl-C abandons what is in flight (closed below).
            with contextlib.suppress(KeyboardInterrupt):
                if on_interrupt is not None and in_flight:
                    on_interrupt(in_flight)
                _pump(run, len(puts), on_outcome)
    finally:
        with run.cond:
            run.stopping = True
            run.closed = True
            # A worker already inside record_applied finishes it: a half-reported record
            # would make the report disagree with the state.
            run.cond.wait_for(lambda: run.recording == 0)
            results = dict(run.results)
            pending = list(run.events)
            in_flight_ids = set(run.in_flight) - set(results)
        executor.shutdown(wait=False, cancel_futures=True)

    if run.error is not None:
        raise run.error

    for outcome in pending:
        on_outcome(outcome)
    outcomes: list[Outcome] = []
    late: list[Outcome] = []
    for change in plan.changes:
        if change.action == "forget":
            outcomes.append(_outcome(change, "forgotten", "left the state; Smartflo is untouched"))
        elif change.id in results:
            outcomes.append(results[change.id])
        elif change.id in in_flight_ids:
            outcome = _outcome(
                change,
                "abandoned",
                "abandoned in flight: Smartflo may or may not have applied it",
                hint="run `ivrsync apply` again: it sends this IVR again",
            )
            outcomes.append(outcome)
            late.append(outcome)
        else:
            outcome = _outcome(change, "not_attempted", "not attempted")
            outcomes.append(outcome)
            late.append(outcome)
    for outcome in late:
        on_outcome(outcome)
    return ApplyReport(
        outcomes=tuple(sorted(outcomes, key=lambda o: o.id)),
        interrupted=interrupted,
        stop_reason=None if interrupted else run.stop_reason,
        stop_hint=run.stop_hint,
    )


def _pump(run: _Run, total: int, on_outcome: Callable[[Outcome], None]) -> None:
    """Pass results to `on_outcome` in this thread until the run is drained."""
    while True:
        with run.cond:
            run.cond.wait_for(lambda: bool(run.events) or run.drained(total))
            batch = list(run.events)
            run.events.clear()
            done = run.drained(total)
        # Outside the condition: a slow callback (a terminal write) must not hold up the workers.
        for outcome in batch:
            on_outcome(outcome)
        if done:
            return


def _put_one(
    run: _Run,
    change: Change,
    writer: IvrWriter,
    lock: StateRecorder,
    fail_fast: bool,
    clock: Callable[[], datetime],
) -> None:
    """One worker task: send one body, record it, settle it. Never raises."""
    # Checked by apply_plan before anything was queued; the asserts narrow the types.
    assert change.body is not None
    assert change.digest is not None
    with run.cond:
        if run.stopping:
            run.settled += 1
            run.cond.notify_all()
            return
        run.in_flight.add(change.id)
    try:
        message = writer.put_ivr(change.id, change.body)
    except ApiError as exc:
        outcome = _outcome(change, "failed", exc.message, hint=exc.hint, http_status=exc.status)
        with run.cond:
            if exc.fatal:
                run.stop(exc.message, exc.hint)
            elif fail_fast:
                run.stop(
                    f"--fail-fast: {change.id} {change.name} failed",
                    "run `ivrsync apply` again without --fail-fast to apply the rest",
                )
            _settle(run, change.id, outcome)
        return
    except BaseException as exc:  # a bug in the writer: stop everything and surface it
        with run.cond:
            _fail_run(run, change.id, exc)
        return

    entry = StateEntry(
        id=change.id,
        body=change.body,
        digest=change.digest,
        source=change.source,
        applied_at=utc_timestamp(clock()),
    )
    with run.cond:
        if run.closed:
            return  # abandoned: stays in flight, unrecorded; a rerun sends it again
        run.recording += 1
    try:
        lock.record_applied(entry)
    except StateError as exc:
        # Acknowledged but not recorded (a full disk): the IVR is reported with the reason and
        # the run stops, so the summary shows what happened; a rerun sends this IVR again.
        outcome = _outcome(change, "failed", exc.message, hint=exc.hint)
        with run.cond:
            run.recording -= 1
            run.stop(f"the state cannot record what Smartflo acknowledged: {exc.message}", exc.hint)
            _settle(run, change.id, outcome)
        return
    except BaseException as exc:
        with run.cond:
            run.recording -= 1
            _fail_run(run, change.id, exc)
        return
    with run.cond:
        run.recording -= 1
        _settle(run, change.id, _outcome(change, "applied", message))


def _settle(run: _Run, ivr_id: int, outcome: Outcome) -> None:
    """Record a worker's outcome (caller holds `cond`) and wake the main thread."""
    run.in_flight.discard(ivr_id)
    run.results[ivr_id] = outcome
    run.events.append(outcome)
    run.settled += 1
    run.cond.notify_all()


def _fail_run(run: _Run, ivr_id: int, exc: BaseException) -> None:
    """A non-API failure (caller holds `cond`): stop the run; apply_plan re-raises it."""
    if run.error is None:
        run.error = exc
    run.stop(f"{type(exc).__name__}: {exc}")
    run.in_flight.discard(ivr_id)
    run.settled += 1
    run.cond.notify_all()


def _outcome(
    change: Change,
    status: OutcomeStatus,
    message: str,
    *,
    hint: str = "",
    http_status: int | None = None,
) -> Outcome:
    return Outcome(
        id=change.id,
        name=change.name,
        action=change.action,
        status=status,
        message=message,
        hint=hint,
        http_status=http_status,
    )
