"""Bring live IVRs under management: one YAML file each, recorded in the state as last applied.

Two steps, so the command can refuse before touching anything:

1. `plan_import` decides, without writing, which file each IVR goes to. An IVR that a file in
   the config folder already defines (by `id`, valid or not) goes back to that file; any other
   gets a file named after it (`safe_file_stem`), with `-<id>` added when the name is taken by
   another IVR of this import or by an existing file. The YAML text is rendered here too.
   A file that exists (replaced only with `force`) is edited in place: only the values that
   differ change, so its comments and layout stay (`config.edits.with_values`); when its shape
   does not allow that, it is rewritten whole, with a warning that its comments are gone.
2. `write_import` writes the files and records each IVR in the state (`StateLock`) with the live
   body as the body last applied, so a `plan` right after reports nothing to do. It refuses, before
   writing anything, when a file exists and `force` is not given.

Since a live IVR's body round-trips through `document_from_body` and `body_from_document`
unchanged, the body recorded is exactly the one `ivrsync plan` computes from the written file.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ivrsync.body import body_from_document, digest_body, document_from_body
from ivrsync.config.discovery import discover
from ivrsync.config.edits import EditError, with_values
from ivrsync.config.ivr_yaml import render_ivr_yaml
from ivrsync.config.loader import MAX_CONFIG_BYTES, load_file
from ivrsync.errors import UsageError
from ivrsync.files import display_path, read_regular_file, utc_timestamp, write_atomically
from ivrsync.model import LiveIvr, StateEntry
from ivrsync.state import StateLock

#: Where the schema lives, relative to the project root (the working directory), as the example
#: configs reference it.
DEFAULT_SCHEMA_FILE = Path("schemas") / "ivr.schema.json"

#: Suffix of the files import writes.
SUFFIX = ".yaml"

#: Longest file stem taken from a name (before any `-<id>`), to stay far below file-system limits.
MAX_STEM = 60

#: Stems some file systems (Windows) refuse or treat as devices, whatever the suffix.
_RESERVED_STEMS = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{n}" for n in range(1, 10)}
    | {f"lpt{n}" for n in range(1, 10)}
)

_UNSAFE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ImportFile:
    """One IVR to import: where it goes and the exact text to write.

    `exists` is true when a file is at `path` already (writing replaces it: needs `force`).
    """

    ivr: LiveIvr
    path: Path
    text: str
    exists: bool

    @property
    def display(self) -> str:
        """The path as shown to users and recorded as the IVR's source."""
        return display_path(self.path)


@dataclass(frozen=True)
class ImportPlan:
    """What `write_import` will do: files sorted by IVR id, and the live IVRs' warnings."""

    files: tuple[ImportFile, ...]
    warnings: tuple[str, ...]

    @property
    def overwrites(self) -> tuple[ImportFile, ...]:
        return tuple(file for file in self.files if file.exists)


def safe_file_stem(name: str) -> str:
    """A file stem made from an IVR's name: lowercase ASCII letters and digits, `-` between.

    Accents are dropped (`Café` -> `cafe`); other characters, slashes and dots included, become
    separators, so the stem can never name another folder or a hidden file. Returns "" when
    nothing usable is left (the caller falls back to the id). At most `MAX_STEM` characters.
    """
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem = _UNSAFE.sub("-", ascii_text.lower()).strip("-")
    stem = stem[:MAX_STEM].rstrip("-")
    return "" if stem in _RESERVED_STEMS else stem


def select_ivrs(live: Mapping[int, LiveIvr], ids: Collection[int] | None) -> list[LiveIvr]:
    """The live IVRs to import, by id: all of them, or those of `ids` that the server lists.

    Callers refuse ids the server does not list first (`commands.import_` names them).
    """
    if ids is None:
        return [live[ivr_id] for ivr_id in sorted(live)]
    return [live[ivr_id] for ivr_id in sorted(set(ids) & live.keys())]


def existing_ivr_files(config_dir: Path) -> dict[int, Path]:
    """Id -> file, for every YAML file in `config_dir` whose document has an integer `id`.

    Files are read as the loader reads them, valid or not: an IVR already defined somewhere must
    go back to that file rather than get a second one. On a repeated id the first file (by path)
    wins. A missing folder has no files.
    """
    if not config_dir.is_dir():
        return {}
    found: dict[int, Path] = {}
    for path in discover([config_dir]).files:
        document = load_file(path).document
        if isinstance(document, dict):
            ivr_id = document.get("id")
            if isinstance(ivr_id, int) and not isinstance(ivr_id, bool):
                found.setdefault(ivr_id, path)
    return found


def plan_import(
    ivrs: Collection[LiveIvr],
    config_dir: Path,
    *,
    schema_file: Path = DEFAULT_SCHEMA_FILE,
) -> ImportPlan:
    """Choose a file for each IVR and render its YAML. Reads the config folder; writes nothing.

    An IVR a file already defines keeps that file. Others get `<stem>.yaml`; when the stem is
    empty, or shared with another IVR of this import, or `<stem>.yaml` exists and defines
    something else, `<stem>-<id>.yaml` (or `ivr-<id>.yaml`), with `-2`, `-3`... added while
    that name is taken too. So no two IVRs share a file, and only a file that already defines
    the IVR is ever replaced (with `force`). The schema line holds the path of
    `schema_file` relative to each file's folder.
    """
    defined = existing_ivr_files(config_dir)
    ordered = sorted(ivrs, key=lambda ivr: ivr.id)
    stems = {ivr.id: safe_file_stem(ivr.name) for ivr in ordered if ivr.id not in defined}
    stem_users: dict[str, int] = {}
    for stem in stems.values():
        stem_users[stem] = stem_users.get(stem, 0) + 1
    taken = {_key(path) for path in defined.values()}

    files: list[ImportFile] = []
    warnings: list[str] = []
    for ivr in ordered:
        path = defined.get(ivr.id)
        if path is None:
            stem = stems[ivr.id]
            path = config_dir / f"{stem}{SUFFIX}"
            if not stem or stem_users[stem] > 1 or _key(path) in taken or path.exists():
                path = config_dir / f"{stem or 'ivr'}-{ivr.id}{SUFFIX}"
                # `<stem>-<id>` may be taken too: by another IVR named so ("Foo 12" beside two
                # "Foo"s) or by an existing file. Count on, so no two IVRs ever share a file.
                count = 1
                while _key(path) in taken or path.exists():
                    count += 1
                    path = config_dir / f"{stem or 'ivr'}-{ivr.id}-{count}{SUFFIX}"
        taken.add(_key(path))
        document = document_from_body(ivr.id, ivr.body)
        text = render_ivr_yaml(document, schema_path=_relative(schema_file, path.parent))
        exists = path.exists()
        if exists:
            text, lost = _edited_in_place(path, document, text)
            if lost:
                warnings.append(lost)
        files.append(ImportFile(ivr=ivr, path=path, text=text, exists=exists))
        warnings.extend(ivr.warnings)
    return ImportPlan(files=tuple(files), warnings=tuple(warnings))


def _edited_in_place(path: Path, document: dict[str, Any], whole: str) -> tuple[str, str]:
    """The text that replaces an existing file: its own text with the changed values edited in
    place (comments kept), else `whole`, with a warning when that loses comments."""
    try:
        existing = read_regular_file(path, limit=MAX_CONFIG_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return whole, ""  # the write says what is wrong with the file
    try:
        return with_values(existing, document), ""
    except EditError as exc:
        if "#" not in existing:
            return whole, ""
        return whole, (
            f"{display_path(path)}: rewritten whole, so its comments are not kept ({exc}); "
            "`git diff` shows them, to copy back"
        )


def refuse_overwrites(plan: ImportPlan, *, force: bool) -> None:
    """Raise UsageError listing every file the import would replace, unless `force`."""
    overwrites = plan.overwrites
    if overwrites and not force:
        listed = ", ".join(file.display for file in overwrites)
        raise UsageError(
            f"import would overwrite {len(overwrites)} existing file(s): {listed}",
            hint="commit or move them first, import other IVRs with --id, or pass --force",
        )


def write_import(
    plan: ImportPlan,
    *,
    lock: StateLock,
    force: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_written: Callable[[ImportFile], None] = lambda _file: None,
) -> list[StateEntry]:
    """Write every file of `plan` and record each IVR as applied; return the entries recorded.

    Refuses (UsageError, nothing written) when a file exists and not `force`. A file is written
    before its IVR is recorded, so a failure part way leaves no state entry without its file;
    new files are created exclusively, so a file that appeared since `plan_import` is never
    replaced without `force`. Raises UsageError when a file cannot be written.
    """
    refuse_overwrites(plan, force=force)
    entries: list[StateEntry] = []
    for file in plan.files:
        _write(file, force=force)
        # The body plan will compute from the file; equal to the live body (see module doc).
        body = body_from_document(document_from_body(file.ivr.id, file.ivr.body))
        entry = StateEntry(
            id=file.ivr.id,
            body=body,
            digest=digest_body(body),
            source=file.display,
            applied_at=utc_timestamp(clock()),
        )
        lock.record_applied(entry)
        entries.append(entry)
        on_written(file)
    return entries


def _write(file: ImportFile, *, force: bool) -> None:
    try:
        write_atomically(file.path, file.text.encode("utf-8"), exclusive=not force)
    except FileExistsError as exc:
        raise UsageError(
            f"{file.display}: the file appeared while importing; not overwritten",
            hint="rerun the import, or pass --force",
        ) from exc
    except OSError as exc:
        raise UsageError(
            f"{file.display}: cannot write: {exc.strerror or exc}",
            hint="check that the config folder is writable",
        ) from exc


def _relative(target: Path, folder: Path) -> str:
    return Path(os.path.relpath(os.path.abspath(target), os.path.abspath(folder))).as_posix()


def _key(path: Path) -> str:
    # Case-insensitive file systems (macOS, Windows) treat `Sales.yaml` and `sales.yaml` as one.
    return os.path.normcase(os.path.abspath(path)).lower()
