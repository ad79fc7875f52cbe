"""Does `ivrsync apply` keep to the account's rate limit without losing time?

Starts the fake Smartflo server in its own process, limited to R requests per second (default 3)
and answering 429 above it, writes N IVR files (default 100) that all differ from the account,
and times one whole `ivrsync apply --auto-approve --rate-limit R` process. Prints the requests
the server received, how many it refused with 429 (the target is 0), the wall time, the ideal
(requests / R) and their ratio (target <= 1.1). Exit status 1 when a target is missed.

    .venv/bin/python benchmarks/bench_ratelimit.py [--changes N] [--rate R]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_apply import prepare  # the same configs (timeout 40) and seed (timeout 20)

TARGET_RATIO = 1.1
TOKEN = "bench-token"
REPOSITORY = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--rate", type=float, default=3.0)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    env.pop("SMARTFLO_RATE_LIMIT", None)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / ".git").mkdir()
        seed = prepare(root, args.changes)
        server = subprocess.Popen(
            [sys.executable, "-m", "ivrsync.fake_smartflo", "--port", "0", "--seed", str(seed),
             "--token", TOKEN, "--rate-limit", str(args.rate)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            # "fake Smartflo listening on http://127.0.0.1:PORT (token: ...)"
            url = server.stdout.readline().split(" listening on ", 1)[1].split()[0]
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "ivrsync", "apply", "--auto-approve",
                 "--rate-limit", str(args.rate)],
                cwd=root, env=env | {"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_BASE_URL": url},
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
            )  # fmt: skip
            elapsed = time.perf_counter() - started
            with urllib.request.urlopen(f"{url}/_fake/requests", timeout=10) as answer:
                recorded = json.load(answer)
        finally:
            server.terminate()
            server.wait(timeout=10)
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
        return 1
    requests = len(recorded["requests"])
    refused = recorded["rate_limited_count"]
    # The first request goes at once; each later one waits 1/R.
    ideal = (requests - 1) / args.rate
    ratio = elapsed / ideal
    print(f"changes: {args.changes}   rate limit: {args.rate:g}/s")
    print(f"requests: {requests}   refused with 429: {refused} (target 0)")
    print(
        f"wall {elapsed:.2f} s   ideal {ideal:.2f} s   ratio {ratio:.3f} (target <= {TARGET_RATIO})"
    )
    return 0 if refused == 0 and ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
