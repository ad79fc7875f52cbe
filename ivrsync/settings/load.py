"""Finding `ivrsync.toml`, and reading it into validated values with the line of each.

`tomllib` parses and rejects bad syntax but gives no positions, so `scan_layout` walks the
(already valid) text once more to find the line of every table header and key, and the span of
every value (which `write_dialect` edits). Every problem names `file:line`; all the problems of a
file are reported at once, in one `UsageError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import NoReturn

from ivrsync.errors import UsageError
from ivrsync.files import display_path
from ivrsync.settings.kinds import (
    Invalid,
    describe,
    did_you_mean,
    toml_string,
)
from ivrsync.settings.layout import scan_layout
from ivrsync.settings.schema import (
    CHECKS_SECTION,
    RULE_NAME,
    SECRET_KEYS,
    SECTIONS,
    SETTINGS,
    SETTINGS_BY_NAME,
    SETTINGS_FILE_NAME,
    SETTINGS_FILE_VARIABLE,
    SEVERITY,
)

# --- Problems ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong: `where` is `ivrsync.toml:7`, `environment variable X` or `flag --x`."""

    where: str
    message: str
    hint: str = ""


def raise_problems(problems: list[Problem]) -> NoReturn:
    """Raise one UsageError for `problems` (at least one): a single one keeps its hint apart."""
    if len(problems) == 1:
        (only,) = problems
        raise UsageError(f"{only.where}: {only.message}", hint=only.hint)
    lines = [f"{len(problems)} problems with the settings:"]
    for problem in problems:
        tail = f"; {problem.hint}" if problem.hint else ""
        lines.append(f"  {problem.where}: {problem.message}{tail}")
    raise UsageError("\n".join(lines))


CREDENTIALS_HINT = (
    "secrets do not belong in the file: put the token in the environment variable that "
    "[smartflo] token_env names (SMARTFLO_API_TOKEN by default)"
)

# --- Discovery --------------------------------------------------------------------------------


def find_settings_file(start: Path, *, explicit: str | None, env: Mapping[str, str]) -> Path | None:
    """The settings file to use, or None when there is none.

    `explicit` (`--config FILE`) wins, then the IVRSYNC_CONFIG variable (an empty value counts
    as unset); either must name an existing file (UsageError naming it otherwise). Else the
    nearest `ivrsync.toml` in `start` or a parent folder, not above the repository root (the
    first folder, from `start` up, holding a `.git` file or folder).
    """
    if explicit:
        return _existing(explicit, "--config")
    named = env.get(SETTINGS_FILE_VARIABLE)
    if named:
        return _existing(named, SETTINGS_FILE_VARIABLE)
    folder = start.absolute()
    for candidate in (folder, *folder.parents):
        path = candidate / SETTINGS_FILE_NAME
        if path.is_file():
            return path
        if (candidate / ".git").exists():
            return None
    return None


def find_repository_root(start: Path) -> Path | None:
    """The nearest folder, from `start` up, holding a `.git` file or folder; None outside one."""
    folder = start.absolute()
    return next((c for c in (folder, *folder.parents) if (c / ".git").exists()), None)


def _existing(name: str, source: str) -> Path:
    path = Path(name)
    if path.is_file():
        return path
    what = "is a folder, not a file" if path.is_dir() else "does not exist"
    raise UsageError(
        f"settings file {display_path(path)} ({source}) {what}",
        hint=f"give an existing {SETTINGS_FILE_NAME}, or drop {source} to use the nearest one",
    )


# --- Reading and validating -------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsFile:
    """A validated settings file: dotted name -> value, and dotted name -> line.

    Names are those of `SETTINGS`, plus `checks.<rule>` for each rule of `[checks]`. Paths are
    as written (the resolver makes relative ones relative to the file's folder).
    """

    path: Path
    values: Mapping[str, object]
    lines: Mapping[str, int]

    @property
    def shown(self) -> str:
        return display_path(self.path)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")


def parse_text(text: str, shown: str) -> dict[str, object]:
    """`text` parsed by tomllib; a syntax error is a UsageError naming `shown:line:column`."""
    import tomllib  # here: a run without a settings file does not pay for its import

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        position = _TOML_POSITION.search(reason)
        if position:
            where = f"{shown}:{position.group(1)}:{position.group(2)}"
            reason = reason[: position.start()]
        else:
            end = _TOML_END.search(reason)
            if end:
                reason = reason[: end.start()] + " (at the end of the file)"
            lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
            where = f"{shown}:{max(lines, 1)}"
        raise UsageError(
            f"{where}: invalid TOML: {reason}",
            hint="see https://toml.io for the syntax",
        ) from None


def read_text(path: Path) -> str:
    """The file's text; UsageError when it cannot be read or is not UTF-8."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{display_path(path)}: not UTF-8 text (byte {exc.start})",
            hint="save the settings file as UTF-8",
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot read the settings file {display_path(path)}: {exc.strerror or exc}"
        ) from None


def read_settings_file(path: Path) -> SettingsFile:
    """Read and validate `path`. Raises UsageError listing every problem, each with its line."""
    loaded, problems = check_settings_file(path)
    if problems:
        raise_problems(problems)
    return loaded


def check_settings_file(path: Path) -> tuple[SettingsFile, list[Problem]]:
    """`path` read and validated: its valid values, and a problem for each invalid one.

    Raises UsageError at once when the file cannot be read or is not valid TOML.
    """
    text = read_text(path)
    shown = display_path(path)
    data = parse_text(text, shown)
    layout = scan_layout(text)
    values: dict[str, object] = {}
    lines: dict[str, int] = {}
    problems: list[Problem] = []

    def where(*path_parts: str) -> str:
        line = layout.line_of(path_parts)
        return f"{shown}:{line}" if line is not None else shown

    for section, table in data.items():
        if section.lower() in SECRET_KEYS:
            problems.append(Problem(where(section), f"refused key `{section}`", CREDENTIALS_HINT))
            continue
        if section != CHECKS_SECTION and section not in SECTIONS:
            problems.append(_unknown_section(section, table, where(section)))
            continue
        if not isinstance(table, dict):
            message = f"`{section}` must be a table ([{section}]), found {describe(table)}"
            problems.append(Problem(where(section), message))
            continue
        for key, value in table.items():
            name = f"{section}.{key}"
            here = where(section, key)
            if key.lower() in SECRET_KEYS:
                problems.append(
                    Problem(here, f"refused key `{key}` in [{section}]", CREDENTIALS_HINT)
                )
                continue
            if section == CHECKS_SECTION:
                problem = check_rule(key, value, here)
            elif name not in SETTINGS_BY_NAME:
                problem = _unknown_key(section, key, here)
            else:
                try:
                    value = SETTINGS_BY_NAME[name].kind.check(value)
                    problem = None
                except Invalid as bad:
                    problem = Problem(here, f"{name}: {bad}", bad.hint)
            if problem is not None:
                problems.append(problem)
            else:
                values[name] = value
                lines[name] = layout.line_of((section, key)) or 0
    return SettingsFile(path, MappingProxyType(values), MappingProxyType(lines)), problems


def _unknown_section(section: str, value: object, here: str) -> Problem:
    if not isinstance(value, dict):
        homes = [spec.section for spec in SETTINGS if spec.key == section]
        hint = (
            f"settings belong in a section: did you mean `[{homes[0]}] {section}`?"
            if homes
            else did_you_mean(section, [spec.key for spec in SETTINGS])
        )
        return Problem(here, f"unknown setting `{section}` outside any section", hint)
    hint = did_you_mean(section, [*SECTIONS, CHECKS_SECTION])
    known = ", ".join(f"[{name}]" for name in [*SECTIONS, CHECKS_SECTION])
    return Problem(here, f"unknown section [{section}]", hint or f"the sections are {known}")


def _unknown_key(section: str, key: str, here: str) -> Problem:
    keys = [spec.key for spec in SETTINGS if spec.section == section]
    hint = did_you_mean(key, keys)
    if not hint:
        homes = [spec.section for spec in SETTINGS if spec.key == key]
        hint = (
            f"`{key}` belongs in [{homes[0]}]"
            if homes
            else f"the keys of [{section}] are " + ", ".join(keys)
        )
    return Problem(here, f"unknown key `{key}` in [{section}]", hint)


def check_rule(rule: str, value: object, here: str) -> Problem | None:
    """The problem with `[checks] rule = value`, or None when it is valid."""
    if not RULE_NAME.fullmatch(rule):
        return Problem(
            here,
            f"invalid rule name {toml_string(rule)} in [checks]",
            "rule names are lowercase letters, digits and dashes, starting with a letter",
        )
    try:
        SEVERITY.check(value)
    except Invalid as bad:
        return Problem(here, f"checks.{rule}: {bad}", bad.hint)
    return None
