"""The call flow as values: the graph of IVRs and destinations, callers' walks, caller-path tests.

A *reference* is a destination as YAML files write it: `type|id` (`ivr|4101`, `extension|0504...`,
`hangup|1`). Nodes and edges name each other by reference, so a graph serialises without ids of
its own. Built by `ivrsync.flow`; drawn by the `ivrsync.render.flow_*` renderers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ivrsync.model.values import Problem

NodeKind = Literal["ivr", "unmanaged", "terminal"]
EdgeStatus = Literal["unchanged", "added", "removed", "rerouted", "changed"]
CheckLevel = Literal["warning", "error", "off"]

#: The two presses that are no key: the caller says nothing, or presses a key the menu lacks.
TIMEOUT = "timeout"
INVALID = "invalid"

#: Destination types that put the caller through to a person.
PERSON_TYPES = frozenset({"extension", "agent", "department", "ringgroup"})


@dataclass(frozen=True, slots=True)
class FlowNode:
    """An IVR or a terminal destination.

    `kind`: `ivr` for an IVR of the config set (`name` and `source` set), `unmanaged` for an
    `ivr|<id>` no file has, `terminal` for every other destination. `focus` marks the IVRs a
    plan changes (drawn in bold).
    """

    ref: str
    kind: NodeKind
    name: str = ""
    source: str = ""
    focus: bool = False

    @property
    def type(self) -> str:
        return self.ref.partition("|")[0]

    @property
    def ident(self) -> str:
        return self.ref.partition("|")[2]


@dataclass(frozen=True, slots=True)
class FlowEdge:
    """Where one press of one IVR sends the caller.

    `key` is a DTMF key, `timeout` or `invalid`; `after` is how many of those it takes (for
    `timeout`, `timeout_tries` + 1; for `invalid`, `incorrect_count` + 1; 1 for a key). In a
    plan's flow, `status` says how the plan changes the edge and `was_target`/`was_after` hold
    the last-applied values of a `rerouted` or `changed` edge (`removed` edges show the old
    target as `target`).
    """

    source: str
    target: str
    key: str
    after: int = 1
    status: EdgeStatus = "unchanged"
    was_target: str | None = None
    was_after: int | None = None

    @property
    def is_key(self) -> bool:
        return self.key not in (TIMEOUT, INVALID)


@dataclass(frozen=True)
class CallFlow:
    """A directed graph: nodes sorted (IVRs by id, then other destinations by type and id),
    edges sorted by source node, then key (`0`-`9`, `*`, `#`, `timeout`, `invalid`)."""

    nodes: tuple[FlowNode, ...]
    edges: tuple[FlowEdge, ...]

    @property
    def changed_edges(self) -> tuple[FlowEdge, ...]:
        return tuple(edge for edge in self.edges if edge.status != "unchanged")


@dataclass(frozen=True)
class TelephonyChecks:
    """How `validate` runs the telephony checks (`ivrsync.flow.checks.RULES` names the rules).

    `severities`: rule name -> `warning`, `error` or `off`; a rule not named keeps its default
    (names of no rule are ignored). `entry_points`: IVR names or ids callers reach directly;
    empty means unknown, and `unreachable-ivr` is then not checked. `person_within`: the N of
    `no-person-within` (key presses), None for its default.
    """

    severities: Mapping[str, CheckLevel] = field(default_factory=lambda: MappingProxyType({}))
    entry_points: tuple[str | int, ...] = ()
    person_within: int | None = None


# Callers' walks and caller-path tests.

CallEvent = Literal["start", "routed", "retry", "timed_out", "invalid_retry", "invalid_out"]


@dataclass(frozen=True, slots=True)
class CallStep:
    """One moment of a call: where the caller is after it and what they hear.

    `press` is the key (or `timeout`, `invalid`) that led here, empty for the start. `at` is the
    reference of where the caller is (`ivr|<id>` while in a menu), `name` the IVR's name when
    `at` is an IVR of the set. `event`: `start`; `routed` (a menu key sent the caller on);
    `retry` / `invalid_retry` (the menu tries again); `timed_out` / `invalid_out` (the last
    timeout or invalid key sent the caller to the timeout or invalid destination).
    """

    press: str
    at: str
    name: str
    event: CallEvent
    heard: tuple[str, ...] = ()
    count: int = 0  # for retries and the last one: which timeout / invalid key of this IVR


@dataclass(frozen=True)
class CallPath:
    """A whole call: the start step, then one step per press that was made.

    `unused` is how many presses were left when the call had already left the IVRs (reached a
    destination that is no menu of the set).
    """

    steps: tuple[CallStep, ...]
    unused: int = 0

    @property
    def end(self) -> CallStep:
        return self.steps[-1]

    @property
    def heard(self) -> tuple[str, ...]:
        return tuple(recording for step in self.steps for recording in step.heard)

    @property
    def in_menu(self) -> bool:
        """True when the call is still in an IVR of the set."""
        return bool(self.end.name) and self.end.at.startswith("ivr|")


@dataclass(frozen=True)
class CallTest:
    """One caller path of a test file: start somewhere, press keys, expect a destination."""

    name: str
    file: str
    line: int
    column: int
    start: str | int
    press: tuple[str, ...]
    expect: str
    hear: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallTestResult:
    """`path` is None when the walk could not start (`start` names no IVR of the set)."""

    test: CallTest
    passed: bool
    path: CallPath | None
    reason: str = ""  # why it failed; empty when it passed


@dataclass(frozen=True)
class CallTestReport:
    """The results in file and line order, and the problems of test files that did not load."""

    results: tuple[CallTestResult, ...]
    problems: tuple[Problem, ...] = ()
    files_read: int = 0

    @property
    def failed(self) -> tuple[CallTestResult, ...]:
        return tuple(result for result in self.results if not result.passed)

    @property
    def ok(self) -> bool:
        return not self.failed and not any(p.is_error for p in self.problems)
