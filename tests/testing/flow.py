"""Helpers for the call-flow tests: small IVR sets as configs or files, the shipped example
project in a temporary folder, and the outside parsers that check diagrams (Mermaid, Graphviz).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import body_from_document, digest_body
from ivrsync.config.validate import load_config_set
from ivrsync.model import IvrConfig, StateEntry
from tests.testing.documents import ivr_document, write_ivr
from tests.testing.state import APPLIED_AT, write_state

ROOT = Path(__file__).resolve().parents[2]
MERMAID_DIR = ROOT / "tools" / "mermaid"


def menu(**keys: str) -> list[dict[str, str]]:
    """`menu(k1="ivr|2", star="hangup|1")`: menu entries; `k<digit>`, `star`, `hash` name keys."""
    names = {"star": "*", "hash": "#"}
    return [
        {"option": names.get(key, key.removeprefix("k")), "destination": destination}
        for key, destination in keys.items()
    ]


def ivr(ivr_id: int, entries: list[dict[str, str]] | None = None, **fields: Any) -> dict[str, Any]:
    """An IVR document: `ivr_document` with a menu, timeout and invalid destinations to a person
    unless given (so no telephony rule fires by accident)."""
    document = ivr_document(ivr_id, **fields)
    if entries is not None:
        document["menu"] = entries
    return document


def configs(
    *documents: dict[str, Any], source: str = "ivr-configs/ivr-{id}.yaml"
) -> list[IvrConfig]:
    """The IvrConfigs `load_config_set` would make of these documents."""
    found = []
    for document in documents:
        body = body_from_document(document)
        found.append(
            IvrConfig(
                document["id"],
                document["name"],
                source.format(id=document["id"]),
                body,
                digest_body(body),
            )
        )
    return found


def write_ivrs(folder: Path, *documents: dict[str, Any]) -> Path:
    for document in documents:
        write_ivr(folder, document)
    return folder


def example_project(destination: Path) -> Path:
    """A copy of the shipped examples (configs, caller-path tests, schemas) at `destination`."""
    for name in ("ivr-configs", "ivr-tests", "schemas"):
        shutil.copytree(ROOT / name, destination / name)
    return destination


def record_as_applied(config_dir: Path, state: Path) -> None:
    """Write a state file saying every IVR of `config_dir` was applied as it is now (run from
    the project folder, so sources are relative)."""
    entries = [
        StateEntry(c.id, c.body, c.digest, c.source, APPLIED_AT)
        for c in load_config_set([config_dir]).configs
    ]
    write_state(state, *entries)


def mermaid_command() -> list[str]:
    """The command that parses Mermaid files (tools/mermaid), installed from its lock file if
    missing. Fails when Node.js or npm is missing: tests using it carry `@pytest.mark.node`."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the Mermaid parser needs Node.js and npm (Debian: apt-get install nodejs npm)")
    if not (MERMAID_DIR / "node_modules" / "mermaid" / "package.json").is_file():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=MERMAID_DIR, check=True
        )
    return [node, str(MERMAID_DIR / "mermaid-parse.mjs")]


def graphviz_dot() -> str:
    """Graphviz's `dot`; skips the test where it is missing, except in CI (which installs it)."""
    dot = shutil.which("dot")
    if dot is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz is missing: .ci/run installs it (apt-get install graphviz)")
        pytest.skip("Graphviz is not installed (CI installs it: apt-get install graphviz)")
    return dot
