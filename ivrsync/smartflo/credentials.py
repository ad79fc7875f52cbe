"""Smartflo credentials and the base-URL policy: checked before any request, without httpx.

Kept apart from the client so that commands which only need a setting (the default base URL,
a credentials check) do not load httpx.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from ivrsync.errors import CredentialsError, UsageError

DEFAULT_BASE_URL = "https://api-smartflo.tatateleservices.com"

TOKEN_VARIABLE = "SMARTFLO_API_TOKEN"  # noqa: S105  (a variable name, not a secret)
EMAIL_VARIABLE = "SMARTFLO_EMAIL"
PASSWORD_VARIABLE = "SMARTFLO_PASSWORD"  # noqa: S105

TOKEN_PAGE = "Settings > API Connect > API Tokens"  # noqa: S105
NEW_TOKEN_HINT = (
    f"create a new one in the Smartflo portal under {TOKEN_PAGE} and set {TOKEN_VARIABLE}"
)

# A pasted token may carry one or more `Bearer ` prefixes in any case; the header adds exactly one.
BEARER_PREFIX = re.compile(r"^(?:bearer\s+)+", re.IGNORECASE)
# Header values must be visible ASCII; a space or newline inside means a bad paste.
TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")

# --------------------------------------------------------------------------------------------
# Credentials


@dataclass(frozen=True)
class Credentials:
    """Either a portal API token, or an email and password to log in with.

    Invariant: every Credentials value is usable. Construction is the one boundary where
    credentials are made, so it is where they are checked (`check_credentials`, raising
    CredentialsError before any request); nothing downstream checks them again.

    The token is normalised on construction (`normalise_token`): surrounding whitespace and any
    `Bearer ` prefixes (any case) are removed, so the header is always exactly `Bearer <token>`
    (or the bare token), never `Bearer Bearer`. The repr and str show which credentials are set,
    never their values.
    """

    token: str | None = field(default=None, repr=False)
    email: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.token is not None:
            object.__setattr__(self, "token", normalise_token(self.token))
        check_credentials(self)

    def __repr__(self) -> str:
        token = "<set>" if self.token else None
        password = "<set>" if self.password else None
        return f"Credentials(token={token}, email={self.email!r}, password={password})"

    __str__ = __repr__

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be shown (empty ones left out)."""
        return tuple(s for s in (self.token, self.password) if s)


def credentials_from_env(
    env: Mapping[str, str], *, token_variable: str = TOKEN_VARIABLE
) -> Credentials:
    """Credentials from `token_variable` (`SMARTFLO_API_TOKEN` unless the `[smartflo]
    token_env` setting names another), else `SMARTFLO_EMAIL` + `SMARTFLO_PASSWORD`.

    The token wins when both are set (no login needed). Empty variables count as unset.
    Raises CredentialsError, naming the variables to set, when nothing usable is configured,
    when only one of email/password is set, or when the token is masked or malformed.
    """
    token = env.get(token_variable, "")
    email_value = env.get(EMAIL_VARIABLE, "").strip()
    password = env.get(PASSWORD_VARIABLE, "")
    if token.strip():
        return Credentials(token=token)
    if token_variable != TOKEN_VARIABLE and not (email_value or password):
        raise CredentialsError(
            "no Smartflo credentials are configured",
            hint=(
                f"set {token_variable} (named by the token_env setting) to an API token from "
                f"the Smartflo portal ({TOKEN_PAGE}), or set {EMAIL_VARIABLE} and "
                f"{PASSWORD_VARIABLE}"
            ),
        )
    return Credentials(email=email_value or None, password=password or None)


def check_credentials(credentials: Credentials) -> None:
    """Raise CredentialsError unless the credentials can be used to authenticate.

    `Credentials` runs this on construction, so a value that exists has passed it; a bad setup
    fails before anything touches the account.
    """
    if credentials.token is not None:
        check_token(credentials.token)
        return
    if not credentials.email and not credentials.password:
        raise CredentialsError(
            "no Smartflo credentials are configured",
            hint=(
                f"set {TOKEN_VARIABLE} to an API token from the Smartflo portal ({TOKEN_PAGE}), "
                f"or set {EMAIL_VARIABLE} and {PASSWORD_VARIABLE}"
            ),
        )
    if not credentials.password:
        raise CredentialsError(
            f"{EMAIL_VARIABLE} is set but {PASSWORD_VARIABLE} is not",
            hint=f"set {PASSWORD_VARIABLE} too, or use {TOKEN_VARIABLE} instead",
        )
    if not credentials.email:
        raise CredentialsError(
            f"{PASSWORD_VARIABLE} is set but {EMAIL_VARIABLE} is not",
            hint=f"set {EMAIL_VARIABLE} too, or use {TOKEN_VARIABLE} instead",
        )


def normalise_token(raw: str) -> str:
    """`raw` without surrounding whitespace and any leading `Bearer ` prefixes (any case).

    The one normalisation for every token: a pasted portal token and a login's access_token.
    """
    return BEARER_PREFIX.sub("", raw.strip())


def check_token(token: str) -> None:
    """Raise CredentialsError unless the (normalised) token can be sent in a header.

    The one token check, for a pasted portal token and a login's access_token alike.
    """
    # Messages here must not quote the token: it is a secret even when it is malformed.
    if not token or token.lower() == "bearer":
        raise CredentialsError(
            f"{TOKEN_VARIABLE} holds no token (only whitespace or a `Bearer` prefix)",
            hint=f"paste the whole token from the Smartflo portal ({TOKEN_PAGE})",
        )
    if "****" in token:
        raise CredentialsError(
            f"{TOKEN_VARIABLE} holds a masked token (it contains `****`), as the portal's token "
            "table shows it; a masked token cannot authenticate",
            hint=f"copy the full token when you create it; {NEW_TOKEN_HINT}",
        )
    if not TOKEN_CHARS.match(token):
        raise CredentialsError(
            f"{TOKEN_VARIABLE} contains spaces, line breaks or non-ASCII characters inside the "
            "token, so it cannot be sent in a header",
            hint="paste the token again, as one line, without quotes around it",
        )


# --------------------------------------------------------------------------------------------
# Base URL


def check_base_url(url: str) -> str:
    """The base URL to use, without a trailing slash.

    Raises UsageError unless the URL is https, or plain http to a loopback host (127.0.0.0/8,
    ::1, localhost): anything else would send the token in clear text. URLs with a user, query or
    fragment are refused too (a password in the URL would leak into messages).
    """
    text = url.strip()
    try:
        parts = urllib.parse.urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise UsageError(
            f"the Smartflo base URL {text!r} is not a valid URL ({exc})",
            hint=f"use the form {DEFAULT_BASE_URL}",
        ) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise UsageError(
            f"the Smartflo base URL {text!r} is not an http(s) URL with a host",
            hint=f"use the form {DEFAULT_BASE_URL}",
        )
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            "the Smartflo base URL must not contain a user name or password",
            hint=f"pass credentials in {TOKEN_VARIABLE} or {EMAIL_VARIABLE}/{PASSWORD_VARIABLE}",
        )
    if parts.query or parts.fragment:
        raise UsageError(
            f"the Smartflo base URL {text!r} must not have a query or fragment",
            hint=f"use the form {DEFAULT_BASE_URL}",
        )
    if scheme == "http" and not _is_loopback(host):
        raise UsageError(
            f"refusing plain http to {host}: the API token would travel unencrypted",
            hint="use an https:// URL; plain http is allowed only to 127.0.0.1, ::1 or localhost",
        )
    return text.rstrip("/")


def is_loopback_url(url: str) -> bool:
    """True for a URL whose host is a loopback address (the fake server, a tunnel)."""
    try:
        return _is_loopback(urllib.parse.urlsplit(url.strip()).hostname or "")
    except ValueError:
        return False


def _is_loopback(host: str) -> bool:
    if host.rstrip(".").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
