"""Which IVR files to read: files and folders expanded, sorted, without repeats."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ivrsync.errors import UsageError
from ivrsync.files import display_path
from ivrsync.model import Problem

#: File name endings searched for in folders. Files named explicitly are read whatever their name.
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Discovery:
    """The files to read, sorted and without repeats, and folders that could not be searched."""

    files: tuple[Path, ...]
    problems: tuple[Problem, ...]
    displays: tuple[str, ...] = ()  # display_path() of each of `files`


def discover(paths: Iterable[str | Path]) -> Discovery:
    """Expand files and folders into the YAML files to read.

    Folders are searched recursively for `*.yaml`/`*.yml`, skipping hidden folders (`.git`) and
    not following symlinked folders (a link loop cannot hang the search); files given by name are
    taken whatever their suffix.
    The result is sorted by display path. Raises `UsageError` when a path does not exist at all.
    """
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path, problems):
                found.setdefault(display_path(file), file)
        elif path.exists() or path.is_symlink():
            found.setdefault(display_path(path), path)
        else:
            raise UsageError(
                f"{raw}: no such file or directory",
                hint="pass IVR files or folders that exist, or set --config-dir",
            )
    names = sorted(found)
    return Discovery(
        files=tuple(found[name] for name in names),
        problems=tuple(problems),
        displays=tuple(names),
    )


def _walk(folder: Path, problems: list[Problem]) -> list[Path]:
    def report(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else folder
        problems.append(
            Problem(
                file=display_path(where),
                line=0,
                column=0,
                path="",
                message=f"cannot search this folder: {exc.strerror or exc}",
                hint="check the folder's permissions",
            )
        )

    files: list[Path] = []
    for root, dirs, names in os.walk(folder, onerror=report):
        # Hidden folders (.git, .venv, editor state) hold no IVRs but may hold other YAML.
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        files.extend(Path(root, name) for name in names if name.endswith(YAML_SUFFIXES))
    return files
