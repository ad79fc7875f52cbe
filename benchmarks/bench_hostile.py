"""Is validation linear in the size of a hostile file?

Writes one IVR file with N extra keys of each hostile kind, for N = 10,000, 20,000 and 40,000 by
default, and times `ivrsync.config.validate.load_config_set` on it (best of a few rounds, CPU
time of this process, steadier than wall-clock time on a shared machine):

  unknown     N unknown keys (`unknown_key_<i>: <i>`): one schema problem each, with did-you-mean
  duplicate   the same key N times (`timeout: <i>`): one duplicate-key problem each
  menu        N menu entries with an unknown key each: N schema errors, each its own problem

Each row prints the time, the time per key, and the ratio to the row before (double the keys:
about 2.0 when linear, about 4.0 when quadratic). Validation caps the problems reported per file
(`MAX_PROBLEMS_PER_FILE`), so the count of problems stays the same whatever N.

    .venv/bin/python benchmarks/bench_hostile.py [--keys 10000 20000 40000] [--rounds R]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ivrsync.config.validate import MAX_PROBLEMS_PER_FILE, load_config_set

_HEAD = """\
id: 349
name: Support IVR
description: IVR for the support team
recording: recording|0231
timeout: 20
incorrect_count: 5
invalid_recording: recording|349
invalid_destination: extension|05047530002
timeout_retry_recording: recording|52156
timeout_recording: recording|123
timeout_destination: extension|05047530002
timeout_tries: 3
recording_invalid: recording|58999
"""
_MENU = 'menu:\n  - option: "1"\n    destination: extension|845\n'


def unknown_keys(count: int) -> str:
    return _HEAD + _MENU + "".join(f"unknown_key_{i}: {i}\n" for i in range(count))


def duplicate_keys(count: int) -> str:
    return _HEAD + _MENU + "".join(f"timeout: {i}\n" for i in range(count))


def menu_entries(count: int) -> str:
    entries = "".join(
        f'  - option: "1"\n    destination: extension|845\n    extra_{i}: x\n' for i in range(count)
    )
    return _HEAD + "menu:\n" + entries


KINDS: dict[str, Callable[[int], str]] = {
    "unknown": unknown_keys,
    "duplicate": duplicate_keys,
    "menu": menu_entries,
}


def cpu_time(path: Path, rounds: int) -> tuple[float, int]:
    """Best CPU time of `rounds` validations of `path`, and the problems reported."""
    best = float("inf")
    problems = 0
    for _ in range(rounds):
        start = time.process_time()
        result = load_config_set([path])
        best = min(best, time.process_time() - start)
        problems = len(result.problems)
    return best, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    print(f"problems reported per file: at most {MAX_PROBLEMS_PER_FILE} (+1 counting the rest)")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, make in KINDS.items():
            previous: float | None = None
            for count in args.keys:
                path = Path(tmp, f"{kind}-{count}.yaml")
                path.write_text(make(count), encoding="utf-8")
                seconds, problems = cpu_time(path, args.rounds)
                ratio = f"x{seconds / previous:.2f}" if previous else "-"
                size = path.stat().st_size // 1024
                print(
                    f"{kind:<10} {count:>7} keys {size:>6} KB  {seconds:7.3f} s  "
                    f"{seconds / count * 1e6:6.1f} us/key  {ratio:>6}  {problems} problems"
                )
                previous = seconds


if __name__ == "__main__":
    main()
