"""Hostile servers: slow answers are bounded in time, huge answers in size.

Most tests script the answer through httpx.MockTransport with a fake monotonic clock; a few
use a real socket server on 127.0.0.1 (each bounded in time), because only a real connection
shows that a read timeout alone never stops a server that drips bytes.
"""

from __future__ import annotations

import gzip
import socket
import time
import zlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from ivrsync.errors import ApiError, RunDeadlineError, ServerError, TransportError, UsageError
from ivrsync.smartflo.client import SmartfloClient, open_client
from ivrsync.smartflo.credentials import DEFAULT_BASE_URL, Credentials
from ivrsync.smartflo.reading import MIB
from ivrsync.smartflo.retry import RetryPolicy
from tests.testing.sockets import drip_head, scripted_server

TOKEN = "tok-Hostile-4711"
BODY = {"name": "Support"}


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


class Drip(httpx.SyncByteStream):
    """A body that arrives `size` bytes at a time, `every` seconds apart on a fake clock."""

    def __init__(self, clock: FakeMonotonic, count: int, every: float, size: int = 1) -> None:
        self.clock, self.count, self.every, self.size = clock, count, every, size
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.count):
            self.clock.now += self.every
            self.sent += 1
            yield b" " * self.size


def scripted(
    handler: Callable[[httpx.Request], httpx.Response],
    clock: FakeMonotonic,
    *,
    attempts: int = 1,
    sleeps: list[float] | None = None,
    **options: object,
) -> SmartfloClient:
    def sleep(seconds: float) -> None:
        (sleeps if sleeps is not None else []).append(seconds)
        clock.now += seconds

    http = httpx.Client(transport=httpx.MockTransport(handler), base_url=DEFAULT_BASE_URL)
    return SmartfloClient(
        http,
        Credentials(token=TOKEN),
        retry=RetryPolicy(attempts=attempts, base_delay=0.5),
        sleep=sleep,
        monotonic=clock,
        **{"rate_limit": None, **options},  # type: ignore[arg-type]
    )


# -- a slow server: the request deadline --------------------------------------------------


@pytest.mark.parametrize(
    ("count", "every", "deadline", "expected"),
    [
        (1000, 0.3, 60.0, "the server took longer than 60 s to answer (request_deadline)"),
        (100, 1.0, 10.0, "the server took longer than 10 s to answer (request_deadline)"),
        (50_000, 0.001, 2.5, "the server took longer than 2.5 s to answer (request_deadline)"),
    ],
    ids=["the-issue-one-byte-per-0.3s", "one-byte-per-second", "fast-tiny-drips"],
)
def test_a_dripping_answer_is_cut_at_the_request_deadline(
    count: int, every: float, deadline: float, expected: str
) -> None:
    clock = FakeMonotonic()
    streams: list[Drip] = []

    def handle(request: httpx.Request) -> httpx.Response:
        streams.append(Drip(clock, count, every))
        return httpx.Response(200, stream=streams[-1])

    client = scripted(handle, clock, attempts=2, request_deadline=deadline)
    with client, pytest.raises(TransportError) as info:
        client.put_ivr(349, BODY)

    assert info.value.message == f"IVR 349: gave up after 2 attempts; last: {expected}"
    assert len(streams) == 2  # a timeout of a PUT is retried, like any timeout
    for stream in streams:
        assert stream.sent * every <= deadline + every, "read on past the deadline"


def test_an_answer_within_the_deadline_is_read_whole() -> None:
    clock = FakeMonotonic()

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Drip(clock, 10, 0.3))  # 3 s of spaces: a 2xx, no JSON

    client = scripted(handle, clock, request_deadline=60.0)
    with client:
        assert client.put_ivr(349, BODY) == "HTTP 200"


def test_no_request_deadline_means_unbounded() -> None:
    clock = FakeMonotonic()

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Drip(clock, 1000, 0.3))  # 300 s

    client = scripted(handle, clock, request_deadline=None)
    with client:
        assert client.put_ivr(349, BODY) == "HTTP 200"
    assert clock.now >= 350


# -- the whole run's deadline --------------------------------------------------------------


def slow_ok(clock: FakeMonotonic, seconds: float) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        clock.now += seconds
        return httpx.Response(200, json={"success": True, "message": "ok"})

    return handle


def test_the_run_deadline_stops_a_run_of_slow_answers() -> None:
    clock = FakeMonotonic()
    client = scripted(slow_ok(clock, 0.3), clock, run_deadline=1.0)

    with client:
        assert [client.put_ivr(i, BODY) for i in (1, 2, 3)] == ["ok"] * 3  # done at 0.9 s
        with pytest.raises(RunDeadlineError) as info:
            client.put_ivr(4, BODY)  # would be done at 1.2 s
        with pytest.raises(RunDeadlineError):
            client.put_ivr(5, BODY)  # would start after the deadline: not even sent

    assert info.value.message == (
        "IVR 4: the run took longer than 1 s (run_deadline), so nothing more is sent"
    )
    assert info.value.fatal
    assert not info.value.retryable
    assert clock.now == pytest.approx(50.0 + 1.2)  # the fifth was never sent


def test_the_run_deadline_cuts_a_dripping_answer_short() -> None:
    clock = FakeMonotonic()

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Drip(clock, 1000, 0.3))

    client = scripted(handle, clock, attempts=5, request_deadline=60.0, run_deadline=10.0)
    with client, pytest.raises(RunDeadlineError, match="took longer than 10 s"):
        client.put_ivr(349, BODY)

    assert clock.now - 50.0 <= 10.3


def test_the_run_deadline_leaves_no_time_for_a_long_retry_wait() -> None:
    clock = FakeMonotonic()
    sleeps: list[float] = []
    answer = httpx.Response(503, json={"message": "down"}, headers={"Retry-After": "20"})
    client = scripted(lambda r: answer, clock, attempts=5, sleeps=sleeps, run_deadline=15.0)

    with client, pytest.raises(RunDeadlineError) as info:
        client.put_ivr(349, BODY)

    assert info.value.message == (
        "IVR 349: the run deadline (15 s) leaves no time to retry; last: HTTP 503: down"
    )
    assert sleeps == []  # it did not sleep 20 s first


def test_the_run_deadline_can_be_set_on_a_live_client() -> None:
    clock = FakeMonotonic()
    client = scripted(slow_ok(clock, 1.0), clock)

    with client:
        client.put_ivr(1, BODY)  # the run starts here
        client.put_ivr(2, BODY)
        client.run_deadline = 1.5
        with pytest.raises(RunDeadlineError):
            client.put_ivr(3, BODY)
        client.run_deadline = None
        assert client.put_ivr(4, BODY) == "ok"


@pytest.mark.parametrize("option", ["request_deadline", "run_deadline"], ids=str)
@pytest.mark.parametrize("value", [0, -1.0, float("nan")], ids=str)
def test_deadlines_must_be_positive(option: str, value: float) -> None:
    with pytest.raises(UsageError, match=f"{option} must be a positive number of seconds"):
        open_client(
            base_url=DEFAULT_BASE_URL,
            credentials=Credentials(token=TOKEN),
            **{option: value},  # type: ignore[arg-type]
        )
    with (
        open_client(base_url=DEFAULT_BASE_URL, credentials=Credentials(token=TOKEN)) as client,
        pytest.raises(UsageError, match=f"{option} must be a positive number of seconds"),
    ):
        setattr(client, option, value)


# -- huge answers --------------------------------------------------------------------------


def bomb(size: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return b"".join([*(z.compress(b"\0" * MIB) for _ in range(size // MIB)), z.flush()])


BOMB = bomb(300 * MIB)


class Raw(httpx.SyncByteStream):
    """Bytes handed to the client as they would come off the wire (not pre-decoded)."""

    def __init__(self, data: bytes, size: int = 64 * 1024) -> None:
        self.data, self.size, self.read = data, size, 0

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), self.size):
            self.read += self.size
            yield self.data[start : start + self.size]


@pytest.mark.parametrize(
    ("status", "encoding", "data"),
    [
        (200, "gzip", BOMB),
        (400, "gzip", BOMB),
        (200, "deflate", zlib.compress(b"{" * (40 * MIB), 9)),
        (200, "", b"[" * (11 * MIB)),
        (503, "gzip", gzip.compress(b" " * (12 * MIB))),
    ],
    ids=["gzip-bomb-200", "gzip-bomb-400", "deflate-bomb", "plain-11-mib", "gzip-503"],
)
def test_an_answer_larger_than_ten_mib_decoded_is_refused_unread(
    status: int, encoding: str, data: bytes
) -> None:
    streams: list[Raw] = []

    def handle(request: httpx.Request) -> httpx.Response:
        streams.append(Raw(data))
        headers = {"Content-Encoding": encoding} if encoding else {}
        return httpx.Response(status, headers=headers, stream=streams[-1])

    client = scripted(handle, FakeMonotonic(), attempts=3)
    with client, pytest.raises(ApiError) as info:
        client.put_ivr(349, BODY)

    assert type(info.value) is ApiError
    assert info.value.message == (
        f"IVR 349: the answer (HTTP {status}) is larger than 10 MiB once decoded; reading "
        "stopped there"
    )
    assert len(streams) == 1, "a too-large answer is not asked for again"
    if len(data) > 64 * 1024:
        assert streams[0].read < len(data)


def test_the_list_may_be_larger_than_a_write_answer_but_not_unbounded() -> None:
    items = b",".join(b'{"id": %d, "name": "%s"}' % (i, b"n" * 100) for i in range(150_000))
    listing = b'{"ivrs": [' + items + b"]}"  # about 18 MiB
    answers = iter([gzip.compress(listing), bomb(100 * MIB)])

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=Raw(next(answers)))

    client = scripted(handle, FakeMonotonic())
    with client:
        assert len(client.list_ivrs()) == 150_000
        with pytest.raises(ApiError, match=r"is larger than 64 MiB once decoded"):
            client.list_ivrs()


def test_a_corrupt_gzip_answer_is_a_clear_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=Raw(b"garbage"))

    client = scripted(handle, FakeMonotonic(), attempts=3)
    with client, pytest.raises(TransportError, match=r"IVR 349: the answer \(HTTP 200\) does not"):
        client.put_ivr(349, BODY)


# -- a real socket: a read timeout alone never stops a drip --------------------------------


def drip_for(seconds: float, every: float = 0.3) -> Callable[[socket.socket], None]:
    """Headers at once, then one body byte every `every` s; gives up after `seconds`."""

    def script(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        conn.sendall(b"Content-Length: 100000\r\n\r\n")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            conn.sendall(b" ")
            time.sleep(every)

    return script


def silent(conn: socket.socket) -> None:
    time.sleep(8)


def real_client(url: str, **options: object) -> SmartfloClient:
    return open_client(
        base_url=url,
        credentials=Credentials(token=TOKEN),
        retry=RetryPolicy(attempts=1),
        rate_limit=None,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("script", "options", "error", "expected"),
    [
        (
            drip_for(8),
            {"timeout": 5.0, "request_deadline": 1.0},
            TransportError,
            "IVR 349: gave up after 1 attempt; last: the server took longer than 1 s to answer",
        ),
        (
            drip_for(8),
            {"timeout": 5.0, "request_deadline": None, "run_deadline": 1.2},
            RunDeadlineError,
            "IVR 349: the run took longer than 1.2 s (run_deadline)",
        ),
        (
            silent,
            {"timeout": 30.0, "request_deadline": 0.8},
            TransportError,
            "IVR 349: gave up after 1 attempt; last: the server took longer than 0.8 s to answer",
        ),
        (
            drip_head(8),
            {"timeout": 5.0, "request_deadline": 1.0},
            TransportError,
            "IVR 349: gave up after 1 attempt; last: the server took longer than 1 s to answer "
            "(request_deadline)",
        ),
        (
            drip_head(8),
            {"timeout": 5.0, "request_deadline": None, "run_deadline": 1.2},
            RunDeadlineError,
            "IVR 349: the run took longer than 1.2 s (run_deadline)",
        ),
    ],
    ids=[
        "drip-request-deadline",
        "drip-run-deadline",
        "silent-capped-timeout",
        "head-drip-request-deadline",
        "head-drip-run-deadline",
    ],
)
def test_a_real_slow_server_is_cut_at_the_deadline(
    script: Callable[[socket.socket], None],
    options: dict[str, object],
    error: type[ApiError],
    expected: str,
) -> None:
    with scripted_server(script) as server, real_client(server.url, **options) as client:
        started = time.monotonic()
        with pytest.raises(error) as info:
            client.put_ivr(349, BODY)
        elapsed = time.monotonic() - started

    assert info.value.message.startswith(expected)
    assert elapsed < 2.5, f"the run was held for {elapsed:.1f} s"


def test_a_real_gzip_bomb_is_refused_without_inflating_it() -> None:
    def script(conn: socket.socket) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            f"Content-Length: {len(BOMB)}\r\n\r\n"
        )
        conn.sendall(head.encode() + BOMB)

    with (
        scripted_server(script) as server,
        real_client(server.url) as client,
        pytest.raises(ApiError, match="larger than 10 MiB once decoded") as info,
    ):
        client.put_ivr(349, BODY)

    assert type(info.value) is ApiError
    assert not isinstance(info.value, ServerError)
