"""A config set with every kind of problem, for the cache's tests: warm runs must say exactly
what runs without the cache say (tests/test_cache_cli.py, tests/test_statindex.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.testing.cli import CliResult
from tests.testing.documents import ivr_document

CACHE = Path(".ivrsync/cache")
CONFIGS = Path("ivr-configs")


def write(name: str, document: object) -> Path:
    path = CONFIGS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def menu_to(*destinations: str) -> list[dict[str, str]]:
    return [{"option": str(key), "destination": d} for key, d in enumerate(destinations, 1)]


def problem_set(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`folder`, made the working folder (with no cache folder set in the environment), holding
    a config set with every kind of problem, cross-file ones among them: the `configs` fixture
    of the cache's tests."""
    monkeypatch.chdir(folder)
    monkeypatch.delenv("IVRSYNC_CACHE_DIR", raising=False)
    write("main.yaml", ivr_document(1, menu=menu_to("ivr|2", "ivr|3", "ivr|77")))
    write("sales.yaml", ivr_document(2, timeout=90))  # a telephony warning, once valid
    write("support.yaml", ivr_document(3))
    write("copy.yaml", ivr_document(1, name="Main copy"))  # the same id as main.yaml
    write("typo.yaml", {**ivr_document(4), "timout": 5})  # a schema error
    write("octal.yaml", _octal())  # an octal-looking number
    write("teams/same-name.yaml", ivr_document(6, name="IVR 3"))  # support.yaml's name
    return folder


def _octal() -> str:
    text = yaml.safe_dump(ivr_document(5), sort_keys=False)
    return text.replace("timeout: 20", "timeout: 030")


def packs() -> list[Path]:
    found = CACHE.glob("pack-*.jsonl") if CACHE.is_dir() else ()
    return sorted(path for path in found if path.is_file())


def pack_bytes() -> bytes:
    return b"".join(path.read_bytes() for path in packs())


def same(first: CliResult, second: CliResult) -> None:
    assert (second.exit_code, second.stdout, second.stderr) == (
        first.exit_code,
        first.stdout,
        first.stderr,
    )


COMMANDS = [
    ("validate",),
    ("validate", "--format", "json"),
    ("validate", "--strict", "--format", "github"),
    ("validate", "ivr-configs/main.yaml", "ivr-configs/copy.yaml"),
    ("plan",),
    ("graph",),
]
