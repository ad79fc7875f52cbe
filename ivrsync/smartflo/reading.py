"""Reading an answer's body within a deadline and a size limit (pure: bytes in, bytes out).

The HTTP client hands over the raw (still content-encoded) chunks as they arrive. They are
inflated here with a bound on every step, so a small gzip answer that would inflate to hundreds
of megabytes costs at most the limit plus one piece in memory, and the deadline is checked
between chunks, so a server that drips a byte at a time cannot keep a request alive beyond it
(under the client, `transport` also caps each read's timeout at the deadline).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

MIB = 1024 * 1024

#: The largest decoded answer to a PUT, POST or login. Smartflo acknowledges in a few hundred
#: bytes (`{"success": ..., "message": ...}`); 10 MiB is far beyond any honest answer or error
#: page, and small enough that eight parallel requests cannot exhaust a CI runner's memory.
MAX_ANSWER_BYTES = 10 * MIB

#: The largest decoded `GET /v1/ivrs` answer. An IVR in the read shape is about 1-2 KiB with a
#: full menu, so 64 MiB holds tens of thousands of IVRs (far more than an account has) while
#: still bounding memory against a runaway or hostile server.
MAX_LIST_BYTES = 64 * MIB

#: How much one inflate step may produce: the most that is held beyond the limit.
_PIECE = 64 * 1024


class AnswerTooLarge(Exception):
    """The decoded body grew past the limit; reading stopped there."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit // MIB} MiB")
        self.limit = limit


class DeadlinePassed(Exception):
    """The deadline passed before the answer was complete.

    `sent`: the request may have reached the server (False when it passed while connecting).
    """

    def __init__(self, *, sent: bool = True) -> None:
        super().__init__("the deadline passed")
        self.sent = sent


class UndecodableBody(Exception):
    """The body does not decode with its Content-Encoding (a corrupt gzip stream, say)."""


@dataclass(frozen=True)
class Deadline:
    """A point on a monotonic clock (None: never), and which limit set it."""

    end: float | None
    seconds: float | None = None  # the limit that set `end`, for messages
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    run: bool = False  # set by the whole run's deadline, not the request's

    def remaining(self) -> float | None:
        return None if self.end is None else self.end - self.clock()

    def passed(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0


def read_body(
    chunks: Iterable[bytes], *, content_encoding: str, limit: int, deadline: Deadline
) -> bytes:
    """The decoded body from raw `chunks`, at most `limit` bytes, before `deadline`.

    Raises AnswerTooLarge, DeadlinePassed or UndecodableBody. Encodings other than gzip and
    deflate are left as they are (as httpx does); the client asks only for those two.
    """
    decoders = [_Inflater(name) for name in _encodings(content_encoding)]
    body = bytearray()

    def take(pieces: Iterable[bytes]) -> None:
        for piece in pieces:
            body.extend(piece)
            if len(body) > limit:
                raise AnswerTooLarge(limit)

    try:
        for chunk in chunks:
            if deadline.passed():
                raise DeadlinePassed(sent=True)
            take(_through(decoders, chunk))
        take(_finish(decoders))
    except zlib.error as exc:
        raise UndecodableBody(str(exc)) from exc
    return bytes(body)


def _encodings(header: str) -> list[str]:
    names = [name.strip().lower() for name in header.split(",")]
    # Applied in order when encoding, so undone in reverse.
    return [name for name in reversed(names) if name in ("gzip", "x-gzip", "deflate")]


class _Inflater:
    def __init__(self, name: str) -> None:
        self._deflate = name == "deflate"
        self._first = True
        wbits = zlib.MAX_WBITS if self._deflate else zlib.MAX_WBITS | 16
        self._z = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            out = self._step(data)
            data = self._z.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _PIECE:
                return

    def _step(self, data: bytes) -> bytes:
        if not (self._first and self._deflate and data):
            return self._z.decompress(data, _PIECE)
        self._first = False
        try:
            return self._z.decompress(data, _PIECE)
        except zlib.error:
            # `deflate` should be zlib-wrapped, but many servers send raw deflate (as httpx
            # does, fall back to it when the first bytes are not a zlib header).
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._z.decompress(data, _PIECE)

    def finish(self) -> Iterator[bytes]:
        yield from self.feed(b"")
        yield self._z.flush()


def _through(decoders: list[_Inflater], chunk: bytes) -> Iterator[bytes]:
    pieces: Iterable[bytes] = (chunk,)
    for decoder in decoders:
        pieces = _chain(decoder, pieces)
    return iter(pieces)


def _chain(decoder: _Inflater, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from decoder.feed(piece)


def _finish(decoders: list[_Inflater]) -> Iterator[bytes]:
    # Each decoder's tail still has to pass through the decoders after it.
    for index, decoder in enumerate(decoders):
        pieces: Iterable[bytes] = decoder.finish()
        for later in decoders[index + 1 :]:
            pieces = _chain(later, pieces)
        yield from pieces
