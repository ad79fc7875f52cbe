"""The Smartflo API client: the IVR calls, and the one place that sends HTTP requests (httpx).

Everything httpx raises is translated here into an `ivrsync.errors.ApiError` subclass naming the
IVR (or the request), what happened and what to do. Below it, `transport` holds every socket
operation to the request's deadline. The pure rest lives beside it: `sending`
(rate limit, deadlines, retries, when a POST may be repeated), `auth`, `reading` (size and time
limits), `answers` (the JSON boundary), `refusals` (the one status map) and `redact`: secrets
never appear in a message, hint, repr or log record, since every text from the server or httpx
passes through the client's `Redactor`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import httpx

from ivrsync import __version__
from ivrsync.body import REFERENCE_SEPARATOR, Separator, wire_body
from ivrsync.errors import ApiError, UsageError
from ivrsync.model import Body
from ivrsync.smartflo.answers import Answer, describe, quote, server_message, server_text
from ivrsync.smartflo.auth import AUTH_SCHEMES, Authenticator, AuthScheme
from ivrsync.smartflo.credentials import Credentials, check_base_url
from ivrsync.smartflo.ratelimit import DEFAULT_RATE_LIMIT
from ivrsync.smartflo.reading import (
    MAX_LIST_BYTES,
    AnswerTooLarge,
    Deadline,
    DeadlinePassed,
    UndecodableBody,
    read_body,
)
from ivrsync.smartflo.redact import Redactor
from ivrsync.smartflo.refusals import Context, Scheme, not_acknowledged, refusal
from ivrsync.smartflo.retry import DEFAULT_RETRY, Jitter, RetryPolicy
from ivrsync.smartflo.sending import (
    DEFAULT_REQUEST_DEADLINE,
    Request,
    Sender,
    Unanswered,
    ambiguous,
    check_seconds,
)
from ivrsync.smartflo.transport import DEADLINE, open_routes

__all__ = ["DEFAULT_REQUEST_DEADLINE", "AuthScheme", "SmartfloClient", "open_client"]

LIST_PATH = "/v1/ivrs"
CREATE_PATH = "/v1/ivr"


class SmartfloClient:
    """A thread-safe Smartflo API client; several threads may call `put_ivr` at once.

    With email/password credentials it logs in lazily, at most once per client: a failed login
    is remembered and raised again to every later caller, never retried (repeated logins lock the
    account). The client takes ownership of `http` and closes it in `close()`.

    `auth_scheme`: "bearer" sends `Authorization: Bearer <token>`, "raw" the bare token, "auto"
    tries Bearer and, on an auth refusal, the bare token once; `auth_scheme_used` then says which
    one the server accepted (None until a request was not refused for its credentials).
    `rate_limit`: requests per second shared by every request (login, reads, writes, retries);
    None for no limit. `request_deadline`: seconds one request may take in all. `run_deadline`:
    seconds from the first request after which nothing more is sent. None: unbounded. Both
    deadlines are attributes that may be changed on a live client. `separator`: the reference
    separator the API takes (`|` or `||`); bodies stay canonical until they are sent.
    """

    def __init__(
        self,
        http: httpx.Client,
        credentials: Credentials,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        rng: Jitter | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        auth_scheme: AuthScheme = "bearer",
        rate_limit: float | None = DEFAULT_RATE_LIMIT,
        request_deadline: float | None = DEFAULT_REQUEST_DEADLINE,
        run_deadline: float | None = None,
        separator: Separator = REFERENCE_SEPARATOR,
    ) -> None:
        if auth_scheme not in AUTH_SCHEMES:
            raise UsageError(f"unknown auth scheme {auth_scheme!r}", hint="use bearer, raw or auto")
        check_seconds("request_deadline", request_deadline)
        check_seconds("run_deadline", run_deadline)
        # No check of `credentials` here: they passed it when they were made (`Credentials`).
        self._http = http
        #: The reference separator the API takes; bodies are converted to it as they are sent
        #: (`ivrsync.body.wire_body`). An attribute, so `ivrsync probe` can try both.
        self.separator: Separator = separator
        self._redact = Redactor(credentials.secrets)
        self._sender = Sender(
            self._exchange,
            self._redact,
            retry=retry,
            sleep=sleep,
            rng=rng if rng is not None else random.Random(),  # noqa: S311
            clock=clock,
            monotonic=monotonic,
            rate_limit=rate_limit,
            request_deadline=request_deadline,
            run_deadline=run_deadline,
        )
        self._auth = Authenticator(credentials, self._sender, self._redact, scheme=auth_scheme)

    @property
    def auth_scheme(self) -> AuthScheme:
        return self._auth.auth_scheme

    @property
    def auth_scheme_used(self) -> Scheme | None:
        """The scheme the server accepted the token with; None until a request showed it."""
        return self._auth.auth_scheme_used

    @property
    def request_deadline(self) -> float | None:
        return self._sender.request_deadline

    @request_deadline.setter
    def request_deadline(self, seconds: float | None) -> None:
        self._sender.request_deadline = check_seconds("request_deadline", seconds)

    @property
    def run_deadline(self) -> float | None:
        return self._sender.run_deadline

    @run_deadline.setter
    def run_deadline(self, seconds: float | None) -> None:
        self._sender.run_deadline = check_seconds("run_deadline", seconds)

    def __repr__(self) -> str:
        return f"SmartfloClient(base_url={str(self._http.base_url)!r})"

    def __enter__(self) -> SmartfloClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying connection pool. Idempotent."""
        self._http.close()

    # -- public API ------------------------------------------------------------------------

    def put_ivr(self, ivr_id: int, body: Body) -> str:
        """Replace IVR `ivr_id` with `body` (`PUT /v1/ivr/{id}`); return the server's message.

        Retries 429, 500, 502, 503, 504, timeouts and dropped connections (a PUT is a full
        replacement, so repeating it is safe). Raises AuthenticationError (401, a known auth
        refusal, or a failed login), PermissionDeniedError (403), NotFoundError (404),
        RejectedError (other 4xx, or any answer saying `"success": false`), ApiError for an
        answer that is not JSON or too large, RateLimitedError / ServerError / TransportError
        when the retries run out, and RunDeadlineError past the run's deadline.
        """
        what = f"IVR {ivr_id}"
        request = Request(what, "PUT", f"/v1/ivr/{int(ivr_id)}", wire_body(body, self.separator))
        answer = self._call(request, not_found=f"IVR {ivr_id} does not exist in this account")
        return self._acknowledged(request, answer)

    def create_ivr(self, body: Body) -> str:
        """Create an IVR from `body` (`POST /v1/ivr`, the PUT's body); return the server's message.

        The answer carries no id: list the IVRs to find it. A POST is not idempotent, so it is
        never repeated once it may have reached the server: a timeout, a dropped connection, a
        5xx or an unreadable 2xx raises AmbiguousCreateError (list the IVRs, then decide). Only
        a 429 and a connection that was never made are retried. Otherwise raises like `put_ivr`.
        """
        what = f"creating IVR {body.get('name')!r} (POST {CREATE_PATH})"
        request = Request(what, "POST", CREATE_PATH, wire_body(body, self.separator), create=True)
        not_found = f"the endpoint POST {CREATE_PATH} was not found at this base URL"
        return self._acknowledged(request, self._call(request, not_found=not_found))

    def list_ivrs(self) -> list[dict[str, Any]]:
        """Every IVR in the account, in the raw read shape of `GET /v1/ivrs`.

        Retries like `put_ivr`. Raises ApiError when the answer is not `{"ivrs": [{...}, ...]}`.
        """
        what = "listing IVRs (GET /v1/ivrs)"
        request = Request(what, "GET", LIST_PATH, limit=MAX_LIST_BYTES)
        answer = self._call(
            request, not_found="the endpoint GET /v1/ivrs was not found at this base URL"
        )
        payload = answer.payload
        ivrs = payload.get("ivrs") if isinstance(payload, dict) else None
        if not isinstance(ivrs, list) or not all(isinstance(item, dict) for item in ivrs):
            raise ApiError(
                f"{what}: expected a JSON object with an `ivrs` list of objects, got "
                f"{describe(answer, self._redact)}",
                hint="check the base URL; this does not look like the Smartflo API",
                status=answer.status,
            )
        return [dict(item) for item in ivrs]

    # -- judging answers -------------------------------------------------------------------

    def _call(self, request: Request, *, not_found: str) -> Answer:
        """The successful answer to `request`; raises the mapped ApiError otherwise."""
        answer, scheme, both = self._auth.send(request)
        if answer.ok:
            return answer
        if request.create and answer.status >= 500:
            said = f"HTTP {answer.status}: {server_text(answer, self._redact)}"
            raise ambiguous(request.what, said, answer.status)
        context = Context(
            request.what,
            not_found=not_found,
            portal_token=self._auth.portal_token,
            scheme=scheme,
            both_schemes=both,
        )
        raise refusal(answer, context, self._redact)

    def _acknowledged(self, request: Request, answer: Answer) -> str:
        """The server's message from a successful write's answer."""
        if answer.payload is None and answer.content.strip():
            # Smartflo acknowledges in JSON. A 2xx web page (a proxy, a portal, a wrong base URL)
            # proves nothing was applied, and recording it would make the state lie.
            error = not_acknowledged(answer, request.what, self._redact)
            if request.create:  # ...but a proxy may have passed the POST on all the same
                reason = error.message.removeprefix(f"{request.what}: ")
                raise ambiguous(request.what, reason, answer.status)
            raise error
        message = server_message(answer.payload)
        return self._redact(message) if message else f"HTTP {answer.status}"

    # -- HTTP ------------------------------------------------------------------------------

    def _exchange(self, request: Request, deadline: Deadline) -> Answer:
        """One request, streamed within `deadline` and `request.limit`.

        Raises Unanswered (`sent` when it may have reached the server) or DeadlinePassed.
        """
        status: int | None = None
        encoding = ""
        try:
            with self._http.stream(
                request.method,
                request.path,
                json=request.body,
                headers=dict(request.headers),
                timeout=self._timeout(deadline.remaining()),
                # The transport holds every socket read to it: the status line and headers too.
                extensions={DEADLINE: deadline.remaining},
            ) as response:
                status = response.status_code
                if response.is_stream_consumed:
                    # An in-memory answer (a test's transport), read and decoded already.
                    chunks: Iterable[bytes] = [response.content]
                else:
                    encoding = response.headers.get("Content-Encoding", "")
                    chunks = response.iter_raw()
                content = read_body(
                    chunks,
                    content_encoding=encoding,
                    limit=request.limit,
                    deadline=deadline,
                )
                return Answer(
                    status,
                    content,
                    content_type=response.headers.get("Content-Type", ""),
                    location=response.headers.get("Location", ""),
                    retry_after=response.headers.get("Retry-After"),
                )
        except AnswerTooLarge as exc:
            raise Unanswered(
                f"the answer (HTTP {status}) is {exc} once decoded; reading stopped there",
                sent=True,
                retryable=False,
                kind=ApiError,
                status=status,
                hint="check the base URL (SMARTFLO_BASE_URL): Smartflo's answers are small",
            ) from None
        except UndecodableBody as exc:
            raise Unanswered(
                f"the answer (HTTP {status}) does not decode as {encoding}: {exc}",
                sent=True,
                retryable=False,
                status=status,
            ) from None
        except httpx.TimeoutException as exc:
            sent = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            remaining = deadline.remaining()
            # A timeout capped to the deadline may fire a hair before the clock says it passed.
            if remaining is not None and remaining < 0.05:
                raise DeadlinePassed(sent=sent) from exc
            raise self._unanswered(exc, _IN_WORDS.get(type(exc), "timed out"), sent, True) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            sent = not isinstance(exc, httpx.ConnectError)
            raise self._unanswered(exc, _IN_WORDS.get(type(exc), _BROKE), sent, True) from exc
        except httpx.HTTPError as exc:
            # Proxy errors, bad URLs, local protocol errors: repeating will not help.
            detail = self._describe_exception(exc)
            raise self._unanswered(
                exc, f"the request could not be sent: {detail}", sent=False, retryable=False
            ) from exc

    def _unanswered(
        self, exc: httpx.HTTPError, reason: str, sent: bool, retryable: bool
    ) -> Unanswered:
        detail = self._describe_exception(exc)
        return Unanswered(reason or detail, sent=sent, retryable=retryable, detail=detail)

    def _timeout(self, remaining: float | None) -> httpx.Timeout:
        """The client's timeouts, none longer than what is left of the deadline."""
        base = self._http.timeout
        if remaining is None:
            return base
        left = max(remaining, 0.001)

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(
            connect=cap(base.connect),
            read=cap(base.read),
            write=cap(base.write),
            pool=cap(base.pool),
        )

    def _describe_exception(self, exc: httpx.HTTPError) -> str:
        detail = str(exc).strip()
        name = type(exc).__name__
        return quote(f"{name}: {detail}" if detail else name, self._redact)


#: Transport failures in words; httpx's own text (`RemoteProtocolError: ...`) stays in the detail.
_IN_WORDS: dict[type[Exception], str] = {
    httpx.ConnectTimeout: "timed out (connecting)",
    httpx.ReadTimeout: "timed out (waiting for the answer)",
    httpx.WriteTimeout: "timed out (sending the request)",
    httpx.PoolTimeout: "timed out (waiting for a free connection)",
    httpx.ConnectError: "could not connect to the server (refused, unreachable, no such host)",
    httpx.RemoteProtocolError: "the server closed the connection without answering",
}
_BROKE = "the connection broke while talking to the server"


def open_client(
    *,
    base_url: str,
    credentials: Credentials,
    timeout: float = 10.0,
    retry: RetryPolicy = DEFAULT_RETRY,
    max_connections: int = 8,
    auth_scheme: AuthScheme = "bearer",
    rate_limit: float | None = DEFAULT_RATE_LIMIT,
    request_deadline: float | None = DEFAULT_REQUEST_DEADLINE,
    run_deadline: float | None = None,
    separator: Separator = REFERENCE_SEPARATOR,
) -> SmartfloClient:
    """A client for `base_url` with a timeout on every read and a bounded connection pool.

    Every socket operation is held to the request's deadline (`transport`). Raises UsageError
    for a refused base URL, option or environment proxy, before any connection is made (the
    credentials were checked when they were made). The options are `SmartfloClient`'s.
    """
    url = check_base_url(base_url)
    routes = open_routes(max_connections)  # direct, and the environment's proxies
    http = httpx.Client(
        base_url=url,
        timeout=httpx.Timeout(timeout),
        transport=routes.direct,
        mounts=routes.mounts,
        headers={
            "User-Agent": f"ivrsync/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",  # what `reading` inflates within its limits
        },
        follow_redirects=False,
    )
    try:
        return SmartfloClient(
            http,
            credentials,
            retry=retry,
            auth_scheme=auth_scheme,
            rate_limit=rate_limit,
            request_deadline=request_deadline,
            run_deadline=run_deadline,
            separator=separator,
        )
    except BaseException:
        http.close()
        raise
