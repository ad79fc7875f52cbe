"""How much do `ivrsync test` and `ivrsync graph` cost over `ivrsync validate`?

Generates N valid IVR files (default 10,000, `ivr_corpus.write_corpus`) and caller-path test
files for them (default 1,000 callers: random presses from random IVRs, each expecting where the
call really ends, so all pass), then times whole processes, best of a few interleaved rounds
(wall-clock and the children's CPU time):

  validate      ivrsync validate DIR
  test          ivrsync test --config-dir DIR TESTS
  graph         ivrsync graph --config-dir DIR                  (Mermaid, to /dev/null)
  graph dot     ivrsync graph --config-dir DIR --format dot     (to /dev/null)

and prints the times and the ratios to validate. The requirement is a ratio of at most 1.5.

    .venv/bin/python benchmarks/bench_flow.py [--files N] [--tests T] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ivr_corpus import write_corpus

from ivrsync.config.validate import load_config_set
from ivrsync.flow.walk import PRESSES, ivrs_by_id, walk

TARGET = 1.5


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + system time of the child process


def run(args: list[str], cwd: Path) -> Timing:
    before = os.times()
    wall = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "ivrsync", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - wall
    after = os.times()
    if result.returncode != 0:
        raise SystemExit(f"ivrsync {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return Timing(wall, cpu)


def best(timings: list[Timing]) -> Timing:
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def write_tests(config_dir: Path, tests_dir: Path, count: int) -> None:
    """`count` callers in 20 files; each expects where its call really ends."""
    rng = random.Random(14)
    ivrs = ivrs_by_id(load_config_set([config_dir]).configs)
    ids = sorted(ivrs)
    files: dict[int, list[str]] = {}
    for index in range(count):
        start = ivrs[rng.choice(ids)]
        presses = [rng.choice(PRESSES) for _ in range(rng.randint(1, 5))]
        path = walk(ivrs, start, presses)
        used = presses[: len(presses) - path.unused]
        keys = ", ".join(f'"{key}"' for key in used)
        files.setdefault(index % 20, []).append(
            f"- name: caller {index}\n  start: {start.id}\n  press: [{keys}]\n"
            f"  expect: {path.end.at}\n"
        )
    tests_dir.mkdir()
    for number, tests in files.items():
        header = "# yaml-language-server: $schema=../schemas/ivr-tests.schema.json\n"
        (tests_dir / f"callers-{number:02d}.yaml").write_text(header + "".join(tests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--tests", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_corpus(root / "ivr-configs", args.files)
        write_tests(root / "ivr-configs", root / "ivr-tests", args.tests)
        commands = {
            "validate": ["validate", "ivr-configs"],
            "test": ["test", "--config-dir", "ivr-configs", "ivr-tests"],
            "graph": ["graph", "--config-dir", "ivr-configs"],
            "graph dot": ["graph", "--config-dir", "ivr-configs", "--format", "dot"],
        }
        timings: dict[str, list[Timing]] = {name: [] for name in commands}
        for _ in range(args.rounds):  # interleaved: a busy machine slows all alike
            for name, command in commands.items():
                timings[name].append(run(command, root))
        results = {name: best(runs) for name, runs in timings.items()}

    base = results["validate"]
    print(
        f"{args.files} IVR files, {args.tests} caller paths, best of {args.rounds} rounds "
        "(whole processes)"
    )
    print(f"{'':24}{'wall':>9}{'cpu':>10}{'ratio wall':>13}{'ratio cpu':>11}")
    worst = 0.0
    for name, timing in results.items():
        ratio_wall, ratio_cpu = timing.wall / base.wall, timing.cpu / base.cpu
        if name != "validate":
            worst = max(worst, min(ratio_wall, ratio_cpu))
        print(
            f"{name:24}{timing.wall:8.3f}s{timing.cpu:9.3f}s{ratio_wall:12.2f}x{ratio_cpu:10.2f}x"
        )
    verdict = "ok" if worst <= TARGET else "OVER"
    print(f"worst ratio to validate: {worst:.2f}x (requirement: <= {TARGET:.2f}x) {verdict}")


if __name__ == "__main__":
    main()
