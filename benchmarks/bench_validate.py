"""How much does `ivrsync validate` cost over merely parsing the YAML?

Generates N valid IVR files (default 10,000) in a temporary folder, then times, best of a few
rounds each (wall-clock and CPU time, interleaved):

  parse     read every file and `yaml.load(text, Loader=yaml.CSafeLoader)` it
  validate  `ivrsync.validate.load_config_set([folder])`: discovery, reading, parsing with
            duplicate-key checks, schema validation, cross-file checks, bodies and digests

and prints both times and the ratio validate/parse. The requirement is a ratio of at most 2.0.
Also times validation of a set where 1% of the files have problems (the slow, lazily located path).

    .venv/bin/python benchmarks/bench_validate.py [--files N] [--rounds R]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ivrsync.validate import load_config_set

DESTINATIONS = ("extension|0504753{:04d}", "department|{}", "ringgroup|1{:04d}", "agent|0502{:07d}")


def ivr_text(ivr_id: int, rng: random.Random, first_id: int, count: int) -> str:
    keys = rng.sample(
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"], rng.randint(2, 8)
    )
    menu = []
    for key in keys:
        if rng.random() < 0.2:
            destination = f"ivr|{first_id + rng.randrange(count)}"
        elif rng.random() < 0.05:
            destination = "hangup|1"
        else:
            destination = rng.choice(DESTINATIONS).format(rng.randrange(10_000))
        menu.append(f'  - option: "{key}"\n    destination: {destination}\n')
    return (
        "# yaml-language-server: $schema=../schemas/ivr.schema.json\n"
        f"id: {ivr_id}\n"
        f"name: Branch {ivr_id} menu\n"
        f"description: Generated IVR number {ivr_id}\n"
        f"recording: recording|{rng.randrange(100_000)}\n"
        f"timeout: {rng.randint(5, 60)}\n"
        f"incorrect_count: {rng.randint(1, 5)}\n"
        f"invalid_recording: recording|{rng.randrange(100_000)}\n"
        f"invalid_destination: extension|0504753{rng.randrange(10_000):04d}\n"
        f"timeout_retry_recording: recording|{rng.randrange(100_000)}\n"
        f"timeout_recording: recording|{rng.randrange(100_000)}\n"
        f"timeout_destination: department|{rng.randrange(100)}\n"
        f"timeout_tries: {rng.randint(1, 5)}\n"
        f"recording_invalid: outbound_tts|{rng.randrange(100_000)}\n"
        "menu:\n" + "".join(menu)
    )


def generate(folder: Path, count: int, *, broken_every: int = 0) -> None:
    rng = random.Random(20261126)
    first_id = 10_000
    for index in range(count):
        ivr_id = first_id + index
        text = ivr_text(ivr_id, rng, first_id, count)
        if broken_every and index % broken_every == 0:
            text = text.replace("timeout: ", "timout: ", 1)
        sub = folder / f"region-{index % 20:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"ivr-{ivr_id}.yaml").write_text(text, encoding="utf-8")


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
        generate(valid, args.files)
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
        generate(broken, args.files, broken_every=100)
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
