"""The transport under the client: each socket operation held to the request's deadline.

The sockets are fakes (a `httpcore.NetworkBackend` handing out scripted streams) on a fake
clock, so what is checked is the timeout each connect, handshake, read and write was given, and
that none is tried once the deadline has passed. Real sockets: tests/test_smartflo_hostile.py.
"""

from __future__ import annotations

import importlib.util
import ssl
from collections.abc import Iterable

import httpcore
import httpx
import pytest

from ivrsync.errors import UsageError
from ivrsync.smartflo.transport import DEADLINE, Remaining, environment_proxies, open_routes

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
URL = "http://smartflo.test/v1/ivrs"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def deadline(self, seconds: float) -> Remaining:
        end = self.now + seconds
        return lambda: end - self.now


class Socket(httpcore.NetworkStream):
    """A connection that answers `chunks`, one per read, each read taking `every` s."""

    def __init__(self, clock: Clock, chunks: Iterable[bytes], every: float = 0.0) -> None:
        self.clock, self.chunks, self.every = clock, list(chunks), every
        self.calls: list[tuple[str, float | None]] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.calls.append(("read", timeout))
        self.clock.now += self.every
        return self.chunks.pop(0) if self.chunks else b""

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.calls.append(("write", timeout))

    def close(self) -> None:
        self.calls.append(("close", None))

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        self.calls.append(("tls", timeout))
        return self

    def timeouts(self, operation: str) -> list[float | None]:
        return [timeout for name, timeout in self.calls if name == operation]


class Sockets(httpcore.NetworkBackend):
    """Hands out `sockets` in order, one per connection; records each connect's timeout."""

    def __init__(self, *sockets: Socket, refuse: Exception | None = None) -> None:
        self.sockets, self.refuse = list(sockets), refuse
        self.connects: list[float | None] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, *_: object) -> Socket:
        self.connects.append(timeout)
        if self.refuse is not None:
            raise self.refuse
        return self.sockets.pop(0)


def client(backend: Sockets) -> httpx.Client:
    return httpx.Client(transport=open_routes(2, proxies={}, backend=backend).direct)


def drip(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def get(http: httpx.Client, deadline: Remaining | None, url: str = URL) -> httpx.Response:
    extensions = {} if deadline is None else {DEADLINE: deadline}
    return http.get(url, timeout=TIMEOUT, extensions=extensions)


# -- the deadline shortens timeouts --------------------------------------------------------


def test_status_line_and_headers_dripping_are_cut_at_the_deadline() -> None:
    clock = Clock()
    socket = Socket(clock, drip(OK), every=0.3)
    backend = Sockets(socket)

    with client(backend) as http, pytest.raises(httpx.ReadTimeout):
        get(http, clock.deadline(1.0))

    assert backend.connects == [1.0]  # 5 s connect timeout, 1 s left
    assert socket.timeouts("read") == pytest.approx([1.0, 0.7, 0.4, 0.1])  # then none
    assert all(t == pytest.approx(1.0) for t in socket.timeouts("write"))


def test_a_timeout_shorter_than_what_is_left_is_kept() -> None:
    clock = Clock()
    socket = Socket(clock, drip(OK), every=0.3)  # about 23 s in all, within a minute

    with client(Sockets(socket)) as http:
        answer = get(http, clock.deadline(60.0))

    assert answer.status_code == 200
    assert answer.content == b"{}"
    assert set(socket.timeouts("read")) == {10.0}


def test_without_a_deadline_the_timeouts_are_httpxs() -> None:
    clock = Clock()
    socket = Socket(clock, drip(OK), every=0.3)
    backend = Sockets(socket)

    with client(backend) as http:
        assert get(http, None).status_code == 200

    assert backend.connects == [5.0]
    assert set(socket.timeouts("read")) == {10.0}
    assert set(socket.timeouts("write")) == {10.0}


def test_a_dripping_body_is_cut_at_the_deadline_too() -> None:
    clock = Clock()
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
    socket = Socket(clock, [head, *drip(b" " * 1000)], every=0.3)

    with (
        client(Sockets(socket)) as http,
        http.stream(
            "GET", URL, timeout=TIMEOUT, extensions={DEADLINE: clock.deadline(1.0)}
        ) as answer,
    ):
        assert answer.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            for _ in answer.iter_raw():
                pass

    assert len(socket.timeouts("read")) == 4  # the head, then body reads until the deadline


def test_the_tls_handshake_is_held_to_the_deadline() -> None:
    clock = Clock()
    socket = Socket(clock, [OK])
    backend = Sockets(socket)

    with client(backend) as http:
        assert get(http, clock.deadline(2.5), "https://smartflo.test/v1/ivrs").status_code == 200

    assert backend.connects == [2.5]
    assert socket.timeouts("tls") == [2.5]


# -- a passed deadline ---------------------------------------------------------------------


def test_a_passed_deadline_raises_before_connecting() -> None:
    clock = Clock()
    backend = Sockets(Socket(clock, [OK]))

    with client(backend) as http, pytest.raises(httpx.ConnectTimeout):
        get(http, clock.deadline(-0.1))

    assert backend.connects == []


def test_a_pooled_connection_answers_to_the_request_that_uses_it() -> None:
    clock = Clock()
    socket = Socket(clock, [OK, OK])  # one kept-alive connection, two answers
    backend = Sockets(socket)

    with client(backend) as http:
        assert get(http, clock.deadline(1.0)).status_code == 200
        clock.now += 5.0  # the first request's deadline is long past
        assert get(http, clock.deadline(30.0)).status_code == 200

    assert len(backend.connects) == 1
    assert socket.timeouts("read") == pytest.approx([1.0, 10.0])


# -- httpcore's exceptions become httpx's --------------------------------------------------


@pytest.mark.parametrize(
    ("socket_answer", "refuse", "expected"),
    [
        ([], None, httpx.RemoteProtocolError),  # closed before answering
        ([b"HTTP/1.1 200 OK\r\n", b"no colon\r\n\r\n"], None, httpx.RemoteProtocolError),
        ([OK], httpcore.ConnectError("refused"), httpx.ConnectError),
        ([OK], httpcore.ConnectTimeout("timed out"), httpx.ConnectTimeout),
    ],
    ids=["closed", "bad-header", "refused", "connect-timeout"],
)
def test_httpcore_exceptions_become_httpx_exceptions(
    socket_answer: list[bytes], refuse: Exception | None, expected: type[Exception]
) -> None:
    clock = Clock()
    backend = Sockets(Socket(clock, socket_answer), refuse=refuse)

    with client(backend) as http, pytest.raises(expected) as info:
        get(http, clock.deadline(5.0))

    assert type(info.value) is expected
    if refuse is not None:
        assert isinstance(info.value.__cause__, type(refuse))


# -- the environment's proxies, as httpx reads them ----------------------------------------


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ({}, {}),
        ({"https": "http://proxy:3128"}, {"https://": "http://proxy:3128"}),
        ({"http": "proxy:3128"}, {"http://": "http://proxy:3128"}),
        ({"all": "socks5://proxy:1080", "ftp": "ftp://x"}, {"all://": "socks5://proxy:1080"}),
        ({"https": "http://p:1", "no": "*"}, {}),
        (
            {"https": "http://p:1", "no": "localhost, 127.0.0.1,::1,.corp.example,example.com"},
            {
                "https://": "http://p:1",
                "all://localhost": None,
                "all://127.0.0.1": None,
                "all://[::1]": None,
                "all://*.corp.example": None,
                "all://*example.com": None,
            },
        ),
        (
            {"no": "https://api.example,10.0.0.0/8"},
            {"https://api.example": None, "all://10.0.0.0/8": None},
        ),
    ],
    ids=[
        "none",
        "https",
        "no-scheme",
        "all-not-ftp",
        "no-proxy-star",
        "no-proxy-hosts",
        "no-proxy-urls",
    ],
)
def test_environment_proxies_are_read_as_httpx_reads_them(
    found: dict[str, str], expected: dict[str, str | None]
) -> None:
    assert environment_proxies(found) == expected


def test_a_proxy_is_mounted_and_a_no_proxy_host_goes_direct() -> None:
    routes = open_routes(2, proxies={"https": "http://user:secret@proxy:3128", "no": "localhost"})

    assert set(routes.mounts) == {"https://", "all://localhost"}
    assert routes.mounts["all://localhost"] is None
    assert routes.mounts["https://"] is not routes.direct


def test_a_proxy_of_an_unknown_scheme_is_a_usage_error_without_its_password() -> None:
    with pytest.raises(UsageError) as info:
        open_routes(2, proxies={"https": "ftp://user:secret@proxy:21"})

    assert info.value.message == "the environment names a proxy ivrsync cannot use (a ftp:// URL)"
    assert "secret" not in info.value.message + (info.value.hint or "")


@pytest.mark.skipif(importlib.util.find_spec("socksio") is not None, reason="socksio installed")
def test_a_socks_proxy_without_socksio_is_a_usage_error_without_its_password() -> None:
    with pytest.raises(UsageError) as info:
        open_routes(2, proxies={"all": "socks5://user:secret@proxy:1080"})

    assert info.value.message == (
        "the environment names a SOCKS proxy (socks5://proxy:1080), which needs the socksio package"
    )
    assert "secret" not in info.value.message + (info.value.hint or "")
