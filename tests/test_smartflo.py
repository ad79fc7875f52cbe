"""The Smartflo client against `httpx.MockTransport` fakes: auth, retries, errors, secrecy."""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ivrsync import __version__
from ivrsync.errors import (
    ApiError,
    AuthenticationError,
    CredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RejectedError,
    ServerError,
    TransportError,
    UsageError,
)
from ivrsync.smartflo.client import SmartfloClient, open_client
from ivrsync.smartflo.credentials import (
    DEFAULT_BASE_URL,
    Credentials,
    check_base_url,
    credentials_from_env,
)
from ivrsync.smartflo.retry import RetryPolicy, parse_retry_after

DATA = Path(__file__).parent / "data" / "smartflo"

TOKEN = "tok-Secret-4711.abc_DEF"
PASSWORD = "p@ss word/with&odd=chars"
EMAIL = "ops@example.com"
NOW = 1_800_000_000.0  # the injected clock, POSIX seconds


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


LOGIN_TOKEN: str = fixture("login-success.json")["access_token"]
PUT_BODY: dict[str, Any] = fixture("update-ivr-request.json")

Handler = Callable[[httpx.Request], httpx.Response]


class CeilingJitter:
    """Full jitter that always picks the top of the range, so waits are predictable."""

    def uniform(self, a: float, b: float, /) -> float:
        return b


@dataclass
class Api:
    """A scripted Smartflo: answers PUT/GET from a list of steps, records every request.

    A step is a Response, an exception to raise, or a handler. The last step repeats.
    """

    steps: list[httpx.Response | Exception | Handler] = field(default_factory=list)
    login: httpx.Response | Exception | Handler = field(
        default_factory=lambda: httpx.Response(200, json=fixture("login-success.json"))
    )
    requests: list[httpx.Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            if request.url.path == "/v1/auth/login":
                step: httpx.Response | Exception | Handler = self.login
            else:
                index = min(len(self.api_requests()) - 1, len(self.steps) - 1)
                step = self.steps[index]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            # A fresh response each time, as a server sends: the client streams every answer,
            # and a streamed response can be read only once.
            return httpx.Response(step.status_code, headers=step.headers, content=step.content)
        return step(request)

    def logins(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/v1/auth/login"]

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/v1/auth/login"]


@dataclass
class Harness:
    api: Api
    client: SmartfloClient
    sleeps: list[float]


MakeClient = Callable[..., Harness]


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    clients: list[SmartfloClient] = []

    def make(
        *steps: httpx.Response | Exception | Handler,
        credentials: Credentials | None = None,
        login: httpx.Response | Exception | Handler | None = None,
        attempts: int = 5,
        max_delay: float = 30.0,
        **options: Any,
    ) -> Harness:
        api = Api(steps=list(steps) or [ok()])
        if login is not None:
            api.login = login
        sleeps: list[float] = []
        http = httpx.Client(transport=httpx.MockTransport(api.handle), base_url=DEFAULT_BASE_URL)
        client = SmartfloClient(
            http,
            credentials or Credentials(token=TOKEN),
            retry=RetryPolicy(attempts=attempts, base_delay=0.5, max_delay=max_delay),
            sleep=sleeps.append,
            rng=CeilingJitter(),
            clock=lambda: NOW,
            # Pacing has tests of its own; here every sleep recorded is a retry's.
            **({"rate_limit": None} | options),
        )
        clients.append(client)
        return Harness(api, client, sleeps)

    yield make
    for client in clients:
        client.close()


def ok(message: str = "IVR updated successfully") -> httpx.Response:
    return httpx.Response(200, json={"success": True, "message": message})


def fail(status: int, message: str = "nope", **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"success": False, "message": message}, headers=headers)


def password_credentials() -> Credentials:
    return Credentials(email=EMAIL, password=PASSWORD)


# --------------------------------------------------------------------------------------------
# Credentials


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SMARTFLO_API_TOKEN": TOKEN}, Credentials(token=TOKEN)),
        ({"SMARTFLO_API_TOKEN": f"  {TOKEN}\n"}, Credentials(token=TOKEN)),
        ({"SMARTFLO_EMAIL": EMAIL, "SMARTFLO_PASSWORD": PASSWORD}, password_credentials()),
        (
            {"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_EMAIL": EMAIL, "SMARTFLO_PASSWORD": PASSWORD},
            Credentials(token=TOKEN),
        ),
        (
            {"SMARTFLO_API_TOKEN": "  ", "SMARTFLO_EMAIL": EMAIL, "SMARTFLO_PASSWORD": PASSWORD},
            password_credentials(),
        ),
    ],
    ids=["token", "token-with-whitespace", "email-password", "token-wins", "blank-token-unset"],
)
def test_credentials_from_env(env: dict[str, str], expected: Credentials) -> None:
    assert credentials_from_env(env) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "no Smartflo credentials are configured"),
        ({"SMARTFLO_API_TOKEN": ""}, "no Smartflo credentials are configured"),
        ({"SMARTFLO_EMAIL": EMAIL}, "SMARTFLO_EMAIL is set but SMARTFLO_PASSWORD is not"),
        ({"SMARTFLO_PASSWORD": PASSWORD}, "SMARTFLO_PASSWORD is set but SMARTFLO_EMAIL is not"),
        ({"SMARTFLO_API_TOKEN": "abcd****wxyz"}, "holds a masked token"),
        ({"SMARTFLO_API_TOKEN": "Bearer "}, "holds no token"),
        ({"SMARTFLO_API_TOKEN": "bearer"}, "holds no token"),
        ({"SMARTFLO_API_TOKEN": "abc def"}, "contains spaces, line breaks or non-ASCII"),
        ({"SMARTFLO_API_TOKEN": "abc\ndef"}, "contains spaces, line breaks or non-ASCII"),
        ({"SMARTFLO_API_TOKEN": "abcé"}, "contains spaces, line breaks or non-ASCII"),
    ],
    ids=[
        "nothing",
        "empty-token",
        "email-only",
        "password-only",
        "masked",
        "bearer-prefix-only",
        "bare-bearer",
        "inner-space",
        "inner-newline",
        "non-ascii",
    ],
)
def test_unusable_credentials_are_refused(env: dict[str, str], expected: str) -> None:
    with pytest.raises(CredentialsError) as info:
        credentials_from_env(env)

    assert expected in info.value.message
    assert info.value.hint
    for secret in ("abcd", "wxyz", "def", PASSWORD):
        assert secret not in info.value.message + info.value.hint


def test_missing_credentials_name_the_variables_to_set() -> None:
    with pytest.raises(CredentialsError) as info:
        credentials_from_env({})

    for name in ("SMARTFLO_API_TOKEN", "SMARTFLO_EMAIL", "SMARTFLO_PASSWORD"):
        assert name in info.value.hint


def test_client_refuses_unusable_credentials_before_any_request() -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return ok()

    with (
        httpx.Client(transport=httpx.MockTransport(record)) as http,
        pytest.raises(CredentialsError),
    ):
        SmartfloClient(http, Credentials())

    assert requests == []


@pytest.mark.parametrize(
    "pasted",
    [TOKEN, f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER   {TOKEN}  ", f"Bearer Bearer {TOKEN}"],
    ids=["bare", "prefixed", "lower-case", "upper-case-extra-spaces", "doubled"],
)
def test_token_is_sent_as_exactly_one_bearer(make_client: MakeClient, pasted: str) -> None:
    harness = make_client(credentials=credentials_from_env({"SMARTFLO_API_TOKEN": pasted}))

    harness.client.put_ivr(349, PUT_BODY)

    assert [r.headers["Authorization"] for r in harness.api.requests] == [f"Bearer {TOKEN}"]


def test_credentials_repr_and_str_hide_secrets() -> None:
    for credentials in (Credentials(token=TOKEN), password_credentials()):
        for text in (repr(credentials), str(credentials), f"{credentials}", f"{[credentials]}"):
            assert TOKEN not in text
            assert PASSWORD not in text
    assert repr(password_credentials()) == (
        "Credentials(token=None, email='ops@example.com', password=<set>)"
    )


# --------------------------------------------------------------------------------------------
# Base URL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (DEFAULT_BASE_URL, DEFAULT_BASE_URL),
        (DEFAULT_BASE_URL + "/", DEFAULT_BASE_URL),
        ("https://proxy.example.com/smartflo//", "https://proxy.example.com/smartflo"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://127.45.6.7", "http://127.45.6.7"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("http://localhost:1234", "http://localhost:1234"),
        ("HTTP://LocalHost", "HTTP://LocalHost"),
    ],
    ids=[
        "default",
        "trailing-slash",
        "path-prefix",
        "loopback-v4",
        "loopback-range",
        "loopback-v6",
        "localhost",
        "upper-case",
    ],
)
def test_base_url_accepted(url: str, expected: str) -> None:
    assert check_base_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://api-smartflo.tatateleservices.com", "refusing plain http to api-smartflo"),
        ("http://10.0.0.1:8080", "refusing plain http to 10.0.0.1"),
        ("http://0.0.0.0:8080", "refusing plain http to 0.0.0.0"),
        ("http://localhost.evil.example", "refusing plain http to localhost.evil.example"),
        ("http://127.0.0.1.nip.io", "refusing plain http to 127.0.0.1.nip.io"),
        ("ftp://example.com", "is not an http(s) URL with a host"),
        ("api-smartflo.tatateleservices.com", "is not an http(s) URL with a host"),
        ("https://", "is not an http(s) URL with a host"),
        ("https://me:secret@example.com", "must not contain a user name or password"),
        ("https://example.com/?x=1", "must not have a query or fragment"),
        ("https://example.com:99999", "is not a valid URL"),
    ],
    ids=[
        "http-remote",
        "http-private",
        "http-any-address",
        "localhost-lookalike",
        "loopback-lookalike",
        "ftp",
        "no-scheme",
        "no-host",
        "userinfo",
        "query",
        "bad-port",
    ],
)
def test_base_url_refused(url: str, expected: str) -> None:
    with pytest.raises(UsageError) as info:
        check_base_url(url)

    assert expected in info.value.message
    assert info.value.hint
    assert "secret" not in info.value.message


# --------------------------------------------------------------------------------------------
# Success


def test_put_sends_the_whole_body_and_returns_the_server_message(make_client: MakeClient) -> None:
    harness = make_client(httpx.Response(200, json=fixture("update-ivr-response.json")))

    message = harness.client.put_ivr(349, PUT_BODY)

    assert message == "IVR updated successfully"
    (request,) = harness.api.requests
    assert request.method == "PUT"
    assert str(request.url) == "https://api-smartflo.tatateleservices.com/v1/ivr/349"
    assert json.loads(request.content) == PUT_BODY
    assert harness.sleeps == []


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(204), "HTTP 204"),
        (httpx.Response(200, json={"message": "done"}), "done"),
        (httpx.Response(201, json=[1, 2]), "HTTP 201"),
    ],
    ids=["no-content", "no-success-key", "json-not-object"],
)
def test_2xx_without_success_false_is_success(
    make_client: MakeClient, response: httpx.Response, expected: str
) -> None:
    assert make_client(response).client.put_ivr(349, PUT_BODY) == expected


def test_a_2xx_web_page_is_not_an_acknowledgement(make_client: MakeClient) -> None:
    # A proxy or the portal's web app answering 200 has applied nothing.
    page = httpx.Response(200, text="<html>portal</html>", headers={"Content-Type": "text/html"})
    harness = make_client(page)

    with pytest.raises(ApiError) as info:
        harness.client.put_ivr(349, PUT_BODY)

    assert info.value.message == (
        "IVR 349: the answer is not Smartflo's JSON acknowledgement (HTTP 200: non-JSON body "
        "(text/html, 19 bytes): '<html>portal</html>'), so it was not recorded as applied"
    )
    assert "SMARTFLO_BASE_URL" in info.value.hint
    assert not info.value.retryable
    assert len(harness.api.requests) == 1


def test_list_ivrs_returns_the_raw_read_shape(make_client: MakeClient) -> None:
    harness = make_client(httpx.Response(200, json=fixture("ivrs-list.json")))

    assert harness.client.list_ivrs() == fixture("ivrs-list.json")["ivrs"]
    (request,) = harness.api.requests
    assert (request.method, request.url.path) == ("GET", "/v1/ivrs")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"ivrs": {"id": 1}}),
        httpx.Response(200, json={"ivrs": [{"id": 1}, 2]}),
        httpx.Response(200, json={"data": []}),
        httpx.Response(200, json=[{"id": 1}]),
        httpx.Response(200, text="<html>portal login</html>"),
        httpx.Response(200),
    ],
    ids=["ivrs-object", "ivrs-item-not-object", "no-ivrs-key", "bare-list", "html", "empty"],
)
def test_list_ivrs_refuses_other_shapes(make_client: MakeClient, response: httpx.Response) -> None:
    with pytest.raises(ApiError) as info:
        make_client(response).client.list_ivrs()

    assert type(info.value) is ApiError
    assert info.value.message.startswith("listing IVRs (GET /v1/ivrs): expected a JSON object")


def test_list_ivrs_success_false_is_rejected(make_client: MakeClient) -> None:
    with pytest.raises(RejectedError, match=r"listing IVRs .*HTTP 200: no access"):
        make_client(fail(200, "no access")).client.list_ivrs()


# --------------------------------------------------------------------------------------------
# Login


def test_one_login_for_many_puts_from_many_threads(make_client: MakeClient) -> None:
    def slow_login(request: httpx.Request) -> httpx.Response:
        # Yield the GIL many times while "logging in", so an unguarded client would let the
        # other threads start logins of their own.
        for _ in range(200):
            time.sleep(0)
        return httpx.Response(200, json=fixture("login-success.json"))

    harness = make_client(credentials=password_credentials(), login=slow_login)
    workers = 8
    barrier = threading.Barrier(workers)

    def put(ivr_id: int) -> str:
        if ivr_id < workers:
            barrier.wait()  # the first PUTs of every thread start together, racing to log in
        return harness.client.put_ivr(ivr_id, PUT_BODY)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        messages = list(pool.map(put, range(40)))

    assert messages == ["IVR updated successfully"] * 40
    (login,) = harness.api.logins()
    assert json.loads(login.content) == {"email": EMAIL, "password": PASSWORD}
    assert "Authorization" not in login.headers
    puts = harness.api.api_requests()
    assert len(puts) == 40
    assert {r.headers["Authorization"] for r in puts} == {f"Bearer {LOGIN_TOKEN}"}


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        (
            httpx.Response(200, json=fixture("login-failure.json")),
            "the login was refused (HTTP 200: The username or password is incorrect.)",
        ),
        (
            httpx.Response(401, json=fixture("login-failure-invalid-credentials.json")),
            "the login was refused (HTTP 401: Invalid credentials)",
        ),
        (
            httpx.Response(422, json=fixture("login-failure.json")),
            "the login was refused (HTTP 422: The username or password is incorrect.)",
        ),
        (
            httpx.Response(200, json={"success": True, "token_type": "bearer"}),
            'the answer has no access_token (HTTP 200: JSON {"success": true',
        ),
        (
            httpx.Response(200, text="<html>maintenance</html>"),
            "the answer has no access_token (HTTP 200: non-JSON body",
        ),
    ],
    ids=["incorrect-200", "invalid-401", "incorrect-422", "no-token", "html"],
)
def test_failed_login_is_reported_at_once_and_never_repeated(
    make_client: MakeClient, login: httpx.Response, expected: str
) -> None:
    harness = make_client(credentials=password_credentials(), login=login)

    for ivr_id in (1, 2, 3):
        with pytest.raises(AuthenticationError) as info:
            harness.client.put_ivr(ivr_id, PUT_BODY)
        assert info.value.message.startswith("logging in to Smartflo (POST /v1/auth/login): ")
        assert expected in info.value.message

    assert len(harness.api.logins()) == 1
    assert harness.api.api_requests() == []
    assert harness.sleeps == []


@pytest.mark.parametrize(
    ("login", "error", "expected"),
    [
        (
            httpx.Response(
                429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "1"}
            ),
            RateLimitedError,
            "too many requests (HTTP 429: Too Many Attempts.); the login is not retried",
        ),
        (
            httpx.Response(503, text="<html>down</html>", headers={"Content-Type": "text/html"}),
            ServerError,
            "the server failed (HTTP 503: non-JSON body (text/html, 17 bytes): "
            "'<html>down</html>')",
        ),
        (
            httpx.Response(403, json={"success": False, "message": "API not enabled"}),
            PermissionDeniedError,
            "API access is not enabled for this account (HTTP 403: API not enabled)",
        ),
        (
            httpx.ReadTimeout("timed out"),
            TransportError,
            "ReadTimeout: timed out; the login is not retried",
        ),
    ],
    ids=["429", "503", "403", "read-timeout"],
)
def test_login_failures_are_not_retried(
    make_client: MakeClient, login: httpx.Response | Exception, error: type[ApiError], expected: str
) -> None:
    harness = make_client(credentials=password_credentials(), login=login)

    with pytest.raises(error) as info:
        harness.client.put_ivr(349, PUT_BODY)

    assert expected in info.value.message
    assert info.value.fatal, "a failed login is never repeated, so it must stop the run"
    assert len(harness.api.logins()) == 1
    assert harness.sleeps == []


def test_login_is_retried_only_when_the_connection_was_never_made(
    make_client: MakeClient,
) -> None:
    harness = make_client(
        credentials=password_credentials(), login=httpx.ConnectError("refused"), attempts=3
    )

    with pytest.raises(TransportError, match="could not connect after 3 attempts: ConnectError"):
        harness.client.put_ivr(349, PUT_BODY)

    assert len(harness.api.logins()) == 3
    assert harness.sleeps == [0.5, 1.0]


# --------------------------------------------------------------------------------------------
# Retries


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504], ids=str)
def test_retryable_status_is_retried_with_exponential_backoff(
    make_client: MakeClient, status: int
) -> None:
    harness = make_client(fail(status), fail(status), fail(status), ok())

    assert harness.client.put_ivr(349, PUT_BODY) == "IVR updated successfully"
    assert len(harness.api.requests) == 4
    assert harness.sleeps == [0.5, 1.0, 2.0]


def test_backoff_is_capped_at_max_delay(make_client: MakeClient) -> None:
    harness = make_client(fail(503), attempts=6, max_delay=3.0)

    with pytest.raises(ServerError):
        harness.client.put_ivr(349, PUT_BODY)

    assert harness.sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_stays_within_the_backoff_ceiling() -> None:
    import random

    policy = RetryPolicy(attempts=10, base_delay=0.5, max_delay=30.0)
    rng = random.Random(4)
    for retry in range(1, 10):
        ceiling = min(30.0, 0.5 * 2 ** (retry - 1))
        delays = [policy.backoff(retry, rng) for _ in range(50)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def http_date(posix: float) -> str:
    return email.utils.formatdate(posix, usegmt=True)


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "7", 7.0),
        (503, "2.5", 2.5),
        (429, "120", 30.0),
        (429, http_date(NOW + 12), 12.0),
        (503, http_date(NOW + 3600), 30.0),
        (429, http_date(NOW - 60), 0.0),
        (429, "-5", 0.0),
        (429, "soon", 0.5),
    ],
    ids=[
        "seconds",
        "fractional-seconds",
        "seconds-capped",
        "http-date",
        "http-date-capped",
        "http-date-past",
        "negative",
        "garbage-falls-back-to-backoff",
    ],
)
def test_retry_after_is_honoured(
    make_client: MakeClient, status: int, retry_after: str, expected: float
) -> None:
    harness = make_client(fail(status, **{"Retry-After": retry_after}), ok())

    harness.client.put_ivr(349, PUT_BODY)

    assert harness.sleeps == [expected]


@pytest.mark.parametrize(
    "value",
    [
        time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(NOW + 12)),
        email.utils.formatdate(NOW + 12).rsplit(" ", 1)[0] + " -0000",
    ],
    ids=["asctime", "minus-zero-zone"],
)
def test_retry_after_dates_without_a_zone_are_gmt_not_local_time(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # Smartflo's users are in India: a date read as local time would be 5.5 hours off.
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert parse_retry_after(value, now=NOW) == 12.0
    finally:
        monkeypatch.undo()
        time.tzset()


def test_parse_retry_after_without_header_is_none() -> None:
    assert parse_retry_after(None, now=NOW) is None
    assert parse_retry_after("nan", now=NOW) is None


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.PoolTimeout("timed out"),
        httpx.ReadError("connection reset by peer"),
        httpx.WriteError("broken pipe"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transport_failures_are_retried(make_client: MakeClient, error: Exception) -> None:
    harness = make_client(error, error, ok())

    assert harness.client.put_ivr(349, PUT_BODY) == "IVR updated successfully"
    assert len(harness.api.requests) == 3
    assert harness.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    ("step", "error", "expected"),
    [
        (
            fail(503, "Service Unavailable"),
            ServerError,
            "IVR 349: gave up after 3 attempts; last: HTTP 503: Service Unavailable",
        ),
        (
            fail(429, "Too Many Requests", **{"Retry-After": "1"}),
            RateLimitedError,
            "IVR 349: gave up after 3 attempts; last: HTTP 429: Too Many Requests",
        ),
        (
            httpx.ReadTimeout("timed out"),
            TransportError,
            "IVR 349: gave up after 3 attempts; last: timed out (waiting for the answer)",
        ),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            TransportError,
            "IVR 349: gave up after 3 attempts; last: the server closed the connection without "
            "answering",
        ),
    ],
    ids=["503", "429", "timeout", "dropped"],
)
def test_attempts_exhausted_name_the_ivr_and_last_reason(
    make_client: MakeClient, step: httpx.Response | Exception, error: type[ApiError], expected: str
) -> None:
    harness = make_client(step, attempts=3)

    with pytest.raises(error) as info:
        harness.client.put_ivr(349, PUT_BODY)

    assert type(info.value) is error
    assert info.value.message.startswith(expected)
    assert info.value.hint
    assert len(harness.api.requests) == 3
    assert len(harness.sleeps) == 2
    if isinstance(step, Exception):
        assert info.value.__cause__ is step
        assert info.value.status is None
    else:
        assert info.value.status == step.status_code


def test_one_attempt_means_no_retry(make_client: MakeClient) -> None:
    harness = make_client(fail(503), attempts=1)

    with pytest.raises(ServerError, match="gave up after 1 attempt;"):
        harness.client.put_ivr(349, PUT_BODY)

    assert harness.sleeps == []


@pytest.mark.parametrize(
    "error",
    [httpx.UnsupportedProtocol("bad scheme"), httpx.LocalProtocolError("bad header")],
    ids=lambda e: type(e).__name__,
)
def test_local_request_errors_are_not_retried(make_client: MakeClient, error: Exception) -> None:
    harness = make_client(error)

    with pytest.raises(TransportError, match="IVR 349: the request could not be sent") as info:
        harness.client.put_ivr(349, PUT_BODY)

    assert info.value.__cause__ is error
    assert len(harness.api.requests) == 1


@pytest.mark.parametrize("attempts", [0, -1], ids=str)
def test_retry_policy_needs_one_attempt(attempts: int) -> None:
    with pytest.raises(UsageError, match="at least 1"):
        RetryPolicy(attempts=attempts)


# --------------------------------------------------------------------------------------------
# Error mapping


@pytest.mark.parametrize(
    ("status", "error", "expected", "hint"),
    [
        (200, RejectedError, "IVR 349: the server refused it (HTTP 200: server says no)", "fix"),
        (400, RejectedError, "IVR 349: the server refused it (HTTP 400: server says no)", "fix"),
        (409, RejectedError, "IVR 349: the server refused it (HTTP 409: server says no)", "fix"),
        (422, RejectedError, "IVR 349: the server refused it (HTTP 422: server says no)", "fix"),
        (
            401,
            AuthenticationError,
            "IVR 349: the token was rejected (HTTP 401: server says no): it may be expired, "
            "revoked or deleted",
            "create a new one in the Smartflo portal under Settings > API Connect > API Tokens "
            "and set SMARTFLO_API_TOKEN",
        ),
        (
            403,
            PermissionDeniedError,
            "IVR 349: API access is not enabled for this account (HTTP 403: server says no)",
            "ask Tata to enable it",
        ),
        (
            404,
            NotFoundError,
            "IVR 349: IVR 349 does not exist in this account (HTTP 404: server says no)",
            "check the id",
        ),
        (501, ServerError, "IVR 349: the server failed (HTTP 501: server says no)", "later"),
        (301, ApiError, "IVR 349: unexpected redirect (HTTP 301)", "base URL"),
    ],
    ids=["200", "400", "409", "422", "401", "403", "404", "501", "301"],
)
def test_success_false_and_refusals_map_to_errors_without_retry(
    make_client: MakeClient, status: int, error: type[ApiError], expected: str, hint: str
) -> None:
    harness = make_client(fail(status, "server says no"))

    with pytest.raises(ApiError) as info:
        harness.client.put_ivr(349, PUT_BODY)

    assert type(info.value) is error
    assert info.value.message == expected
    assert hint in info.value.hint
    assert info.value.status == status
    assert len(harness.api.requests) == 1
    assert harness.sleeps == []


def test_fatal_errors_stop_the_run(make_client: MakeClient) -> None:
    assert AuthenticationError.fatal
    assert PermissionDeniedError.fatal
    assert not NotFoundError.fatal
    assert not RejectedError.fatal


def test_401_after_a_login_points_at_the_expired_login_token(make_client: MakeClient) -> None:
    harness = make_client(fail(401, "Unauthenticated."), credentials=password_credentials())

    with pytest.raises(AuthenticationError) as info:
        harness.client.put_ivr(349, PUT_BODY)

    assert "login token may have expired" in info.value.hint


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            httpx.Response(400, text="<h1>Bad</h1>", headers={"Content-Type": "text/html"}),
            "(HTTP 400: non-JSON body (text/html, 12 bytes): '<h1>Bad</h1>')",
        ),
        (httpx.Response(400), "(HTTP 400: empty body)"),
        (
            httpx.Response(400, content=b"\xff\xfe\x00"),
            "(HTTP 400: non-JSON body (unknown type, 3 bytes))",
        ),
        (
            httpx.Response(
                422, json={"message": "The given data was invalid.", "errors": {"x": 1}}
            ),
            '(HTTP 422: The given data was invalid. {"x": 1})',
        ),
        (
            httpx.Response(400, json={"success": False, "message": {"name": ["required"]}}),
            '(HTTP 400: {"name": ["required"]})',
        ),
        (httpx.Response(400, json={"success": False}), '(HTTP 400: JSON {"success": false})'),
        (httpx.Response(200, json={"success": "false"}), '(HTTP 200: JSON {"success": "false"})'),
        (
            httpx.Response(400, text="x" * 1000, headers={"Content-Type": "text/plain"}),
            "(HTTP 400: non-JSON body (text/plain, 1000 bytes): '" + "x" * 297 + "...')",
        ),
    ],
    ids=[
        "html",
        "empty",
        "binary",
        "errors-object",
        "message-object",
        "no-message",
        "success-string-false",
        "long-body-shortened",
    ],
)
def test_bodies_without_a_plain_message_are_described(
    make_client: MakeClient, response: httpx.Response, expected: str
) -> None:
    with pytest.raises(RejectedError) as info:
        make_client(response).client.put_ivr(349, PUT_BODY)

    assert info.value.message == f"IVR 349: the server refused it {expected}"


def test_retryable_non_json_body_is_described_when_retries_run_out(
    make_client: MakeClient,
) -> None:
    harness = make_client(httpx.Response(502, text="Bad Gateway"), attempts=2)

    with pytest.raises(ServerError) as info:
        harness.client.put_ivr(349, PUT_BODY)

    assert info.value.message == (
        "IVR 349: gave up after 2 attempts; last: HTTP 502: non-JSON body "
        "(text/plain, 11 bytes): 'Bad Gateway'"
    )


# --------------------------------------------------------------------------------------------
# Secrets never leak


def echo(status: int) -> Handler:
    """A server that quotes the request's Authorization header and body in its message."""

    def handle(request: httpx.Request) -> httpx.Response:
        said = f"{request.headers.get('Authorization')} {request.content.decode()}"
        return httpx.Response(status, json={"success": False, "message": said})

    return handle


def echo_text(status: int) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text=f"auth={request.headers.get('Authorization')}")

    return handle


def echo_error(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError(f"garbage after {request.headers.get('Authorization')}")


def login_echo(status: int) -> httpx.Response:
    # The request body is only known at call time, so echo what the client would send.
    said = json.dumps({"email": EMAIL, "password": PASSWORD})
    return httpx.Response(status, json={"success": False, "message": f"bad login {said}"})


SCENARIOS: list[tuple[str, dict[str, Any]]] = [
    (f"echo-{status}", {"steps": [echo(status)]}) for status in (200, 400, 401, 403, 404, 422, 503)
] + [
    ("echo-text-400", {"steps": [echo_text(400)]}),
    ("echo-text-502", {"steps": [echo_text(502)]}),
    ("echo-exception", {"steps": [echo_error]}),
    (
        "login-echo",
        {"credentials": password_credentials(), "login": login_echo(200)},
    ),
    (
        "login-echo-text-429",
        {"credentials": password_credentials(), "login": login_echo(429)},
    ),
    ("login-token-echo", {"credentials": password_credentials(), "steps": [echo(401)]}),
]


@pytest.mark.parametrize(("_", "scenario"), SCENARIOS, ids=[name for name, _ in SCENARIOS])
@pytest.mark.parametrize("operation", ["put", "list"], ids=str)
def test_secrets_never_appear_in_errors_or_logs(
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    _: str,
    scenario: dict[str, Any],
    operation: str,
) -> None:
    harness = make_client(
        *scenario.get("steps", []),
        credentials=scenario.get("credentials"),
        login=scenario.get("login"),
        attempts=2,
    )
    call = {"put": lambda: harness.client.put_ivr(349, PUT_BODY), "list": harness.client.list_ivrs}
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ApiError) as info:
        call[operation]()

    shown = " ".join(
        [str(info.value), repr(info.value), info.value.hint, repr(harness.client), caplog.text]
    )
    if info.value.__cause__ is None:
        # With no foreign cause, even a logged traceback must be clean.
        shown += "".join(traceback.format_exception(info.value))
    for secret in (TOKEN, PASSWORD, LOGIN_TOKEN, json.dumps(PASSWORD)[1:-1]):
        assert secret not in shown
    assert "[redacted]" in str(info.value) or isinstance(info.value, TransportError)


def test_redaction_covers_url_and_json_escaped_forms(make_client: MakeClient) -> None:
    from urllib.parse import quote

    said = f"{quote(PASSWORD, safe='')} and {json.dumps(PASSWORD)}"
    harness = make_client(
        credentials=password_credentials(),
        login=httpx.Response(400, text=said, headers={"Content-Type": "text/plain"}),
    )

    with pytest.raises(AuthenticationError) as info:
        harness.client.put_ivr(349, PUT_BODY)

    assert info.value.message.count("[redacted]") == 2
    assert "word" not in info.value.message


# --------------------------------------------------------------------------------------------
# open_client


def test_open_client_configures_the_connection() -> None:
    with open_client(
        base_url="https://api.example.com/",
        credentials=Credentials(token=TOKEN),
        timeout=4.0,
        max_connections=3,
    ) as client:
        http = client._http

        assert str(http.base_url) == "https://api.example.com"
        assert http.timeout == httpx.Timeout(4.0)
        assert http.headers["User-Agent"] == f"ivrsync/{__version__}"
        assert http.follow_redirects is False
        assert repr(client) == "SmartfloClient(base_url='https://api.example.com')"
    assert http.is_closed


@pytest.mark.parametrize(
    ("base_url", "credentials", "error"),
    [
        ("http://api.example.com", lambda: Credentials(token=TOKEN), UsageError),
        # Refused where the credentials are made: no unusable Credentials value exists.
        ("https://api.example.com", Credentials, CredentialsError),
    ],
    ids=["http-refused", "no-credentials"],
)
def test_open_client_refuses_before_connecting(
    base_url: str, credentials: Callable[[], Credentials], error: type[Exception]
) -> None:
    with pytest.raises(error):
        open_client(base_url=base_url, credentials=credentials())


def test_client_is_a_context_manager_that_closes_http(make_client: MakeClient) -> None:
    harness = make_client()

    with harness.client as client:
        assert client is harness.client
    assert client._http.is_closed


@given(
    token=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=20),
    before=st.text(max_size=400),
    after=st.text(max_size=30),
)
def test_any_token_echoed_by_the_server_is_redacted(token: str, before: str, after: str) -> None:
    assume("****" not in token)
    said = f"{before}{token}{after}"

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"success": False, "message": said})

    http = httpx.Client(transport=httpx.MockTransport(handle), base_url=DEFAULT_BASE_URL)
    with (
        SmartfloClient(http, Credentials(token=token)) as client,
        pytest.raises(RejectedError) as info,
    ):
        client.put_ivr(349, PUT_BODY)

    assert token not in f"{info.value.message} {info.value.hint}"


SPACED_PASSWORD = "two  spaces  pw"


@pytest.mark.parametrize(
    ("credentials", "said", "secret"),
    [
        (Credentials(token=TOKEN), "x" * 280 + TOKEN, TOKEN),
        (Credentials(email=EMAIL, password=SPACED_PASSWORD), "x" * 290 + SPACED_PASSWORD, None),
        (Credentials(email=EMAIL, password=SPACED_PASSWORD), f"bad: {SPACED_PASSWORD}!", None),
    ],
    ids=["token-across-the-cut", "password-across-the-cut", "password-with-double-spaces"],
)
def test_redaction_happens_before_shortening(
    make_client: MakeClient, credentials: Credentials, said: str, secret: str | None
) -> None:
    secret = secret or SPACED_PASSWORD
    refusal = httpx.Response(400, json={"success": False, "message": said})
    harness = make_client(refusal, credentials=credentials, login=refusal)

    with pytest.raises(ApiError) as info:
        harness.client.put_ivr(349, PUT_BODY)

    # Not even a cut-off or whitespace-collapsed piece of the secret may show.
    for form in (secret, " ".join(secret.split())):
        assert form[:7] not in info.value.message
