"""Create a plan's new IVRs, one at a time, without ever making a duplicate.

`create_ivrs` is the first phase of `ivrsync apply`: every new IVR is created before any PUT,
each after the new IVRs it routes to (the plan's order), so no menu ever routes to an IVR that
does not exist. For each create, in order:

1. its name references are resolved with the ids known so far;
2. an intent is written down (`<state>.creates`, durable) before the POST;
3. `POST /v1/ivr`; the answer has no id, so
4. the live IVRs are listed and the new id is the one IVR with that name that was not there
   before (an ambiguous POST, a timeout or a dropped connection, is never retried: the same
   read tells whether it happened);
5. the IVR is recorded in the state, the intent dropped, and `id: N` written into its file.

A run killed anywhere in between leaves an intent (or a state record without the file's id); the
next apply completes it from the live IVRs (`recover_intents`) before it plans, so reruns
converge with no second POST for an IVR that exists. It never prints; outcomes go to
`on_outcome`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from ivrsync.errors import AmbiguousCreateError, ApiError
from ivrsync.files import utc_timestamp
from ivrsync.model import Body, Create, CreateIntent, Outcome, OutcomeStatus, StateEntry
from ivrsync.plan.creates import resolved_body

#: Seconds between the reads that look for an IVR the server said it created, in case the list
#: shows it a moment later. An ambiguous POST gets one read only: it most likely failed.
DISCOVERY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0)


class IvrCreator(Protocol):
    """What creating needs of the client (`SmartfloClient` has it)."""

    def create_ivr(self, body: Mapping[str, object]) -> str: ...


class IntentBook(Protocol):
    """The create intents (`ivrsync.state.CreateIntents` is one)."""

    def load(self) -> tuple[CreateIntent, ...]: ...

    def add(self, intent: CreateIntent) -> None: ...

    def remove(self, name: str) -> None: ...


class Recorder(Protocol):
    def record_applied(self, entry: StateEntry) -> None: ...


@dataclass
class CreateReport:
    """What the create phase did: one outcome per create, and every new id by name."""

    outcomes: list[Outcome] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    #: What each IVR created in this run was sent, by its new id: for the read-back.
    sent: dict[int, tuple[str, Body]] = field(default_factory=dict)
    stop_reason: str | None = None
    stop_hint: str = ""


@dataclass(frozen=True)
class Creating:
    """The collaborators of a create phase (the same for recovery and for new creates)."""

    client: IvrCreator
    list_names: Callable[[], Mapping[int, str]]  # one read of the live IVRs: names by id
    lock: Recorder
    intents: IntentBook
    write_id: Callable[[str, int, str], str | None]  # (source, id, name) -> a warning or None
    clock: Callable[[], datetime]
    sleep: Callable[[float], None] = time.sleep


def recover_intents(
    creating: Creating, live: Mapping[int, str], managed: Collection[int]
) -> list[Outcome]:
    """Complete or drop each intent a stopped run left, from one read of the live IVRs.

    An intent whose name one unmanaged live IVR has is completed (recorded with that id, the id
    written into its file): the POST happened. Without such an IVR the POST never took effect,
    so the intent is dropped and the plan creates the IVR again. Several candidates are left
    alone with a failed outcome: ivrsync does not guess which one it made.
    """
    outcomes = []
    for intent in creating.intents.load():
        if intent.ivr_id is not None:
            continue  # recorded already: the plan writes its id into the file (a write-back)
        found = _candidates(live, intent.name, exclude=managed)
        if not found:
            creating.intents.remove(intent.name)
            continue
        if len(found) > 1:
            outcomes.append(_several(intent.name, found))
            continue
        outcomes.append(
            _complete(creating, intent, found[0], "completed a create a stopped run began")
        )
    return outcomes


def create_ivrs(
    creates: Sequence[Create],
    creating: Creating,
    *,
    live: Mapping[int, str],
    known: Mapping[str, int] | None = None,
    on_outcome: Callable[[Outcome], None],
) -> CreateReport:
    """Create `creates` in order (see the module's docstring). `live` is the read made before
    the first POST (the refusal of taken names used it); `known` are ids already known by name.

    A create that fails stops the creates that route to it (`not_attempted`) and, when the
    failure is fatal (401, 403) or ambiguous, every later one: the run then says why.
    """
    report = CreateReport(ids=dict(known or {}))
    before = set(live)
    failed: set[str] = set()
    for create in creates:
        name = create.name.strip()
        blocked = [t for t in create.routes_to if t.strip() in failed]
        if report.stop_reason is not None or blocked:
            why = (
                "not attempted" if not blocked else f"not attempted: {blocked[0]!r} was not created"
            )
            failed.add(name)
            _emit(report, on_outcome, _outcome(create.name, 0, "not_attempted", why))
            continue
        outcome = _create_one(creating, create, report, before)
        if outcome.status != "applied":
            failed.add(name)
        _emit(report, on_outcome, outcome)
    return report


def _create_one(
    creating: Creating, create: Create, report: CreateReport, before: set[int]
) -> Outcome:
    body, digest = resolved_body(create.body, report.ids)
    intent = CreateIntent(create.name, create.source, body, digest, utc_timestamp(creating.clock()))
    creating.intents.add(intent)  # durable before the POST: a killed run leaves it
    ambiguous: AmbiguousCreateError | None = None
    try:
        message = creating.client.create_ivr(body)
    except AmbiguousCreateError as exc:
        ambiguous, message = exc, exc.message
    except ApiError as exc:
        # The server refused it: nothing was created.
        creating.intents.remove(create.name)
        if exc.fatal:
            report.stop_reason, report.stop_hint = exc.message, exc.hint
        return _outcome(
            create.name, 0, "failed", exc.message, hint=exc.hint, http_status=exc.status
        )
    delays = () if ambiguous is not None else DISCOVERY_DELAYS
    try:
        found = _discover(creating, create.name, before, delays)
    except ApiError as exc:
        report.stop_reason = (
            f"the new IVR {create.name!r} may exist, but the IVR list could not be read"
        )
        report.stop_hint = (
            "run `ivrsync apply` again: it reads the IVRs first and completes the create"
        )
        return _outcome(
            create.name, 0, "failed", f"{message}; then {exc.message}", hint=report.stop_hint
        )
    if len(found) == 1:
        outcome = _complete(creating, intent, found[0], message)
        report.ids[create.name.strip()] = found[0]
        report.sent[found[0]] = (create.name, body)
        before.add(found[0])
        return outcome
    if len(found) > 1:
        report.stop_reason = f"several new IVRs are named {create.name!r}"
        return _several(create.name, found)
    if ambiguous is not None:
        # The read shows no such IVR: the POST did not take effect. Safe to try again later.
        creating.intents.remove(create.name)
        return _outcome(
            create.name,
            0,
            "failed",
            f"{ambiguous.message}; the IVR list shows it was not created",
            hint="run `ivrsync apply` again to create it",
        )
    report.stop_reason = (
        f"the server said it created {create.name!r}, but the IVR list does not show it"
    )
    report.stop_hint = (
        "run `ivrsync apply` again later: it completes the create once the IVR is listed"
    )
    return _outcome(create.name, 0, "failed", report.stop_reason, hint=report.stop_hint)


def _discover(
    creating: Creating, name: str, before: set[int], delays: Sequence[float]
) -> list[int]:
    """The ids of live IVRs named `name` that were not there before the POST."""
    found = _candidates(creating.list_names(), name, exclude=before)
    for delay in delays:
        if found:
            break
        creating.sleep(delay)
        found = _candidates(creating.list_names(), name, exclude=before)
    return found


def _candidates(live: Mapping[int, str], name: str, *, exclude: Collection[int]) -> list[int]:
    wanted = name.strip().casefold()
    return sorted(i for i, n in live.items() if n.strip().casefold() == wanted and i not in exclude)


def _complete(creating: Creating, intent: CreateIntent, ivr_id: int, message: str) -> Outcome:
    """Record the created IVR, then write its id into the file; the intent, marked with the id
    in between, goes once both are done (a stop in between is a write-back for the next run)."""
    entry = StateEntry(
        ivr_id, intent.body, intent.digest, intent.source, utc_timestamp(creating.clock())
    )
    creating.lock.record_applied(entry)
    creating.intents.add(replace(intent, ivr_id=ivr_id))
    warning = creating.write_id(intent.source, ivr_id, intent.name)
    if warning is None:
        creating.intents.remove(intent.name)
    return _outcome(intent.name, ivr_id, "applied", message, hint=warning or "")


def _several(name: str, ids: Sequence[int]) -> Outcome:
    listed = ", ".join(str(i) for i in ids)
    return _outcome(
        name,
        0,
        "failed",
        f"several live IVRs are named {name!r} ({listed}); none was recorded",
        hint=f"keep one (import it: `ivrsync import --id {ids[0]}`) and remove the others "
        "in the portal",
    )


def _emit(report: CreateReport, on_outcome: Callable[[Outcome], None], outcome: Outcome) -> None:
    report.outcomes.append(outcome)
    on_outcome(outcome)


def _outcome(
    name: str,
    ivr_id: int,
    status: OutcomeStatus,
    message: str,
    *,
    hint: str = "",
    http_status: int | None = None,
) -> Outcome:
    """A create's outcome: `ivr_id` is the new id, 0 while there is none."""
    return Outcome(ivr_id, name, "create", status, message, hint, http_status)
