"""The connection level under the client: every socket operation held to the request's deadline.

httpx's timeouts bound each read, not a request: a server that drips its status line and headers
a byte at a time restarts the read timeout with every byte, and nothing above the socket sees a
byte of it until the headers are complete. So the transport here runs httpcore with a network
backend that caps the timeout of every connect, TLS handshake, read and write at what is left of
the deadline the request carries (the `DEADLINE` extension), and raises httpcore's timeout once
it has passed; the transport maps httpcore's exceptions to httpx's, so the client sees an
`httpx.ReadTimeout` as it would from any slow server.

The rest is what `httpx.HTTPTransport` does for such a client, which cannot be handed a network
backend: TLS verified with httpx's default context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR),
the proxies the environment names (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY, read as httpx
reads them), HTTP/1.1 only, a bounded pool, no connection retries.
"""

from __future__ import annotations

import contextlib
import ipaddress
import ssl
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from ivrsync.errors import UsageError

__all__ = [
    "DEADLINE",
    "DeadlineBackend",
    "DeadlineStream",
    "DeadlineTransport",
    "Remaining",
    "Routes",
    "environment_proxies",
    "open_routes",
]

#: The request extension holding the request's deadline: a callable returning the seconds left
#: (None: no deadline). Requests without it are bounded by their timeouts alone.
DEADLINE = "ivrsync.deadline"

Remaining = Callable[[], float | None]

#: The deadline of the request being sent in this thread, for the backend's streams. Set around
#: each step that may touch the socket (sending, each body read), so a pooled connection always
#: answers to the request that uses it now, not to the one that opened it.
_current: ContextVar[Remaining | None] = ContextVar("ivrsync_request_deadline", default=None)


@contextlib.contextmanager
def _held_to(remaining: Remaining | None) -> Iterator[None]:
    token = _current.set(remaining)
    try:
        yield
    finally:
        _current.reset(token)


def _capped(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout`, no longer than what is left of the current deadline; `expired` once it passed."""
    remaining = _current.get()
    left = None if remaining is None else remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise expired("the request deadline passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation is held to the current request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _capped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        # A handshake that times out is a connect timeout in httpcore too: nothing was sent.
        capped = _capped(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, capped))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's synchronous sockets (or `inner`), each stream a `DeadlineStream`."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner if inner is not None else httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        capped = _capped(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, capped, local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        capped = _capped(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.connect_unix_socket(path, capped, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


#: httpcore's exceptions and httpx's, the more specific first (as httpx.HTTPTransport maps them).
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _as_httpx() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for theirs, ours in _EXCEPTIONS:
            if isinstance(exc, theirs):
                raise ours(str(exc)) from exc
        raise


class _Body(httpx.SyncByteStream):
    """httpcore's response body, each read held to the request's deadline."""

    def __init__(self, stream: Iterable[bytes], remaining: Remaining | None) -> None:
        self._stream, self._remaining = stream, remaining

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._stream)
        while True:
            # The deadline is set around each read only: a generator must not leave it set
            # in its caller's context while it is suspended.
            with _held_to(self._remaining), _as_httpx():
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            with _as_httpx():
                close()


class DeadlineTransport(httpx.BaseTransport):
    """An httpx transport over one httpcore pool (direct, or through a proxy)."""

    def __init__(self, pool: httpcore.ConnectionPool) -> None:
        self._pool = pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, Iterable):  # pragma: no cover - httpx's sync client
            raise TypeError("a synchronous request body was expected")
        remaining = request.extensions.get(DEADLINE)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _held_to(remaining), _as_httpx():
            answer = self._pool.handle_request(core)
        if not isinstance(answer.stream, Iterable):  # pragma: no cover - a sync pool's
            raise TypeError("a synchronous response body was expected")
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream, remaining),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        with _as_httpx():
            self._pool.close()


@dataclass(frozen=True)
class Routes:
    """What `httpx.Client` takes: the direct transport, and one mount per environment proxy
    (None: a NO_PROXY host, sent directly)."""

    direct: DeadlineTransport
    mounts: dict[str, httpx.BaseTransport | None]


#: How long an idle connection is kept for the next request: httpx's default.
KEEPALIVE_EXPIRY = 5.0


def open_routes(
    max_connections: int,
    *,
    proxies: Mapping[str, str] | None = None,
    backend: httpcore.NetworkBackend | None = None,
) -> Routes:
    """The transports for a client: direct, and through each proxy the environment names.

    Each pool holds at most `max_connections`, all of them kept alive between requests.
    `proxies`: `urllib.request.getproxies()`'s mapping (the default, which is what httpx reads);
    `backend`: the sockets under the deadlines (httpcore's own by default).
    Raises UsageError for a proxy that cannot be used (an unknown scheme, SOCKS without socksio).
    """
    found = urllib.request.getproxies() if proxies is None else proxies
    network = DeadlineBackend(backend)
    context = httpx.create_ssl_context()  # httpx's default: verified, with SSL_CERT_* honoured
    pool: dict[str, Any] = {
        "ssl_context": context,
        "max_connections": max_connections,
        "max_keepalive_connections": max_connections,
        "keepalive_expiry": KEEPALIVE_EXPIRY,
        "http1": True,
        "http2": False,
        "retries": 0,
        "network_backend": network,
    }
    mounts: dict[str, httpx.BaseTransport | None] = {}
    for pattern, url in environment_proxies(found).items():
        mounts[pattern] = None if url is None else DeadlineTransport(_proxy_pool(url, pool))
    return Routes(DeadlineTransport(httpcore.ConnectionPool(**pool)), mounts)


def _proxy_pool(url: str, options: dict[str, Any]) -> httpcore.ConnectionPool:
    try:
        proxy = httpx.Proxy(url)
    except (ValueError, httpx.InvalidURL):
        scheme = url.split("://", 1)[0]  # never the rest, which may hold a password
        raise UsageError(
            f"the environment names a proxy ivrsync cannot use (a {scheme}:// URL)",
            hint="a proxy is an http://, https://, socks5:// or socks5h:// URL: fix or unset "
            "HTTPS_PROXY, HTTP_PROXY or ALL_PROXY",
        ) from None
    core_url = httpcore.URL(
        scheme=proxy.url.raw_scheme,
        host=proxy.url.raw_host,
        port=proxy.url.port,
        target=proxy.url.raw_path,
    )
    if proxy.url.scheme in ("http", "https"):
        return httpcore.HTTPProxy(
            proxy_url=core_url,
            proxy_auth=proxy.raw_auth,
            proxy_headers=proxy.headers.raw,
            **options,
        )
    try:  # socks5 or socks5h: httpx.Proxy refuses any other scheme
        return httpcore.SOCKSProxy(proxy_url=core_url, proxy_auth=proxy.raw_auth, **options)
    except RuntimeError:  # httpcore's stand-in class when socksio is not installed
        where = f"{proxy.url.scheme}://{proxy.url.host}:{proxy.url.port}"  # never its password
        raise UsageError(
            f"the environment names a SOCKS proxy ({where}), which needs the socksio package",
            hint="install it (pip install socksio), or unset ALL_PROXY / HTTPS_PROXY",
        ) from None


def environment_proxies(found: Mapping[str, str]) -> dict[str, str | None]:
    """httpx's mounts for the proxies in `found` (`urllib.request.getproxies()`'s mapping).

    The same reading as httpx's own for a client without a transport: `{scheme}://` patterns for
    the http, https and all proxies, None for each NO_PROXY host (curl's rules: `.example.com`
    and `example.com` both match subdomains), nothing at all for NO_PROXY `*`.
    """
    mounts: dict[str, str | None] = {}
    for scheme in ("http", "https", "all"):
        if found.get(scheme):
            url = found[scheme]
            mounts[f"{scheme}://"] = url if "://" in url else f"http://{url}"
    for host in (name.strip() for name in found.get("no", "").split(",")):
        if host == "*":
            return {}
        if not host:
            continue
        if "://" in host:
            mounts[host] = None
        elif _is_address(host, ipaddress.IPv4Address) or host.lower() == "localhost":
            mounts[f"all://{host}"] = None
        elif _is_address(host, ipaddress.IPv6Address):
            mounts[f"all://[{host}]"] = None
        else:
            mounts[f"all://*{host}"] = None
    return mounts


def _is_address(host: str, kind: type[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    try:
        kind(host.split("/")[0])
    except ValueError:
        return False
    return True
