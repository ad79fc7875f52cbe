"""Running the fake as a process: seed and fault files, and serving until Ctrl-C or SIGTERM.

Used by `ivrsync fake-smartflo` (`ivrsync.cli.fake`), which `python -m ivrsync.fake_smartflo` also
runs. Nothing here prints: the caller passes `announce` to show the listening line.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from ivrsync.errors import EXIT_OK, UsageError
from ivrsync.fake_smartflo.dialect import Dialect
from ivrsync.fake_smartflo.faults import FaultConfig
from ivrsync.fake_smartflo.server import FakeSmartflo

#: The token the fake accepts when neither the seed nor --token names one. Not a secret.
DEFAULT_TOKEN = "fake-smartflo-token"  # noqa: S105


@dataclass(frozen=True)
class Seed:
    """A seed file: a `GET /v1/ivrs` response, optionally with `token` and `users`."""

    ivrs: tuple[Mapping[str, Any], ...]
    token: str | None = None
    users: Mapping[str, str] | None = None


def sample_seed_path() -> Path:
    """The packaged sample seed (the IVRs of the example configs), for rehearsals."""
    return Path(__file__).with_name("sample-seed.json")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise UsageError(f"the {what} file {path} is not valid JSON: {exc}") from exc


def load_seed(path: Path) -> Seed:
    """Read a seed file. Raises UsageError when it is unreadable or not of the seed's shape."""
    data = _read_json(path, "seed")
    if not isinstance(data, dict) or not isinstance(data.get("ivrs"), list):
        raise UsageError(
            f"the seed file {path} must be a JSON object with an `ivrs` list",
            hint='a seed is a GET /v1/ivrs response: {"ivrs": [...]}, optionally with '
            '"token" and "users": {"email": "password"}',
        )
    token = data.get("token")
    users = data.get("users")
    if token is not None and not isinstance(token, str):
        raise UsageError(f"the seed file {path}: `token` must be a string")
    if users is not None and not (
        isinstance(users, dict) and all(isinstance(v, str) for v in users.values())
    ):
        raise UsageError(f"the seed file {path}: `users` must map emails to passwords")
    return Seed(ivrs=tuple(data["ivrs"]), token=token, users=users)


def load_faults(path: Path) -> FaultConfig:
    """Read a fault config file (the JSON of `FaultConfig.to_json`). Raises UsageError."""
    return FaultConfig.from_json(_read_json(path, "faults"))


def serve(
    *,
    seed: Seed,
    port: int = 0,
    token: str | None = None,
    faults: FaultConfig | None = None,
    latency: float = 0.0,
    verbose: bool = False,
    dialect: Dialect | None = None,
    announce: Callable[[str], None],
    ready: Callable[[FakeSmartflo], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Serve until Ctrl-C, SIGTERM or `stop` is set; return exit code 0.

    `announce` receives the one listening line once the port is bound. SIGTERM and SIGINT
    handlers are installed only when called from the main thread, and restored on return.
    `dialect` (default: `Dialect()`) says how the fake behaves where the real API is unknown.
    """
    stop = stop or threading.Event()
    fake = FakeSmartflo(
        ivrs=seed.ivrs,
        token=token or seed.token or DEFAULT_TOKEN,
        users=seed.users,
        latency=latency,
        faults=faults,
        port=port,
        verbose=verbose,
        **asdict(dialect or Dialect()),
    )
    accepted = token or seed.token or DEFAULT_TOKEN
    restore = _install_stop_signals(stop)
    try:
        with fake:
            announce(
                f"fake Smartflo listening on {fake.url} (token: set SMARTFLO_API_TOKEN={accepted})"
            )
            if ready is not None:
                ready(fake)
            # A bounded wait keeps the main thread responsive to signals on every platform.
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        restore()
    return EXIT_OK


def _install_stop_signals(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
