"""What a command may touch outside itself, injected: environment, client factory, clock, UI hooks.

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
from typing import TYPE_CHECKING, Protocol

from ivrsync.model import Problem

if TYPE_CHECKING:
    from ivrsync.smartflo.client import SmartfloClient
    from ivrsync.smartflo.credentials import Credentials
    from ivrsync.smartflo.retry import RetryPolicy


class ClientFactory(Protocol):
    """Opens a Smartflo client (`ivrsync.smartflo.client.open_client` is one)."""

    def __call__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        timeout: float = ...,
        retry: RetryPolicy = ...,
        max_connections: int = ...,
    ) -> SmartfloClient: ...


def open_smartflo(
    *,
    base_url: str,
    credentials: Credentials,
    timeout: float = 10.0,
    retry: RetryPolicy | None = None,
    max_connections: int = 8,
) -> SmartfloClient:
    """The real client; httpx is imported here, on first use, not when a command is loaded."""
    from ivrsync.smartflo.client import open_client
    from ivrsync.smartflo.retry import DEFAULT_RETRY

    return open_client(
        base_url=base_url,
        credentials=credentials,
        timeout=timeout,
        retry=retry or DEFAULT_RETRY,
        max_connections=max_connections,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def _ignore(*_args: object) -> None:
    return None


@contextlib.contextmanager
def _no_guard() -> Iterator[None]:
    yield


@dataclass(frozen=True)
class Runtime:
    """The outside world of one command run. Every field has a quiet default for tests.

    `warn` and `show_problems` receive what a person should read (the CLI writes them to
    stderr); `while_sending` wraps the part of a run that sends writes (the CLI turns SIGTERM
    into an interrupt there, so a cancelled CI job still records every acknowledged PUT).
    """

    env: Mapping[str, str] = field(default_factory=dict)
    open_client: ClientFactory = open_smartflo
    clock: Callable[[], datetime] = utc_now
    warn: Callable[[str], None] = _ignore
    show_problems: Callable[[Sequence[Problem]], None] = _ignore
    while_sending: Callable[[], AbstractContextManager[None]] = _no_guard
