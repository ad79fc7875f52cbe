"""The token bucket: even spacing, bursts, holds, and many threads sharing one bucket."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ivrsync.errors import UsageError
from ivrsync.smartflo.ratelimit import DEFAULT_RATE_LIMIT, TokenBucket


class FakeTime:
    """A clock that only moves when someone sleeps; thread-safe."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)


def bucket(rate: float, time: FakeTime, burst: int = 1) -> TokenBucket:
    return TokenBucket(rate, burst=burst, clock=time.clock, sleep=time.sleep)


def test_the_default_is_two_requests_per_second() -> None:
    assert DEFAULT_RATE_LIMIT == 2.0


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(2.0, [0.0, 0.5, 1.0, 1.5]), (4.0, [0.0, 0.25, 0.5, 0.75]), (0.5, [0.0, 2.0, 4.0, 6.0])],
    ids=["two", "four", "half"],
)
def test_requests_at_once_are_spaced_evenly(rate: float, expected: list[float]) -> None:
    time = FakeTime()
    limiter = bucket(rate, time)

    assert [limiter.acquire() for _ in range(4)] == pytest.approx(expected)


def test_time_passing_refills_but_never_beyond_the_burst() -> None:
    time = FakeTime()
    limiter = bucket(2.0, time, burst=2)

    assert [limiter.acquire() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])
    time.now += 60  # a long idle time
    assert [limiter.acquire() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])


def test_a_request_after_its_slot_waits_nothing() -> None:
    time = FakeTime()
    limiter = bucket(2.0, time)

    limiter.acquire()
    time.now += 0.7
    assert limiter.acquire() == 0.0
    time.now += 0.2  # 0.2 s after the last: 0.3 s to go
    assert limiter.acquire() == pytest.approx(0.3)


def test_a_hold_delays_every_later_request_then_spaces_them() -> None:
    time = FakeTime()
    limiter = bucket(2.0, time, burst=3)

    limiter.hold(5.0)
    waits = [limiter.acquire() for _ in range(3)]

    # Not three at once when the hold ends: the burst is spent on the hold.
    assert waits == pytest.approx([5.0, 5.5, 6.0])


def test_a_shorter_hold_does_not_shorten_a_longer_one() -> None:
    time = FakeTime()
    limiter = bucket(2.0, time)

    limiter.hold(5.0)
    limiter.hold(1.0)

    assert limiter.acquire() == pytest.approx(5.0)


def test_threads_sharing_a_bucket_get_distinct_evenly_spaced_slots() -> None:
    time = FakeTime()
    limiter = bucket(2.0, time)
    barrier = threading.Barrier(8)

    def take(_: int) -> list[float]:
        barrier.wait()
        return [limiter.acquire() for _ in range(5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        waits = sorted(w for batch in pool.map(take, range(8)) for w in batch)

    assert waits == pytest.approx([0.5 * i for i in range(40)])


@pytest.mark.parametrize("rate", [0.0, -1.0, float("inf"), float("nan")], ids=str)
def test_a_rate_must_be_positive_and_finite(rate: float) -> None:
    with pytest.raises(UsageError, match="positive number of requests per second"):
        TokenBucket(rate)


def test_a_burst_must_be_at_least_one() -> None:
    with pytest.raises(UsageError, match="at least 1"):
        TokenBucket(2.0, burst=0)
