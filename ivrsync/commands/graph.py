"""`graph`: the call flow of the config set, or the part of it some IVRs reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ivrsync.commands.runtime import Runtime
from ivrsync.commands.validate import require_valid_configs
from ivrsync.errors import UsageError
from ivrsync.flow.graph import call_flow, ivr_ref, reachable_flow
from ivrsync.flow.walk import find_ivr, ivrs_by_id
from ivrsync.model import CallFlow, IvrConfig


@dataclass(frozen=True)
class GraphRequest:
    config_dir: str
    ivrs: tuple[str, ...] = ()  # names or ids; empty: the whole set
    depth: int | None = None  # presses from `ivrs`; None: all they reach


def graph(request: GraphRequest, runtime: Runtime) -> CallFlow:
    """The call flow; raises ConfigError for invalid configs, UsageError for an IVR named that
    is in no file, or `depth` without IVRs to count from."""
    if request.depth is not None and not request.ivrs:
        raise UsageError(
            "--depth counts presses from the IVRs named, and none was named",
            hint="name the IVRs to start from: ivrsync graph 'Main menu' --depth 2",
        )
    config_set = require_valid_configs(request.config_dir, runtime, consequence="no graph was made")
    flow = call_flow(config_set.configs)
    if not request.ivrs:
        return flow
    starts = resolve_ivrs(config_set.configs, request.ivrs)
    return reachable_flow(flow, [ivr_ref(config.id) for config in starts], depth=request.depth)


def resolve_ivrs(configs: Sequence[IvrConfig], wanted: Sequence[str]) -> list[IvrConfig]:
    """The IVRs `wanted` names (names or ids, as `find_ivr` reads them), in that order.

    Raises UsageError naming every one that matches no IVR of the set.
    """
    ivrs = ivrs_by_id(configs)
    found = {text: find_ivr(ivrs, text) for text in wanted}
    unknown = [text for text, config in found.items() if config is None]
    if unknown:
        listed = ", ".join(f"'{text}'" for text in unknown)
        raise UsageError(
            f"no IVR named or numbered {listed} in the config set",
            hint="name an IVR by its `name` (case does not matter) or its `id`",
        )
    return [config for config in found.values() if config is not None]
