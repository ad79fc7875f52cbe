"""From a refused answer to the ApiError that says what happened and what to do (pure).

`outcome` is the one map from HTTP status to what it means; `refusal` turns an answer into its
error for an API request and for the login alike (the login words some outcomes differently:
repeated logins lock the account). `auth_failure` recognises the auth refusals clients have seen
from Smartflo, whatever status they come with (see section 6 of the shared smartflo-api.md).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from ivrsync.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RejectedError,
    ServerError,
)
from ivrsync.smartflo.answers import Answer, Redact, server_message, server_text
from ivrsync.smartflo.credentials import (
    EMAIL_VARIABLE,
    NEW_TOKEN_HINT,
    PASSWORD_VARIABLE,
    TOKEN_PAGE,
    TOKEN_VARIABLE,
)

Scheme = Literal["bearer", "raw"]

TRANSPORT_HINT = "check the network and the base URL (SMARTFLO_BASE_URL); repeating the run is safe"
SCHEME_HINT = (
    "set the `auth_scheme` setting (`bearer` sends `Authorization: Bearer <token>`, `raw` sends "
    "the bare token), or run `ivrsync probe` to find the one this account accepts"
)
_LOGIN_NOT_RETRIED = "the login is not retried, because repeated logins lock the account"


class Outcome(enum.Enum):
    """What an HTTP status means for a request that did not succeed."""

    AUTH = "the token or login was refused"
    PERMISSION = "authenticated, but API access is not enabled"
    NOT_FOUND = "no such IVR or endpoint"
    RATE_LIMITED = "too many requests"
    REDIRECT = "redirected elsewhere"
    REFUSED = "the server refused the request"
    SERVER = "the server failed"


def outcome(status: int) -> Outcome:
    """The one status map, used for API requests and the login alike."""
    if status == 401:
        return Outcome.AUTH
    if status == 403:
        return Outcome.PERMISSION
    if status == 404:
        return Outcome.NOT_FOUND
    if status == 429:
        return Outcome.RATE_LIMITED
    if 300 <= status < 400:
        return Outcome.REDIRECT
    if 200 <= status < 300 or 400 <= status < 500:  # a 2xx here said `"success": false`
        return Outcome.REFUSED
    return Outcome.SERVER  # 5xx, and statuses httpx lets through (1xx, 6xx...)


class AuthFailure(enum.Enum):
    """An auth refusal, from the most specific (most useful to report) to the least."""

    EXPIRED = "token has expired"
    DELETED = "deleted or blacklisted token"
    REJECTED = "401"
    MISSING_HEADER = "missing required request parameters"


def auth_failure(answer: Answer) -> AuthFailure | None:
    """The auth refusal this answer is, if any: a known message (any status), or a 401."""
    if answer.ok:
        return None
    said = " ".join(server_message(answer.payload).lower().split())
    if not said and not answer.problem:
        said = " ".join(answer.content[:4096].decode("utf-8", "replace").lower().split())
    if AuthFailure.EXPIRED.value in said:
        return AuthFailure.EXPIRED
    if AuthFailure.DELETED.value in said:
        return AuthFailure.DELETED
    if AuthFailure.MISSING_HEADER.value in said and "authorization" in said:
        return AuthFailure.MISSING_HEADER
    return AuthFailure.REJECTED if answer.status == 401 else None


@dataclass(frozen=True)
class Context:
    """What the refused request was, for the words of its error."""

    what: str  # names the IVR or the request, starts the message
    login: bool = False  # the answer is to POST /v1/auth/login
    not_found: str = "the endpoint was not found at this base URL"  # what a 404 means
    portal_token: bool = True  # the token came from the portal, not from a login
    scheme: Scheme = "bearer"  # how the token was sent
    both_schemes: bool = False  # `auth_scheme="auto"` tried both, and both were refused


def refusal(answer: Answer, context: Context, redact: Redact) -> ApiError:
    """The error for an answer that is not a success (`not answer.ok`)."""
    what, status = context.what, answer.status
    detail = f"(HTTP {status}: {server_text(answer, redact)})"
    kind = outcome(status)
    if not context.login:
        failure = auth_failure(answer)
        if failure is not None:
            return _auth_error(failure, context, detail, status)
    if context.login and kind in (Outcome.AUTH, Outcome.NOT_FOUND, Outcome.REDIRECT):
        kind = Outcome.REFUSED  # nothing else to tell the user than: the login was refused
    if kind is Outcome.PERMISSION:
        return PermissionDeniedError(
            f"{what}: API access is not enabled for this account {detail}",
            hint="ask Tata to enable it",
            status=status,
        )
    if kind is Outcome.NOT_FOUND:
        return NotFoundError(
            f"{what}: {context.not_found} {detail}",
            hint="check the id against the Smartflo portal or `ivrsync import`",
            status=status,
        )
    if kind is Outcome.RATE_LIMITED:
        login = f"; {_LOGIN_NOT_RETRIED}" if context.login else ""
        return RateLimitedError(
            f"{what}: too many requests {detail}{login}",
            hint=f"wait a few minutes before trying again, or use {TOKEN_VARIABLE}"
            if context.login
            else "Smartflo's burst limit is small: lower the rate limit or try again later",
            status=status,
        )
    if kind is Outcome.REDIRECT:
        location = redact(answer.location)
        return ApiError(
            f"{what}: unexpected redirect (HTTP {status}"
            + (f" to {location}" if location else "")
            + ")",
            hint="check the base URL (SMARTFLO_BASE_URL)",
            status=status,
        )
    if kind is Outcome.REFUSED and context.login:
        return AuthenticationError(
            f"{what}: the login was refused {detail}",
            hint=(
                f"check {EMAIL_VARIABLE} and {PASSWORD_VARIABLE} (the panel password expires "
                f"every 90 days), or use {TOKEN_VARIABLE}; do not retry repeatedly: failed "
                "logins lock the account"
            ),
            status=status,
        )
    if kind is Outcome.REFUSED:
        return RejectedError(
            f"{what}: the server refused it {detail}",
            hint="fix what the server's message names, then run again",
            status=status,
        )
    return ServerError(f"{what}: the server failed {detail}", hint="try again later", status=status)


def _auth_error(failure: AuthFailure, context: Context, detail: str, status: int) -> ApiError:
    what = context.what
    tried = (
        "; both `Authorization: Bearer <token>` and the bare token were tried"
        if context.both_schemes
        else ""
    )
    if context.portal_token:
        new_token = NEW_TOKEN_HINT
    else:
        new_token = (
            "the login token may have expired during a long run; run again, or use a portal "
            f"API token: {NEW_TOKEN_HINT}"
        )
    if failure is AuthFailure.EXPIRED:
        message = f"{what}: the token has expired {detail}{tried}"
        hint = new_token
    elif failure is AuthFailure.DELETED:
        message = (
            f"{what}: the token was deleted or blacklisted {detail}{tried}; this is also what a "
            "click-to-call API key gets: it is not an API token"
        )
        hint = f"the token must come from the Smartflo portal's {TOKEN_PAGE}: {NEW_TOKEN_HINT}"
    elif failure is AuthFailure.MISSING_HEADER:
        sent = (
            "`Authorization: Bearer <token>`"
            if context.scheme == "bearer"
            else ("the bare token (`Authorization: <token>`)")
        )
        message = (
            f"{what}: the server did not accept the Authorization header {detail}{tried}; "
            f"probably the wrong auth scheme (sent {sent})"
        )
        hint = SCHEME_HINT
    else:
        message = (
            f"{what}: the token was rejected {detail}: it may be expired, revoked or deleted{tried}"
        )
        hint = new_token
    return AuthenticationError(message, hint=hint, status=status)


def not_acknowledged(answer: Answer, what: str, redact: Redact) -> ApiError:
    """A 2xx that is not Smartflo's JSON acknowledgement: nothing proves the write happened."""
    return ApiError(
        f"{what}: the answer is not Smartflo's JSON acknowledgement (HTTP {answer.status}: "
        f"{server_text(answer, redact)}), so it was not recorded as applied",
        hint="check the base URL (SMARTFLO_BASE_URL): another server answered",
        status=answer.status,
    )
