"""Fault injection for the fake Smartflo server: what to break, and the thread-safe dice.

A `FaultConfig` is a value (frozen, loadable from JSON). A `FaultPicker` holds the mutable part
(the seeded RNG and the scripted faults' remaining counts) and decides, per API request, which
fault, if any, to inject. Scripted faults are consumed first, in order; the random rate applies only
when no script entry matched. Faults apply to the list (GET), updates (PUT) and creates (POST
/v1/ivr), never to login.

The kinds: "429" (with Retry-After), "500" (JSON), "502"/"503"/"504" (a gateway's HTML page),
"success_false" (200 with success false) and "success_false_<status>" answer at once and change
nothing. "drop" closes the connection without answering or changing anything. "timeout" waits
`timeout_delay`, then answers normally or drops (see FaultConfig). "drop_after_apply" serves the
request normally (a PUT or POST is applied) and then closes the connection without sending the
answer: the client cannot tell success from failure, and a retried POST creates a second IVR.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

from ivrsync.errors import UsageError

FaultKind = Literal[
    "429",
    "500",
    "502",
    "503",
    "504",
    "timeout",
    "drop",
    "drop_after_apply",
    "success_false",
    "success_false_400",
    "success_false_401",
    "success_false_403",
    "success_false_404",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

Method = Literal["GET", "PUT", "POST"]
METHODS: tuple[str, ...] = get_args(Method)


@dataclass(frozen=True)
class ScriptedFault:
    """The next `count` matching requests fail with `kind`.

    A request matches when its method is `method` and, if `ivr_id` is set, it is a PUT to that IVR
    (a POST has no id yet, so a fault with an `ivr_id` never matches one).
    """

    kind: FaultKind
    count: int = 1
    method: Method = "PUT"
    ivr_id: int | None = None

    def __post_init__(self) -> None:
        _check_kind(self.kind)
        _check_method(self.method)
        if self.count < 1:
            raise UsageError(f"a scripted fault's count must be at least 1, got {self.count}")


@dataclass(frozen=True)
class FaultConfig:
    """Which API requests fail, and how.

    `rate` is the probability (0 to 1) that a request whose method is in `methods` fails with a
    kind drawn from `kinds`, using an RNG seeded with `seed` (so a run is reproducible for a given
    arrival order). `script` is consumed first. `retry_after` is the Retry-After header of a 429,
    in whole seconds (0 for fast tests). A `timeout` fault waits `timeout_delay` seconds, then
    answers normally (the update is applied, as a real slow server would) when `timeout_answers`,
    else closes the connection without answering or applying anything.
    """

    rate: float = 0.0
    kinds: tuple[FaultKind, ...] = ("503",)
    methods: tuple[Method, ...] = ("PUT",)
    seed: int = 0
    script: tuple[ScriptedFault, ...] = ()
    retry_after: int = 1
    timeout_delay: float = 5.0
    timeout_answers: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise UsageError(f"fault rate must be between 0 and 1, got {self.rate}")
        if self.rate > 0 and not self.kinds:
            raise UsageError("a fault rate needs at least one fault kind")
        for kind in self.kinds:
            _check_kind(kind)
        for method in self.methods:
            _check_method(method)
        if self.retry_after < 0 or self.timeout_delay < 0:
            raise UsageError("retry_after and timeout_delay must not be negative")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultConfig:
        """A config from its JSON object (the `to_json` form). Raises UsageError when malformed."""
        if not isinstance(data, Mapping):
            raise UsageError("a fault config must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(
                f"unknown fault config field(s): {', '.join(unknown)}",
                hint=f"known fields: {', '.join(sorted(known))}",
            )
        values = dict(data)
        try:
            if "kinds" in values:
                values["kinds"] = tuple(str(kind) for kind in values["kinds"])
            if "methods" in values:
                values["methods"] = tuple(str(method).upper() for method in values["methods"])
            if "script" in values:
                values["script"] = tuple(_scripted_fault(entry) for entry in values["script"])
            for name, kind in (("rate", float), ("timeout_delay", float)):
                if name in values:
                    values[name] = _number(name, values[name], kind)
            for name in ("retry_after", "seed"):
                if name in values:
                    values[name] = _number(name, values[name], int)
        except TypeError as exc:
            raise UsageError(f"malformed fault config: {exc}") from exc
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """The JSON object `from_json` reads back to an equal config."""
        data = asdict(self)
        data["kinds"] = list(self.kinds)
        data["methods"] = list(self.methods)
        data["script"] = [asdict(entry) for entry in self.script]
        return data


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise UsageError(
            f"unknown fault kind {kind!r}", hint=f"known kinds: {', '.join(FAULT_KINDS)}"
        )


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise UsageError(f"faults apply to GET, PUT or POST, not {method!r}")


def _number(name: str, value: object, kind: type[int] | type[float]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"fault config field {name!r} must be a number, got {value!r}")
    if kind is int and value != int(value):
        raise UsageError(f"fault config field {name!r} must be a whole number, got {value!r}")
    return kind(value)


def _scripted_fault(entry: object) -> ScriptedFault:
    if not isinstance(entry, Mapping):
        raise UsageError(f"a scripted fault must be a JSON object, got {entry!r}")
    known = {f.name for f in fields(ScriptedFault)}
    unknown = sorted(set(entry) - known)
    if unknown or "kind" not in entry:
        raise UsageError(
            f"malformed scripted fault {dict(entry)!r}",
            hint=f"fields: kind (required), count, method, ivr_id; known kinds: "
            f"{', '.join(FAULT_KINDS)}",
        )
    values = dict(entry)
    values["kind"] = str(values["kind"])
    if "method" in values:
        values["method"] = str(values["method"]).upper()
    if "count" in values:
        values["count"] = _number("count", values["count"], int)
    if values.get("ivr_id") is not None:
        values["ivr_id"] = _number("ivr_id", values["ivr_id"], int)
    return ScriptedFault(**values)


@dataclass
class FaultPicker:
    """The mutable side of a FaultConfig: decides each request's fault. Thread-safe."""

    config: FaultConfig
    _remaining: list[int] = field(init=False)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._remaining = [entry.count for entry in self.config.script]
        # Not for security: a reproducible stream of faults for a given seed.
        self._rng = random.Random(self.config.seed)  # noqa: S311

    def pick(self, method: str, ivr_id: int | None) -> FaultKind | None:
        """The fault for one request (`ivr_id` is the PUT's target, else None), or None."""
        with self._lock:
            for index, entry in enumerate(self.config.script):
                if (
                    self._remaining[index] > 0
                    and entry.method == method
                    and (entry.ivr_id is None or entry.ivr_id == ivr_id)
                ):
                    self._remaining[index] -= 1
                    return entry.kind
            eligible = self.config.rate > 0 and method in self.config.methods
            if eligible and self._rng.random() < self.config.rate:
                return self._rng.choice(self.config.kinds)
        return None
