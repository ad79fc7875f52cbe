"""Which IVR files to read: files and folders expanded, sorted, without repeats.

A file's name becomes its IVR's `source` in the state, the journal and the plan, all UTF-8 JSON.
A name that is not UTF-8 (Latin-1 bytes from an old archive, say) reaches Python as text with
lone surrogates that no JSON writer can encode, so it is refused here, as a problem, before
anything is read or sent: otherwise an apply would PUT the IVR and then fail to record it.
"""

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
    refused: int = 0  # files found but not taken (a name that is not UTF-8)


def discover(paths: Iterable[str | Path]) -> Discovery:
    """Expand files and folders into the YAML files to read.

    Folders are searched recursively for `*.yaml`/`*.yml`, skipping hidden folders (`.git`) and
    not following symlinked folders (a link loop cannot hang the search); files given by name are
    taken whatever their suffix.
    A file whose path is not UTF-8 is left out with a problem naming it escaped (`caf\\xe9.yaml`).
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
                f"{escaped_name(str(raw))}: no such file or directory",
                hint="pass IVR files or folders that exist, or set --config-dir",
            )
    refused = [name for name in found if not _is_utf8(name)]
    for name in refused:
        del found[name]
        problems.append(
            Problem(
                file=escaped_name(name),
                line=0,
                column=0,
                path="",
                message="the file name is not UTF-8, so ivrsync could not record this IVR's "
                "source in the state; the file was not read",
                hint="rename the file with UTF-8 characters only (e.g. `git mv`), then run again",
            )
        )
    names = sorted(found)
    return Discovery(
        files=tuple(found[name] for name in names),
        problems=tuple(problems),
        displays=tuple(names),
        refused=len(refused),
    )


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escaped_name(name: str) -> str:
    """A file name as text that can always be shown: bytes that are not UTF-8 as `\\xe9`."""
    try:
        raw = os.fsencode(name)  # the file system's bytes, undecodable ones included
    except UnicodeEncodeError:  # a surrogate that no file system gave (typed as an escape)
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def _walk(folder: Path, problems: list[Problem]) -> list[Path]:
    def report(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else folder
        problems.append(
            Problem(
                file=escaped_name(display_path(where)),
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
