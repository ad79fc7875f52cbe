"""What a CLI run in a test returns (the `run_cli` fixture in conftest.py makes them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


RunCli = Callable[..., CliResult]
