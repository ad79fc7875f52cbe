"""How much do `ivrsync validate` and `ivrsync plan` cost, cold and warm, over parsing the YAML?

Generates N valid IVR files (default 10,000, `ivr_corpus.write_corpus`) and a state in which 1%
of them were last applied with another body (`bench_plan.generate`), then times whole processes,
as a user runs them, in alternating rounds, and prints the medians:

  parse           a separate Python process reads every file and `yaml.load`s it (CSafeLoader)
  cold validate   `ivrsync validate` with an empty cache (`ivrsync cache clear` first, untimed)
  cold plan       `ivrsync plan` with an empty cache
  warm validate   `ivrsync validate` after one file was edited (a new edit each round)
  warm plan       `ivrsync plan` after one file was edited

The children run as an installed ivrsync does, with compiled bytecode: PYTHONDONTWRITEBYTECODE
is dropped from their environment and PYTHONPYCACHEPREFIX points into the temporary folder (one
untimed run of each first), so no round pays for compiling ivrsync's modules. Each median is
given as a ratio to parse. The targets: cold plan <= 1.5, cold validate <= 1.3, warm plan <= 0.3,
warm validate <= 0.25. Also checks that a warm run prints the same and exits the same as a cold
one, and prints the peak memory (maximum RSS) of the plan processes: the target is under 150 MiB.
Exits 1 when a target is missed.

    .venv/bin/python benchmarks/bench_cache.py [--files N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_plan import generate

TARGETS = {"cold validate": 1.3, "cold plan": 1.5, "warm validate": 0.25, "warm plan": 0.3}
MEMORY_TARGET_MIB = 150

#: The bare parse, in its own process: what a tool that reads every file pays at least.
PARSE = """
import os, sys, yaml
for root, dirs, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith(".yaml"):
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                yaml.load(handle.read(), Loader=yaml.CSafeLoader)
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_kib: int  # the process's own peak resident memory
    code: int
    stdout: bytes
    stderr: bytes


def run(args: list[str], cwd: Path) -> Run:
    """One whole process: wall time, its own peak RSS (from wait4), exit code and output."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cwd / "pycache")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, *args], cwd=cwd, stdout=out, stderr=err, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss, process.returncode, out.read(), err.read())


def ivrsync(*args: str) -> list[str]:
    return ["-m", "ivrsync", *args]


def edit(path: Path, mark: str) -> None:
    """Give the IVR of `path` a description never written before, so its file misses."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [
        f"description: {mark}\n" if line.startswith("description:") else line for line in lines
    ]
    path.write_text("".join(lines), encoding="utf-8")


def same_warm_as_cold(root: Path, edited: Path) -> bool:
    """Whether warm runs print and exit exactly as runs without the cache: right after a cold
    run, and after one more edit."""
    same = True
    for command in ("validate", "plan"):
        run(ivrsync("cache", "clear"), root)
        cold = run(ivrsync(command), root)
        warm = run(ivrsync(command), root)
        edit(edited, f"Compared after {command}")
        uncached = run(ivrsync(command, "--no-cache"), root)
        warm_edited = run(ivrsync(command), root)
        for first, second in ((cold, warm), (uncached, warm_edited)):
            same = same and (first.code, first.stdout, first.stderr) == (
                second.code,
                second.stdout,
                second.stderr,
            )
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ivrsync-bench-cache-") as temp:
        root = Path(temp)
        folder = root / "ivr-configs"
        changed = generate(folder, root / ".ivrsync" / "state.json", args.files, 100)
        edited = sorted(folder.rglob("*.yaml"))[1]  # not one of the changed (every 100th)
        original = edited.read_text(encoding="utf-8")
        commands = {
            "parse": ["-c", PARSE, "ivr-configs"],
            "cold validate": ivrsync("validate"),
            "cold plan": ivrsync("plan"),
            "warm validate": ivrsync("validate"),
            "warm plan": ivrsync("plan"),
        }
        for command in commands.values():  # compiles the bytecode, untimed
            run(command, root)
        times: dict[str, list[float]] = {name: [] for name in commands}
        plan_rss: list[int] = []
        edits = 0
        for _ in range(args.rounds):  # alternating: a busy machine slows all alike
            for name, command in commands.items():
                edited.write_text(original, encoding="utf-8")
                if name.startswith("cold"):
                    run(ivrsync("cache", "clear"), root)
                elif name.startswith("warm"):
                    run(command, root)  # the cache holds every file, then one is edited
                    edits += 1
                    edit(edited, f"Edit number {edits}")
                result = run(command, root)
                if result.code != 0:
                    raise SystemExit(f"{name} failed ({result.code}): {result.stderr.decode()}")
                times[name].append(result.seconds)
                if name.endswith("plan"):
                    plan_rss.append(result.max_rss_kib)
        edited.write_text(original, encoding="utf-8")
        same = same_warm_as_cold(root, edited)

    medians = {name: statistics.median(seconds) for name, seconds in times.items()}
    base = medians["parse"]
    print(
        f"{args.files:,} IVR files, {changed:,} changed since the state was written; "
        f"median of {args.rounds} alternating rounds, whole processes"
    )
    print(f"{'':16}{'median':>10}{'ratio':>9}{'target':>9}")
    missed = []
    for name, seconds in medians.items():
        target = TARGETS.get(name)
        ratio = seconds / base
        verdict = (
            "" if target is None else f"<= {target:.2f} " + ("ok" if ratio <= target else "MISSED")
        )
        if target is not None and ratio > target:
            missed.append(name)
        print(f"{name:16}{seconds:9.3f}s{ratio:8.2f}x  {verdict}")
    peak = max(plan_rss) / 1024
    memory = "ok" if peak < MEMORY_TARGET_MIB else "MISSED"
    print(
        f"peak memory of a plan process: {peak:.0f} MiB RSS (target < {MEMORY_TARGET_MIB}) {memory}"
    )
    print(f"warm output and exit code the same as cold: {'yes' if same else 'NO'}")
    return 0 if not missed and same and peak < MEMORY_TARGET_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
