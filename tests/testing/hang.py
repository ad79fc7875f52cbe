"""A guard that fails a test instead of letting it hang on a special file."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def no_hang(seconds: float = 10) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block blocks for more than `seconds`.

    SIGALRM interrupts a blocking open or read, and its handler's exception ends it. Shared
    with the state tests, which hand ivrsync FIFOs too.
    """

    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError("blocked: a special file was opened or read as if it were regular")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
