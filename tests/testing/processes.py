"""`python -m ivrsync apply` as a real process (SIGKILL, SIGINT, a terminal), and waiting for
the fake server to answer what a killed process left in flight."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from ivrsync.fake_smartflo import FakeSmartflo
from tests.testing.workspace import TOKEN, Workspace

REPOSITORY = Path(__file__).resolve().parent.parent.parent


#: `python -m ivrsync ARGS` with Ctrl-C as a person at a terminal has it. A shell starts
#: background jobs with SIGINT ignored, and Python then never raises KeyboardInterrupt; when the
#: test suite itself runs in such a job, a plain `-m ivrsync` would not see the test's SIGINT.
LAUNCHER = (
    "import runpy, signal, sys; "
    "signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'ivrsync'; "
    "runpy.run_module('ivrsync', run_name='__main__', alter_sys=True)"
)


class Spawned:
    """A `python -m ivrsync apply` process whose output goes to files (a pipe nobody reads
    while waiting could fill up and block the process)."""

    def __init__(self, workspace: Workspace, args: list[str], stdin: int | None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTFLO_", "IVRSYNC_"))}
        env.update(SMARTFLO_API_TOKEN=TOKEN, PYTHONPATH=str(REPOSITORY))
        self.out = workspace.root / f"out-{id(self)}.txt"
        self.err = workspace.root / f"err-{id(self)}.txt"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, *args],
                stdin=stdin,
                stdout=out,
                stderr=err,
                env=env,
                cwd=workspace.root,
            )
        self.pid = self.process.pid

    def poll(self) -> int | None:
        return self.process.poll()

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)


def spawn_apply(
    workspace: Workspace, *extra: str, stdin: int | None = subprocess.DEVNULL
) -> Spawned:
    """`python -m ivrsync apply ...` as a separate process, with the test token."""
    return Spawned(workspace, workspace.args(*extra), stdin)


def finish(process: Spawned, timeout: float = 60) -> tuple[int, str, str]:
    """Wait for the process; return (exit code, stdout, stderr), checking the token never shows."""
    code = process.process.wait(timeout=timeout)
    stdout = process.out.read_text(encoding="utf-8")
    stderr = process.err.read_text(encoding="utf-8")
    assert TOKEN not in stdout
    assert TOKEN not in stderr
    return code, stdout, stderr


def settle(fake: FakeSmartflo) -> None:
    """Wait until the server has answered every request it got (no new record for 0.2 s)."""
    seen, quiet = -1, 0
    while quiet < 4:
        count = len(fake.requests)
        quiet = quiet + 1 if count == seen else 0
        seen = count
        time.sleep(0.05)
