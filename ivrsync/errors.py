"""The one error tree of ivrsync.

Every failure a user can cause or meet (bad input, bad state, API refusals, network trouble) is an
`IvrsyncError`. The CLI's single handler prints `error: <message>` (and the hint, when there is one)
and exits with `exit_code`. Anything else that escapes is a bug and exits 3.
"""

from __future__ import annotations

#: Exit codes, documented in the README.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2  # `--detailed-exitcode`: the plan (or drift) is not empty
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


class IvrsyncError(Exception):
    """A failure reported to the user as `error: <message>`, never as a traceback."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(IvrsyncError):
    """Options or arguments that cannot work together."""


class ConfigError(IvrsyncError):
    """The config set is invalid; the problems were already reported."""


class StateError(IvrsyncError):
    """The state file is unreadable, corrupt, of an unknown version, or from a newer ivrsync."""


class StateLockedError(StateError):
    """Another run holds the state lock."""


class PlanFileError(IvrsyncError):
    """A saved plan file is unreadable, or stale against the current state."""


class ConflictError(IvrsyncError):
    """`--refresh`: a field changed both in the YAML and in the portal, to different values."""


class CreateConflictError(IvrsyncError):
    """A new IVR's name is already taken live: creating it would make a second one."""


class ApiError(IvrsyncError):
    """The Smartflo API refused a request or could not be reached.

    `retryable` tells the retry loop whether repeating the same request may succeed.
    `fatal` tells apply to stop the whole run at once (no other IVR can succeed either).
    """

    retryable = False
    fatal = False

    def __init__(self, message: str, *, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class CredentialsError(ApiError):
    """No usable credentials were configured; raised before any request."""

    fatal = True


class AuthenticationError(ApiError):
    """401, or a failed login: the token or password is wrong, expired or revoked."""

    fatal = True


class PermissionDeniedError(ApiError):
    """403: authenticated, but API access is not enabled for the account."""

    fatal = True


class NotFoundError(ApiError):
    """404: the IVR id does not exist in this account."""


class RateLimitedError(ApiError):
    """429 after every retry was used."""

    retryable = True


class ServerError(ApiError):
    """5xx after every retry was used."""

    retryable = True


class TransportError(ApiError):
    """Timeout, refused or dropped connection, after every retry was used."""

    retryable = True


class RejectedError(ApiError):
    """The server answered but refused the request (`success: false`, or another 4xx)."""


class MassChangeError(IvrsyncError):
    """The plan changes too many managed IVRs at once; `--allow-mass-change` overrides."""


class AmbiguousCreateError(ApiError):
    """A `POST /v1/ivr` may or may not have created the IVR (timeout, dropped connection, 5xx).

    A POST is not idempotent, so it is never repeated: read the live IVRs to see whether the
    IVR exists before creating it again.
    """


class RunDeadlineError(TransportError):
    """The whole run took longer than its deadline; the client sends nothing more."""

    retryable = False
    fatal = True
