"""How much does `ivrsync plan` cost over merely parsing the YAML?

Generates N valid IVR files (default 10,000) in a temporary folder and a state file in which 1% of
them were last applied with a different body, then times, best of a few alternating rounds each:

  parse  read every file and `yaml.load(text, Loader=yaml.CSafeLoader)` it
  plan   the whole `ivrsync plan` pipeline in-process: `load_config_dir` (discover, parse,
         validate, bodies, digests) + `StateStore.load` + `compute_plan` + `render_plan_text`

and prints both times and the ratio plan/parse (the requirement: at most 2.5), in wall time and in
this process's CPU time (steadier on a busy machine), each stage's time, and peak memory (the
process's peak RSS, and tracemalloc's peak during one plan run). Exits 1 when the wall-time ratio
is over the target.

    .venv/bin/python benchmarks/bench_plan.py [--files N] [--changed-every K] [--rounds R]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from ivr_corpus import write_corpus

from ivrsync.body import digest_body
from ivrsync.config.validate import load_config_dir
from ivrsync.files import write_atomically
from ivrsync.model import Plan, State, StateEntry
from ivrsync.plan.diff import compute_plan
from ivrsync.render.plan_text import render_plan_text
from ivrsync.state import StateStore, render_state_document

TARGET_RATIO = 2.5


def generate(folder: Path, state_path: Path, count: int, changed_every: int) -> int:
    """Write `count` IVR files and a state where every `changed_every`-th body differs.

    Returns how many IVRs the state has out of date.
    """
    write_corpus(folder, count)

    config_set = load_config_dir(folder)
    assert config_set.ok, config_set.problems[:3]
    entries: dict[int, StateEntry] = {}
    changed = 0
    for index, config in enumerate(config_set.configs):
        body: dict[str, Any] = dict(config.body)
        if index % changed_every == 0:
            # What was applied last time: one scalar field and one menu key differ.
            body["timeout"] = body["timeout"] + 1
            body["destination"] = ["hangup|1", *body["destination"][1:]]
            changed += 1
        entries[config.id] = StateEntry(
            config.id, body, digest_body(body), config.source, "2026-11-26T23:30:00Z"
        )
    state = State(lineage=str(uuid.uuid4()), serial=len(entries), entries=entries)
    write_atomically(state_path, render_state_document(state).encode("utf-8"))
    return changed


def parse_all(folder: Path) -> int:
    count = 0
    for path in sorted(folder.rglob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        count += 1
    return count


def plan_pipeline(folder: Path, state_path: Path, stages: dict[str, float]) -> tuple[Plan, str]:
    """The `ivrsync plan` pipeline, timing each stage into `stages`."""
    start = time.perf_counter()
    config_set = load_config_dir(folder)
    loaded = time.perf_counter()
    state = StateStore(state_path).load()
    state_loaded = time.perf_counter()
    plan = compute_plan(config_set.configs, state)
    planned = time.perf_counter()
    text = render_plan_text(plan)
    rendered = time.perf_counter()
    for name, seconds in (
        ("load_config_dir", loaded - start),
        ("StateStore.load", state_loaded - loaded),
        ("compute_plan", planned - state_loaded),
        ("render_plan_text", rendered - planned),
    ):
        stages[name] = min(stages.get(name, seconds), seconds)
    return plan, text


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--changed-every", type=int, default=100, help="1%% by default")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ivrsync-bench-plan-") as temp:
        folder = Path(temp) / "ivr-configs"
        state_path = Path(temp) / ".ivrsync" / "state.json"
        changed = generate(folder, state_path, args.files, args.changed_every)
        print(f"{args.files:,} IVR files, {changed:,} changed since the state was written")

        # Rounds alternate parse and plan, so a busy machine slows both alike; best of each.
        parse_runs, plan_runs = [], []
        stages: dict[str, float] = {}
        for _ in range(args.rounds):
            parse_runs.append(timed(lambda: parse_all(folder)))
            plan_runs.append(timed(lambda: plan_pipeline(folder, state_path, stages)))
        plan, text = plan_pipeline(folder, state_path, {})
        assert plan.count("update") == changed, plan.count("update")
        assert text.endswith(
            f"Plan: {changed} to update, 0 to adopt, 0 to forget, "
            f"{args.files - changed} unchanged.\n"
        )

        tracemalloc.start()
        plan_pipeline(folder, state_path, {})
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    parse_wall, parse_cpu = (min(run[i] for run in parse_runs) for i in (0, 1))
    plan_wall, plan_cpu = (min(run[i] for run in plan_runs) for i in (0, 1))
    ratio, cpu_ratio = plan_wall / parse_wall, plan_cpu / parse_cpu
    print(f"{'':26}{'wall':>9}{'cpu':>11}")
    print(f"parse (yaml.CSafeLoader): {parse_wall:8.3f} s {parse_cpu:8.3f} s")
    print(f"plan (whole pipeline):    {plan_wall:8.3f} s {plan_cpu:8.3f} s")
    for name, seconds in stages.items():
        print(f"  {name:<22}  {seconds:8.3f} s  ({seconds / plan_wall:6.1%} of plan wall time)")
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(
        f"ratio plan/parse:         {ratio:8.2f}   {cpu_ratio:8.2f}    "
        f"(target <= {TARGET_RATIO}: {verdict})"
    )
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        f"peak memory: {rss_kib / 1024:.0f} MiB RSS (process), "
        f"{traced_peak / 2**20:.0f} MiB traced during one plan run"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
