"""`import`: write a YAML file for each live IVR and record it in the state as last applied."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ivrsync.commands.runtime import Runtime
from ivrsync.config.validate import load_config_set
from ivrsync.errors import ConfigError, UsageError
from ivrsync.importer import ImportFile, plan_import, refuse_overwrites, select_ivrs, write_import
from ivrsync.model import Problem, StateEntry
from ivrsync.smartflo.live import fetch_live
from ivrsync.state import StateStore


@dataclass(frozen=True)
class ImportResult:
    entries: Sequence[StateEntry]
    files: Sequence[ImportFile]
    problems: Sequence[Problem]  # of the files written: their live values against the schema


def import_ivrs(
    *,
    ids: Sequence[int],
    force: bool,
    runtime: Runtime,
    on_written: Callable[[ImportFile], None],
) -> ImportResult:
    """Fetch the live IVRs, write their files, record them; then validate what was written.

    The written files' problems are in the result (`check_imported` turns errors among them
    into a ConfigError, once the caller has reported what was imported).
    """
    runtime.check_base_url()
    credentials = runtime.credentials()
    runtime.warn_unconfirmed_dialect()
    settings = runtime.settings
    with runtime.open_client(settings.smartflo, credentials) as client:
        account = fetch_live(client, recordings=settings.smartflo.recordings)
    # Only the IVRs being imported must be readable: `--id 12` works beside an odd IVR 13.
    unknown = sorted(set(ids) - account.ivrs.keys() - account.unreadable.keys())
    if unknown:
        raise UsageError(
            f"--id {_listed(unknown)}: no IVR with this id in the Smartflo account",
            hint="the ids are those of GET /v1/ivrs; leave out --id to import every IVR",
        )
    account.require(ids or account.unreadable)
    plan = plan_import(select_ivrs(account.ivrs, ids or None), settings.paths.config_dir)
    refuse_overwrites(plan, force=force)
    store = StateStore(settings.paths.state)
    with store.lock(command="ivrsync import") as lock:
        entries = write_import(
            plan, lock=lock, force=force, clock=runtime.clock, on_written=on_written
        )
    for warning in plan.warnings:
        runtime.warn(warning)
    return ImportResult(entries, plan.files, _problems_of(plan.files))


def _problems_of(files: Sequence[ImportFile]) -> list[Problem]:
    if not files:
        return []
    shown = {file.display for file in files}
    problems = load_config_set([file.path for file in files]).problems
    return [problem for problem in problems if problem.file in shown]


def check_imported(result: ImportResult) -> None:
    """Raise ConfigError when an imported file does not pass validation."""
    if any(problem.is_error for problem in result.problems):
        raise ConfigError(
            "some imported files do not pass validation (their live values are outside what "
            "the schema allows)",
            hint="fix the problems listed above; the state holds the live values, so "
            "`ivrsync plan` then shows exactly your fixes",
        )


def _listed(ids: Sequence[int]) -> str:
    return ", ".join(str(ivr_id) for ivr_id in ids)
