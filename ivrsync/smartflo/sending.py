"""Sending one request: pacing, deadlines, retries, and which failures may be repeated (pure).

The HTTP work itself is the client's `exchange` callable: it sends one request within the
`Deadline` it is given and returns the `Answer`, or raises `Unanswered` (no usable answer) or
`DeadlinePassed`. `Sender` wraps it with the rate limit shared by every request, the deadlines
of the request and of the whole run, and the retry policy.

What may be repeated: a PUT is a full replacement and a GET reads, so both are retried on 429,
the retryable 5xx, timeouts and dropped connections. A POST that creates (`Request.create`) is
not idempotent: once it may have reached the server it is never repeated, and any failure that
leaves its outcome unknown raises AmbiguousCreateError.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ivrsync.errors import (
    AmbiguousCreateError,
    ApiError,
    RateLimitedError,
    RunDeadlineError,
    ServerError,
    TransportError,
    UsageError,
)
from ivrsync.smartflo.answers import Answer, Redact, server_text
from ivrsync.smartflo.ratelimit import TokenBucket
from ivrsync.smartflo.reading import MAX_ANSWER_BYTES, Deadline, DeadlinePassed
from ivrsync.smartflo.refusals import TRANSPORT_HINT
from ivrsync.smartflo.retry import Jitter, RetryPolicy, parse_retry_after

#: Statuses worth repeating the same request for. Other 5xx (501 Not Implemented, 505...) will
#: not get better by asking again.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

_AMBIGUOUS_HINT = (
    "list the IVRs (`ivrsync import`, or the portal) to see whether it was created before "
    "creating it again"
)
_RUN_HINT = "allow the run more time (run_deadline), or run again: a rerun sends what is pending"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """One API request, described without the HTTP library."""

    what: str  # names the IVR or the request, starts every message about it
    method: str
    path: str
    body: Any = None  # sent as JSON
    headers: Mapping[str, str] = field(default_factory=dict)
    limit: int = MAX_ANSWER_BYTES  # the largest decoded answer accepted
    create: bool = False  # a POST that creates: never repeated once it may have been received


class Unanswered(Exception):  # a signal between client and sender, never surfaced
    """A request that got no usable answer.

    `sent`: it may have reached the server. `retryable`: asking again may help. `detail`: the
    failure as the HTTP library named it (`ReadTimeout: timed out`), for the login's messages.
    """

    def __init__(
        self,
        reason: str,
        *,
        sent: bool,
        retryable: bool,
        kind: type[ApiError] = TransportError,
        detail: str = "",
        status: int | None = None,
        hint: str = TRANSPORT_HINT,
    ) -> None:
        super().__init__(reason)
        self.reason, self.sent, self.retryable, self.kind = reason, sent, retryable, kind
        self.detail, self.status, self.hint = detail or reason, status, hint


Exchange = Callable[[Request, Deadline], Answer]


@dataclass(frozen=True)
class _Attempt:
    """Why one attempt failed in a retryable way."""

    reason: str
    kind: type[ApiError]
    status: int | None = None
    retry_after: float | None = None


class Sender:
    """Sends requests through `exchange`, paced, within deadlines, retrying what may be retried.

    `request_deadline` bounds each request's total time; `run_deadline` bounds the time from
    the first request on, after which nothing more is sent (either None: unbounded). Both are
    plain attributes and may be changed while the client is in use.
    """

    def __init__(
        self,
        exchange: Exchange,
        redact: Redact,
        *,
        retry: RetryPolicy,
        sleep: Callable[[float], None],
        rng: Jitter,
        clock: Callable[[], float],
        monotonic: Callable[[], float] = time.monotonic,
        rate_limit: float | None = None,
        request_deadline: float | None = None,
        run_deadline: float | None = None,
    ) -> None:
        self._exchange = exchange
        self._redact = redact
        self.retry = retry
        self._sleep = sleep
        self._rng = rng
        self._clock = clock
        self._monotonic = monotonic
        self._bucket = (
            None if rate_limit is None else TokenBucket(rate_limit, clock=monotonic, sleep=sleep)
        )
        self.request_deadline = request_deadline
        self.run_deadline = run_deadline
        self._run_started: float | None = None
        self._start_lock = threading.Lock()

    def once(self, request: Request) -> Answer:
        """One paced attempt within the deadlines; raises Unanswered."""
        if self._bucket is not None:
            self._bucket.acquire()
        deadline = self._deadline()  # after the wait for a slot: pacing is not the server's time
        if deadline.passed():
            raise self._late(deadline, sent=False)
        try:
            return self._exchange(request, deadline)
        except DeadlinePassed as exc:
            raise self._late(deadline, sent=exc.sent) from exc.__cause__

    def send(self, request: Request) -> Answer:
        """Send, retrying retryable failures; return the final non-retryable answer.

        The answer may still be an error (4xx, `success: false`): the caller judges it.
        A creating POST is retried only when it provably did nothing: a connection that was
        never made, or a 429 (rate limiters turn a request away before it is handled).
        """
        what, attempts = request.what, self.retry.attempts
        for attempt in range(1, attempts + 1):
            try:
                answer = self.once(request)
            except Unanswered as unanswered:
                cause = unanswered.__cause__
                if request.create and unanswered.sent:
                    raise ambiguous(what, unanswered.reason, unanswered.status) from cause
                if not unanswered.retryable:
                    raise unanswered.kind(
                        f"{what}: {unanswered.reason}",
                        hint=unanswered.hint,
                        status=unanswered.status,
                    ) from cause
                failure = _Attempt(unanswered.reason, unanswered.kind)
            else:
                status = answer.status
                if status not in RETRYABLE_STATUSES:
                    return answer
                said = f"HTTP {status}: {server_text(answer, self._redact)}"
                if request.create and status != 429:
                    raise ambiguous(what, said, status)
                failure = _Attempt(
                    said,
                    RateLimitedError if status == 429 else ServerError,
                    status=status,
                    retry_after=parse_retry_after(answer.retry_after, now=self._clock()),
                )
                cause = None
            if attempt == attempts:
                raise _exhausted(what, attempts, failure) from cause
            if failure.retry_after is not None:
                delay = min(failure.retry_after, self.retry.max_delay)
            else:
                delay = self.backoff(attempt)
            if failure.kind is RateLimitedError and self._bucket is not None:
                self._bucket.hold(delay)  # the limit is the account's: every thread waits
            self._check_run_time(what, delay, failure, cause)
            self.pause(what, delay, failure.reason)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def backoff(self, attempt: int) -> float:
        return self.retry.backoff(attempt, self._rng)

    def pause(self, what: str, delay: float, reason: str) -> None:
        logger.info("%s: %s; retrying in %.2fs", what, reason, delay)
        self._sleep(delay)

    # -- deadlines -------------------------------------------------------------------------

    def _deadline(self) -> Deadline:
        """The earlier of a new request's deadline and the run's."""
        now = self._monotonic()
        with self._start_lock:
            if self._run_started is None:
                self._run_started = now  # the run's clock starts with its first request
            started = self._run_started
        chosen = Deadline(None, clock=self._monotonic)
        if self.request_deadline is not None:
            chosen = Deadline(now + self.request_deadline, self.request_deadline, self._monotonic)
        if self.run_deadline is not None:
            run_end = started + self.run_deadline
            if chosen.end is None or run_end <= chosen.end:
                chosen = Deadline(run_end, self.run_deadline, self._monotonic, run=True)
        return chosen

    def _check_run_time(
        self, what: str, delay: float, failure: _Attempt, cause: BaseException | None
    ) -> None:
        """Raise RunDeadlineError when waiting `delay` to retry would pass the run's deadline."""
        if self.run_deadline is None or self._run_started is None:
            return
        if self._monotonic() + delay >= self._run_started + self.run_deadline:
            raise RunDeadlineError(
                f"{what}: the run deadline ({self.run_deadline:g} s) leaves no time to retry; "
                f"last: {failure.reason}",
                hint=_RUN_HINT,
                status=failure.status,
            ) from cause

    def _late(self, deadline: Deadline, *, sent: bool) -> Unanswered:
        if deadline.run:
            return Unanswered(
                f"the run took longer than {deadline.seconds:g} s (run_deadline), so nothing "
                "more is sent",
                sent=sent,
                retryable=False,
                kind=RunDeadlineError,
                hint=_RUN_HINT,
            )
        return Unanswered(
            f"the server took longer than {deadline.seconds:g} s to answer (request_deadline)",
            sent=sent,
            retryable=True,
        )


def ambiguous(what: str, reason: str, status: int | None = None) -> AmbiguousCreateError:
    """The error for a creating POST whose outcome is unknown."""
    return AmbiguousCreateError(
        f"{what}: {reason}; the IVR may or may not have been created, and a POST is never repeated",
        hint=_AMBIGUOUS_HINT,
        status=status,
    )


def _exhausted(what: str, attempts: int, failure: _Attempt) -> ApiError:
    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    message = f"{what}: gave up after {tries}; last: {failure.reason}"
    if failure.kind is RateLimitedError:
        hint = "Smartflo's burst limit is small: use lower parallelism, or try again later"
    elif failure.kind is ServerError:
        hint = "Smartflo is failing; try again later (repeating a PUT is safe)"
    else:
        hint = TRANSPORT_HINT
    return failure.kind(message, hint=hint, status=failure.status)


#: The longest one request (connecting, sending, waiting, reading) may take, in seconds. The
#: read timeout alone bounds each read, so a server dripping a byte at a time never trips it.
DEFAULT_REQUEST_DEADLINE = 60.0


def check_seconds(name: str, value: float | None) -> float | None:
    if value is not None and not value > 0:  # NaN too
        raise UsageError(f"{name} must be a positive number of seconds, not {value}")
    return value
