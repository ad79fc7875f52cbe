"""The create side of `apply`: intents left by a stopped run, ids to write back, the live-name
check and the create phase (`ivrsync.create`), wired to the client, the state and the files."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from ivrsync.commands.runtime import Runtime
from ivrsync.config.edits import write_id
from ivrsync.create import Creating, IvrCreator, recover_intents
from ivrsync.errors import ConfigError
from ivrsync.model import Outcome, Plan
from ivrsync.plan.creates import WriteBack, refuse_taken, taken_names
from ivrsync.render.apply_report import render_outcome_line
from ivrsync.smartflo.live import IvrLister, fetch_live
from ivrsync.state import StateLock, StateStore


class CreateClient(IvrCreator, IvrLister, Protocol):
    """What the create phase needs of the client: POSTs and reads of the live IVRs."""


def live_names(client: IvrLister, runtime: Runtime) -> Mapping[int, str]:
    """Every live IVR's name by id: one `GET /v1/ivrs`."""
    return fetch_live(client, recordings=runtime.settings.smartflo.recordings).names


def write_id_into(source: str, ivr_id: int, name: str) -> str | None:
    """Write the new id into its file; a warning (the state already has it) when it cannot."""
    try:
        write_id(Path(source), ivr_id, name=name)
    except ConfigError as exc:
        return f"{exc.message} ({exc.hint})"
    return None


def creating(
    client: CreateClient, store: StateStore, lock: StateLock, runtime: Runtime
) -> Creating:
    return Creating(
        client=client,
        list_names=lambda: live_names(client, runtime),
        lock=lock,
        intents=store.intents,
        write_id=write_id_into,
        clock=runtime.clock,
    )


def recover(
    store: StateStore,
    lock: StateLock,
    runtime: Runtime,
    open_client: Callable[[], CreateClient],
) -> None:
    """Complete the creates a stopped run left behind (or drop those that never happened),
    before anything is planned: one read of the live IVRs, only when intents exist."""
    if not store.intents.load():
        return
    client = open_client()
    managed = set(lock.state().entries)
    for outcome in recover_intents(
        creating(client, store, lock, runtime), live_names(client, runtime), managed
    ):
        runtime.warn(_recovered(outcome))


def _recovered(outcome: Outcome) -> str:
    line = render_outcome_line(outcome, verbose=True)
    return line + (f" ({outcome.hint})" if outcome.hint else "")


def write_back(write_backs: Sequence[WriteBack], store: StateStore, runtime: Runtime) -> None:
    """Write the ids a stopped run recorded but did not write into their files (no request);
    each intent goes once its id is in the file. Call it holding the state lock."""
    for item in write_backs:
        warning = write_id_into(item.source, item.ivr_id, item.name)
        if warning is None:
            store.intents.remove(item.name)
        runtime.warn(warning or f"wrote `id: {item.ivr_id}` into {item.source} (created earlier)")


def check_names_free(client: IvrLister, plan: Plan, runtime: Runtime) -> Mapping[int, str]:
    """Refuse the plan (before anything is sent) when a new IVR's name is taken live; return
    the live names, the `before` of the create phase."""
    names = live_names(client, runtime)
    refuse_taken(taken_names(plan.creates, names), sent_nothing=True)
    return names
