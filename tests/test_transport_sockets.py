"""The transport on real loopback sockets, through the client: a server that drips its status
line and headers is held to the deadline under the client's retry rules, over TLS (verified as
before) and through the environment's proxy (used as before).

Timing is asserted only as generous bounds that prove nothing hung: the dripping head alone
takes about 40 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ivrsync.errors import AmbiguousCreateError, ApiError, RunDeadlineError, TransportError
from ivrsync.smartflo.client import SmartfloClient, open_client
from ivrsync.smartflo.credentials import Credentials
from ivrsync.smartflo.retry import RetryPolicy
from tests.testing.sockets import LOOPBACK_CERT, answer_ok, drip_head, scripted_server

TOKEN = "tok-Sockets-0815"
BODY = {"name": "Support"}
LATE = "the server took longer than 1 s to answer (request_deadline)"
PROXY_VARIABLES = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"]


@pytest.fixture(autouse=True)
def no_proxy_or_certificate_from_the_developer(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR"]:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def client(url: str, *, attempts: int = 1, **options: object) -> SmartfloClient:
    return open_client(
        base_url=url,
        credentials=Credentials(token=TOKEN),
        timeout=5.0,
        retry=RetryPolicy(attempts=attempts, base_delay=0.1),
        rate_limit=None,
        **{"request_deadline": 1.0, **options},  # type: ignore[arg-type]
    )


@pytest.fixture
def timed() -> Callable[[], float]:
    """Seconds since the test started: the bounds below prove nothing hung."""
    started = time.monotonic()
    return lambda: time.monotonic() - started


# -- the client's retry rules --------------------------------------------------------------


def test_a_put_whose_head_drips_is_cut_at_the_deadline_and_retried(
    timed: Callable[[], float],
) -> None:
    with scripted_server(drip_head()) as server, client(server.url, attempts=2) as api:
        with pytest.raises(TransportError) as info:
            api.put_ivr(349, BODY)
        elapsed = timed()

    assert info.value.message == f"IVR 349: gave up after 2 attempts; last: {LATE}"
    assert [head.split(b"\r\n")[0] for head in server.heads] == [b"PUT /v1/ivr/349 HTTP/1.1"] * 2
    assert elapsed < 6, f"held for {elapsed:.1f} s"


def test_a_post_whose_head_drips_is_ambiguous_and_never_repeated(
    timed: Callable[[], float],
) -> None:
    with scripted_server(drip_head()) as server, client(server.url, attempts=5) as api:
        with pytest.raises(AmbiguousCreateError) as info:
            api.create_ivr(BODY)
        elapsed = timed()

    assert info.value.message == (
        f"creating IVR 'Support' (POST /v1/ivr): {LATE}; the IVR may or may not have been "
        "created, and a POST is never repeated"
    )
    assert len(server.heads) == 1
    assert elapsed < 4, f"held for {elapsed:.1f} s"


@pytest.mark.parametrize(
    ("options", "error", "expected"),
    [
        ({}, TransportError, f"listing IVRs (GET /v1/ivrs): gave up after 1 attempt; last: {LATE}"),
        (
            {"request_deadline": None, "run_deadline": 1.5},
            RunDeadlineError,
            "listing IVRs (GET /v1/ivrs): the run took longer than 1.5 s (run_deadline), so "
            "nothing more is sent",
        ),
    ],
    ids=["request-deadline", "run-deadline"],
)
def test_a_list_whose_head_drips_is_cut_at_the_deadline(
    timed: Callable[[], float], options: dict[str, object], error: type[ApiError], expected: str
) -> None:
    with scripted_server(drip_head()) as server, client(server.url, **options) as api:
        with pytest.raises(error) as info:
            api.list_ivrs()
        elapsed = timed()

    assert info.value.message == expected
    assert elapsed < 4, f"held for {elapsed:.1f} s"


# -- TLS, verified as httpx verifies it ----------------------------------------------------


def test_an_untrusted_certificate_is_refused_before_anything_is_sent() -> None:
    with (
        scripted_server(answer_ok, tls=True) as server,
        client(server.url) as api,
        pytest.raises(TransportError, match="could not connect"),
    ):
        api.list_ivrs()

    assert server.heads == []


def test_over_tls_the_head_is_held_to_the_deadline_too(
    monkeypatch: pytest.MonkeyPatch, timed: Callable[[], float]
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(LOOPBACK_CERT))  # honoured, as httpx honours it
    with scripted_server(answer_ok, tls=True) as trusted, client(trusted.url) as api:
        assert api.list_ivrs() == []

    with scripted_server(drip_head(), tls=True) as server, client(server.url) as api:
        with pytest.raises(TransportError) as info:
            api.list_ivrs()
        elapsed = timed()

    assert info.value.message.endswith(LATE)
    assert len(server.heads) == 1
    assert elapsed < 5, f"held for {elapsed:.1f} s"


# -- the environment's proxy, used as httpx uses it ----------------------------------------


def test_the_environments_proxy_is_used_and_held_to_the_deadline(
    monkeypatch: pytest.MonkeyPatch, timed: Callable[[], float]
) -> None:
    with scripted_server(drip_head()) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with client("http://127.0.0.1:9") as api, pytest.raises(TransportError) as info:
            api.put_ivr(349, BODY)  # port 9 (discard) is never dialled: the proxy is
        elapsed = timed()

    assert info.value.message.endswith(LATE)
    assert [head.split(b"\r\n")[0] for head in proxy.heads] == [
        b"PUT http://127.0.0.1:9/v1/ivr/349 HTTP/1.1"
    ]
    assert elapsed < 4, f"held for {elapsed:.1f} s"


def test_a_no_proxy_host_is_reached_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    with scripted_server(drip_head()) as proxy, scripted_server(answer_ok) as server:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        with client(server.url) as api:
            assert api.put_ivr(349, BODY) == "ok"

    assert proxy.heads == []
    assert len(server.heads) == 1
