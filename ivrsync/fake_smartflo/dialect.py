"""How the fake behaves where the real API's behaviour is unknown (smartflo-api.md, section 6).

Each setting of a `Dialect` is one hypothesis about the real Smartflo, so one test suite can run
ivrsync against each. The defaults are the fake's behaviour before dialects existed.

- `separator` ("|" or "||"): the reference separator the server parses in PUT and POST bodies
  (`recording|123` or `recording||123`). The read shape has bare ids and separate type fields, so
  the separator only matters on write.
- `separator_strict`: True refuses a reference without exactly one separator (400 naming the
  field, like any validation error). False stores what a server that splits blindly would make of
  it: the value is cut at the first separator; with none, the whole value is the type and the id is
  empty. So a lenient "|" server given `extension||845` stores destination id "|845", and a lenient
  "||" server given `extension|845` stores type "extension|845" with id "" (a recording of a type
  other than `recording` reads back as written). What reads back then differs from what was sent.
- `auth` ("bearer", "raw" or "both"): the Authorization header the API takes: `Bearer <token>`,
  the bare token, or either. A raw server answers a `Bearer ...` header with 401 "Deleted or
  blacklisted token provided"; raw and both answer a missing header with "Missing required request
  parameters: [Authorization]" (messages public clients report seeing).
- `recordings` ("swapped" or "direct"): which read field shows which written recording. "swapped":
  read `invalid_retry_recording` <- body `invalid_recording`, read `invalid_recording` <- body
  `recording_invalid` (ivrsync's readshape assumption). "direct": read `invalid_recording` <- body
  `invalid_recording`, read `invalid_retry_recording` <- body `recording_invalid`.
- `webhooks_cleared_by_put`: a full PUT sets every menu option's `webhook_id` to "0" (the PUT body
  cannot carry webhooks) instead of keeping it.
- `rate_limit`: requests per second, shared by every API request including login, above which the
  server answers 429 with Retry-After (see `ratelimit.TokenBucket`); None for no limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from ivrsync.errors import UsageError
from ivrsync.smartflo.readshape import RECORDING_FIELDS

Separator = Literal["|", "||"]
SEPARATORS: tuple[str, ...] = get_args(Separator)
AuthScheme = Literal["bearer", "raw", "both"]
AUTH_SCHEMES: tuple[str, ...] = get_args(AuthScheme)
RecordingNames = Literal["swapped", "direct"]
RECORDING_NAMES: tuple[str, ...] = get_args(RecordingNames)

#: Read field -> body field, for the two recordings whose pairing the docs leave open. Spelled
#: out here rather than derived from readshape, so "swapped" keeps its meaning if readshape flips.
RECORDING_PAIRINGS: dict[str, dict[str, str]] = {
    "swapped": {
        "invalid_retry_recording": "invalid_recording",
        "invalid_recording": "recording_invalid",
    },
    "direct": {
        "invalid_recording": "invalid_recording",
        "invalid_retry_recording": "recording_invalid",
    },
}

#: The 401 messages of the raw and both schemes.
MISSING_AUTHORIZATION = "Missing required request parameters: [Authorization]"
REFUSED_CREDENTIAL = "Deleted or blacklisted token provided"
#: The 401 message of the bearer scheme (Laravel's default, as before dialects existed).
UNAUTHENTICATED = "Unauthenticated."


@dataclass(frozen=True)
class Dialect:
    """One set of hypotheses about the real API (see the module docstring). UsageError when a
    value is not one of the listed ones."""

    separator: Separator = "|"
    separator_strict: bool = True
    auth: AuthScheme = "bearer"
    recordings: RecordingNames = "swapped"
    webhooks_cleared_by_put: bool = False
    rate_limit: float | None = None

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("separator", self.separator, SEPARATORS),
            ("auth", self.auth, AUTH_SCHEMES),
            ("recordings", self.recordings, RECORDING_NAMES),
        ):
            if value not in allowed:
                raise UsageError(
                    f"unknown {name} {value!r}", hint=f"choose one of: {', '.join(allowed)}"
                )
        rate = self.rate_limit
        if rate is not None and (isinstance(rate, bool) or not 0 < rate < math.inf):
            raise UsageError(f"rate_limit must be a positive, finite number, got {rate!r}")

    def split(self, reference: str) -> tuple[str, str]:
        """(type, id) as this server cuts a reference: at the first separator; with none, the
        whole value is the type and the id is empty (what a blind split would store)."""
        kind, sep, ident = reference.partition(self.separator)
        return (kind, ident) if sep else (reference, "")

    def join(self, kind: str, ident: str) -> str:
        return f"{kind}{self.separator}{ident}"

    def recording_sources(self) -> dict[str, str]:
        """Read field -> the body field it shows, for every recording field."""
        pairing = RECORDING_PAIRINGS[self.recordings]
        return {read: pairing.get(read, write) for read, write in RECORDING_FIELDS}

    def auth_problem(self, authorization: str | None, accepts: Callable[[str], bool]) -> str | None:
        """The 401 message for an Authorization header, or None when it is accepted.
        `accepts(token)` says whether a bare token is valid for the account."""
        header = authorization or ""
        scheme, _, credential = header.partition(" ")
        bearer = scheme == "Bearer" and accepts(credential)
        raw = bool(header) and accepts(header)
        if self.auth == "bearer":
            return None if bearer else UNAUTHENTICATED
        if raw or (bearer and self.auth == "both"):
            return None
        return REFUSED_CREDENTIAL if header else MISSING_AUTHORIZATION
