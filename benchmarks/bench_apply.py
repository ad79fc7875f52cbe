"""How close does `ivrsync apply` get to the ideal wall time of parallel PUTs?

Writes N IVR files (default 1,000) whose bodies all differ from a fake Smartflo account seeded with
the same ids, starts the fake server in its own process (`python -m ivrsync.fake_smartflo`) with a
fixed latency per request (default 20 ms), and times, against a fresh state file each time:

  engine          `apply_plan` alone in this process (real SmartfloClient, real StateLock
                  journal, real server over loopback): the N PUTs and N durable records
  apply PLANFILE  the whole `python -m ivrsync apply plan.json --parallelism P` process, the
                  reviewed flow CI uses: interpreter start, loading and checking the saved plan,
                  the N PUTs and records, the commit
  apply           `python -m ivrsync apply --auto-approve`: the same, plus validating and
                  planning the N files before the first PUT
  plan --out      `python -m ivrsync plan --out plan.json`: that fixed part alone

and prints each wall time, the ideal (N x latency / P) and the ratios. The requirement (ratio
< 1.3) is checked on the engine, `apply PLANFILE` and `apply`; the exit status is 1 when one
misses it.

    .venv/bin/python benchmarks/bench_apply.py [--changes N] [--latency S] [--parallelism P]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from ivr_corpus import fixed_document

from ivrsync.apply import apply_plan
from ivrsync.body import body_from_document
from ivrsync.config.validate import load_config_dir
from ivrsync.plan.diff import compute_plan
from ivrsync.smartflo.client import open_client
from ivrsync.smartflo.credentials import Credentials
from ivrsync.smartflo.readshape import read_shape_from_body
from ivrsync.smartflo.retry import RetryPolicy
from ivrsync.state import StateStore

TARGET_RATIO = 1.3
TOKEN = "bench-token"
REPOSITORY = Path(__file__).resolve().parent.parent


def prepare(root: Path, changes: int) -> Path:
    """Write the configs (timeout 40) and a seed (timeout 20); return the seed file."""
    configs = root / "ivr-configs"
    configs.mkdir()
    seed = []
    for ivr_id in range(1, changes + 1):
        text = yaml.safe_dump(fixed_document(ivr_id, timeout=40), sort_keys=False)
        (configs / f"ivr-{ivr_id}.yaml").write_text(text, encoding="utf-8")
        seed.append(
            read_shape_from_body(ivr_id, body_from_document(fixed_document(ivr_id, timeout=20)))
        )
    path = root / "seed.json"
    path.write_text(json.dumps({"ivrs": seed}), encoding="utf-8")
    return path


def start_server(seed: Path, latency: float) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ivrsync.fake_smartflo",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--token",
            TOKEN,
            "--latency",
            str(latency),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    assert server.stdout is not None
    match = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline())
    if match is None:
        server.terminate()
        raise SystemExit("the fake server did not announce its address")
    return server, match.group(0)


def run_ivrsync(root: Path, *args: str) -> float:
    """Wall time of `python -m ivrsync ARGS...` in a subprocess, with the benchmark's token."""
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY), "SMARTFLO_API_TOKEN": TOKEN}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "ivrsync", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=root,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"ivrsync {args[0]} failed ({result.returncode}):\n{result.stderr[-3000:]}"
        )
    return elapsed


def time_commands(root: Path, url: str, parallelism: int) -> dict[str, float]:
    """Wall times of the CLI, each against a fresh state file.

    `apply PLANFILE` is the reviewed flow (plan --out in one step, apply of that file in another,
    as CI does); `apply` alone also validates and plans the 1,000 files before the first PUT.
    """
    configs = ["--config-dir", str(root / "ivr-configs")]
    # No client pacing: the fake has no rate limit, and Smartflo's (2/s by default) would measure
    # only the pacing. The canary and the read-back stay on, as users run apply.
    send = ["--base-url", url, "--parallelism", str(parallelism), "--rate-limit", "0"]
    plan_file = str(root / "plan.json")
    return {
        "plan": run_ivrsync(root, "plan", *configs, "--state", "saved.json", "--out", plan_file),
        "apply PLANFILE": run_ivrsync(root, "apply", plan_file, "--state", "saved.json", *send),
        "apply": run_ivrsync(
            root, "apply", *configs, "--state", "direct.json", "--auto-approve", *send
        ),
    }


def time_engine(root: Path, url: str, parallelism: int, changes: int) -> float:
    configs = load_config_dir(root / "ivr-configs")
    store = StateStore(root / "engine-state.json")
    with (
        store.lock(command="bench_apply") as lock,
        open_client(
            base_url=url,
            credentials=Credentials(token=TOKEN),
            retry=RetryPolicy(attempts=1),
            max_connections=parallelism,
            rate_limit=None,
        ) as client,
    ):
        plan = compute_plan(configs.configs, lock.state())
        started = time.perf_counter()
        report = apply_plan(plan, writer=client, lock=lock, parallelism=parallelism)
        elapsed = time.perf_counter() - started
    if len(report.applied) != changes:
        raise SystemExit(f"only {len(report.applied)} of {changes} applied: {report.failed[:3]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()

    ideal = args.changes * args.latency / args.parallelism
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        seed = prepare(root, args.changes)
        server, url = start_server(seed, args.latency)
        try:
            engine = time_engine(root, url, args.parallelism, args.changes)
            cli = time_commands(root, url, args.parallelism)
        finally:
            server.terminate()
            server.wait()

    print(
        f"{args.changes} changes, {args.latency * 1000:.0f} ms latency, "
        f"parallelism {args.parallelism}, {os.cpu_count()} CPUs"
    )
    print(
        f"ideal           {ideal:7.3f} s  ({args.changes} x {args.latency} s / {args.parallelism})"
    )
    # Checked against the target: the engine alone and both whole `ivrsync apply` processes
    # (interpreter start included). `plan --out` is the fixed cost that `apply` without a plan
    # file pays before its first PUT, printed for reference.
    rows = (
        ("engine", engine, True),
        ("apply PLANFILE", cli["apply PLANFILE"], True),
        ("apply", cli["apply"], True),
        ("plan --out", cli["plan"], False),
    )
    ok = True
    for name, elapsed, checked in rows:
        ratio = elapsed / ideal
        verdict = ""
        if checked:
            passed = ratio < TARGET_RATIO
            ok = ok and passed
            verdict = f"  target < {TARGET_RATIO}: {'ok' if passed else 'MISSED'}"
        print(f"{name:15} {elapsed:7.3f} s  ratio {ratio:5.3f}{verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
