"""The apply engine against in-memory fakes: what is sent, what is recorded, when it stops."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import pytest

from ivrsync.apply import apply_plan
from ivrsync.body import body_from_document, digest_body
from ivrsync.errors import (
    ApiError,
    AuthenticationError,
    MassChangeError,
    NotFoundError,
    PermissionDeniedError,
    PlanFileError,
    RejectedError,
    StateError,
)
from ivrsync.model import Action, ApplyReport, Body, Change, Outcome, Plan, State, StateEntry
from ivrsync.plan.safety import check_mass_change, mass_change
from ivrsync.plan.verify import check_plan_current
from tests.testing.documents import ivr_document

NOW = datetime(2026, 11, 26, 23, 30, 5, tzinfo=UTC)


def body_of(ivr_id: int, **overrides: Any) -> dict[str, Any]:
    return body_from_document(ivr_document(ivr_id, **overrides))


def change(ivr_id: int, action: Action = "update", state_digest: str | None = None) -> Change:
    if action == "forget":
        return Change(ivr_id, f"IVR {ivr_id}", "forget", f"ivr-{ivr_id}.yaml", (), None, None, None)
    body = body_of(ivr_id, timeout=30)
    if action == "update" and state_digest is None:
        state_digest = digest_body(body_of(ivr_id))
    return Change(
        ivr_id,
        f"IVR {ivr_id}",
        action,
        f"ivr-{ivr_id}.yaml",
        (),
        body,
        digest_body(body),
        state_digest,
    )


def plan_of(*changes: Change, lineage: str | None = "L", serial: int = 1) -> Plan:
    return Plan(lineage, serial, tuple(sorted(changes, key=lambda c: c.id)), ())


def state_of(ids: Iterable[int], *, lineage: str | None = "L", serial: int = 1) -> State:
    entries = {}
    for ivr_id in ids:
        body = body_of(ivr_id)
        entries[ivr_id] = StateEntry(
            ivr_id, body, digest_body(body), "f.yaml", "2026-01-01T00:00:00Z"
        )
    return State(lineage, serial, entries)


class FakeWriter:
    """Records every PUT; answers from `behaviour` (an exception to raise, or a message)."""

    def __init__(
        self,
        behaviour: Callable[[int], str | BaseException] | None = None,
    ) -> None:
        self.behaviour = behaviour or (lambda ivr_id: "IVR updated successfully")
        self.puts: list[tuple[int, Body]] = []
        self._mutex = threading.Lock()

    def put_ivr(self, ivr_id: int, body: Body) -> str:
        with self._mutex:
            self.puts.append((ivr_id, body))
        answer = self.behaviour(ivr_id)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    @property
    def ids(self) -> list[int]:
        return sorted(ivr_id for ivr_id, _ in self.puts)


class FakeRecorder:
    """The StateLock seam: keeps records in memory, optionally failing."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.applied: dict[int, StateEntry] = {}
        self.forgotten: list[int] = []
        self.fail_on = fail_on
        self._mutex = threading.Lock()

    def record_applied(self, entry: StateEntry) -> None:
        if entry.id == self.fail_on:
            raise StateError("cannot append to the state journal: disk full")
        with self._mutex:
            self.applied[entry.id] = entry

    def record_forgotten(self, ivr_id: int) -> None:
        with self._mutex:
            self.forgotten.append(ivr_id)


def statuses(report: ApplyReport) -> dict[int, str]:
    return {o.id: o.status for o in report.outcomes}


def test_sends_exactly_the_update_and_adopt_bodies_and_records_each() -> None:
    plan = plan_of(change(1), change(2, "adopt"), change(3, "forget"), change(4))
    writer, recorder = FakeWriter(), FakeRecorder()

    report = apply_plan(plan, writer=writer, lock=recorder, clock=lambda: NOW)

    assert sorted(writer.puts, key=lambda p: p[0]) == [
        (c.id, c.body) for c in plan.changes if c.action != "forget"
    ]
    assert recorder.forgotten == [3]
    assert recorder.applied == {
        c.id: StateEntry(c.id, c.body or {}, c.digest or "", c.source, "2026-11-26T23:30:05Z")
        for c in plan.changes
        if c.action != "forget"
    }
    assert statuses(report) == {1: "applied", 2: "applied", 3: "forgotten", 4: "applied"}
    assert report.applied[0].message == "IVR updated successfully"
    assert report.ok
    assert not report.interrupted
    assert report.stop_reason is None


def test_an_empty_plan_sends_nothing() -> None:
    writer, recorder = FakeWriter(), FakeRecorder()

    report = apply_plan(plan_of(), writer=writer, lock=recorder)

    assert writer.puts == []
    assert report == ApplyReport(outcomes=())
    assert report.ok


def test_on_outcome_is_called_once_per_change_from_the_calling_thread() -> None:
    plan = plan_of(*(change(i) for i in range(1, 21)), change(30, "forget"))
    seen: list[tuple[int, str, threading.Thread]] = []

    def on_outcome(outcome: Outcome) -> None:
        seen.append((outcome.id, outcome.status, threading.current_thread()))

    apply_plan(plan, writer=FakeWriter(), lock=FakeRecorder(), parallelism=4, on_outcome=on_outcome)

    assert sorted((i, s) for i, s, _ in seen) == [(i, "applied") for i in range(1, 21)] + [
        (30, "forgotten")
    ]
    assert seen[0][:2] == (30, "forgotten")  # forgets first: they need no request
    assert {thread for _, _, thread in seen} == {threading.current_thread()}


def test_a_failed_ivr_does_not_stop_the_others() -> None:
    def behaviour(ivr_id: int) -> str | BaseException:
        if ivr_id == 2:
            return RejectedError(
                "IVR 2: the server refused it (HTTP 400: invalid recording)",
                hint="fix it",
                status=400,
            )
        return "ok"

    plan = plan_of(*(change(i) for i in range(1, 6)))
    writer, recorder = FakeWriter(behaviour), FakeRecorder()

    report = apply_plan(plan, writer=writer, lock=recorder, parallelism=1)

    assert writer.ids == [1, 2, 3, 4, 5]
    assert sorted(recorder.applied) == [1, 3, 4, 5]
    assert report.failed == (
        Outcome(
            2,
            "IVR 2",
            "update",
            "failed",
            "IVR 2: the server refused it (HTTP 400: invalid recording)",
            "fix it",
            400,
        ),
    )
    assert not report.ok
    assert report.stop_reason is None


@pytest.mark.parametrize(
    ("error", "fail_fast"),
    [
        (AuthenticationError("IVR 2: the token was rejected", status=401), False),
        (PermissionDeniedError("IVR 2: API access is not enabled", status=403), False),
        (NotFoundError("IVR 2: does not exist", status=404), True),
    ],
    ids=["401-fatal", "403-fatal", "404-with-fail-fast"],
)
def test_a_fatal_error_or_fail_fast_stops_new_requests(error: ApiError, fail_fast: bool) -> None:
    writer = FakeWriter(lambda ivr_id: error if ivr_id == 2 else "ok")
    recorder = FakeRecorder()
    plan = plan_of(*(change(i) for i in range(1, 8)), change(9, "forget"))

    report = apply_plan(plan, writer=writer, lock=recorder, parallelism=1, fail_fast=fail_fast)

    assert writer.ids == [1, 2]
    assert statuses(report) == {
        1: "applied",
        2: "failed",
        **{i: "not_attempted" for i in range(3, 8)},
        9: "forgotten",
    }
    assert sorted(recorder.applied) == [1]
    assert report.stop_reason is not None
    assert not report.ok


def test_a_fatal_error_reason_and_hint_are_in_the_report() -> None:
    error = AuthenticationError(
        "IVR 1: the token was rejected", hint="make a new token", status=401
    )
    report = apply_plan(
        plan_of(change(1), change(2)),
        writer=FakeWriter(lambda ivr_id: error),
        lock=FakeRecorder(),
        parallelism=1,
    )

    assert (report.stop_reason, report.stop_hint) == (
        "IVR 1: the token was rejected",
        "make a new token",
    )
    assert statuses(report) == {1: "failed", 2: "not_attempted"}


def test_a_non_fatal_error_without_fail_fast_keeps_going() -> None:
    error = NotFoundError("IVR 2: does not exist", status=404)
    writer = FakeWriter(lambda ivr_id: error if ivr_id == 2 else "ok")

    report = apply_plan(
        plan_of(*(change(i) for i in range(1, 5))), writer=writer, lock=FakeRecorder()
    )

    assert writer.ids == [1, 2, 3, 4]
    assert statuses(report) == {1: "applied", 2: "failed", 3: "applied", 4: "applied"}


def test_parallelism_runs_that_many_requests_at_once_and_no_more() -> None:
    # A barrier of 3 only opens when 3 requests are in flight together; with fewer workers it
    # times out (BrokenBarrierError, re-raised by apply_plan).
    barrier = threading.Barrier(3, timeout=10)
    active = 0
    most = 0
    mutex = threading.Lock()

    def behaviour(ivr_id: int) -> str:
        nonlocal active, most
        with mutex:
            active += 1
            most = max(most, active)
        if ivr_id <= 3:
            barrier.wait()
        with mutex:
            active -= 1
        return "ok"

    report = apply_plan(
        plan_of(*(change(i) for i in range(1, 31))),
        writer=FakeWriter(behaviour),
        lock=FakeRecorder(),
        parallelism=3,
    )

    assert len(report.applied) == 30
    assert most == 3


def test_ctrl_c_stops_new_requests_and_records_what_finished() -> None:
    release = threading.Event()

    def behaviour(ivr_id: int) -> str:
        if ivr_id != 1:
            release.wait(10)
        return "ok"

    interrupted_with: list[int] = []

    def on_outcome(outcome: Outcome) -> None:
        if outcome.id == 1:
            raise KeyboardInterrupt

    def on_interrupt(in_flight: int) -> None:
        interrupted_with.append(in_flight)
        release.set()

    writer, recorder = FakeWriter(behaviour), FakeRecorder()
    report = apply_plan(
        plan_of(*(change(i) for i in range(1, 21))),
        writer=writer,
        lock=recorder,
        parallelism=2,
        on_outcome=on_outcome,
        on_interrupt=on_interrupt,
    )

    assert report.interrupted
    assert not report.ok
    sent = writer.ids
    # Every request sent finished (the first Ctrl-C waits) and was recorded; nothing else was.
    assert [o.id for o in report.applied] == sent
    assert sorted(recorder.applied) == sent
    assert [o.id for o in report.not_attempted] == [i for i in range(1, 21) if i not in sent]
    assert len(sent) < 20
    assert len(interrupted_with) == 1
    assert 1 <= interrupted_with[0] <= 2


def test_a_second_ctrl_c_abandons_requests_in_flight_unrecorded() -> None:
    release = threading.Event()
    returned = threading.Event()

    def behaviour(ivr_id: int) -> str:
        if ivr_id != 1:
            release.wait(10)
            returned.set()
        return "ok"

    def on_outcome(outcome: Outcome) -> None:
        if outcome.id == 1:
            raise KeyboardInterrupt

    def on_interrupt(in_flight: int) -> None:
        raise KeyboardInterrupt  # the user presses Ctrl-C again while waiting

    writer, recorder = FakeWriter(behaviour), FakeRecorder()
    report = apply_plan(
        plan_of(*(change(i) for i in range(1, 6))),
        writer=writer,
        lock=recorder,
        parallelism=2,
        on_outcome=on_outcome,
        on_interrupt=on_interrupt,
    )
    release.set()
    returned.wait(10)
    for thread in threading.enumerate():
        if thread.name.startswith("ivrsync-apply"):
            thread.join(10)

    assert report.interrupted
    abandoned = [o.id for o in report.abandoned]
    assert abandoned
    assert 1 not in abandoned
    # The abandoned requests returned after apply_plan did, and were not recorded then.
    assert sorted(recorder.applied) == [1]
    assert "rerun" in report.abandoned[0].hint or "again" in report.abandoned[0].hint


def test_a_state_error_while_recording_stops_the_run_and_is_reported() -> None:
    writer, recorder = FakeWriter(), FakeRecorder(fail_on=2)

    report = apply_plan(
        plan_of(*(change(i) for i in range(1, 6))), writer=writer, lock=recorder, parallelism=1
    )

    assert writer.ids == [1, 2]
    assert sorted(recorder.applied) == [1]
    assert statuses(report) == {
        1: "applied",
        2: "failed",
        3: "not_attempted",
        4: "not_attempted",
        5: "not_attempted",
    }
    assert report.failed[0].message == "cannot append to the state journal: disk full"
    assert report.stop_reason is not None
    assert "cannot record what Smartflo acknowledged" in report.stop_reason


def test_a_bug_while_recording_still_stops_the_run_and_is_raised() -> None:
    class BrokenRecorder(FakeRecorder):
        def record_applied(self, entry: StateEntry) -> None:
            raise RuntimeError("a bug")

    writer = FakeWriter()

    with pytest.raises(RuntimeError, match="a bug"):
        apply_plan(plan_of(change(1), change(2)), writer=writer, lock=BrokenRecorder())

    assert writer.ids[:1] == [1]


def test_a_change_without_a_body_is_refused_before_anything_is_sent() -> None:
    broken = Change(2, "IVR 2", "update", "f.yaml", (), None, None, "sha256:x")
    writer = FakeWriter()

    with pytest.raises(ValueError, match="change 2"):
        apply_plan(plan_of(change(1), broken), writer=writer, lock=FakeRecorder())

    assert writer.puts == []


def test_parallelism_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="parallelism"):
        apply_plan(plan_of(change(1)), writer=FakeWriter(), lock=FakeRecorder(), parallelism=0)


# -- saved plans and the safety rail ----------------------------------------------------------


def test_a_plan_made_from_the_current_state_passes() -> None:
    check_plan_current(plan_of(change(1), lineage="L", serial=4), state_of([1], serial=4))


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (state_of([1, 2, 3], serial=5), "IVRs of this plan whose state moved (1):\n  2 IVR 2"),
        (state_of([1, 2], lineage="M"), "lineage L, serial 1; now lineage M, serial 1"),
        (state_of([1], serial=2), "none of this plan's IVRs moved"),
    ],
    ids=["adopted-since", "other-lineage", "serial-only"],
)
def test_a_stale_plan_is_refused_naming_the_ivrs_that_moved(state: State, expected: str) -> None:
    # IVR 1 is an update planned from state_of([1]); IVR 2 was to be adopted (not in state).
    plan = plan_of(change(1), change(2, "adopt"), lineage="L", serial=1)

    with pytest.raises(PlanFileError) as caught:
        check_plan_current(plan, state)

    assert expected in caught.value.message
    assert "nothing was sent" in caught.value.message
    assert "ivrsync plan --out" in caught.value.hint


def test_a_stale_plan_names_an_ivr_whose_state_digest_changed() -> None:
    state = state_of([1, 2], serial=2)
    moved_body = body_of(2, timeout=45)
    entries = dict(state.entries)
    entries[2] = StateEntry(2, moved_body, digest_body(moved_body), "f.yaml", "x")
    plan = plan_of(change(1), change(2), serial=1)

    with pytest.raises(PlanFileError) as caught:
        check_plan_current(plan, State("L", 2, entries))

    assert caught.value.message.endswith("IVRs of this plan whose state moved (1):\n  2 IVR 2")


@pytest.mark.parametrize(
    ("managed", "changes", "trips"),
    [
        (9, [change(i) for i in range(1, 10)], False),
        (10, [change(i) for i in range(1, 4)], False),
        (10, [change(i) for i in range(1, 5)], True),
        (10, [*(change(i) for i in range(1, 4)), change(4, "forget")], True),
        (
            10,
            [*(change(i) for i in range(1, 4)), *(change(i, "adopt") for i in range(50, 60))],
            False,
        ),
    ],
    ids=[
        "below-minimum",
        "exactly-30-percent",
        "over-30-percent",
        "forgets-count",
        "adopts-do-not",
    ],
)
def test_the_mass_change_rail(managed: int, changes: list[Change], trips: bool) -> None:
    state = state_of(range(1, managed + 1))

    touched = mass_change(plan_of(*changes), state)

    assert bool(touched) is trips


def test_the_mass_change_rail_lists_the_ivrs_and_names_the_override() -> None:
    state = state_of(range(1, 11))
    plan = plan_of(*(change(i) for i in range(1, 4)), change(4, "forget"))

    with pytest.raises(MassChangeError) as caught:
        check_mass_change(plan, state)
    check_mass_change(plan, state, allow=True)

    assert caught.value.message == (
        "this plan would change 4 of 10 managed IVRs (40%, more than 30%); nothing was sent:\n"
        "  update 1 IVR 1\n"
        "  update 2 IVR 2\n"
        "  update 3 IVR 3\n"
        "  forget 4 IVR 4"
    )
    assert "--allow-mass-change" in caught.value.hint
