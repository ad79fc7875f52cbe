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
import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Any, ClassVar, Literal, cast

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


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`did you mean `x`?` for the candidate closest to `word`, or "" when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else ""


class Invalid(Exception):
    """A value a kind refuses: what was `expected`, what was `found` (both as shown to users)."""

    def __init__(self, expected: str, found: str, *, hint: str = "") -> None:
        super().__init__(f"expected {expected}, found {found}")
        self.expected = expected
        self.found = found
        self.hint = hint


def describe(value: object) -> str:
    """A value as named in an error: `"fast" (a string)`, `0 (an integer)`, `a table`."""
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a boolean)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value!r} (a float)"
    if isinstance(value, str):
        return f"{toml_string(value)} (a string)"
    if isinstance(value, PurePath):
        return f"{toml_string(value.as_posix())} (a path)"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, datetime | date | time):
        return f"{value.isoformat()} (a date or time)"
    return f"{value!r} (a {type(value).__name__})"


def toml_string(text: str) -> str:
    """`text` as a TOML basic string (double-quoted, escaped)."""
    out = ['"']
    for char in text:
        if char in {'"', "\\"}:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


class Kind:
    """How a setting's value is checked, parsed from text and written back as TOML."""

    def check(self, value: object) -> object:
        """The value, validated (and normalised) from TOML or a command-line flag."""
        raise NotImplementedError

    def parse(self, text: str) -> object:
        """The value, from an environment variable's text."""
        return self.check(text)

    def expected(self) -> str:
        """What a valid value is, as in "expected <this>"."""
        raise NotImplementedError

    def to_toml(self, value: object) -> str:
        """`value` as a TOML literal."""
        raise NotImplementedError


@dataclass(frozen=True)
class Boolean(Kind):
    _TRUE: ClassVar[frozenset[str]] = frozenset({"true", "1", "yes", "on"})
    _FALSE: ClassVar[frozenset[str]] = frozenset({"false", "0", "no", "off"})

    def check(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise Invalid(self.expected(), describe(value))
        return value

    def parse(self, text: str) -> bool:
        word = text.strip().lower()
        if word in self._TRUE:
            return True
        if word in self._FALSE:
            return False
        raise Invalid("true or false (also 1/0, yes/no, on/off)", toml_string(text))

    def expected(self) -> str:
        return "true or false"

    def to_toml(self, value: object) -> str:
        return "true" if value else "false"


def _range_text(minimum: float | None, maximum: float | None, *, min_open: bool = False) -> str:
    if minimum is not None and maximum is not None:
        low = f"greater than {minimum:g}" if min_open else f"at least {minimum:g}"
        if min_open:
            return f"{low} and at most {maximum:g}"
        return f"from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f"greater than {minimum:g}" if min_open else f"at least {minimum:g}"
    if maximum is not None:
        return f"at most {maximum:g}"
    return ""


@dataclass(frozen=True)
class Integer(Kind):
    minimum: int | None = None
    maximum: int | None = None

    def check(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(self.expected(), describe(value))
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise Invalid(self.expected(), describe(value))
        return value

    def parse(self, text: str) -> int:
        try:
            number = int(text.strip(), 10)
        except ValueError:
            raise Invalid(self.expected(), toml_string(text)) from None
        return self.check(number)

    def expected(self) -> str:
        limits = _range_text(self.minimum, self.maximum)
        return f"an integer {limits}" if limits else "an integer"

    def to_toml(self, value: object) -> str:
        return str(value)


@dataclass(frozen=True)
class Number(Kind):
    """A float; an integer is accepted (and converted). Never NaN or infinite."""

    minimum: float | None = None
    maximum: float | None = None
    min_open: bool = False
    note: str = ""

    def check(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(self.expected(), describe(value))
        number = float(value)
        if not math.isfinite(number):
            raise Invalid(self.expected(), describe(value))
        if self.minimum is not None and (
            number < self.minimum or (self.min_open and number == self.minimum)
        ):
            raise Invalid(self.expected(), describe(value))
        if self.maximum is not None and number > self.maximum:
            raise Invalid(self.expected(), describe(value))
        return number

    def parse(self, text: str) -> float:
        try:
            number = float(text.strip())
        except ValueError:
            raise Invalid(self.expected(), toml_string(text)) from None
        return self.check(number)

    def expected(self) -> str:
        limits = _range_text(self.minimum, self.maximum, min_open=self.min_open)
        text = f"a number {limits}" if limits else "a number"
        return f"{text} ({self.note})" if self.note else text

    def to_toml(self, value: object) -> str:
        assert isinstance(value, int | float)
        return repr(float(value))


@dataclass(frozen=True)
class Choice(Kind):
    choices: tuple[str, ...]

    def check(self, value: object) -> str:
        if not isinstance(value, str) or value not in self.choices:
            hint = did_you_mean(value, self.choices) if isinstance(value, str) else ""
            raise Invalid(self.expected(), describe(value), hint=hint)
        return value

    def parse(self, text: str) -> str:
        return self.check(text.strip())

    def expected(self) -> str:
        shown = [toml_string(choice) for choice in self.choices]
        return " or ".join(shown) if len(shown) <= 2 else ", ".join(shown[:-1]) + " or " + shown[-1]

    def to_toml(self, value: object) -> str:
        assert isinstance(value, str)
        return toml_string(value)


@dataclass(frozen=True)
class Text(Kind):
    """A string matching `pattern` (whole); `what` names it in errors."""

    pattern: str
    what: str
    hint: str = ""

    def check(self, value: object) -> str:
        if not isinstance(value, str) or not re.fullmatch(self.pattern, value):
            raise Invalid(self.expected(), describe(value), hint=self.hint)
        return value

    def expected(self) -> str:
        return self.what

    def to_toml(self, value: object) -> str:
        assert isinstance(value, str)
        return toml_string(value)


@dataclass(frozen=True)
class PathText(Kind):
    """A non-empty path. A relative path in the file is relative to the file's folder."""

    def check(self, value: object) -> Path:
        if isinstance(value, PurePath):
            value = value.as_posix()
        if not isinstance(value, str) or not value.strip() or "\0" in value:
            raise Invalid(self.expected(), describe(value))
        return Path(value)

    def expected(self) -> str:
        return "a non-empty path (a string)"

    def to_toml(self, value: object) -> str:
        assert isinstance(value, str | PurePath)
        return toml_string(value.as_posix() if isinstance(value, PurePath) else value)


@dataclass(frozen=True)
class IvrList(Kind):
    """An array of IVR names (non-empty strings) or ids (positive integers)."""

    def check(self, value: object) -> tuple[str | int, ...]:
        if not isinstance(value, list | tuple):
            raise Invalid(self.expected(), describe(value))
        items: list[str | int] = []
        for item in value:
            name = isinstance(item, str) and bool(item.strip())
            ivr_id = isinstance(item, int) and not isinstance(item, bool) and item >= 1
            if not (name or ivr_id):
                raise Invalid(self.expected(), f"an array holding {describe(item)}")
            items.append(cast("str | int", item))
        return tuple(items)

    def parse(self, text: str) -> tuple[str | int, ...]:
        """Comma-separated; an item of digits only is an id."""
        parts = [part.strip() for part in text.split(",") if part.strip()]
        return self.check([int(part) if part.isdigit() else part for part in parts])

    def expected(self) -> str:
        return "an array of IVR names (strings) or ids (positive integers)"

    def to_toml(self, value: object) -> str:
        assert isinstance(value, list | tuple)
        return (
            "["
            + ", ".join(toml_string(item) if isinstance(item, str) else str(item) for item in value)
            + "]"
        )


#: The kind of a `[checks]` value.
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
        doc="Seconds one request may take in all, its retries included.",
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
