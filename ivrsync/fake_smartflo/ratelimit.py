"""The fake's rate limit: a token bucket shared by every API request.

The docs give no limit; one client reports the account's CPS (e.g. 3 requests per second, login
included) shared by all APIs, others pace requests 350 ms to 1.5 s apart (smartflo-api.md, 6).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """At most `rate` requests per second on average, in bursts of at most max(1, rate).

    The bucket holds up to max(1, rate) tokens, starts full and refills at `rate` tokens per
    second; each request that passes takes one. A refused request takes none. Thread-safe.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not rate > 0:
            raise ValueError(f"a rate limit must be positive, got {rate!r}")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._tokens = self.capacity
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> float | None:
        """None when a request may pass (a token is taken); else the seconds until one may."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return (1.0 - self._tokens) / self.rate


def retry_after(wait: float) -> int:
    """A Retry-After header value (whole seconds, at least 1) for a wait of `wait` seconds."""
    return max(1, math.ceil(wait))
