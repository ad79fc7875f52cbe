"""`python -m ivrsync.fake_smartflo --port N --seed FILE [--faults FILE] [--token T] [--latency S]`.

The same server as `ivrsync fake-smartflo`, without click, so it starts fast and stands alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ivrsync.errors import IvrsyncError
from ivrsync.fake_smartflo.serve import load_faults, load_seed, sample_seed_path, serve


def _announce(line: str) -> None:
    # Flushed at once: a parent process reads this line to learn the port of `--port 0`.
    print(line, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ivrsync.fake_smartflo",
        description="Serve a fake Smartflo account on 127.0.0.1 until Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free)")
    parser.add_argument(
        "--seed",
        type=Path,
        default=sample_seed_path(),
        help='a GET /v1/ivrs response {"ivrs": [...]} (default: the packaged sample)',
    )
    parser.add_argument("--faults", type=Path, help="a fault config JSON file")
    parser.add_argument("--token", help="the API token to accept (default: the seed's)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every API request"
    )
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)
    try:
        return serve(
            seed=load_seed(args.seed),
            port=args.port,
            token=args.token,
            faults=load_faults(args.faults) if args.faults else None,
            latency=args.latency,
            verbose=args.verbose,
            announce=_announce,
        )
    except IvrsyncError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
