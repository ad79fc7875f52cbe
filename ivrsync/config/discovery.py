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

    #: The files as the operating system names them (what `open` takes), and as `display_path`
    #: shows them; in the same order.
    names: tuple[str, ...]
    problems: tuple[Problem, ...]
    displays: tuple[str, ...] = ()
    refused: int = 0  # files found but not taken (a name that is not UTF-8)

    @property
    def files(self) -> tuple[Path, ...]:
        """`names` as paths."""
        return tuple(Path(name) for name in self.names)


def discover(paths: Iterable[str | Path]) -> Discovery:
    """Expand files and folders into the YAML files to read.

    Folders are searched recursively for `*.yaml`/`*.yml`, skipping hidden folders (`.git`) and
    not following symlinked folders (a link loop cannot hang the search); files given by name are
    taken whatever their suffix.
    A file whose path is not UTF-8 is left out with a problem naming it escaped (`caf\\xe9.yaml`).
    The result is sorted by display path. Raises `UsageError` when a path does not exist at all.
    """
    found: dict[str, str] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for display, name in _walk(str(raw), problems):
                found.setdefault(display, name)
        elif path.exists() or path.is_symlink():
            found.setdefault(display_path(path), str(raw))
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
        names=tuple(found[name] for name in names),
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


def _walk(folder: str, problems: list[Problem]) -> list[tuple[str, str]]:
    """(display path, path) of every YAML file under `folder`."""

    def report(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else Path(folder)
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

    files: list[tuple[str, str]] = []
    for root, dirs, names in os.walk(folder, onerror=report):
        # Hidden folders (.git, .venv, editor state) hold no IVRs but may hold other YAML.
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        # One display path per folder, not per file: a name from a listing holds no separator
        # and is never `.` or `..`, so the file's display path is the folder's plus the name.
        if not names:
            continue
        at_cwd = os.path.abspath(root) == os.getcwd()
        prefix = "" if at_cwd else display_path(root).rstrip("/") + "/"
        # `os.path.join` by hand, once per folder: this runs for every file of every run.
        base = root if root.endswith(os.sep) else root + os.sep
        files.extend((prefix + name, base + name) for name in names if name.endswith(YAML_SUFFIXES))
    return files
