"""Safe on a real account: auth scheme, pacing, clear auth refusals, a POST never repeated."""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from ivrsync.errors import (
    AmbiguousCreateError,
    ApiError,
    AuthenticationError,
    RateLimitedError,
    RejectedError,
    TransportError,
    UsageError,
)
from ivrsync.smartflo.client import SmartfloClient, open_client
from ivrsync.smartflo.credentials import DEFAULT_BASE_URL, Credentials
from ivrsync.smartflo.retry import RetryPolicy
from ivrsync.smartflo.sending import Request

TOKEN = "tok/Account-4711.xyz"
LOGIN_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.login"
EMAIL = "ops@example.com"
PASSWORD = "pw with/odd&chars"
BODY = {"name": "Support", "description": "d", "option": ["1"], "destination": ["ivr|1"]}

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Time:
    """A fake monotonic clock that moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def monotonic(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(round(seconds, 6))
            self.now += seconds


@dataclass
class Server:
    """Answers from `steps` (the last repeats); records each request and when it was sent."""

    time: Time
    steps: list[Step] = field(default_factory=list)
    accepts: Callable[[str | None], bool] = lambda header: header == f"Bearer {TOKEN}"
    requests: list[httpx.Request] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            self.sent_at.append(self.time.monotonic())
            if request.url.path == "/v1/auth/login":
                return httpx.Response(200, json={"success": True, "access_token": LOGIN_TOKEN})
            if not self.accepts(request.headers.get("Authorization")):
                return httpx.Response(401, json={"success": False, "message": "Unauthenticated."})
            api = [r for r in self.requests if r.url.path != "/v1/auth/login"]
            step = self.steps[min(len(api), len(self.steps)) - 1] if self.steps else ok()
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return httpx.Response(step.status_code, headers=step.headers, content=step.content)
        return step(request)

    def headers(self) -> list[str | None]:
        return [r.headers.get("Authorization") for r in self.requests]


def ok(message: str = "done") -> httpx.Response:
    return httpx.Response(200, json={"success": True, "message": message})


@pytest.fixture
def time_() -> Time:
    return Time()


@pytest.fixture
def make(time_: Time) -> Iterator[Callable[..., tuple[SmartfloClient, Server]]]:
    clients: list[SmartfloClient] = []

    def build(
        *steps: Step,
        credentials: Credentials | None = None,
        accepts: Callable[[str | None], bool] | None = None,
        attempts: int = 5,
        **options: Any,
    ) -> tuple[SmartfloClient, Server]:
        server = Server(time_, list(steps))
        if accepts is not None:
            server.accepts = accepts
        http = httpx.Client(transport=httpx.MockTransport(server.handle), base_url=DEFAULT_BASE_URL)
        client = SmartfloClient(
            http,
            credentials or Credentials(token=TOKEN),
            retry=RetryPolicy(attempts=attempts, base_delay=0.5),
            sleep=time_.sleep,
            monotonic=time_.monotonic,
            clock=lambda: 1_800_000_000.0,
            **({"rate_limit": None} | options),
        )
        clients.append(client)
        return client, server

    yield build
    for client in clients:
        client.close()


Make = Callable[..., tuple[SmartfloClient, Server]]


# -- C1: the auth scheme -------------------------------------------------------------------


def raw_only(header: str | None) -> bool:
    return header == TOKEN


@pytest.mark.parametrize(
    "pasted", [TOKEN, f"Bearer {TOKEN}", f"bearer  Bearer {TOKEN} "], ids=["bare", "one", "two"]
)
@pytest.mark.parametrize(
    ("scheme", "expected"), [("bearer", f"Bearer {TOKEN}"), ("raw", TOKEN)], ids=str
)
def test_the_scheme_decides_the_header_and_never_doubles_bearer(
    make: Make, pasted: str, scheme: str, expected: str
) -> None:
    client, server = make(
        credentials=Credentials(token=pasted), accepts=lambda h: True, auth_scheme=scheme
    )

    client.put_ivr(1, BODY)

    assert server.headers() == [expected]
    assert client.auth_scheme_used == scheme


def test_raw_is_also_used_for_a_login_token(make: Make) -> None:
    client, server = make(
        credentials=Credentials(email=EMAIL, password=PASSWORD),
        accepts=lambda h: h == LOGIN_TOKEN,
        auth_scheme="raw",
    )

    assert client.put_ivr(1, BODY) == "done"
    assert server.headers() == [None, LOGIN_TOKEN]


def test_auto_falls_back_to_the_raw_token_once_and_keeps_it(make: Make) -> None:
    client, server = make(accepts=raw_only, auth_scheme="auto")

    assert client.auth_scheme_used is None
    assert [client.put_ivr(i, BODY) for i in (1, 2, 3)] == ["done"] * 3

    assert server.headers() == [f"Bearer {TOKEN}", TOKEN, TOKEN, TOKEN]
    assert client.auth_scheme_used == "raw"


def test_auto_keeps_bearer_when_it_works(make: Make) -> None:
    client, server = make(auth_scheme="auto")

    client.put_ivr(1, BODY)
    client.put_ivr(2, BODY)

    assert server.headers() == [f"Bearer {TOKEN}"] * 2
    assert client.auth_scheme_used == "bearer"


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.Response(
            400, json={"message": "Missing required request parameters: [Authorization]"}
        ),
        httpx.Response(200, json={"success": False, "message": "Deleted or blacklisted token"}),
    ],
    ids=["missing-header-400", "blacklisted-200"],
)
def test_auto_falls_back_on_known_refusals_whatever_their_status(
    make: Make, refusal: httpx.Response
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == TOKEN:
            return ok()
        return httpx.Response(refusal.status_code, content=refusal.content)

    client, server = make(handle, accepts=lambda h: True, auth_scheme="auto")

    assert client.put_ivr(1, BODY) == "done"
    assert client.auth_scheme_used == "raw"
    assert len(server.requests) == 2


def test_auto_with_both_refused_says_so_and_does_not_ask_again(make: Make) -> None:
    client, server = make(accepts=lambda h: False, auth_scheme="auto")

    for ivr_id in (1, 2):
        with pytest.raises(AuthenticationError) as info:
            client.put_ivr(ivr_id, BODY)
        assert info.value.message == (
            f"IVR {ivr_id}: the token was rejected (HTTP 401: Unauthenticated.): it may be "
            "expired, revoked or deleted; both `Authorization: Bearer <token>` and the bare "
            "token were tried"
        )
        assert info.value.fatal

    assert server.headers() == [f"Bearer {TOKEN}", TOKEN]
    assert client.auth_scheme_used is None


def test_auto_reports_the_more_specific_of_the_two_refusals(make: Make) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == TOKEN:
            return httpx.Response(401, json={"message": "Token has expired"})
        return httpx.Response(
            401, json={"message": "Missing required request parameters: [Authorization]"}
        )

    client, _ = make(handle, accepts=lambda h: True, auth_scheme="auto")

    with pytest.raises(AuthenticationError, match=r"IVR 1: the token has expired \(HTTP 401"):
        client.put_ivr(1, BODY)


def test_auto_settles_the_scheme_once_for_many_threads(make: Make) -> None:
    client, server = make(accepts=raw_only, auth_scheme="auto")
    barrier = threading.Barrier(8)

    def put(ivr_id: int) -> str:
        barrier.wait()
        return client.put_ivr(ivr_id, BODY)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(put, range(8))) == ["done"] * 8

    assert server.headers().count(f"Bearer {TOKEN}") == 1
    assert server.headers().count(TOKEN) == 8


@pytest.mark.parametrize("scheme", ["Bearer", "basic", ""], ids=repr)
def test_an_unknown_scheme_is_refused(scheme: str) -> None:
    with pytest.raises(UsageError, match="unknown auth scheme"):
        open_client(
            base_url=DEFAULT_BASE_URL,
            credentials=Credentials(token=TOKEN),
            auth_scheme=scheme,  # type: ignore[arg-type]
        )


def test_the_default_is_bearer(make: Make) -> None:
    client, server = make(accepts=lambda h: True)

    client.put_ivr(1, BODY)

    assert client.auth_scheme == "bearer"
    assert server.headers() == [f"Bearer {TOKEN}"]


# -- C2: one rate limit for every request --------------------------------------------------


def test_every_request_is_paced_by_default_login_included(time_: Time) -> None:
    listing = httpx.Response(200, json={"ivrs": []})
    server = Server(time_, [ok(), ok(), ok(), listing], accepts=lambda h: True)
    http = httpx.Client(transport=httpx.MockTransport(server.handle), base_url=DEFAULT_BASE_URL)
    client = SmartfloClient(
        http,
        Credentials(email=EMAIL, password=PASSWORD),
        sleep=time_.sleep,
        monotonic=time_.monotonic,
    )
    with client:
        for ivr_id in range(3):
            client.put_ivr(ivr_id, BODY)
        assert client.list_ivrs() == []

    assert server.sent_at == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])  # 2/s, the login first
    assert time_.sleeps == [0.5] * 4


@pytest.mark.parametrize("rate", [1.0, 4.0, 0.5], ids=str)
def test_retries_count_against_the_same_limit(make: Make, time_: Time, rate: float) -> None:
    failure = httpx.Response(503, json={"message": "down"}, headers={"Retry-After": "0"})
    client, server = make(failure, failure, ok(), accepts=lambda h: True, rate_limit=rate)

    client.put_ivr(1, BODY)

    gap = 1.0 / rate
    assert server.sent_at == pytest.approx([0.0, gap, 2 * gap])


def test_a_429_retry_after_is_honoured_and_paced(make: Make, time_: Time) -> None:
    limited = httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "5"})
    client, server = make(limited, ok(), accepts=lambda h: True, rate_limit=2.0)

    client.put_ivr(1, BODY)  # 429 at 0.0, waits 5 s, retried at 5.0
    client.put_ivr(2, BODY)  # the next slot after the retry

    assert server.sent_at == pytest.approx([0.0, 5.0, 5.5])
    assert time_.sleeps == [5.0, 0.5]


def test_a_429_holds_the_other_threads_too() -> None:
    # Real time, small numbers: thread A gets a 429 (Retry-After 0.3 s); thread B asks while A
    # waits, and must wait for the end of A's Retry-After as well (the limit is the account's).
    first_sent = threading.Event()
    sent: dict[str, float] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        who = request.headers["X-Who"]
        sent.setdefault(who, time.monotonic())
        if who == "a" and not first_sent.is_set():
            first_sent.set()
            return httpx.Response(429, json={"message": "slow"}, headers={"Retry-After": "0.3"})
        return ok()

    http = httpx.Client(transport=httpx.MockTransport(handle), base_url=DEFAULT_BASE_URL)
    client = SmartfloClient(http, Credentials(token=TOKEN), rate_limit=100.0)
    start = time.monotonic()

    def put(who: str) -> str:
        request = Request(f"IVR {who}", "PUT", "/v1/ivr/1", BODY, headers={"X-Who": who})
        return client._call(request, not_found="").status.__str__()

    with client, ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(put, "a")
        assert first_sent.wait(5)
        b = pool.submit(put, "b")
        assert (a.result(5), b.result(5)) == ("200", "200")

    assert sent["b"] - start >= 0.28


def test_a_429_still_gives_up_with_the_rate_limited_error(make: Make) -> None:
    limited = httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "1"})
    client, server = make(limited, accepts=lambda h: True, rate_limit=2.0, attempts=3)

    with pytest.raises(RateLimitedError, match="gave up after 3 attempts; last: HTTP 429"):
        client.put_ivr(1, BODY)
    assert len(server.requests) == 3


def test_threads_share_one_limit(make: Make, time_: Time) -> None:
    client, server = make(accepts=lambda h: True, rate_limit=2.0)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda i: client.put_ivr(i, BODY), range(12)))

    assert sorted(server.sent_at) == pytest.approx([0.5 * i for i in range(12)])


def test_no_rate_limit_means_no_waiting(make: Make, time_: Time) -> None:
    client, server = make(accepts=lambda h: True, rate_limit=None)

    for ivr_id in range(5):
        client.put_ivr(ivr_id, BODY)

    assert time_.sleeps == []
    assert server.sent_at == [0.0] * 5


# -- C3: clear auth refusals ---------------------------------------------------------------

EXPIRED = "Token has expired"
BLACKLISTED = "Deleted or blacklisted token provided"
MISSING = "Missing required request parameters: [Authorization]"


@pytest.mark.parametrize("status", [401, 400, 200, 403], ids=str)
@pytest.mark.parametrize(
    ("said", "message", "hint"),
    [
        (
            EXPIRED,
            "IVR 349: the token has expired (HTTP {status}: Token has expired)",
            "create a new one in the Smartflo portal under Settings > API Connect > API Tokens",
        ),
        (
            BLACKLISTED,
            "IVR 349: the token was deleted or blacklisted (HTTP {status}: Deleted or "
            "blacklisted token provided); this is also what a click-to-call API key gets: it "
            "is not an API token",
            "the token must come from the Smartflo portal's Settings > API Connect > API Tokens",
        ),
        (
            MISSING,
            "IVR 349: the server did not accept the Authorization header (HTTP {status}: "
            "Missing required request parameters: [Authorization]); probably the wrong auth "
            "scheme (sent `Authorization: Bearer <token>`)",
            "set the `auth_scheme` setting",
        ),
    ],
    ids=["expired", "blacklisted", "missing-header"],
)
def test_known_auth_refusals_get_their_own_message(
    make: Make,
    caplog: pytest.LogCaptureFixture,
    status: int,
    said: str,
    message: str,
    hint: str,
) -> None:
    refusal = httpx.Response(status, json={"success": False, "message": said})
    client, server = make(refusal, accepts=lambda h: True)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AuthenticationError) as info:
        client.put_ivr(349, BODY)

    assert info.value.message == message.format(status=status)
    assert hint in info.value.hint
    assert info.value.fatal
    assert len(server.requests) == 1
    shown = " ".join(
        [
            str(info.value),
            repr(info.value),
            info.value.hint,
            caplog.text,
            repr(client),
            *traceback.format_exception(info.value),
        ]
    )
    assert TOKEN not in shown
    assert "Account-4711" not in shown


def test_missing_header_with_the_raw_scheme_names_what_was_sent(make: Make) -> None:
    refusal = httpx.Response(401, json={"message": MISSING})
    client, _ = make(refusal, accepts=lambda h: True, auth_scheme="raw")

    with pytest.raises(AuthenticationError) as info:
        client.list_ivrs()

    assert "sent the bare token (`Authorization: <token>`)" in info.value.message
    assert "ivrsync probe" in info.value.hint


@pytest.mark.parametrize("said", [EXPIRED, BLACKLISTED], ids=["expired", "blacklisted"])
def test_a_refusal_echoing_the_token_stays_redacted(make: Make, said: str) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        header = request.headers["Authorization"]
        return httpx.Response(401, json={"message": f"{said}: {header}"})

    client, _ = make(echo, accepts=lambda h: True)

    with pytest.raises(AuthenticationError) as info:
        client.put_ivr(349, BODY)

    assert TOKEN not in info.value.message
    assert "[redacted]" in info.value.message


def test_an_expired_login_token_points_at_a_new_run_or_a_portal_token(make: Make) -> None:
    client, _ = make(
        httpx.Response(401, json={"message": EXPIRED}),
        credentials=Credentials(email=EMAIL, password=PASSWORD),
        accepts=lambda h: True,
    )

    with pytest.raises(AuthenticationError) as info:
        client.put_ivr(349, BODY)

    assert "login token may have expired during a long run" in info.value.hint
    assert LOGIN_TOKEN not in info.value.message + info.value.hint


def test_a_plain_4xx_is_still_a_rejection(make: Make) -> None:
    refusal = httpx.Response(422, json={"message": "The name is taken"})
    client, _ = make(refusal, accepts=lambda h: True)

    with pytest.raises(RejectedError):
        client.put_ivr(349, BODY)


# -- C4: create_ivr, never repeated --------------------------------------------------------


def posts(server: Server) -> list[httpx.Request]:
    return [r for r in server.requests if r.method == "POST" and r.url.path == "/v1/ivr"]


def test_create_posts_the_body_once_and_returns_the_message(make: Make) -> None:
    client, server = make(ok("IVR created successfully"))

    assert client.create_ivr(BODY) == "IVR created successfully"
    (request,) = posts(server)
    assert json.loads(request.content) == BODY
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.ReadError("connection reset by peer"),
        httpx.WriteError("broken pipe"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(500, json={"message": "oops"}),
        httpx.Response(502, text="Bad Gateway"),
        httpx.Response(503, json={"message": "down"}, headers={"Retry-After": "1"}),
        httpx.Response(504, text="Gateway Timeout"),
        httpx.Response(501, json={"message": "not implemented"}),
        httpx.Response(200, text="<html>proxy</html>", headers={"Content-Type": "text/html"}),
    ],
    ids=lambda f: type(f).__name__ if isinstance(f, Exception) else f"http-{f.status_code}",
)
def test_a_post_that_may_have_arrived_is_sent_exactly_once(make: Make, failure: Step) -> None:
    client, server = make(failure, ok(), attempts=5)

    with pytest.raises(AmbiguousCreateError) as info:
        client.create_ivr(BODY)

    assert len(posts(server)) == 1
    assert info.value.message.startswith("creating IVR 'Support' (POST /v1/ivr): ")
    assert info.value.message.endswith(
        "; the IVR may or may not have been created, and a POST is never repeated"
    )
    assert "list the IVRs" in info.value.hint
    assert not info.value.retryable
    if isinstance(failure, Exception):
        assert info.value.__cause__ is failure


def test_a_post_cut_by_the_request_deadline_is_ambiguous_and_sent_once(
    make: Make, time_: Time
) -> None:
    class Drip(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for _ in range(1000):
                time_.now += 0.3
                yield b" "

    client, server = make(lambda r: httpx.Response(200, stream=Drip()), request_deadline=5.0)

    with pytest.raises(AmbiguousCreateError, match="took longer than 5 s to answer"):
        client.create_ivr(BODY)
    assert len(posts(server)) == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.PoolTimeout("timed out"),
        httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "2"}),
    ],
    ids=lambda f: type(f).__name__ if isinstance(f, Exception) else f"http-{f.status_code}",
)
def test_a_post_that_provably_did_nothing_is_retried(make: Make, failure: Step) -> None:
    client, server = make(failure, failure, ok("created"), attempts=5)

    assert client.create_ivr(BODY) == "created"
    assert len(posts(server)) == 3


def test_a_post_that_never_connected_gives_up_as_a_transport_error(make: Make) -> None:
    client, server = make(httpx.ConnectError("refused"), attempts=3)

    with pytest.raises(TransportError, match="gave up after 3 attempts") as info:
        client.create_ivr(BODY)
    assert type(info.value) is TransportError
    assert len(posts(server)) == 3


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(422, json={"success": False, "message": "name taken"}), RejectedError),
        (httpx.Response(200, json={"success": False, "message": "not created"}), RejectedError),
        (httpx.Response(401, json={"message": EXPIRED}), AuthenticationError),
    ],
    ids=["422", "success-false", "expired"],
)
def test_a_post_the_server_refused_is_not_ambiguous(
    make: Make, answer: httpx.Response, error: type[ApiError]
) -> None:
    client, server = make(answer)

    with pytest.raises(error) as info:
        client.create_ivr(BODY)
    assert type(info.value) is error
    assert len(posts(server)) == 1


def test_auto_may_resend_a_post_the_server_refused_for_its_credentials(make: Make) -> None:
    client, server = make(ok("created"), accepts=raw_only, auth_scheme="auto")

    assert client.create_ivr(BODY) == "created"
    assert [r.headers["Authorization"] for r in posts(server)] == [f"Bearer {TOKEN}", TOKEN]


# -- open_client passes the options on -----------------------------------------------------


def test_open_client_defaults_are_safe_for_a_real_account() -> None:
    with open_client(base_url=DEFAULT_BASE_URL, credentials=Credentials(token=TOKEN)) as client:
        assert client.auth_scheme == "bearer"
        assert client.request_deadline == 60.0
        assert client.run_deadline is None
        assert client._sender._bucket is not None
        assert client._sender._bucket.rate == 2.0
        # Only what the client inflates itself, within its limits.
        assert client._http.headers["Accept-Encoding"] == "gzip, deflate"


def test_open_client_passes_every_option_on() -> None:
    with open_client(
        base_url=DEFAULT_BASE_URL,
        credentials=Credentials(token=TOKEN),
        auth_scheme="auto",
        rate_limit=None,
        request_deadline=5.0,
        run_deadline=90.0,
    ) as client:
        assert client.auth_scheme == "auto"
        assert client.auth_scheme_used is None
        assert client._sender._bucket is None
        assert (client.request_deadline, client.run_deadline) == (5.0, 90.0)
