"""How much does `ivrsync validate` cost over merely parsing the YAML?

Generates N valid IVR files (default 10,000) in a temporary folder, then times, best of a few
rounds each (wall-clock and CPU time, interleaved):

  parse     read every file and `yaml.load(text, Loader=yaml.CSafeLoader)` it
  validate  `ivrsync.config.validate.load_config_set([folder])`: discovery, reading, parsing with
            duplicate-key checks, schema validation, cross-file checks, bodies and digests

and prints both times and the ratio validate/parse. The requirement is a ratio of at most 2.0.
Also times validation of a set where 1% of the files have problems (the slow, lazily located path).

    .venv/bin/python benchmarks/bench_validate.py [--files N] [--rounds R]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from ivr_corpus import write_corpus

from ivrsync.config.validate import load_config_set


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + system time of this process: steadier on a busy machine


def timed(run: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def best(timings: list[Timing]) -> Timing:
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def parse_all(files: list[Path]) -> None:
    for file in files:
        yaml.load(file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        valid = Path(tmp, "valid")
        valid.mkdir()
        write_corpus(valid, args.files)
        files = sorted(valid.rglob("*.yaml"))

        result = load_config_set([valid])
        if not result.ok or len(result.configs) != args.files:
            raise SystemExit(f"generated files should be valid: {result.problems[:3]}")
        # Keeping 10,000 configs alive would make the garbage collector slow down later runs.
        del result
        # Rounds alternate between the two, so a busy machine slows both alike; best of each.
        parse_runs, validate_runs = [], []
        for _ in range(args.rounds):
            parse_runs.append(timed(lambda: parse_all(files)))
            validate_runs.append(timed(lambda: load_config_set([valid])))
        parse, validate = best(parse_runs), best(validate_runs)

        broken = Path(tmp, "broken")
        broken.mkdir()
        write_corpus(broken, args.files, broken_every=100)
        broken_result = load_config_set([broken])
        if broken_result.ok:
            raise SystemExit("the broken files should have problems")
        broken_problems = len(broken_result.problems)
        del broken_result
        with_problems = best([timed(lambda: load_config_set([broken])) for _ in range(args.rounds)])

    print(f"files: {args.files}, best of {args.rounds} rounds          wall       cpu")
    print(f"parse (read + CSafeLoader):         {parse.wall:8.3f} s {parse.cpu:8.3f} s")
    print(f"validate (load_config_set):         {validate.wall:8.3f} s {validate.cpu:8.3f} s")
    print(
        f"ratio validate/parse:               {validate.wall / parse.wall:8.2f}   "
        f"{validate.cpu / parse.cpu:8.2f}    (requirement: <= 2.00)"
    )
    print(
        f"validate, 1% of files with errors:  {with_problems.wall:8.3f} s "
        f"{with_problems.cpu:8.3f} s  ({broken_problems} problems; cpu ratio "
        f"{with_problems.cpu / parse.cpu:.2f})"
    )


if __name__ == "__main__":
    main()
