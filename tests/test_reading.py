"""Answers are inflated within a size limit and read within a deadline, chunk by chunk."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

from ivrsync.smartflo.reading import (
    MAX_ANSWER_BYTES,
    MAX_LIST_BYTES,
    MIB,
    AnswerTooLarge,
    Deadline,
    DeadlinePassed,
    UndecodableBody,
    read_body,
)

NEVER = Deadline(None)


def gzip_bomb(size: int) -> bytes:
    """A gzip stream of `size` zero bytes: about a thousandth of that on the wire."""
    z = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"\0" * MIB
    out = [z.compress(block) for _ in range(size // MIB)]
    return b"".join([*out, z.flush()])


def deflate(data: bytes, *, raw: bool) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    return z.compress(data) + z.flush()


def chunked(data: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class Consumed:
    """Chunks that record how far they were read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in chunked(self.data):
            self.read += len(chunk)
            yield chunk


def test_the_limits_are_ten_and_sixty_four_mib() -> None:
    assert (MAX_ANSWER_BYTES, MAX_LIST_BYTES) == (10 * MIB, 64 * MIB)


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("", b'{"success": true}'),
        ("gzip", gzip.compress(b'{"success": true}')),
        ("x-gzip", gzip.compress(b'{"success": true}')),
        ("deflate", deflate(b'{"success": true}', raw=False)),
        ("deflate", deflate(b'{"success": true}', raw=True)),
        ("gzip, gzip", gzip.compress(gzip.compress(b'{"success": true}'))),
        ("br", b'{"success": true}'),  # not asked for: left as is, like httpx does
        ("identity", b'{"success": true}'),
    ],
    ids=["none", "gzip", "x-gzip", "zlib-deflate", "raw-deflate", "gzip-twice", "br", "identity"],
)
def test_bodies_are_decoded(encoding: str, body: bytes) -> None:
    decoded = read_body(chunked(body, 5), content_encoding=encoding, limit=100, deadline=NEVER)

    assert decoded == b'{"success": true}'


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip_bomb(300 * MIB)),  # the example: ~300 KB inflating to 300 MB
        ("deflate", deflate(b"\0" * (50 * MIB), raw=True)),
        ("deflate", deflate(b"\0" * (50 * MIB), raw=False)),
        ("gzip, gzip", gzip.compress(gzip_bomb(100 * MIB))),
        ("", b"x" * (11 * MIB)),
    ],
    ids=["gzip-bomb", "raw-deflate-bomb", "zlib-deflate-bomb", "nested-gzip-bomb", "plain"],
)
def test_a_body_past_the_limit_stops_reading_there(encoding: str, body: bytes) -> None:
    chunks = Consumed(body)
    tracemalloc.start()
    try:
        with pytest.raises(AnswerTooLarge, match="larger than 10 MiB"):
            read_body(chunks, content_encoding=encoding, limit=10 * MIB, deadline=NEVER)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Never more than the limit and a few pieces in memory (the body itself is 50-300 MiB).
    assert peak < 3 * 10 * MIB
    if len(body) > 16 * 1024:
        assert chunks.read < len(body), "it went on reading after the limit"


def test_the_limit_is_on_decoded_bytes_and_inclusive() -> None:
    exact = gzip.compress(b"a" * 1000)

    assert len(read_body([exact], content_encoding="gzip", limit=1000, deadline=NEVER)) == 1000
    with pytest.raises(AnswerTooLarge):
        read_body([exact], content_encoding="gzip", limit=999, deadline=NEVER)


def test_the_list_limit_admits_what_the_write_limit_refuses() -> None:
    body = gzip_bomb(20 * MIB)

    listed = read_body([body], content_encoding="gzip", limit=MAX_LIST_BYTES, deadline=NEVER)

    assert len(listed) == 20 * MIB
    with pytest.raises(AnswerTooLarge):
        read_body([body], content_encoding="gzip", limit=MAX_ANSWER_BYTES, deadline=NEVER)


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("gzip", b"not gzip at all"), ("gzip", gzip.compress(b"x" * 100)[:-12] + b"garbage!" * 2)],
    ids=["not-gzip", "corrupt-tail"],
)
def test_a_corrupt_body_is_undecodable(encoding: str, body: bytes) -> None:
    with pytest.raises(UndecodableBody):
        read_body([body], content_encoding=encoding, limit=MIB, deadline=NEVER)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def drip(clock: FakeClock, count: int, every: float) -> Iterator[bytes]:
    """One byte every `every` seconds on the fake clock."""
    for _ in range(count):
        clock.now += every
        yield b"x"


@pytest.mark.parametrize(
    ("count", "every", "seconds"),
    [(1000, 0.3, 60.0), (10_000, 0.01, 5.0), (3, 2.0, 3.0)],
    ids=["the-issue", "fast-drip", "slow-chunks"],
)
def test_a_dripping_body_stops_at_the_deadline(count: int, every: float, seconds: float) -> None:
    clock = FakeClock()
    deadline = Deadline(clock() + seconds, seconds, clock)

    with pytest.raises(DeadlinePassed) as info:
        read_body(drip(clock, count, every), content_encoding="", limit=MIB, deadline=deadline)

    assert info.value.sent
    assert clock.now - 100.0 <= seconds + every  # not a chunk more than needed


def test_a_body_done_before_the_deadline_is_returned() -> None:
    clock = FakeClock()
    deadline = Deadline(clock() + 60.0, 60.0, clock)

    assert read_body(drip(clock, 100, 0.3), content_encoding="", limit=MIB, deadline=deadline) == (
        b"x" * 100
    )
