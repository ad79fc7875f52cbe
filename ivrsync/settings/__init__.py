"""ivrsync's settings file, `ivrsync.toml`: discovery, validation with lines, precedence.

Pure library code (standard library only, no click, httpx or yaml). Every user-caused problem is
an `ivrsync.errors.UsageError` naming the file and line, the environment variable or the flag.

    path = find_settings_file(Path.cwd(), explicit=config_flag, env=os.environ)
    settings = resolve_settings(path, env=os.environ, flags={"smartflo.timeout": timeout})
    settings.smartflo.timeout, settings.origin("smartflo.timeout")  # 5.0, "flag --timeout"

The table of settings is `SETTINGS` (built from the section dataclasses in `schema`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivrsync.settings.load import find_repository_root, find_settings_file, read_settings_file
from ivrsync.settings.resolve import (
    Settings,
    dialect_confirmed,
    resolve_settings,
    settings_report,
    unconfirmed_dialect,
)
from ivrsync.settings.schema import (
    DIALECT_KEYS,
    SETTINGS,
    SETTINGS_BY_NAME,
    SETTINGS_FILE_NAME,
    SETTINGS_FILE_VARIABLE,
    ApplySettings,
    CacheSettings,
    ChecksSettings,
    PathsSettings,
    RoutingSettings,
    SettingSpec,
    SmartfloSettings,
)

if TYPE_CHECKING:
    from ivrsync.settings.write import DEFAULT_SETTINGS_TEXT, write_dialect


def __getattr__(name: str) -> object:
    """`DEFAULT_SETTINGS_TEXT` and `write_dialect`, from `ivrsync.settings.write` when first
    asked for: every run imports this package, and building the default file's text (with
    `textwrap` and `tomllib`) is for `init` and `probe` alone."""
    if name in ("DEFAULT_SETTINGS_TEXT", "write_dialect"):
        from ivrsync.settings import write

        return getattr(write, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_SETTINGS_TEXT",
    "DIALECT_KEYS",
    "SETTINGS",
    "SETTINGS_BY_NAME",
    "SETTINGS_FILE_NAME",
    "SETTINGS_FILE_VARIABLE",
    "ApplySettings",
    "CacheSettings",
    "ChecksSettings",
    "PathsSettings",
    "RoutingSettings",
    "SettingSpec",
    "Settings",
    "SmartfloSettings",
    "dialect_confirmed",
    "find_repository_root",
    "find_settings_file",
    "read_settings_file",
    "resolve_settings",
    "settings_report",
    "unconfirmed_dialect",
    "write_dialect",
]
