"""One caller's way through the menus, press by press, as Smartflo routes the call.

The rules, from the field descriptions of Smartflo's Update IVR page: entering an IVR plays its
`recording`. A menu key sends the caller to its destination. A timeout (the caller presses
nothing) replays the menu after `timeout_retry_recording` until the (`timeout_tries` + 1)-th,
which plays `timeout_recording` and sends the caller to `timeout_destination`. An invalid key (a
key the menu lacks, or the step `invalid`) replays the menu after `invalid_recording` until the
(`incorrect_count` + 1)-th, which plays `recording_invalid` and sends the caller to
`invalid_destination`. The two counts are separate, per IVR, and start again in each IVR the
caller enters. A destination that is no IVR of the set ends the walk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ivrsync.body import menu_of
from ivrsync.flow.graph import ivr_id_of, ivr_ref
from ivrsync.model import DTMF_KEYS, INVALID, TIMEOUT, CallEvent, CallPath, CallStep, IvrConfig

#: Every press a walk accepts.
PRESSES: tuple[str, ...] = (*DTMF_KEYS, TIMEOUT, INVALID)


@dataclass(frozen=True)
class Caller:
    """Where a call is: the last step, and this IVR's timeouts and invalid keys so far."""

    step: CallStep
    timeouts: int = 0
    invalids: int = 0

    @property
    def in_menu(self) -> bool:
        return bool(self.step.name) and self.step.at.startswith("ivr|")


def ivrs_by_id(configs: Iterable[IvrConfig]) -> dict[int, IvrConfig]:
    return {config.id: config for config in configs}


def find_ivr(ivrs: Mapping[int, IvrConfig], start: str | int) -> IvrConfig | None:
    """The IVR `start` names: an id (`4101`, `"4101"`, `ivr|4101`) or a name (case and outer
    spaces ignored; the lowest id wins when names repeat). None when none matches."""
    if isinstance(start, int) and not isinstance(start, bool):
        return ivrs.get(start)
    text = str(start).strip()
    ivr_id = ivr_id_of(text) if text.startswith("ivr|") else None
    if ivr_id is None and text.isascii() and text.isdigit():
        ivr_id = int(text)
    if ivr_id is not None and ivr_id in ivrs:
        return ivrs[ivr_id]
    wanted = text.casefold()
    named = [config for config in ivrs.values() if config.name.strip().casefold() == wanted]
    return min(named, key=lambda config: config.id) if named else None


def answer(config: IvrConfig) -> Caller:
    """The call as it starts: in `config`'s menu, hearing its recording."""
    return Caller(_enter(config, press="", event="start"))


def press(ivrs: Mapping[int, IvrConfig], caller: Caller, key: str) -> Caller:
    """The call after one press (a DTMF key, `timeout` or `invalid`).

    Raises ValueError for any other press, or when the call is no longer in a menu.
    """
    if key not in PRESSES:
        raise ValueError(f"not a press: {key!r}")
    if not caller.in_menu:
        raise ValueError("the call has left the menus")
    ivr_id = ivr_id_of(caller.step.at)
    assert ivr_id is not None
    body = ivrs[ivr_id].body
    if key == TIMEOUT:
        count = caller.timeouts + 1
        if count > body["timeout_tries"]:
            heard: tuple[str, ...] = (body["timeout_recording"],)
            return _route(ivrs, body["timeout_destination"], key, "timed_out", heard, count)
        heard = (body["timeout_retry_recording"], body["recording"])
        step = replace(caller.step, press=key, event="retry", heard=heard, count=count)
        return Caller(step, count, caller.invalids)
    menu = menu_of(body)
    if key in menu:
        return _route(ivrs, menu[key], key, "routed", (), 0)
    count = caller.invalids + 1
    if count > body["incorrect_count"]:
        last: tuple[str, ...] = (body["recording_invalid"],)
        return _route(ivrs, body["invalid_destination"], key, "invalid_out", last, count)
    heard = (body["invalid_recording"], body["recording"])
    step = replace(caller.step, press=key, event="invalid_retry", heard=heard, count=count)
    return Caller(step, caller.timeouts, count)


def walk(ivrs: Mapping[int, IvrConfig], start: IvrConfig, presses: Sequence[str]) -> CallPath:
    """The whole call from `start` through `presses`; presses left once the call has left the
    menus are counted in `CallPath.unused`."""
    caller = answer(start)
    steps = [caller.step]
    for index, key in enumerate(presses):
        if not caller.in_menu:
            return CallPath(tuple(steps), unused=len(presses) - index)
        caller = press(ivrs, caller, key)
        steps.append(caller.step)
    return CallPath(tuple(steps))


def _route(
    ivrs: Mapping[int, IvrConfig],
    target: str,
    key: str,
    event: CallEvent,
    heard: tuple[str, ...],
    count: int,
) -> Caller:
    ivr_id = ivr_id_of(target)
    if ivr_id is not None and ivr_id in ivrs:
        entered = _enter(ivrs[ivr_id], press=key, event=event)
        return Caller(replace(entered, heard=heard + entered.heard, count=count))
    return Caller(CallStep(key, target, "", event, heard, count))


def _enter(config: IvrConfig, *, press: str, event: CallEvent) -> CallStep:
    return CallStep(
        press,
        ivr_ref(config.id),
        config.name,
        event,
        (config.body["recording"],),
    )
