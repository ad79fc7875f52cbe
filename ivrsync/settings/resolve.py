"""Resolving every setting, with where its value came from.

Precedence, highest first: a command-line flag, an environment variable, the settings file, the
built-in default. Environment variables and flags given as text are converted and validated by
the same kinds as the file; every problem (file, variables, flags) is reported in one UsageError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from ivrsync.files import display_path
from ivrsync.settings.kinds import (
    Invalid,
    Kind,
    PathText,
    toml_string,
)
from ivrsync.settings.load import (
    Problem,
    SettingsFile,
    check_rule,
    check_settings_file,
)
from ivrsync.settings.load import (
    raise_problems as _raise_problems,
)
from ivrsync.settings.schema import (
    CHECKS_SECTION,
    DIALECT_KEYS,
    SECTIONS,
    SETTINGS,
    SETTINGS_BY_NAME,
    ApplySettings,
    CacheSettings,
    ChecksSettings,
    PathsSettings,
    RoutingSettings,
    Severity,
    SmartfloSettings,
)

DEFAULT_ORIGIN = "default"

#: How a `checks.<rule>` flag is named in origins (the CLI's repeatable `--check RULE=LEVEL`).
CHECK_FLAG = "--check"


@dataclass(frozen=True)
class Settings:
    """Every setting, typed, and for each dotted name where its value came from.

    Read values as `settings.smartflo.timeout`, or by name with `settings.get("smartflo.timeout")`;
    `settings.origin(name)` is `flag --timeout`, `env SMARTFLO_BASE_URL`, `file ivrsync.toml:7`
    or `default`. Relative paths from the file, and the default paths when a file was used, are
    relative to the file's folder; those from a flag or variable are relative to the working
    folder (as the user typed them).
    """

    paths: PathsSettings
    cache: CacheSettings
    smartflo: SmartfloSettings
    apply: ApplySettings
    routing: RoutingSettings
    checks: ChecksSettings
    #: The settings file used, if any.
    file: Path | None
    #: Dotted name -> origin, for every setting of `SETTINGS` and every `checks.<rule>` set.
    origins: Mapping[str, str]

    def get(self, name: str) -> object:
        """The value of the dotted `name` (`smartflo.timeout`, `checks.<rule>`); else KeyError."""
        section, _, key = name.partition(".")
        if section == CHECKS_SECTION:
            return self.checks.rules[key]
        if name not in SETTINGS_BY_NAME:
            raise KeyError(name)
        return getattr(getattr(self, section), key)

    def origin(self, name: str) -> str:
        """Where the value of `name` came from; KeyError for an unknown name."""
        return self.origins[name]

    def is_default(self, name: str) -> bool:
        return self.origins[name] == DEFAULT_ORIGIN


def _from_flag(kind: Kind, value: object) -> object:
    return kind.parse(value) if isinstance(value, str) else kind.check(value)


def resolve_settings(
    file: Path | None,
    *,
    env: Mapping[str, str],
    flags: Mapping[str, object],
    root: Path | None = None,
) -> Settings:
    """Every setting from `flags` > `env` > `file` > the defaults.

    `flags` maps dotted names (`smartflo.timeout`, or `checks.<rule>`) to command-line values;
    a name absent or None was not given. A flag value of the setting's type is checked as is, a
    string is converted like an environment variable's. An empty environment variable counts as
    unset. Raises UsageError listing every problem of the file, the variables and the flags; a
    flag name that is no setting is a bug (ValueError). Default paths are relative to the file's
    folder, else to `root` (the repository root, as git finds it), else to the working folder.
    """
    unknown = [
        name
        for name in flags
        if name not in SETTINGS_BY_NAME and not name.startswith(CHECKS_SECTION + ".")
    ]
    if unknown:
        raise ValueError(f"no such setting: {', '.join(sorted(unknown))}")
    problems: list[Problem] = []
    loaded: SettingsFile | None = None
    if file is not None:
        loaded, problems = check_settings_file(file)
    values: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    origins: dict[str, str] = {}
    for spec in SETTINGS:
        value: object = spec.default
        origin = DEFAULT_ORIGIN
        if loaded is not None and spec.name in loaded.values:
            value = loaded.values[spec.name]
            origin = f"file {loaded.shown}:{loaded.lines[spec.name]}"
        if spec.env and env.get(spec.env):
            try:
                value = spec.kind.parse(env[spec.env])
                origin = f"env {spec.env}"
            except Invalid as bad:
                where = f"environment variable {spec.env}"
                problems.append(Problem(where, f"{spec.name}: {bad}", bad.hint))
        given = flags.get(spec.name)
        if given is not None:
            try:
                value = _from_flag(spec.kind, given)
                origin = f"flag {spec.flag}"
            except Invalid as bad:
                problems.append(Problem(f"flag {spec.flag}", f"{spec.name}: {bad}", bad.hint))
        base = loaded.path.parent if loaded is not None else root
        if (
            isinstance(spec.kind, PathText)
            and base is not None
            and not origin.startswith(("env ", "flag "))
        ):
            assert isinstance(value, Path)
            if not value.is_absolute():
                value = base / value
        values[spec.section][spec.key] = value
        origins[spec.name] = origin
    rules: dict[str, Severity] = {}
    if loaded is not None:
        for name, severity in loaded.values.items():
            section, _, rule = name.partition(".")
            if section == CHECKS_SECTION:
                rules[rule] = cast(Severity, severity)
                origins[name] = f"file {loaded.shown}:{loaded.lines[name]}"
    for name, given in flags.items():
        section, _, rule = name.partition(".")
        if section != CHECKS_SECTION or given is None:
            continue
        problem = check_rule(rule, given, f"flag {CHECK_FLAG}")
        if problem is not None:
            problems.append(problem)
        else:
            rules[rule] = cast(Severity, given)
            origins[name] = f"flag {CHECK_FLAG}"
    if problems:
        _raise_problems(problems)
    return Settings(
        paths=PathsSettings(**values["paths"]),
        cache=CacheSettings(**values["cache"]),
        smartflo=SmartfloSettings(**values["smartflo"]),
        apply=ApplySettings(**values["apply"]),
        routing=RoutingSettings(**values["routing"]),
        checks=ChecksSettings(MappingProxyType(dict(sorted(rules.items())))),
        file=loaded.path if loaded is not None else None,
        origins=MappingProxyType(origins),
    )


def settings_report(settings: Settings) -> list[tuple[str, str, str]]:
    """(dotted name, value as TOML, origin) for every setting, then each `[checks]` rule set.

    Paths are shown as `display_path` shows them. `smartflo.token_env` is the variable's NAME;
    no variable's value is ever read here.
    """
    rows: list[tuple[str, str, str]] = []
    for spec in SETTINGS:
        value = settings.get(spec.name)
        if isinstance(spec.kind, PathText):
            assert isinstance(value, Path)
            shown = toml_string(display_path(value))
        else:
            shown = spec.kind.to_toml(value)
        rows.append((spec.name, shown, settings.origin(spec.name)))
    for rule, severity in settings.checks.rules.items():
        name = f"{CHECKS_SECTION}.{rule}"
        rows.append((name, toml_string(severity), settings.origin(name)))
    return rows


def unconfirmed_dialect(settings: Settings) -> tuple[str, ...]:
    """The `[smartflo]` dialect keys still at their built-in default (nobody set them)."""
    return tuple(key for key in DIALECT_KEYS if settings.is_default(f"smartflo.{key}"))


def dialect_confirmed(settings: Settings) -> bool:
    """True when the file, a variable or a flag set every dialect key (separator, auth_scheme,
    recordings); False while any is a default, so a first-contact warning can point to
    `ivrsync probe`.
    """
    return not unconfirmed_dialect(settings)
