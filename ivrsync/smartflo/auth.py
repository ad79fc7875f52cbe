"""Who the client is to Smartflo: the token, and how it is sent (pure, over a `Sender`).

The token is a portal API token, or one obtained by logging in, at most once per client: a
failed login is remembered and raised again to every later caller, never retried (repeated
logins lock the account). The header is `Authorization: Bearer <token>` or the bare token;
public clients disagree on which Smartflo wants (section 6 of the shared smartflo-api.md), so
the scheme is a setting, and "auto" finds out: Bearer first, then, on an auth refusal, the bare
token once, and the scheme that was not refused is used from then on.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Literal

from ivrsync.errors import ApiError, AuthenticationError, CredentialsError, TransportError
from ivrsync.smartflo.answers import Answer, describe
from ivrsync.smartflo.credentials import TOKEN_VARIABLE, Credentials, check_token, normalise_token
from ivrsync.smartflo.redact import Redactor
from ivrsync.smartflo.refusals import (
    TRANSPORT_HINT,
    AuthFailure,
    Context,
    Scheme,
    auth_failure,
    refusal,
)
from ivrsync.smartflo.sending import Request, Sender, Unanswered

AuthScheme = Literal["bearer", "raw", "auto"]
AUTH_SCHEMES: tuple[AuthScheme, ...] = ("bearer", "raw", "auto")

LOGIN_PATH = "/v1/auth/login"

_NOT_RETRIED = "the login is not retried, because repeated logins lock the account"


def header(scheme: Scheme, token: str) -> str:
    """The Authorization header value. `token` is normalised, so never `Bearer Bearer ...`."""
    return f"Bearer {token}" if scheme == "bearer" else token


class Authenticator:
    """Sends requests with the Authorization header; thread-safe.

    `auth_scheme_used` is the scheme a request was last sent with and not refused for its
    credentials; None until then.
    """

    def __init__(
        self, credentials: Credentials, sender: Sender, redact: Redactor, *, scheme: AuthScheme
    ) -> None:
        self._credentials = credentials
        self._sender = sender
        self._redact = redact
        self._login_lock = threading.Lock()
        self._token: str | None = credentials.token
        self._login_error: ApiError | None = None
        self.auth_scheme = scheme
        self.auth_scheme_used: Scheme | None = None
        self._scheme: Scheme | None = None if scheme == "auto" else scheme
        self._scheme_lock = threading.Lock()
        self._refused: tuple[Answer, Scheme] | None = None

    @property
    def portal_token(self) -> bool:
        return self._credentials.token is not None

    def send(self, request: Request) -> tuple[Answer, Scheme, bool]:
        """The answer, the scheme it was sent with, and whether both schemes were refused."""
        token = self.token()
        scheme = self._scheme
        if scheme is None:
            with self._scheme_lock:  # "auto": one request at a time until a scheme is settled
                if self._scheme is None:
                    return self._settle(request, token)
                scheme = self._scheme
        answer = self._sender.send(_with(request, scheme, token))
        if auth_failure(answer) is None:
            self.auth_scheme_used = scheme
        return answer, scheme, False

    def _settle(self, request: Request, token: str) -> tuple[Answer, Scheme, bool]:
        if self._refused is not None:  # both were refused before: do not ask again
            return (*self._refused, True)
        first = self._sender.send(_with(request, "bearer", token))
        first_failure = auth_failure(first)
        if first_failure is None:
            self._scheme = self.auth_scheme_used = "bearer"
            return first, "bearer", False
        # A refusal of the credentials means nothing was done, so even a POST may be resent.
        second = self._sender.send(_with(request, "raw", token))
        second_failure = auth_failure(second)
        if second_failure is None:
            self._scheme = self.auth_scheme_used = "raw"
            return second, "raw", False
        # Both refused: report the more specific refusal (an expired token beats a 401).
        order = list(AuthFailure)
        refused: tuple[Answer, Scheme] = (
            (first, "bearer")
            if order.index(first_failure) <= order.index(second_failure)
            else (second, "raw")
        )
        self._refused = refused
        return (*refused, True)

    # -- the token -------------------------------------------------------------------------

    def token(self) -> str:
        """The token to send, logging in first if needed (once per client)."""
        # Fast path without the lock: once set, the token never changes (a str read is atomic).
        token = self._token
        if token is not None:
            return token
        with self._login_lock:
            if self._token is not None:
                return self._token
            if self._login_error is None:
                try:
                    self._token = self._login()
                except ApiError as exc:
                    self._login_error = exc
                else:
                    return self._token
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
        body = {"email": self._credentials.email, "password": self._credentials.password}
        request = Request(what, "POST", LOGIN_PATH, body)
        attempts = self._sender.retry.attempts
        # Only a connection that was never made is retried: the login provably did not reach
        # the server, so it cannot count toward the account's lockout.
        for attempt in range(1, attempts + 1):
            try:
                answer = self._sender.once(request)
                break
            except Unanswered as failure:
                cause = failure.__cause__
                if failure.sent or not failure.retryable:
                    raise failure.kind(
                        f"{what}: {failure.detail}; {_NOT_RETRIED}",
                        hint=failure.hint,
                        status=failure.status,
                    ) from cause
                if attempt == attempts:
                    raise TransportError(
                        f"{what}: could not connect after {attempt} attempts: {failure.detail}",
                        hint=TRANSPORT_HINT,
                    ) from cause
                self._sender.pause(what, self._sender.backoff(attempt), "connection failed")
        if not answer.ok:
            raise refusal(answer, Context(what, login=True), self._redact)
        token = answer.payload.get("access_token") if isinstance(answer.payload, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise AuthenticationError(
                f"{what}: the answer has no access_token (HTTP {answer.status}: "
                f"{describe(answer, self._redact)})",
                hint=f"use {TOKEN_VARIABLE} instead",
                status=answer.status,
            )
        token = normalise_token(token)
        # The new token is a secret before anything else can be said about it.
        self._redact.add(token)
        try:
            check_token(token)
        except CredentialsError:
            raise AuthenticationError(
                f"{what}: the access_token in the answer cannot be sent in a header",
                hint=f"use {TOKEN_VARIABLE} instead",
                status=answer.status,
            ) from None
        return token


def _with(request: Request, scheme: Scheme, token: str) -> Request:
    headers = {**request.headers, "Authorization": header(scheme, token)}
    return dataclasses.replace(request, headers=headers)
