"""`plan`: what apply would change, from the desired configs and the last-applied state.

Reads no network unless `refresh`; then credentials and the base URL are checked before any
work, and the live IVRs are read before the plan is saved, so a failed read leaves no new plan
file. Never writes the state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ivrsync.commands.live import fetch_refreshed
from ivrsync.commands.runtime import Runtime
from ivrsync.commands.validate import require_valid_configs
from ivrsync.errors import MassChangeError, UsageError
from ivrsync.flow.graph import plan_flow
from ivrsync.model import CallFlow, IvrConfig, Plan, RefreshedPlan, State
from ivrsync.plan.creates import plan_desired
from ivrsync.plan.diff import unknown_targets
from ivrsync.plan.planfile import save_plan
from ivrsync.plan.safety import Rail, mass_change_refusal
from ivrsync.state import StateStore, recorded_ids


@dataclass(frozen=True)
class PlanRequest:
    """What to plan; the config folder, state and connection come from the runtime's settings."""

    targets: tuple[int, ...] = ()
    out_path: str | None = None
    refresh: bool = False
    #: Also work out the routing the plan changes (`PlanResult.flow`, the markdown diagram): it
    #: reads every IVR's routes, so the text and JSON plans, which draw none, skip it.
    with_flow: bool = True


@dataclass(frozen=True)
class PlanResult:
    plan: Plan
    refreshed: RefreshedPlan | None  # exactly when the request asked for a refresh
    #: Why `apply` would refuse this plan (the safety rail), so a reviewer sees it before the
    #: merge rather than after; None when apply would go ahead.
    refusal: MassChangeError | None = None
    #: The routing the plan changes (the markdown diagram); None unless the request asked.
    flow: CallFlow | None = None


def plan(request: PlanRequest, runtime: Runtime) -> PlanResult:
    """Make the plan (and save it to `out_path`); raise ConfigError for invalid configs."""
    paths = runtime.settings.paths
    if request.refresh:
        # Checked before any work, so a bad URL or a missing token fails at once.
        runtime.check_base_url()
        credentials = runtime.credentials()
    config_set = require_valid_configs(paths.config_dir, runtime, consequence="no plan was made")
    store = StateStore(paths.state, memo=runtime.state_memo())
    if request.out_path is not None:
        sources = [c.source for c in config_set.configs]
        sources += [c.source for c in config_set.new]
        check_out_path(request.out_path, store, sources)
    state = store.load()
    runtime.save_cache()  # the state's memo (the configs' entries are saved already)
    check_targets(request.targets, config_set.configs, state)
    intents = store.intents.load()
    pending = [i.name for i in intents if i.ivr_id is None]
    if pending:
        # The plan cannot know whether those POSTs took effect: apply reads the live IVRs first.
        runtime.warn(
            f"a stopped apply left {len(pending)} create(s) unfinished ({', '.join(pending)}); "
            "the next apply completes them from the live IVRs before it creates anything"
        )
    made, _ = plan_desired(
        config_set.configs,
        config_set.new,
        state,
        targets=request.targets or None,
        recorded=recorded_ids(intents),
    )
    refreshed: RefreshedPlan | None = None
    if request.refresh:
        with runtime.open_client(runtime.settings.smartflo, credentials) as client:
            refreshed = fetch_refreshed(client, made, state, runtime)
    if request.out_path is not None:
        save_plan(made, Path(request.out_path), key=runtime.plan_key())
    apply_settings = runtime.settings.apply
    rail = Rail(apply_settings.mass_change_ratio, apply_settings.mass_change_minimum)
    refusal = mass_change_refusal(made, state, rail)
    flow = plan_flow(made, state) if request.with_flow else None
    return PlanResult(made, refreshed, refusal=refusal, flow=flow)


def check_out_path(out_path: str, store: StateStore, sources: Iterable[str]) -> None:
    """Refuse an --out that would overwrite the state (or its journal or lock) or an IVR file.

    `plan` never writes the state, and a plan saved over an IVR file would destroy it.
    """
    out = Path(out_path).resolve()
    protected = {store.path: "the state file", store.journal_path: "the state journal"}
    protected[store.lock_path] = "the state lock"
    protected[store.intents.path] = "the create intents file"
    protected.update((Path(source), "an IVR file") for source in sources)
    for path, what in protected.items():
        if path.resolve() == out:
            raise UsageError(
                f"--out {out_path} is {what}; saving the plan there would overwrite it",
                hint="save the plan to a file of its own, e.g. --out plan.json",
            )


def check_targets(targets: Sequence[int], configs: Sequence[IvrConfig], state: State) -> None:
    """Refuse (UsageError) target ids in neither the configs nor the state: a mistyped id."""
    unknown = unknown_targets(configs, state, targets)
    if unknown:
        listed = ", ".join(str(i) for i in unknown)
        raise UsageError(
            f"--target {listed}: no IVR with this id in the configs or the state",
            hint="target the `id` of an IVR file, or of an IVR listed by `ivrsync state list`",
        )
