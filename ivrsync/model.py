"""Frozen value types shared by every layer.

A *body* is the JSON object that `PUT /v1/ivr/{id}` takes (see docs/architecture.md): the field
names of the Smartflo API, the menu as the parallel arrays `option` and `destination` in canonical
DTMF order. Bodies are plain JSON values (dict/list/str/int) so they serialise without adapters;
treat them as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
Action = Literal["update", "adopt", "forget"]

#: A PUT body: JSON-compatible, keys in `BODY_FIELDS` order.
Body = Mapping[str, Any]

#: The fields of the PUT body, in the order the Smartflo reference lists them. The YAML file has
#: the same fields (plus `id`), except that `option`/`destination` become one `menu` list.
SCALAR_FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "recording",
    "timeout",
    "incorrect_count",
    "invalid_recording",
    "invalid_destination",
    "timeout_retry_recording",
    "timeout_recording",
    "timeout_destination",
    "timeout_tries",
    "recording_invalid",
)
BODY_FIELDS: tuple[str, ...] = (*SCALAR_FIELDS, "option", "destination")

#: DTMF keys in canonical menu order (keypad digits, then `*` and `#`).
DTMF_KEYS: tuple[str, ...] = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file.

    Ordered by file, line, column, so a sorted list reads top to bottom. `line` and `column` are
    1-based; 0 means "the whole file" (an unreadable file, an empty document). `path` is the field's
    path inside the document (`menu[1].destination`), empty for the document itself. `hint` says
    what would fix it, when that is known.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    severity: Severity = "error"
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True)
class IvrConfig:
    """One valid IVR file, turned into the body its PUT would send."""

    id: int
    name: str
    source: str  # the file, as a POSIX path relative to the working directory when possible
    body: Body
    digest: str  # `ivrsync.body.digest_body(body)`


@dataclass(frozen=True)
class ConfigSet:
    """The outcome of loading and validating config files: the valid IVRs and every problem.

    `configs` is sorted by id; `problems` is sorted. When `ok` is false, no plan may be made.
    """

    configs: tuple[IvrConfig, ...]
    problems: tuple[Problem, ...]
    files_read: int = 0

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


@dataclass(frozen=True)
class StateEntry:
    """What ivrsync last applied to one IVR: the exact body the server acknowledged."""

    id: int
    body: Body
    digest: str
    source: str
    applied_at: str  # ISO 8601, UTC, e.g. "2026-11-26T23:30:00Z"


@dataclass(frozen=True)
class State:
    """The last-applied state. `lineage` is None until the file is first written."""

    lineage: str | None
    serial: int
    entries: Mapping[int, StateEntry] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldChange:
    """One changed field of one IVR.

    For scalar fields `field` is the field name. Menu changes are per DTMF key: `field` is
    `menu.<key>` (`menu.2`, `menu.*`), `before`/`after` are destinations, and None on one side
    means the option is added or removed.
    """

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    """What a plan does to one IVR.

    `body`/`digest` are what apply would PUT (None for `forget`: no request is made).
    `state_digest` is the digest in state when the plan was made (None for `adopt`), so a saved
    plan can tell which IVRs moved since.
    """

    id: int
    name: str
    action: Action
    source: str
    fields: tuple[FieldChange, ...]
    body: Body | None
    digest: str | None
    state_digest: str | None


@dataclass(frozen=True)
class IvrRef:
    """Just enough to name an IVR in output: id, name and source file."""

    id: int
    name: str
    source: str


@dataclass(frozen=True)
class Plan:
    """A pure function of (configs, state): changes sorted by id, nothing else.

    `targets` is None for a full plan, else the ids the plan was restricted to (a partial plan).
    """

    lineage: str | None
    serial: int
    changes: tuple[Change, ...]
    unchanged: tuple[IvrRef, ...]
    targets: tuple[int, ...] | None = None

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)
