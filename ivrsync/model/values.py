"""Frozen value types shared by every layer.

A *body* is the JSON object that `PUT /v1/ivr/{id}` takes (see docs/architecture.md): the field
names of the Smartflo API, the menu as the parallel arrays `option` and `destination` in canonical
DTMF order. Bodies are plain JSON values (dict/list/str/int) so they serialise without adapters;
treat them as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # creates.py builds on this module's types
    from ivrsync.model.creates import Create, NewIvrConfig

Severity = Literal["error", "warning"]
Action = Literal["update", "adopt", "forget", "create"]
FieldStatus = Literal["conflict", "converged", "overwrite", "drift"]


#: Actions whose apply sends a PUT with the whole body (a create POSTs it).
PUT_ACTIONS: frozenset[Action] = frozenset({"update", "adopt"})

#: The `FieldChange.field` prefix of a menu option: `menu.<key>`.
MENU_PREFIX = "menu."

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

#: The scalar fields by kind: whole numbers, free text, and `type|id` references.
INTEGER_FIELDS: frozenset[str] = frozenset({"timeout", "incorrect_count", "timeout_tries"})
TEXT_FIELDS: frozenset[str] = frozenset({"name", "description"})
REFERENCE_FIELDS: frozenset[str] = frozenset(SCALAR_FIELDS) - INTEGER_FIELDS - TEXT_FIELDS

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

    `configs` is sorted by id; `new` holds the valid files without an id (sorted by name);
    `problems` is sorted. When `ok` is false, no plan may be made.
    """

    configs: tuple[IvrConfig, ...]
    problems: tuple[Problem, ...]
    files_read: int = 0
    new: tuple[NewIvrConfig, ...] = ()

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
class LockHolder:
    """Who holds (or last held) the state lock, as written in the lock file."""

    pid: int
    host: str
    started_at: str  # ISO 8601, UTC
    command: str

    def describe(self) -> str:
        """`pid 123 on HOST since T (ivrsync apply)`: the words error messages use."""
        return f"pid {self.pid} on {self.host} since {self.started_at} ({self.command})"


@dataclass(frozen=True)
class StateView:
    """The state as `load()` sees it, plus how many journal records it replayed.

    `journal_records` > 0 means an apply was interrupted: its records are part of `state` but not
    yet merged into the state file (the next locked run merges them).
    """

    state: State
    journal_records: int


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
    `creates` are the new IVRs (files without an id), sorted by name; `changes` may route to
    them by name (`ivr|@<name>`) until apply knows their ids.
    """

    lineage: str | None
    serial: int
    changes: tuple[Change, ...]
    unchanged: tuple[IvrRef, ...]
    targets: tuple[int, ...] | None = None
    creates: tuple[Create, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.creates

    def count(self, action: Action) -> int:
        if action == "create":
            return len(self.creates)
        return sum(1 for c in self.changes if c.action == action)


# Live values: what the server has (`ivrsync.smartflo`), drift and three-way plans.


@dataclass(frozen=True)
class LiveIvr:
    """One IVR as the server has it: its id, name, PUT body, and mapping warnings.

    `body` follows the `ivrsync.body` conventions exactly. `warnings` name the IVR and the menu
    option of every portal-only setting (webhook, SMS template) a full PUT may clear.
    """

    id: int
    name: str
    body: Body
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class IvrDrift:
    """One managed IVR whose live body differs from the state: `before` is state, `after` live."""

    id: int
    name: str
    source: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DriftReport:
    """Drift of every managed IVR; every tuple sorted by id.

    `drifted`: managed IVRs changed in the portal. `missing`: managed IVRs the server no longer
    lists. `unmanaged`: live IVRs not in the state (`source` empty); listed for information, they
    are not drift, since a team may leave some IVRs to the portal on purpose. `in_sync`: how many
    managed IVRs match. `warnings`: the mapping warnings of managed live IVRs (portal-only
    settings a full PUT may clear).
    """

    drifted: tuple[IvrDrift, ...]
    missing: tuple[IvrRef, ...]
    unmanaged: tuple[IvrRef, ...]
    in_sync: int
    warnings: tuple[str, ...] = ()

    @property
    def has_drift(self) -> bool:
        """True when a managed IVR changed in the portal or disappeared from it."""
        return bool(self.drifted or self.missing)

    @property
    def managed(self) -> int:
        return len(self.drifted) + len(self.missing) + self.in_sync


@dataclass(frozen=True)
class FieldRefresh:
    """One field the live IVR has differently from the state (or, for adopt, from the YAML).

    `last_applied`, `desired` and `live` are the field's three values (a menu key's destination
    for `menu.<key>` fields; None where the option does not exist, and `last_applied` None for an
    adopt). `desired` is what the next PUT sends; for an IVR the plan does not PUT it equals
    `last_applied`.
    """

    field: str
    last_applied: Any
    desired: Any
    live: Any
    status: FieldStatus


@dataclass(frozen=True)
class RefreshedIvr:
    """One IVR of the plan, seen three ways.

    `action` is the plan's action, None when the plan leaves the IVR unchanged. `planned` is the
    plan's field changes (last-applied -> desired). `fields` is every field the portal changed,
    classified, in the plan's field order. `live_missing` is true when the server no longer
    lists the IVR. `warnings` are the live IVR's mapping warnings (portal-only settings), kept
    only when the plan PUTs the IVR, since only a PUT can clear them.
    """

    id: int
    name: str
    source: str
    action: Action | None
    planned: tuple[FieldChange, ...]
    fields: tuple[FieldRefresh, ...]
    live_missing: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def puts(self) -> bool:
        """True when applying the plan sends this IVR's body to the server."""
        return self.action in PUT_ACTIONS

    def with_status(self, status: FieldStatus) -> tuple[FieldRefresh, ...]:
        return tuple(item for item in self.fields if item.status == status)

    @property
    def is_clean(self) -> bool:
        """Nothing to tell: no portal change, the IVR exists, no portal-only settings at risk."""
        return not (self.fields or self.live_missing or self.warnings)


@dataclass(frozen=True)
class Conflict:
    """A field changed both in the YAML and in the portal, to different values."""

    id: int
    name: str
    field: str
    last_applied: Any
    desired: Any
    live: Any


@dataclass(frozen=True)
class RefreshedPlan:
    """A plan with the live state folded in. `ivrs` has one entry per IVR of the plan, by id."""

    plan: Plan
    ivrs: tuple[RefreshedIvr, ...]
    live_count: int

    def count(self, status: FieldStatus) -> int:
        """How many fields, over all IVRs, have this status."""
        return sum(len(ivr.with_status(status)) for ivr in self.ivrs)

    @property
    def missing(self) -> tuple[RefreshedIvr, ...]:
        return tuple(ivr for ivr in self.ivrs if ivr.live_missing)
