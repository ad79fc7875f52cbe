"""The table of settings: every setting of `ivrsync.toml` is one field of a section dataclass.

A field is declared with `setting(kind, default, doc=..., env=..., flag=...)`; its section is the
dataclass's entry in `SECTIONS`. `SETTINGS` (the table every other module reads: the loader, the
resolver, the report and the default file) is built from those fields, so adding a setting is
adding one field. The `[checks]` section is the one open table (rule name -> severity); it is
handled apart and has no entry in `SETTINGS`.

A kind converts and validates a value: `check` takes a TOML (or command-line) value, `parse` an
environment variable's text; both raise `Invalid` naming what was expected and what was found.
"""

# `setting()` wraps `dataclasses.field`, which RUF009 does not recognise in a wrapper.
# ruff: noqa: RUF009

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from ivrsync.settings.kinds import (
    Boolean,
    Choice,
    Integer,
    IvrList,
    Kind,
    Number,
    PathText,
    Text,
)

#: Name of the settings file looked for in the working folder and its parents.
SETTINGS_FILE_NAME = "ivrsync.toml"

#: Environment variable naming the settings file (a `--config FILE` flag wins over it).
SETTINGS_FILE_VARIABLE = "IVRSYNC_CONFIG"

Separator = Literal["|", "||"]
AuthScheme = Literal["bearer", "raw"]
Recordings = Literal["swapped", "direct"]
Severity = Literal["warning", "error", "off"]

#: Keys anywhere in the file that are refused outright: secrets do not belong in a file.
SECRET_KEYS = frozenset(
    {"token", "password", "api_token", "api_key", "secret", "access_token", "email"}
)

#: The API dialect: the `[smartflo]` keys `ivrsync probe` answers (see smartflo-api.md, 6).
DIALECT_KEYS = ("separator", "auth_scheme", "recordings")

#: A `[checks]` rule name.
RULE_NAME = re.compile(r"[a-z][a-z0-9-]*")
SEVERITIES: tuple[Severity, ...] = ("warning", "error", "off")


SEVERITY = Choice(SEVERITIES)

_METADATA_KEY = "ivrsync"


@dataclass(frozen=True)
class _Declared:
    kind: Kind
    doc: str
    env: str | None
    flag: str | None


def setting(
    kind: Kind, default: object, *, doc: str, env: str | None = None, flag: str | None = None
) -> Any:
    """Declare one setting as a section dataclass field.

    `doc` is its one-line description; `env` the environment variable that sets it, if any;
    `flag` the command-line flag named in origins (default: `--` + the key with dashes).
    """
    declared = _Declared(kind=kind, doc=doc, env=env, flag=flag)
    return field(default=default, metadata={_METADATA_KEY: declared})


@dataclass(frozen=True)
class SettingSpec:
    """One row of the settings table."""

    section: str
    key: str
    kind: Kind
    default: object
    doc: str
    env: str | None
    flag: str

    @property
    def name(self) -> str:
        """The dotted name, `smartflo.timeout`: how flags and reports name it."""
        return f"{self.section}.{self.key}"


# --- The settings: one field each. ---------------------------------------------------------


@dataclass(frozen=True)
class PathsSettings:
    """Where the IVR files and the state are."""

    config_dir: Path = setting(
        PathText(),
        Path("ivr-configs"),
        doc="Folder holding the IVR YAML files (searched recursively).",
        env="IVRSYNC_CONFIG_DIR",
    )
    state: Path = setting(
        PathText(),
        Path(".ivrsync/state.json"),
        doc="The last-applied state file.",
        env="IVRSYNC_STATE",
    )


@dataclass(frozen=True)
class CacheSettings:
    """The cache of checked IVR files, which makes a run after a small change fast."""

    dir: Path = setting(
        PathText(),
        Path(".ivrsync/cache"),
        doc="Folder of the cache of checked IVR files (never committed; safe to delete).",
        env="IVRSYNC_CACHE_DIR",
    )
    max_mib: int = setting(
        Integer(1, 4096),
        64,
        doc="Most MiB the cache keeps; entries the runs used least recently go first.",
    )


@dataclass(frozen=True)
class SmartfloSettings:
    """The Smartflo API: address, credentials, timing, and the dialect (separator, auth_scheme,
    recordings) that `ivrsync probe` records."""

    base_url: str = setting(
        Text(r"https?://\S+", "an http:// or https:// URL"),
        "https://api-smartflo.tatateleservices.com",
        doc="Smartflo API base URL (https; plain http only to loopback, e.g. the fake server).",
        env="SMARTFLO_BASE_URL",
    )
    token_env: str = setting(
        Text(
            r"[A-Za-z_][A-Za-z0-9_]*",
            "the name of an environment variable (letters, digits, _)",
            hint="token_env names the variable that holds the token; never put the token itself "
            "in the file",
        ),
        "SMARTFLO_API_TOKEN",
        doc="NAME of the environment variable holding the API token (never the token itself).",
    )
    timeout: float = setting(
        Number(minimum=0, min_open=True),
        10.0,
        doc="Seconds to wait for each HTTP read.",
    )
    request_deadline: float = setting(
        Number(minimum=0, min_open=True),
        60.0,
        doc="Seconds one request may take in all, from connecting to its answer's last byte "
        "(each retry has its own).",
    )
    run_deadline: float = setting(
        Number(minimum=0, note="0 = none"),
        0.0,
        doc="Seconds a whole run may talk to the API; 0 = no limit.",
    )
    retries: int = setting(
        Integer(0, 20),
        4,
        doc="Retries of a request after a 429, 5xx, timeout or dropped connection.",
    )
    retry_delay: float = setting(
        Number(minimum=0),
        0.5,
        doc="Longest wait in seconds before the first retry (random, doubling per retry).",
    )
    rate_limit: float = setting(
        Number(minimum=0, note="0 = unlimited"),
        2.0,
        doc="Requests per second, shared by every request of a run; 0 = unlimited.",
        env="SMARTFLO_RATE_LIMIT",
    )
    separator: Separator = setting(
        Choice(("|", "||")),
        "|",
        doc='Reference separator in IVR writes: "|" (recording|123) or "||" (recording||123).',
    )
    auth_scheme: AuthScheme = setting(
        Choice(("bearer", "raw")),
        "bearer",
        doc='Authorization header: "bearer" (Bearer <token>) or "raw" (the bare token).',
    )
    recordings: Recordings = setting(
        Choice(("swapped", "direct")),
        "swapped",
        doc='The read field invalid_recording is the body\'s recording_invalid ("swapped", and '
        'invalid_retry_recording its invalid_recording) or its invalid_recording ("direct").',
    )


@dataclass(frozen=True)
class ApplySettings:
    """How `ivrsync apply` sends changes, and its safety rails."""

    parallelism: int = setting(
        Integer(1, 64), 2, doc="PUT requests in flight at once (Smartflo's burst limit is small)."
    )
    mass_change_ratio: float = setting(
        Number(minimum=0, maximum=1, min_open=True),
        0.3,
        doc="Refuse a plan that changes more than this share of the managed IVRs.",
    )
    mass_change_minimum: int = setting(
        Integer(minimum=0),
        10,
        doc="The mass-change refusal applies only from this many managed IVRs on.",
    )
    canary: bool = setting(
        Boolean(), True, doc="Apply one IVR first and stop if it fails, before the others."
    )
    read_back: bool = setting(
        Boolean(), True, doc="Read each IVR back after its PUT and compare with what was sent."
    )


@dataclass(frozen=True)
class RoutingSettings:
    """How callers enter the IVRs."""

    entry_points: tuple[str | int, ...] = setting(
        IvrList(),
        (),
        doc="IVRs callers reach directly (names or ids); checks treat the others as reachable "
        "only from menus. Empty = unknown.",
    )


@dataclass(frozen=True)
class ChecksSettings:
    """`[checks]`: rule name -> "warning", "error" or "off". Rules not named keep their default."""

    rules: Mapping[str, Severity] = field(default_factory=lambda: MappingProxyType({}))

    def severity(self, rule: str, default: Severity) -> Severity:
        """The severity set for `rule`, else `default` (the rule's own)."""
        return self.rules.get(rule, default)


#: Section name -> its dataclass, in the order of the file and the report.
SECTIONS: Mapping[str, type] = MappingProxyType(
    {
        "paths": PathsSettings,
        "cache": CacheSettings,
        "smartflo": SmartfloSettings,
        "apply": ApplySettings,
        "routing": RoutingSettings,
    }
)

#: The open section; not in `SECTIONS` (it has no fixed keys).
CHECKS_SECTION = "checks"
CHECKS_DOC = 'Rule name -> "warning", "error" or "off"; rules not named keep their own default.'


def _build_table() -> tuple[SettingSpec, ...]:
    table: list[SettingSpec] = []
    for section, cls in SECTIONS.items():
        for item in dataclasses.fields(cls):
            declared = item.metadata[_METADATA_KEY]
            assert isinstance(declared, _Declared)
            table.append(
                SettingSpec(
                    section=section,
                    key=item.name,
                    kind=declared.kind,
                    default=item.default,
                    doc=declared.doc,
                    env=declared.env,
                    flag=declared.flag or "--" + item.name.replace("_", "-"),
                )
            )
    return tuple(table)


#: Every setting, in file order.
SETTINGS: tuple[SettingSpec, ...] = _build_table()

#: Dotted name -> its row.
SETTINGS_BY_NAME: Mapping[str, SettingSpec] = MappingProxyType({s.name: s for s in SETTINGS})
