"""A workspace for apply tests: IVR files and the same IVRs on a running fake server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivrsync.body import body_from_document
from ivrsync.fake_smartflo import FakeSmartflo, FaultConfig
from ivrsync.model import Body, State
from ivrsync.smartflo.readshape import live_ivr_from_read_shape, read_shape_from_body
from ivrsync.state import StateStore
from tests.testing.cli import CliResult, RunCli
from tests.testing.documents import ivr_document, write_ivr

#: The token every test uses; no captured output may ever contain it.
TOKEN = "tok-e2e-5f1c9a7d3b-never-print-me"


@dataclass
class Workspace:
    """A config folder, a state file and a fake Smartflo account seeded with the same IVRs."""

    root: Path
    fake: FakeSmartflo
    documents: dict[int, dict[str, Any]]

    @property
    def config_dir(self) -> Path:
        return self.root / "ivr-configs"

    @property
    def state_path(self) -> Path:
        return self.root / ".ivrsync" / "state.json"

    def write(self, ivr_id: int, **overrides: Any) -> dict[str, Any]:
        """Write (or rewrite) the YAML file of one IVR; return its document."""
        document = ivr_document(ivr_id, **overrides)
        self.documents[ivr_id] = document
        write_ivr(self.config_dir, document)
        return document

    def remove(self, ivr_id: int) -> None:
        (self.config_dir / f"ivr-{ivr_id}.yaml").unlink()
        del self.documents[ivr_id]

    def args(self, *extra: str) -> list[str]:
        return [
            "apply",
            "--config-dir",
            str(self.config_dir),
            "--state",
            str(self.state_path),
            "--base-url",
            self.fake.url,
            "--retry-delay",
            "0",
            *extra,
        ]

    def desired(self) -> dict[int, dict[str, Any]]:
        return {i: body_from_document(d) for i, d in sorted(self.documents.items())}

    def on_server(self) -> dict[int, Body]:
        return {
            int(item["id"]): live_ivr_from_read_shape(item).body for item in self.fake.live_ivrs()
        }

    def state(self) -> State:
        return StateStore(self.state_path).load()

    def state_bodies(self) -> dict[int, Body]:
        return {i: dict(e.body) for i, e in self.state().entries.items()}


@contextlib.contextmanager
def open_workspace(
    root: Path, count: int, *, latency: float = 0.0, faults: FaultConfig | None = None
) -> Iterator[Workspace]:
    """IVRs 1..count as YAML files and on a running fake server (the same bodies); no state."""
    documents = {i: ivr_document(i) for i in range(1, count + 1)}
    for document in documents.values():
        write_ivr(root / "ivr-configs", document)
    seed = [read_shape_from_body(i, body_from_document(d)) for i, d in documents.items()]
    with FakeSmartflo(ivrs=seed, token=TOKEN, latency=latency, faults=faults) as fake:
        yield Workspace(root, fake, documents)


def put_ids(fake: FakeSmartflo) -> list[int]:
    """The ids of every PUT the server received, sorted (repeats kept)."""
    return sorted(r.ivr_id for r in fake.puts() if r.ivr_id is not None)


def apply_cli(run_cli: RunCli, workspace: Workspace, *extra: str, **kwargs: Any) -> CliResult:
    """`ivrsync apply` with the workspace's paths and the token; checks the token never shows."""
    env = {"SMARTFLO_API_TOKEN": TOKEN, **kwargs.pop("env", {})}
    result = run_cli(*workspace.args(*extra), env=env, **kwargs)
    assert TOKEN not in result.stdout
    assert TOKEN not in result.stderr
    return result
