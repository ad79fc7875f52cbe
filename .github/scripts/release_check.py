#!/usr/bin/env python3
"""Check built distributions before they are published, and print a release's notes.

    release_check.py dist DIST_DIR [--tag vX.Y.Z]   # exit 1 naming every problem
    release_check.py notes vX.Y.Z                   # the tag's CHANGELOG.md section, to stdout

`dist` checks what `python -m build` wrote: exactly one sdist and one wheel of the same version;
the sdist holds the package, its data and the documents beside it and none of the test suite
(the tests need the whole repository); the wheel holds the package data (schema, workflow
templates, py.typed) and the licence, and its metadata says `License-Expression: MIT`. With
`--tag`, the tag must be `v` + that version and CHANGELOG.md must have a section for it.

Standard library only; run from the repository root (.ci/package and the release workflow do).
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
import zipfile
from collections.abc import Sequence
from email.parser import HeaderParser
from pathlib import Path

CHANGELOG = Path("CHANGELOG.md")
SDIST_REQUIRED = (
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "pyproject.toml",
    "PKG-INFO",
    "ivrsync/__init__.py",
    "ivrsync/schemas/ivr.schema.json",
    "ivrsync/github/templates/ivrsync-plan.yml",
)
WHEEL_REQUIRED = (
    "ivrsync/py.typed",
    "ivrsync/schemas/ivr.schema.json",
    "ivrsync/fake_smartflo/sample-seed.json",
    "ivrsync/github/templates/ivrsync-apply.yml",
    "ivrsync/github/templates/ivrsync-drift.yml",
    "ivrsync/github/templates/ivrsync-plan.yml",
)


def changelog_section(text: str, version: str) -> str | None:
    """The body of `## [VERSION] - DATE` in a Keep a Changelog file, or None when absent."""
    heading = re.compile(rf"^## \[{re.escape(version)}\](?: - \d{{4}}-\d{{2}}-\d{{2}})?\s*$", re.M)
    match = heading.search(text)
    if match is None:
        return None
    rest = text[match.end() :]
    following = re.search(r"^## \[|^\[[^\]]+\]: ", rest, re.M)
    return rest[: following.start() if following else len(rest)].strip() + "\n"


def check_dist(folder: Path, tag: str | None) -> list[str]:
    """Every problem of the distributions in `folder` (empty: all is well)."""
    sdists = sorted(folder.glob("*.tar.gz"))
    wheels = sorted(folder.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        return [f"expected one sdist and one wheel in {folder}, found {sdists + wheels}"]
    problems: list[str] = []
    with tarfile.open(sdists[0]) as sdist:
        names = [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]
    problems += [f"sdist lacks {name}" for name in SDIST_REQUIRED if name not in names]
    problems += [f"sdist ships test file {name}" for name in names if name.startswith("tests/")]
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = wheel.namelist()
        metadata_name = next((n for n in members if n.endswith(".dist-info/METADATA")), None)
        metadata = HeaderParser().parsestr(
            wheel.read(metadata_name).decode("utf-8") if metadata_name else ""
        )
    problems += [f"wheel lacks {name}" for name in WHEEL_REQUIRED if name not in members]
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in members):
        problems.append("wheel lacks the licence file (dist-info/licenses/LICENSE)")
    if metadata.get("License-Expression") != "MIT":
        problems.append(f"License-Expression is {metadata.get('License-Expression')!r}, not 'MIT'")
    version = metadata.get("Version", "")
    if not sdists[0].name.startswith(f"ivrsync-{version}.tar.gz"):
        problems.append(f"sdist {sdists[0].name} is not version {version}")
    if tag is not None:
        if tag != f"v{version}":
            problems.append(f"tag {tag} does not name the package version {version} (v{version})")
        if changelog_section(CHANGELOG.read_text(encoding="utf-8"), version) is None:
            problems.append(f"{CHANGELOG} has no section '## [{version}] - YYYY-MM-DD'")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dist = commands.add_parser("dist", help="check built distributions")
    dist.add_argument("folder", type=Path)
    dist.add_argument("--tag", help="the release tag, e.g. v0.1.0")
    notes = commands.add_parser("notes", help="print a release's changelog section")
    notes.add_argument("tag")
    args = parser.parse_args(argv)
    if args.command == "notes":
        section = changelog_section(CHANGELOG.read_text(encoding="utf-8"), args.tag.lstrip("v"))
        if section is None:
            print(f"error: {CHANGELOG} has no section for {args.tag}", file=sys.stderr)
            return 1
        sys.stdout.write(section)
        return 0
    problems = check_dist(args.folder, args.tag)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(f"release_check: the distributions in {args.folder} are complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
