"""A token bucket that paces every request of a client (pure; thread-safe).

Smartflo's limit is reported to be per account and shared by every API, the login included
(about the account's calls per second, e.g. 3): see section 6 of the shared smartflo-api.md.
So one bucket serves every request a client sends, from every thread, retries included.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ivrsync.errors import UsageError

#: Requests per second when nothing else is configured: below the smallest reported limit.
DEFAULT_RATE_LIMIT = 2.0


class TokenBucket:
    """At most `rate` requests per second on average, and `burst` at once.

    Implemented as a generic cell rate algorithm (the token bucket kept as the time at which
    the next slot is due): `acquire` reserves the next slot under a lock and sleeps outside it,
    so waiting threads are served in the order they asked, evenly spaced. `hold` makes every
    later request wait (a 429 with Retry-After applies to the whole account, not only to the
    request that got it), and the requests queued behind it then go out spaced, not at once.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < rate < float("inf"):
            raise UsageError(
                f"the rate limit must be a positive number of requests per second, not {rate}",
                hint="leave it unset (None) for no limit",
            )
        if burst < 1:
            raise UsageError(f"the burst must be at least 1, not {burst}")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._due = float("-inf")  # when the slot after the last reserved one is due

    def acquire(self) -> float:
        """Wait for a slot; return how long this call waited (seconds)."""
        with self._lock:
            now = self._clock()
            due = max(self._due, now)
            start = max(now, due - self._tolerance)
            self._due = due + self._interval
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        """Hand out no slot for the next `seconds` (from now)."""
        with self._lock:
            self._due = max(self._due, self._clock() + seconds + self._tolerance)

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate}, burst={self.burst})"
