"""Telephony checks: valid IVRs that callers will not like, as Problems with the rule's name.

Each rule has a name (shown in every message, e.g. `[timeout-length]`) and a default level;
`ivrsync.toml`'s `[checks]` can set a rule to `warning`, `error` or `off`. Pure: the checks see
the configs, and optionally the loaded files to say where in them a problem is.

| rule | default | finds |
|---|---|---|
| `inescapable-loop` | warning | IVRs whose every key, timeout and invalid key leads back to them |
| `hangup-fallback` | warning | a timeout or invalid destination that is `hangup` |
| `unreachable-ivr` | warning | an IVR no entry point leads to (checked once entry points are set) |
| `timeout-length` | warning | a `timeout` under 3 s or over 60 s |
| `no-person-within` | off | a menu with no key reaching a person within N presses (default 3) |
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol

from ivrsync.body import menu_of
from ivrsync.flow.graph import ivr_id_of, targets_of
from ivrsync.flow.walk import find_ivr, ivrs_by_id
from ivrsync.model import (
    PERSON_TYPES,
    CheckLevel,
    IvrConfig,
    NewIvrConfig,
    Problem,
    TelephonyChecks,
)

#: Rule name -> default level. The names are what `[checks]` in ivrsync.toml takes.
RULES: Mapping[str, CheckLevel] = MappingProxyType(
    {
        "inescapable-loop": "warning",
        "hangup-fallback": "warning",
        "unreachable-ivr": "warning",
        "timeout-length": "warning",
        "no-person-within": "off",
    }
)

MIN_TIMEOUT = 3
MAX_TIMEOUT = 60
DEFAULT_PERSON_WITHIN = 3
_HANGUP = "hangup|1"


class LocatedFile(Protocol):
    """What the checks need of a loaded file (`ivrsync.config.loader.LoadedFile` is one)."""

    @property
    def display(self) -> str: ...

    def locate(self, json_path: Sequence[str | int], *, key: bool = False) -> tuple[int, int]: ...


def check_config_set(
    configs: Sequence[IvrConfig],
    files: Sequence[Any],
    checks: TelephonyChecks,
    new: Sequence[NewIvrConfig] = (),
) -> list[Problem]:
    """`telephony_problems` as `load_config_set` runs it: `files` are its loaded files.

    New IVRs (`new`) get the checks of one IVR alone (timeouts, hang-up fallbacks), so a review
    sees them before the create; the checks of the graph (loops, reachability, people) need
    ids, and see a new IVR from the apply that gives it one.
    """
    located = {file.display: file for file in files}
    problems = telephony_problems(
        configs,
        severities=checks.severities,
        entry_points=checks.entry_points,
        person_within=checks.person_within,
        files=located,
        routes=_routes(configs, located),
    )
    if new:
        levels = {rule: checks.severities.get(rule, default) for rule, default in RULES.items()}
        report = _Reporter(levels, located)
        for config in new:
            # Id 0 stands in: these checks read the body only, and no message shows an id.
            _check_one(IvrConfig(0, config.name, config.source, config.body, config.digest), report)
        problems.extend(sorted(report.problems))
    return problems


def _routes(configs: Sequence[IvrConfig], files: Mapping[str, Any]) -> dict[int, Sequence[str]]:
    """IVR id -> its destinations to IVRs, as its file's summary found them once
    (`FileSummary.ivr_destinations`), for the IVRs whose body is the file's own (no name
    reference was resolved into a new one); the others are found in their bodies."""
    routes: dict[int, Sequence[str]] = {}
    for config in configs:
        file = files.get(config.source)
        if file is not None and getattr(file, "body", None) is config.body:
            routes[config.id] = file.ivr_destinations
    return routes


def telephony_problems(
    configs: Sequence[IvrConfig],
    *,
    severities: Mapping[str, CheckLevel] = MappingProxyType({}),
    entry_points: Collection[str | int] = (),
    person_within: int | None = None,
    files: Mapping[str, LocatedFile] | None = None,
    routes: Mapping[int, Sequence[str]] | None = None,
) -> list[Problem]:
    """Every telephony problem of `configs` (valid IVRs), sorted.

    `severities` overrides the levels of `RULES` (other names are ignored); `entry_points` are
    IVR names or ids (empty: unknown, so `unreachable-ivr` is skipped; names of no IVR are
    ignored); `person_within` is the N of `no-person-within`. `files` maps each config's
    `source` to its loaded file, for line and column (else 0, 0). `routes` may give, for some
    IVRs, their destinations that start with `ivr|` (found once by the caller): those are not
    looked for again in their bodies.
    """
    levels = {rule: severities.get(rule, default) for rule, default in RULES.items()}
    report = _Reporter(levels, files or {})
    ivrs = ivrs_by_id(configs)
    if levels["timeout-length"] != "off" or levels["hangup-fallback"] != "off":
        for config in ivrs.values():
            _check_one(config, report)
    loops = levels["inescapable-loop"] != "off"
    reachable = levels["unreachable-ivr"] != "off" and bool(entry_points)
    if loops or reachable:
        # Loops alone need the edges of the IVRs with no way out of their own (few, if any);
        # reachability needs every edge.
        successors, exits = _internal_edges(ivrs, routes or {}, everyone=reachable)
        if loops:
            _check_loops(ivrs, successors, exits, report)
        if reachable:
            _check_reachable(ivrs, successors, entry_points, report)
    if levels["no-person-within"] != "off":
        _check_people(ivrs, person_within or DEFAULT_PERSON_WITHIN, report)
    return sorted(report.problems)


class _Reporter:
    def __init__(self, levels: Mapping[str, CheckLevel], files: Mapping[str, LocatedFile]):
        self.levels = levels
        self.files = files
        self.problems: list[Problem] = []

    def __call__(
        self, rule: str, config: IvrConfig, field: str, message: str, hint: str, *, key: bool
    ) -> None:
        level = self.levels[rule]
        if level == "off":
            return
        file = self.files.get(config.source)
        line, column = (0, 0) if file is None else file.locate((field,), key=key)
        self.problems.append(
            Problem(config.source, line, column, field, f"{message} [{rule}]", level, hint)
        )


def _check_one(config: IvrConfig, report: _Reporter) -> None:
    body = config.body
    timeout = body["timeout"]
    if (
        MIN_TIMEOUT <= timeout <= MAX_TIMEOUT
        and body["timeout_destination"] != _HANGUP
        and body["invalid_destination"] != _HANGUP
    ):
        return  # the usual IVR, told apart at once: this runs for every IVR of every run
    if timeout < MIN_TIMEOUT:
        report(
            "timeout-length",
            config,
            "timeout",
            f"callers get only {timeout} s to press a key; under {MIN_TIMEOUT} s many cannot",
            "give callers 5 to 15 seconds",
            key=False,
        )
    elif timeout > MAX_TIMEOUT:
        report(
            "timeout-length",
            config,
            "timeout",
            f"callers who press nothing wait {timeout} s in silence; over {MAX_TIMEOUT} s "
            "many hang up first",
            "give callers 5 to 15 seconds",
            key=False,
        )
    for field, who, count in (
        ("timeout_destination", "press nothing", body["timeout_tries"] + 1),
        ("invalid_destination", "press a wrong key", body["incorrect_count"] + 1),
    ):
        if body[field] == _HANGUP:
            times = "once" if count == 1 else f"{count} times"
            report(
                "hangup-fallback",
                config,
                field,
                f"callers who {who} {times} are cut off: {field} is {_HANGUP}",
                "send them to a person or a voicemail instead (extension|..., voicemail|...)",
                key=False,
            )


def _internal_edges(
    ivrs: Mapping[int, IvrConfig], routes: Mapping[int, Sequence[str]], *, everyone: bool
) -> tuple[dict[int, list[int]], set[int]]:
    """IVR id -> the IVRs of the set it routes to (any press); and the IVRs with another way
    out (a destination that is no IVR of the set). `routes`: see `telephony_problems`.

    Without `everyone`, the edges are those of the IVRs without a way out of their own: an IVR
    with one is never trapped, and its edges are not looked at (most IVRs route to a person).
    """
    successors: dict[int, list[int]] = {}
    exits: set[int] = set()
    for ivr_id, config in ivrs.items():
        body = config.body
        count = len(body["destination"]) + 2  # `targets_of`: the menu, timeout and invalid
        routed = routes.get(ivr_id)
        if routed is None:
            routed = [target for target in targets_of(body) if target[:4] == "ivr|"]
        if len(routed) < count and not everyone:
            exits.add(ivr_id)  # a destination that is no IVR at all
            continue
        # `ivr_id_of`, inline: this runs for every IVR of every run.
        inside = []
        for target in routed:
            ident = target[4:]
            if ident.isascii() and ident.isdigit() and int(ident) in ivrs:
                inside.append(int(ident))
        if len(inside) < count:
            exits.add(ivr_id)
        successors[ivr_id] = inside
    return successors, exits


def _check_loops(
    ivrs: Mapping[int, IvrConfig],
    successors: Mapping[int, list[int]],
    exits: set[int],
    report: _Reporter,
) -> None:
    # Only IVRs from which no way out can be reached can be in an inescapable loop, and they
    # are closed under their routes: their components are found alone (usually none are left).
    for component in _strongly_connected(_trapped(successors, exits), successors):
        members = set(component)
        if any(m in exits for m in members):
            continue
        if any(t not in members for m in members for t in successors[m]):
            continue
        names = ", ".join(f"{ivrs[m].name} ({m})" for m in sorted(members))
        for member in sorted(members):
            report(
                "inescapable-loop",
                ivrs[member],
                "menu",
                f"callers can never leave: every key, timeout and invalid key leads back into "
                f"{names}",
                "route a key, the timeout or the invalid destination to a person, a voicemail "
                "or hangup|1",
                key=True,
            )


def _trapped(successors: Mapping[int, list[int]], exits: set[int]) -> list[int]:
    """The IVRs, sorted, that no route takes to an IVR with a way out of the set."""
    if not successors.keys() - exits:
        return []  # every IVR with edges has a way out of its own: the usual set
    callers: dict[int, list[int]] = {}
    for source, targets in successors.items():
        for target in targets:
            callers.setdefault(target, []).append(source)
    leaving = set(exits)
    pending = list(exits)
    while pending:
        for caller in callers.get(pending.pop(), ()):
            if caller not in leaving:
                leaving.add(caller)
                pending.append(caller)
    return sorted(ivr_id for ivr_id in successors if ivr_id not in leaving)


def _strongly_connected(
    nodes: Sequence[int], successors: Mapping[int, list[int]]
) -> list[list[int]]:
    """Tarjan's strongly connected components, iteratively (deep menus cannot overflow)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    components: list[list[int]] = []
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors[root]))]
        while work:
            node, pending = work[-1]
            for nxt in pending:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(successors[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def _check_reachable(
    ivrs: Mapping[int, IvrConfig],
    successors: Mapping[int, list[int]],
    entry_points: Collection[str | int],
    report: _Reporter,
) -> None:
    starts = {found.id for entry in entry_points if (found := find_ivr(ivrs, entry)) is not None}
    reached = set(starts)
    queue = deque(starts)
    while queue:
        for nxt in successors[queue.popleft()]:
            if nxt not in reached:
                reached.add(nxt)
                queue.append(nxt)
    routed_from: dict[int, set[int]] = {}
    for source, targets in successors.items():
        for target in targets:
            if target != source:
                routed_from.setdefault(target, set()).add(source)
    for ivr_id in sorted(set(ivrs) - reached):
        parents = sorted(routed_from.get(ivr_id, ()))
        why = (
            "no other IVR routes to it"
            if not parents
            else "only IVRs callers cannot reach route to it (" + ", ".join(map(str, parents)) + ")"
        )
        report(
            "unreachable-ivr",
            ivrs[ivr_id],
            "name",
            f"no caller can reach this IVR: it is no entry point and {why}",
            f"route a menu key to ivr|{ivr_id}, list it in [routing] entry_points of "
            "ivrsync.toml, or delete the file",
            key=False,
        )


def _check_people(ivrs: Mapping[int, IvrConfig], within: int, report: _Reporter) -> None:
    # Presses to a person from each IVR, by menu keys only: a breadth-first search backwards
    # from the IVRs with a key straight to a person.
    callers_of: dict[int, set[int]] = {}
    distance: dict[int, int] = {}
    for ivr_id, config in ivrs.items():
        for target in menu_of(config.body).values():
            target_id = ivr_id_of(target)
            if target.partition("|")[0] in PERSON_TYPES:
                distance[ivr_id] = 1
            elif target_id is not None and target_id in ivrs:
                callers_of.setdefault(target_id, set()).add(ivr_id)
    queue = deque(sorted(distance))
    while queue:
        ivr_id = queue.popleft()
        for caller in sorted(callers_of.get(ivr_id, ())):
            if caller not in distance:
                distance[caller] = distance[ivr_id] + 1
                queue.append(caller)
    for ivr_id in sorted(ivrs):
        if distance.get(ivr_id, within + 1) > within:
            presses = "press" if within == 1 else f"{within} presses"
            report(
                "no-person-within",
                ivrs[ivr_id],
                "menu",
                f"no key reaches a person (extension, agent, department or ring group) within "
                f"{presses}",
                "give callers a key to a person, e.g. 0 for the operator",
                key=True,
            )
