"""How fast the state store records, loads and commits; prints figures and ratios, asserts nothing.

    .venv/bin/python benchmarks/bench_state.py [--records 1000] [--threads 8] [--ivrs 10000]
                                               [--dir FOLDER]

1. Durable records from N threads through `StateLock.record_applied` (group commit: one
   fdatasync covers every record written while the previous one ran), against a baseline that
   appends and fdatasyncs each record under one lock (what a naive journal does), and against one
   thread. The ratio baseline/group-commit is the speed-up from sharing fdatasyncs.
2. Recording stays O(1) in the state's size: records/s into an empty state vs a state of
   `--ivrs` entries.
3. `load()` and `commit()` of a state of `--ivrs` entries (what plan and the end of apply pay).

Run it on the disk the state lives on (`--dir`): on tmpfs fdatasync costs nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ivr_corpus import fixed_document

from ivrsync.body import body_from_document, digest_body
from ivrsync.model import State, StateEntry
from ivrsync.state import StateLock, StateStore, render_state_document

MENU = [
    {"option": "1", "destination": "extension|05047530002"},
    {"option": "2", "destination": "extension|845"},
    {"option": "3", "destination": "ringgroup|17839"},
]


def make_entry(ivr_id: int) -> StateEntry:
    body = body_from_document(fixed_document(ivr_id, menu=MENU))
    return StateEntry(
        ivr_id, body, digest_body(body), f"ivr-configs/{ivr_id}.yaml", "2026-11-26T23:30:00Z"
    )


def run_threads(threads: int, records: int, record: Callable[[StateEntry], None]) -> float:
    """Record `records` entries split over `threads` threads; return the wall time."""
    entries = [make_entry(n + 1) for n in range(records)]
    chunks = [entries[i::threads] for i in range(threads)]

    def work(chunk: list[StateEntry]) -> None:
        for entry in chunk:
            record(entry)

    workers = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


def bench_group_commit(folder: Path, threads: int, records: int) -> float:
    store = StateStore(folder / "group" / "state.json")
    with store.lock(command="bench") as lock:
        elapsed = run_threads(threads, records, lock.record_applied)
    assert len(store.load().entries) == records  # a benchmark that lost data lies
    return elapsed


def bench_naive(folder: Path, threads: int, records: int) -> float:
    """Each record appended and fdatasynced under one lock: fsyncs serialise."""
    folder.mkdir(parents=True)
    path = folder / "naive.journal"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    mutex = threading.Lock()

    def record(entry: StateEntry) -> None:
        line = json.dumps({"op": "applied", "entry": {"id": entry.id, "body": dict(entry.body)}})
        with mutex:
            os.write(fd, (line + "\n").encode())
            os.fdatasync(fd)

    try:
        return run_threads(threads, records, record)
    finally:
        os.close(fd)


def seed_state(path: Path, ivrs: int) -> None:
    entries = {n: make_entry(n) for n in range(1, ivrs + 1)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        render_state_document(State("0b7f3c1e-8f43-4c4e-9a57-3f0c2f9d5a11", 1, entries))
    )


def bench_large(folder: Path, threads: int, records: int, ivrs: int) -> dict[str, float]:
    store = StateStore(folder / "large" / "state.json")
    seed_state(store.path, ivrs)
    start = time.perf_counter()
    state = store.load()
    load = time.perf_counter() - start
    assert len(state.entries) == ivrs
    lock: StateLock
    with store.lock(command="bench") as lock:
        record = run_threads(threads, records, lock.record_applied)
        start = time.perf_counter()
        lock.commit()
        commit = time.perf_counter() - start
    return {"load": load, "record": record, "commit": commit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--ivrs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds; medians are printed")
    parser.add_argument("--dir", type=Path, default=Path.cwd(), help="where to write (a real disk)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-state-", dir=args.dir))
    try:
        n, t = args.records, args.threads
        # Interleaved repetitions, median of each: disk sync times are noisy, especially on VMs.
        groups, singles, naives = [], [], []
        for round_ in range(args.repeat):
            groups.append(bench_group_commit(folder / f"g{round_}", t, n))
            singles.append(bench_group_commit(folder / f"s{round_}", 1, n))
            naives.append(bench_naive(folder / f"n{round_}", t, n))
        group, single, naive = (statistics.median(x) for x in (groups, singles, naives))
        large = bench_large(folder, t, n, args.ivrs)
    finally:
        shutil.rmtree(folder)

    print(f"durable records: {n} from {t} threads, on {args.dir}, median of {args.repeat} rounds")
    print(f"  group commit ({t} threads):   {group:7.3f} s  {n / group:9.0f} records/s")
    print(f"  group commit (1 thread):    {single:7.3f} s  {n / single:9.0f} records/s")
    print(f"  naive fsync per record ({t}): {naive:7.3f} s  {n / naive:9.0f} records/s")
    print(f"  speed-up of group commit over naive: {naive / group:.1f}x")
    print(f"state of {args.ivrs} IVRs:")
    print(f"  load():   {large['load']:7.3f} s")
    print(f"  {n} records into it: {large['record']:7.3f} s  {n / large['record']:9.0f} records/s")
    print(f"  ratio to an empty state: {large['record'] / group:.2f} (1.0 = independent of size)")
    print(f"  commit(): {large['commit']:7.3f} s  (one atomic rewrite per run, not per record)")


if __name__ == "__main__":
    main()
