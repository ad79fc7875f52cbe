"""Retry policy and Retry-After parsing for the Smartflo client (pure, no httpx)."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC
from typing import Protocol

from ivrsync.errors import UsageError

# --------------------------------------------------------------------------------------------
# Retries


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a retryable failure.

    `attempts` counts every try, the first included (1 = never retry). The n-th retry waits a
    random time in [0, min(max_delay, base_delay * 2**(n-1))] ("full jitter"), or the server's
    Retry-After, capped at max_delay.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise UsageError(
                f"the number of attempts must be at least 1, not {self.attempts}",
                hint="use 1 to disable retries",
            )
        if self.base_delay < 0 or self.max_delay < 0:
            raise UsageError(
                "retry delays must not be negative",
                hint="use 0 to retry without waiting",
            )

    def backoff(self, retry: int, rng: Jitter) -> float:
        """The wait before retry number `retry` (1-based), without a Retry-After."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return rng.uniform(0.0, ceiling)


class Jitter(Protocol):
    """The part of `random.Random` the backoff uses; tests pass a deterministic one."""

    def uniform(self, a: float, b: float, /) -> float: ...


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None.

    `now` is the current POSIX time, for HTTP dates. A date in the past means 0. Unparseable
    values give None (the caller falls back to its own backoff).
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # asctime dates (`Sun Nov  6 08:49:37 1994`) and `-0000` carry no zone; HTTP dates are
        # always GMT (RFC 9110), never the local time a naive datetime would assume.
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


#: The policy a client uses unless told otherwise.
DEFAULT_RETRY = RetryPolicy()
