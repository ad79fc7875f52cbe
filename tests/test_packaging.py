"""Release-ready packaging: one version, a licence, true floors, one home named everywhere.

Building and checking the distributions themselves (build, twine check --strict,
check-wheel-contents, their contents) is .ci/package; the floors are proven by .ci/lowest.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from ivrsync import __version__
from ivrsync.config.schema import load_schema
from ivrsync.github import PROJECT_REPOSITORY, PROJECT_URL, action_reference, schema_url
from tests.testing.cli import RunCli

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def _release_check() -> ModuleType:
    path = ROOT / ".github" / "scripts" / "release_check.py"
    spec = importlib.util.spec_from_file_location("release_check", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_package_the_metadata_and_the_command_tell_one_version(run_cli: RunCli) -> None:
    result = run_cli("--version")

    assert PROJECT["dynamic"] == ["version"]
    assert "version" not in PROJECT, "the one source is ivrsync.__version__"
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ivrsync.__version__"}
    assert importlib.metadata.version("ivrsync") == __version__, "reinstall: pip install -e ."
    assert result.stdout == f"ivrsync, version {__version__}\n"


def test_the_schema_id_is_the_released_schema_of_this_version() -> None:
    packaged = load_schema()
    repository_copy = json.loads((ROOT / "schemas" / "ivr.schema.json").read_text())

    assert packaged["$id"] == schema_url(__version__)
    assert packaged["$id"] == (
        f"https://raw.githubusercontent.com/{PROJECT_REPOSITORY}/v{__version__}"
        "/schemas/ivr.schema.json"
    )
    assert repository_copy == packaged


def test_the_licence_is_mit_and_ships() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")

    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert licence.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in licence


def test_build_requirements_can_build_the_licence_field() -> None:
    # setuptools 77 is the first that reads a PEP 639 licence expression (77.0.0 never shipped).
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77.0.1"]


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("pyyaml", "6.0.4"),
        ("jsonschema", "4.18"),
        ("httpx", "0.27"),
        ("httpcore", "1.0"),
        ("click", "8.4"),
    ],
)
def test_each_dependency_declares_its_true_floor(name: str, floor: str) -> None:
    """The floors .ci/lowest found: below each, the suite fails (see pyproject.toml's notes)."""
    assert f"{name}>={floor}" in PROJECT["dependencies"]


def test_classifiers_match_the_supported_pythons_and_the_licence() -> None:
    classifiers = PROJECT["classifiers"]
    pythons = sorted(c.rsplit(" ", 1)[1] for c in classifiers if re.search(r":: 3\.\d+$", c))

    assert PROJECT["requires-python"] == ">=3.11"
    assert pythons == ["3.11", "3.12", "3.13"]
    assert "Typing :: Typed" in classifiers
    assert not any(c.startswith("License ::") for c in classifiers), "PEP 639: the expression"
    assert PROJECT["authors"]


def test_every_mention_of_the_projects_home_names_the_same_repository() -> None:
    urls = PROJECT["urls"]
    texts = {
        name: (ROOT / name).read_text(encoding="utf-8")
        for name in ("README.md", "CHANGELOG.md", "action.yml")
    }
    mentioned = {
        name: set(
            re.findall(r"github(?:usercontent)?\.com/([\w.-]+/[\w.-]+?)(?:[/@#\s)\"'`]|$)", text)
        )
        for name, text in texts.items()
    }

    assert all(url.startswith(PROJECT_URL) for url in urls.values())
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(urls)
    for name, repositories in mentioned.items():
        assert repositories - {"actions/checkout", "actions/setup-python"} <= {
            PROJECT_REPOSITORY
        }, name
    assert f"uses: {action_reference(__version__)}" in texts["action.yml"]
    assert f"{PROJECT_URL}@v{__version__}" in texts["README.md"]


def test_the_changelog_keeps_a_changelog_and_covers_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    release_check = _release_check()

    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text
    # Before the first tag, this version's changes are under Unreleased; after, dated.
    dated = release_check.changelog_section(text, __version__)
    assert dated is not None or "## [Unreleased]" in text
    assert re.search(r"^### Added$", text, re.M)


def test_the_release_check_finds_a_dated_section_and_only_it() -> None:
    release_check = _release_check()
    text = (
        "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2027-01-05\n\n### Fixed\n\n- a\n\n"
        "## [0.1.0] - 2026-12-20\n\n- b\n\n[0.2.0]: https://x/0.2.0\n"
    )

    assert release_check.changelog_section(text, "0.2.0") == "### Fixed\n\n- a\n"
    assert release_check.changelog_section(text, "0.1.0") == "- b\n"
    assert release_check.changelog_section(text, "0.3.0") is None


def test_the_sdist_ships_no_half_test_suite() -> None:
    """setuptools adds tests/test*.py to an sdist by itself, without conftest.py, tests/testing/
    or tests/data/: a suite that cannot run. MANIFEST.in takes all of it out."""
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()

    assert "prune tests" in manifest
    assert "include CHANGELOG.md" in manifest


def test_ci_builds_and_checks_the_distributions() -> None:
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    package = (ROOT / ".ci" / "package").read_text(encoding="utf-8")

    assert "bash .ci/package" in ci_run
    for check in ("python -m build", "twine check --strict", "check-wheel-contents"):
        assert check in package
    assert "release_check.py dist" in package
    assert "--resolution lowest-direct" in (ROOT / ".ci" / "lowest").read_text(encoding="utf-8")
