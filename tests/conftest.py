"""Fixtures shared by every test module: a CLI runner and IVR documents to write."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import settings

from ivrsync.cli import cli

# No per-example deadline for property tests: the machines that run CI are shared and noisy, and
# a slow example is not a failure. (Speed is measured by the scripts under benchmarks/.)
settings.register_profile("ivrsync", deadline=None)
settings.load_profile("ivrsync")

#: A complete, valid IVR document (the YAML file's mapping), as in the README's example.
BASE_DOCUMENT: dict[str, Any] = {
    "id": 349,
    "name": "Support IVR",
    "description": "IVR for the support team",
    "recording": "recording|0231",
    "timeout": 20,
    "incorrect_count": 5,
    "invalid_recording": "recording|349",
    "invalid_destination": "extension|05047530002",
    "timeout_retry_recording": "recording|52156",
    "timeout_recording": "recording|123",
    "timeout_destination": "extension|05047530002",
    "timeout_tries": 3,
    "recording_invalid": "recording|58999",
    "menu": [
        {"option": "1", "destination": "extension|05047530002"},
        {"option": "2", "destination": "extension|845"},
    ],
}


def ivr_document(ivr_id: int = 349, **overrides: Any) -> dict[str, Any]:
    """A valid IVR document with a given id (and a name derived from it), fields overridable."""
    document = copy.deepcopy(BASE_DOCUMENT)
    document["id"] = ivr_id
    document["name"] = f"IVR {ivr_id}"
    document.update(overrides)
    return document


def write_ivr(folder: Path, document: dict[str, Any], name: str | None = None) -> Path:
    """Write a document as a YAML file named after its id (or `name`); return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"ivr-{document['id']}.yaml")
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run `ivrsync ARGS...` in-process, through the same error handler as the real script.

    Environment variables that would leak the developer's own setup are cleared first.
    """
    for name in (
        "IVRSYNC_CONFIG_DIR",
        "IVRSYNC_STATE",
        "SMARTFLO_API_TOKEN",
        "SMARTFLO_EMAIL",
        "SMARTFLO_PASSWORD",
        "SMARTFLO_BASE_URL",
        "NO_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run
