"""The Smartflo API client: credentials, login, retries and error mapping.

This is the only module that imports httpx. Everything httpx raises is translated here into an
`ivrsync.errors.ApiError` subclass whose message names the IVR (or the request) and what happened,
with a hint saying what to do. The API facts it relies on are in the shared `smartflo-api.md`.

Secrets (the API token, the password, and a token obtained by logging in) never appear in an
exception message, a hint, a repr or a log record: every text that came from the server or from
httpx is passed through `SmartfloClient._redact` before it is surfaced.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

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
)
from ivrsync.model import Body
from ivrsync.smartflo.credentials import (
    EMAIL_VARIABLE,
    NEW_TOKEN_HINT,
    PASSWORD_VARIABLE,
    TOKEN_VARIABLE,
    Credentials,
    check_base_url,
    check_token,
    normalise_token,
)
from ivrsync.smartflo.retry import DEFAULT_RETRY, Jitter, RetryPolicy, parse_retry_after

LOGIN_PATH = "/v1/auth/login"
LIST_PATH = "/v1/ivrs"

#: Statuses worth repeating the same request for. Other 5xx (501 Not Implemented, 505...) will
#: not get better by asking again.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

#: How much of a server message or non-JSON body to quote in an error.
_QUOTE_LIMIT = 300

_REDACTED = "[redacted]"


logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# The client


@dataclass(frozen=True)
class _Attempt:
    """Why one attempt failed in a retryable way."""

    reason: str
    kind: type[ApiError]
    status: int | None = None
    retry_after: float | None = None


class SmartfloClient:
    """A thread-safe Smartflo API client; several threads may call `put_ivr` at once.

    With email/password credentials it logs in lazily, at most once per client: a failed login
    is remembered and raised again to every later caller, never retried (repeated logins lock the
    account). The client takes ownership of `http` and closes it in `close()`.
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
    ) -> None:
        # No check of `credentials` here: they passed it when they were made (`Credentials`).
        self._http = http
        self._credentials = credentials
        self._retry = retry
        self._sleep = sleep
        self._rng: Jitter = rng if rng is not None else random.Random()  # noqa: S311
        self._clock = clock
        self._login_lock = threading.Lock()
        self._authorization: str | None = (
            f"Bearer {credentials.token}" if credentials.token else None
        )
        self._login_error: ApiError | None = None
        self._secrets: tuple[str, ...] = credentials.secrets

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
        replacement, so repeating it is safe). Raises AuthenticationError (401 or failed login),
        PermissionDeniedError (403), NotFoundError (404), RejectedError (other 4xx, or any
        answer saying `"success": false`), and RateLimitedError / ServerError / TransportError
        when the retries run out.
        """
        what = f"IVR {ivr_id}"
        response = self._send(what, "PUT", f"/v1/ivr/{int(ivr_id)}", body=dict(body))
        payload = self._check(
            what, response, not_found=f"IVR {ivr_id} does not exist in this account"
        )
        if payload is None and response.content.strip():
            # Smartflo acknowledges in JSON. A 2xx web page (a proxy, a portal, a wrong base URL)
            # proves nothing was applied, and recording it would make the state lie.
            raise ApiError(
                f"{what}: the answer is not Smartflo's JSON acknowledgement (HTTP "
                f"{response.status_code}: {self._describe(response)}), so it was not recorded "
                "as applied",
                hint="check the base URL (SMARTFLO_BASE_URL): another server answered",
                status=response.status_code,
            )
        message = _server_message(payload)
        return self._redact(message) if message else f"HTTP {response.status_code}"

    def list_ivrs(self) -> list[dict[str, Any]]:
        """Every IVR in the account, in the raw read shape of `GET /v1/ivrs`.

        Retries like `put_ivr`. Raises ApiError when the answer is not `{"ivrs": [{...}, ...]}`.
        """
        what = "listing IVRs (GET /v1/ivrs)"
        response = self._send(what, "GET", LIST_PATH)
        payload = self._check(
            what, response, not_found="the endpoint GET /v1/ivrs was not found at this base URL"
        )
        ivrs = payload.get("ivrs") if isinstance(payload, dict) else None
        if not isinstance(ivrs, list) or not all(isinstance(item, dict) for item in ivrs):
            raise ApiError(
                f"{what}: expected a JSON object with an `ivrs` list of objects, got "
                f"{self._describe(response)}",
                hint="check the base URL; this does not look like the Smartflo API",
                status=response.status_code,
            )
        return [dict(item) for item in ivrs]

    # -- authentication --------------------------------------------------------------------

    def _authorization_header(self) -> str:
        """The Authorization header value, logging in first if needed (once per client)."""
        # Fast path without the lock: once set, the header never changes (a str read is atomic).
        authorization = self._authorization
        if authorization is not None:
            return authorization
        with self._login_lock:
            if self._authorization is not None:
                return self._authorization
            if self._login_error is None:
                try:
                    token = self._login()
                except ApiError as exc:
                    self._login_error = exc
                else:
                    self._authorization = f"Bearer {token}"
                    return self._authorization
            error = self._login_error
        # A fresh copy per caller: one exception object raised in several threads would share
        # (and grow) one traceback.
        failure = type(error)(error.message, hint=error.hint, status=error.status)
        # The login is never repeated, so no later request of this client can succeed: whatever
        # made it fail (a 429, a 5xx, the network), it stops an apply like a 401 does.
        failure.fatal = True
        raise failure from error

    def _login(self) -> str:
        """POST /v1/auth/login once; return the access token. Raises ApiError subclasses."""
        what = "logging in to Smartflo (POST /v1/auth/login)"
        credentials = {"email": self._credentials.email, "password": self._credentials.password}
        # Only a connection that was never made is retried: the login provably did not reach
        # the server, so it cannot count toward the account's lockout.
        for attempt in range(1, self._retry.attempts + 1):
            try:
                response = self._http.post(LOGIN_PATH, json=credentials)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self._retry.attempts:
                    raise TransportError(
                        f"{what}: could not connect after {attempt} attempts: "
                        f"{self._describe_exception(exc)}",
                        hint=_TRANSPORT_HINT,
                    ) from exc
                self._pause(what, self._retry.backoff(attempt, self._rng), "connection failed")
            except httpx.HTTPError as exc:
                raise TransportError(
                    f"{what}: {self._describe_exception(exc)}; the login is not retried, "
                    "because repeated logins lock the account",
                    hint=_TRANSPORT_HINT,
                ) from exc
        status = response.status_code
        payload = _json_or_none(response)
        server = self._server_text(payload, response)
        if status == 429:
            raise RateLimitedError(
                f"{what}: too many requests (HTTP 429: {server}); the login is not retried, "
                "because repeated logins lock the account",
                hint=f"wait a few minutes before trying again, or use {TOKEN_VARIABLE}",
                status=status,
            )
        if status >= 500:
            raise ServerError(
                f"{what}: the server failed (HTTP {status}: {server})",
                hint="try again later",
                status=status,
            )
        if status == 403:
            raise PermissionDeniedError(
                f"{what}: API access is not enabled for this account (HTTP 403: {server})",
                hint="ask Tata to enable API access for the account",
                status=status,
            )
        if not 200 <= status < 300 or _says_failure(payload):
            raise AuthenticationError(
                f"{what}: the login was refused (HTTP {status}: {server})",
                hint=(
                    f"check {EMAIL_VARIABLE} and {PASSWORD_VARIABLE} (the panel password expires "
                    f"every 90 days), or use {TOKEN_VARIABLE}; do not retry repeatedly: failed "
                    "logins lock the account"
                ),
                status=status,
            )
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise AuthenticationError(
                f"{what}: the answer has no access_token (HTTP {status}: "
                f"{self._describe(response)})",
                hint=f"use {TOKEN_VARIABLE} instead",
                status=status,
            )
        token = normalise_token(token)
        # The new token is a secret before anything else can be said about it.
        self._secrets = (*self._secrets, token)
        try:
            check_token(token)
        except CredentialsError:
            raise AuthenticationError(
                f"{what}: the access_token in the answer cannot be sent in a header",
                hint=f"use {TOKEN_VARIABLE} instead",
                status=status,
            ) from None
        return token

    # -- sending and retrying --------------------------------------------------------------

    def _send(self, what: str, method: str, path: str, *, body: Any = None) -> httpx.Response:
        """Send one request, retrying retryable failures; return the final non-retryable answer.

        The answer may still be an error (4xx, `success: false`): `_check` judges it.
        """
        attempts = self._retry.attempts
        for attempt in range(1, attempts + 1):
            authorization = self._authorization_header()
            try:
                response = self._http.request(
                    method, path, json=body, headers={"Authorization": authorization}
                )
            except httpx.TimeoutException as exc:
                failure = _Attempt(f"timed out ({_timeout_phase(exc)})", TransportError)
                cause: Exception | None = exc
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                failure = _Attempt(self._describe_exception(exc), TransportError)
                cause = exc
            except httpx.HTTPError as exc:
                # Proxy errors, bad URLs, local protocol errors: repeating will not help.
                raise TransportError(
                    f"{what}: the request could not be sent: {self._describe_exception(exc)}",
                    hint=_TRANSPORT_HINT,
                ) from exc
            else:
                status = response.status_code
                if status not in RETRYABLE_STATUSES:
                    return response
                failure = _Attempt(
                    f"HTTP {status}: {self._server_text(_json_or_none(response), response)}",
                    RateLimitedError if status == 429 else ServerError,
                    status=status,
                    retry_after=parse_retry_after(
                        response.headers.get("Retry-After"), now=self._clock()
                    ),
                )
                cause = None
            if attempt == attempts:
                raise self._exhausted(what, attempts, failure) from cause
            if failure.retry_after is not None:
                delay = min(failure.retry_after, self._retry.max_delay)
            else:
                delay = self._retry.backoff(attempt, self._rng)
            self._pause(what, delay, failure.reason)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _pause(self, what: str, delay: float, reason: str) -> None:
        logger.info("%s: %s; retrying in %.2fs", what, reason, delay)
        self._sleep(delay)

    def _exhausted(self, what: str, attempts: int, failure: _Attempt) -> ApiError:
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        message = f"{what}: gave up after {tries}; last: {failure.reason}"
        if failure.kind is RateLimitedError:
            hint = "Smartflo's burst limit is small: use lower parallelism, or try again later"
        elif failure.kind is ServerError:
            hint = "Smartflo is failing; try again later (repeating a PUT is safe)"
        else:
            hint = _TRANSPORT_HINT
        return failure.kind(message, hint=hint, status=failure.status)

    def _check(self, what: str, response: httpx.Response, *, not_found: str) -> Any:
        """The JSON payload of a successful answer (None when not JSON); raise on failure.

        Success is a 2xx status whose body does not say `"success": false`.
        """
        status = response.status_code
        payload = _json_or_none(response)
        if 200 <= status < 300 and not _says_failure(payload):
            return payload
        server = self._server_text(payload, response)
        detail = f"(HTTP {status}: {server})"
        if status == 401:
            if self._credentials.token:
                hint = NEW_TOKEN_HINT
            else:
                hint = (
                    "the login token may have expired during a long run; run again, or "
                    f"use a portal API token: {NEW_TOKEN_HINT}"
                )
            raise AuthenticationError(
                f"{what}: the token was rejected {detail}: it may be expired, revoked or deleted",
                hint=hint,
                status=status,
            )
        if status == 403:
            raise PermissionDeniedError(
                f"{what}: API access is not enabled for this account {detail}",
                hint="ask Tata to enable it",
                status=status,
            )
        if status == 404:
            raise NotFoundError(
                f"{what}: {not_found} {detail}",
                hint="check the id against the Smartflo portal or `ivrsync import`",
                status=status,
            )
        if 200 <= status < 300 or 400 <= status < 500:
            raise RejectedError(
                f"{what}: the server refused it {detail}",
                hint="fix what the server's message names, then run again",
                status=status,
            )
        if 300 <= status < 400:
            location = self._redact(response.headers.get("Location", ""))
            raise ApiError(
                f"{what}: unexpected redirect (HTTP {status}"
                + (f" to {location}" if location else "")
                + ")",
                hint="check the base URL (SMARTFLO_BASE_URL)",
                status=status,
            )
        # 5xx outside RETRYABLE_STATUSES (501, 505...), or a status httpx let through.
        raise ServerError(
            f"{what}: the server failed {detail}",
            hint="try again later",
            status=status,
        )

    # -- describing without leaking --------------------------------------------------------

    def _redact(self, text: str) -> str:
        """`text` with every secret (and its JSON/URL-escaped forms) replaced by [redacted]."""
        for secret in self._secrets:
            for form in {secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe="")}:
                if form:
                    text = text.replace(form, _REDACTED)
        return text

    def _server_text(self, payload: Any, response: httpx.Response) -> str:
        """What the server said: its `message` when it has one, else a short description."""
        message = _server_message(payload)
        if message:
            return _shorten(self._redact(message))
        return self._describe(response)

    def _describe(self, response: httpx.Response) -> str:
        """A brief, redacted description of a body that carries no usable message."""
        content = response.content
        if not content.strip():
            return "empty body"
        payload = _json_or_none(response)
        if payload is not None:
            return "JSON " + _shorten(self._redact(json.dumps(payload, ensure_ascii=False)))
        kind = response.headers.get("Content-Type", "unknown type").split(";")[0].strip()
        described = f"non-JSON body ({kind}, {len(content)} bytes)"
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return described  # binary: quoting it would only garble the message
        return f"{described}: {_shorten(self._redact(text))!r}"

    def _describe_exception(self, exc: httpx.HTTPError) -> str:
        detail = str(exc).strip()
        name = type(exc).__name__
        return _shorten(self._redact(f"{name}: {detail}" if detail else name))


_TRANSPORT_HINT = (
    "check the network and the base URL (SMARTFLO_BASE_URL); repeating the run is safe"
)


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "connecting",
        httpx.ReadTimeout: "waiting for the answer",
        httpx.WriteTimeout: "sending the request",
        httpx.PoolTimeout: "waiting for a free connection",
    }.get(type(exc), type(exc).__name__)


def _json_or_none(response: httpx.Response) -> Any:
    """The decoded JSON body, or None when the body is empty or not JSON."""
    if not response.content.strip():
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _says_failure(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    success = payload.get("success")
    return success is False or (isinstance(success, str) and success.strip().lower() == "false")


def _server_message(payload: Any) -> str:
    """The server's `message` (and `errors`, when present) as one line, or ""."""
    if not isinstance(payload, dict):
        return ""
    parts = []
    message = payload.get("message")
    if isinstance(message, str) and message.strip():
        parts.append(message.strip())
    elif message not in (None, ""):
        parts.append(json.dumps(message, ensure_ascii=False))
    errors = payload.get("errors")
    if errors:
        parts.append(json.dumps(errors, ensure_ascii=False))
    return " ".join(parts)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 3] + "..."


def open_client(
    *,
    base_url: str,
    credentials: Credentials,
    timeout: float = 10.0,
    retry: RetryPolicy = DEFAULT_RETRY,
    max_connections: int = 8,
) -> SmartfloClient:
    """A client for `base_url` with a timeout on every request and a bounded connection pool.

    Raises UsageError for a refused base URL before any connection is made (the credentials
    were checked when they were made).
    """
    url = check_base_url(base_url)
    http = httpx.Client(
        base_url=url,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        headers={"User-Agent": f"ivrsync/{__version__}", "Accept": "application/json"},
        follow_redirects=False,
    )
    return SmartfloClient(http, credentials, retry=retry)
