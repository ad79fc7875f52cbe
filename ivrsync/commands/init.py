"""`ivrsync init`: the files a team's IVR repository needs, written once, never clobbered.

Pure of output: `init` returns what it did to each file and the CLI says it. A file that exists
with other content is kept unless `force`; one that already has init's content is unchanged;
`.gitignore` only ever gains the lines it lacks. Running `init` twice therefore changes nothing
the second time, and says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from ivrsync import __version__
from ivrsync.config.schema import schema_text
from ivrsync.errors import UsageError
from ivrsync.files import write_atomically
from ivrsync.github import PROJECT_URL, action_reference, release_tag
from ivrsync.settings import DEFAULT_SETTINGS_TEXT

StateCommit = Literal["push", "pull-request"]
FileAction = Literal["written", "replaced", "updated", "unchanged", "kept"]

CONFIG_DIR = "ivr-configs"
EXAMPLE_FILE = f"{CONFIG_DIR}/example.yaml"
SCHEMA_FILE = "schemas/ivr.schema.json"
WORKFLOWS = ("ivrsync-plan.yml", "ivrsync-apply.yml", "ivrsync-drift.yml")

#: The lines `.gitignore` gains (the state file and its journal are committed: they are the
#: record of what Smartflo accepted).
GITIGNORE_LINES = (
    "# ivrsync: a running apply's lock, saved plans and caches; commit the state and its journal",
    "/.ivrsync/*.lock",
    "/.ivrsync/cache/",
    "/plan.json",
    "*.plan.json",
)

EXAMPLE_IVR = f"""\
# yaml-language-server: $schema=../{SCHEMA_FILE}
# An example written by `ivrsync init`: its id is NOT one of your IVRs. Delete this file before
# your first merge (an apply would send it to IVR 999001), and bring your own IVRs in with
# `ivrsync import`. The format is in {PROJECT_URL}#the-ivr-file-format.
id: 999001
name: Example Main Menu
description: An example menu; replace it with your own IVRs (ivrsync import)
recording: recording|1001
timeout: 10
incorrect_count: 3
invalid_recording: recording|1002
invalid_destination: extension|1000
timeout_retry_recording: recording|1003
timeout_recording: recording|1004
timeout_destination: extension|1000
timeout_tries: 2
recording_invalid: recording|1005
menu:
  - option: "1"
    destination: extension|1001   # Sales
  - option: "2"
    destination: extension|1002   # Support
  - option: "0"
    destination: extension|1000   # Reception
"""

PRE_COMMIT_CONFIG = f"""\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then invalid IVR files are
# never committed. ivrsync-validate checks the changed files of the config folder.
repos:
  - repo: {PROJECT_URL}
    rev: {release_tag(__version__)}
    hooks:
      - id: ivrsync-validate
"""

VSCODE_SETTINGS = (
    json.dumps(
        {
            "yaml.schemas": {
                f"./{SCHEMA_FILE}": [f"{CONFIG_DIR}/**/*.yaml", f"{CONFIG_DIR}/**/*.yml"]
            }
        },
        indent=2,
    )
    + "\n"
)


@dataclass(frozen=True)
class InitRequest:
    """Where to write and what: `github` adds the workflows; `bare` leaves out the example."""

    root: Path
    github: bool = False
    force: bool = False
    bare: bool = False
    #: The branch merges apply from; None: the repository's current branch, else `main`.
    branch: str | None = None
    state_commit: StateCommit = "push"


@dataclass(frozen=True)
class InitFile:
    """What `init` did to one file (`path` relative to the root, with `/`)."""

    path: str
    action: FileAction


@dataclass(frozen=True)
class InitResult:
    files: tuple[InitFile, ...]
    branch: str
    github: bool

    @property
    def changed(self) -> bool:
        return any(file.action in ("written", "replaced", "updated") for file in self.files)

    def with_action(self, *actions: FileAction) -> tuple[InitFile, ...]:
        return tuple(file for file in self.files if file.action in actions)


def init(request: InitRequest) -> InitResult:
    """Write the files of a new IVR repository under `request.root`; see the module docstring.

    Files are written atomically; a new file is created exclusively, so one that appears
    meanwhile is kept. Raises UsageError when the root is no folder or a file cannot be written
    (a symbolic link where a file goes is refused, never written through).
    """
    root = request.root
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder", hint="run `ivrsync init` in your repository")
    branch = request.branch or current_branch(root) or "main"
    files: list[InitFile] = []
    for relative, content in planned_files(request, branch):
        files.append(InitFile(relative, _write(root / relative, content, force=request.force)))
    files.append(InitFile(".gitignore", _extend_gitignore(root / ".gitignore")))
    return InitResult(files=tuple(files), branch=branch, github=request.github)


def planned_files(request: InitRequest, branch: str) -> list[tuple[str, str]]:
    """(relative path, content) of every file `init` owns, in the order it writes them."""
    files = [("ivrsync.toml", DEFAULT_SETTINGS_TEXT), (SCHEMA_FILE, schema_text())]
    # Bare: the folder still exists (and git keeps it), so `validate` and `plan` run at once.
    files.append(
        (EXAMPLE_FILE, EXAMPLE_IVR) if not request.bare else (f"{CONFIG_DIR}/.gitkeep", "")
    )
    files += [
        (".pre-commit-config.yaml", PRE_COMMIT_CONFIG),
        (".vscode/settings.json", VSCODE_SETTINGS),
    ]
    if request.github:
        files += [
            (f".github/workflows/{name}", workflow_text(name, branch, request.state_commit))
            for name in WORKFLOWS
        ]
    return files


def workflow_text(
    name: str, branch: str, state_commit: StateCommit, *, action: str | None = None
) -> str:
    """A workflow of `ivrsync init --github`, calling `action` (default: this version's)."""
    template = resources.files("ivrsync.github").joinpath("templates", name)
    return (
        template.read_text(encoding="utf-8")
        .replace("@ACTION@", action or action_reference(__version__))
        .replace("@BRANCH@", branch)
        .replace("@STATE_COMMIT@", state_commit)
    )


def current_branch(root: Path) -> str | None:
    """The branch `root`'s git HEAD names (also in a fresh repository with no commit), or None."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree or submodule: `gitdir: <path>`
            pointer = git.read_text(encoding="utf-8").strip().removeprefix("gitdir:").strip()
            git = (root / pointer).resolve()
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    prefix = "ref: refs/heads/"
    return head.removeprefix(prefix) if head.startswith(prefix) else None


def _write(path: Path, content: str, *, force: bool) -> FileAction:
    data = content.encode("utf-8")
    existing = _read(path)
    if existing == data:
        return "unchanged"
    if existing is not None and not force:
        return "kept"
    if not _guarded(lambda: write_atomically(path, data, exclusive=existing is None), path):
        return "kept"
    return "written" if existing is None else "replaced"


def _extend_gitignore(path: Path) -> FileAction:
    existing = _read(path)
    text = "" if existing is None else existing.decode("utf-8", errors="replace")
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing:
        return "unchanged"
    if text and not text.endswith("\n"):
        text += "\n"
    text += ("\n" if text else "") + "\n".join(missing) + "\n"
    _guarded(lambda: write_atomically(path, text.encode("utf-8")), path)
    return "written" if existing is None else "updated"


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _guarded(write: Callable[[], None], path: Path) -> bool:
    """Run `write`; False when the file appeared meanwhile (created by someone else: it stays)."""
    try:
        write()
    except FileExistsError:
        return False
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return True
