"""What a command may touch outside itself, injected: settings, environment, client factory,
clock and UI hooks.

The default client factory imports the HTTP client only when a command really talks to
Smartflo, so `validate` and `plan` (without `--refresh`) never load httpx: start-up counts in
every pre-commit hook and CI step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from ivrsync.model import Problem, TelephonyChecks
from ivrsync.settings import (
    Settings,
    SmartfloSettings,
    resolve_settings,
    unconfirmed_dialect,
)
from ivrsync.smartflo.credentials import (
    Credentials,
    check_base_url,
    credentials_from_env,
    is_loopback_url,
)

if TYPE_CHECKING:
    from ivrsync.config.cache import EntryCache
    from ivrsync.smartflo.client import AuthScheme, SmartfloClient
    from ivrsync.state import StateMemo


class ClientFactory(Protocol):
    """Opens a Smartflo client from the `[smartflo]` settings (`open_smartflo` is one)."""

    def __call__(
        self,
        smartflo: SmartfloSettings,
        credentials: Credentials,
        *,
        max_connections: int = ...,
        auth_scheme: AuthScheme | None = ...,
    ) -> SmartfloClient: ...


def open_smartflo(
    smartflo: SmartfloSettings,
    credentials: Credentials,
    *,
    max_connections: int = 8,
    auth_scheme: AuthScheme | None = None,
) -> SmartfloClient:
    """The real client; httpx is imported here, on first use, not when a command is loaded."""
    from ivrsync.smartflo.client import open_client
    from ivrsync.smartflo.retry import RetryPolicy

    return open_client(
        base_url=smartflo.base_url,
        credentials=credentials,
        timeout=smartflo.timeout,
        retry=RetryPolicy(attempts=smartflo.retries + 1, base_delay=smartflo.retry_delay),
        max_connections=max_connections,
        # `probe` asks for "auto" (try both); every other command uses the setting.
        auth_scheme=auth_scheme or smartflo.auth_scheme,
        # 0 means "none" in the settings file, None in the client.
        rate_limit=smartflo.rate_limit or None,
        request_deadline=smartflo.request_deadline,
        run_deadline=smartflo.run_deadline or None,
        separator=smartflo.separator,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_settings() -> Settings:
    """Every setting at its built-in default (no file, no environment, no flags)."""
    return resolve_settings(None, env={}, flags={})


def _ignore(*_args: object) -> None:
    return None


@contextlib.contextmanager
def _no_guard() -> Iterator[None]:
    yield


@dataclass(frozen=True)
class Runtime:
    """The outside world of one command run. Every field has a quiet default for tests.

    `settings` are the resolved settings (flags > environment > `ivrsync.toml` > defaults).
    `use_cache` lets commands keep what checking each IVR file found in the cache folder
    (`[cache] dir`); off by default, so a test run writes nothing it did not ask for.
    `warn` and `show_problems` receive what a person should read (the CLI writes them to
    stderr); `while_sending` wraps the part of a run that sends writes (the CLI turns SIGTERM
    into an interrupt there, so a cancelled CI job still records every acknowledged PUT).
    """

    settings: Settings = field(default_factory=default_settings)
    env: Mapping[str, str] = field(default_factory=dict)
    open_client: ClientFactory = open_smartflo
    clock: Callable[[], datetime] = utc_now
    warn: Callable[[str], None] = _ignore
    show_problems: Callable[[Sequence[Problem]], None] = _ignore
    while_sending: Callable[[], AbstractContextManager[None]] = _no_guard
    use_cache: bool = False

    def credentials(self) -> Credentials:
        """The credentials from the environment (CredentialsError when there are none)."""
        return credentials_from_env(self.env, token_variable=self.settings.smartflo.token_env)

    def check_base_url(self) -> str:
        """The base URL setting, refused (UsageError) unless https or http to loopback."""
        return check_base_url(self.settings.smartflo.base_url)

    def warn_unconfirmed_dialect(self) -> None:
        """Before writing to a real account whose API dialect nobody confirmed, say so once.

        The dialect settings are guesses until `ivrsync probe` (or a person) sets them; the canary
        and read-back limit the damage of a wrong guess, but the user should know. Loopback URLs
        (the fake server) are exempt. It never blocks.
        """
        unset = unconfirmed_dialect(self.settings)
        if not unset or is_loopback_url(self.settings.smartflo.base_url):
            return
        keys = ", ".join(unset)
        self.warn(
            f"the API dialect ({keys}) is not confirmed for this account: ivrsync is using its "
            "built-in guesses; run `ivrsync probe --ivr ID --write` on a scratch IVR first "
            "(README: First run against a real account)"
        )

    def plan_key(self) -> bytes | None:
        """The key of keyed plan checksums (`IVRSYNC_PLAN_KEY`), None when unset."""
        from ivrsync.plan.planfile import PLAN_KEY_VARIABLE

        value = self.env.get(PLAN_KEY_VARIABLE, "")
        return value.encode("utf-8") if value else None

    def config_cache(self) -> EntryCache | None:
        """The cache of checked IVR files for this run (one for the whole run), or None when
        it is not used."""
        return self._cache

    def state_memo(self) -> StateMemo | None:
        """The state files checked before, kept in the same cache; None without the cache."""
        cache = self._cache
        if cache is None:
            return None
        from ivrsync.config.cache import SeenBytes
        from ivrsync.state import state_fingerprint

        return SeenBytes(cache, state_fingerprint())

    def save_cache(self) -> None:
        """Write what this run added to the cache, and say once why it could not be used or
        written (it never fails a run)."""
        cache = self._cache
        if cache is not None:
            cache.save()
            if cache.problem is not None:
                self.warn(cache.problem)

    @cached_property
    def _cache(self) -> EntryCache | None:
        if not self.use_cache:
            return None
        # Imported here: commands that read no IVR files (state, drift) do not load the YAML side.
        from ivrsync.config.cache import EntryCache
        from ivrsync.config.entries import namespace

        smartflo = self.settings.smartflo
        # The dialect settings change no summary today (bodies and digests keep the canonical
        # `|`; the recordings mapping is the reader's), but they say what a reference means:
        # keyed on them, a change costs one cold run and can never leave a stale entry.
        return EntryCache(
            self.settings.cache.dir,
            namespace=namespace((smartflo.separator, smartflo.recordings)),
            max_bytes=self.settings.cache.max_mib << 20,
        )

    def telephony_checks(self) -> TelephonyChecks:
        """The telephony checks as the settings ask: `[checks]` severities, `[routing]` entry
        points."""
        return TelephonyChecks(
            severities=self.settings.checks.rules,
            entry_points=tuple(self.settings.routing.entry_points),
        )
