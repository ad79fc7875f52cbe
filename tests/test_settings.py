"""ivrsync.settings: the table, precedence (generated from the table), origins and the report."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args, get_type_hints

import pytest

from ivrsync.errors import UsageError
from ivrsync.files import display_path
from ivrsync.settings import (
    DIALECT_KEYS,
    SETTINGS,
    Settings,
    SettingSpec,
    dialect_confirmed,
    resolve_settings,
    settings_report,
    unconfirmed_dialect,
)
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
from ivrsync.settings.schema import SECTIONS

# --- Sample values, derived from each setting's kind, so a new setting is covered as is. ------

_CANDIDATES: dict[type[Kind], list[Any]] = {
    Integer: [1, 3, 5, 7, 16, 0],
    Number: [1.5, 3.0, 0.25, 0.75, 7.0],
    Text: ["https://one.example", "http://127.0.0.1:9", "ONE_TOKEN", "TWO_TOKEN"],
    PathText: [Path("one-dir"), Path("two/dir")],
    IvrList: [("Main",), (349, "Other IVR")],
}


def _valid(kind: Kind, value: Any) -> bool:
    try:
        kind.check(value)
    except Exception:
        return False
    return True


def samples(spec: SettingSpec) -> tuple[Any, Any]:
    """Two different valid values; the second differs from the default when the kind allows it."""
    kind = spec.kind
    if isinstance(kind, Boolean):
        return (not spec.default, spec.default)
    if isinstance(kind, Choice):
        others = [choice for choice in kind.choices if choice != spec.default]
        return (others[0], others[1] if len(others) > 1 else spec.default)
    found = [v for v in _CANDIDATES[type(kind)] if v != spec.default and _valid(kind, v)]
    assert len(found) >= 2, f"add sample values for {spec.name} to _CANDIDATES"
    return found[0], found[1]


def as_text(value: Any) -> str:
    """A value as an environment variable gives it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value)


LAYERS = ("file", "env", "flag")  # lowest first


def _precedence_cases() -> list[Any]:
    cases = []
    for spec in SETTINGS:
        layers = [layer for layer in LAYERS if layer != "env" or spec.env]
        for size in range(len(layers) + 1):
            for subset in itertools.combinations(layers, size):
                ident = f"{spec.name}-{'+'.join(subset) or 'default'}"
                cases.append(pytest.param(spec, subset, id=ident))
    return cases


@pytest.mark.parametrize(("spec", "given"), _precedence_cases())
def test_precedence_flag_over_env_over_file_over_default(
    tmp_path: Path, spec: SettingSpec, given: tuple[str, ...]
) -> None:
    lower, winner_value = samples(spec)
    winner = given[-1] if given else "default"
    value_of = {layer: (winner_value if layer == winner else lower) for layer in given}
    file = None
    if "file" in given:
        file = tmp_path / "ivrsync.toml"
        literal = spec.kind.to_toml(value_of["file"])
        file.write_text(f"[{spec.section}]\n{spec.key} = {literal}\n", encoding="utf-8")
    env = {spec.env: as_text(value_of["env"])} if "env" in given and spec.env else {}
    flags = {spec.name: value_of["flag"]} if "flag" in given else {}

    settings = resolve_settings(file, env=env, flags=flags)

    expected: Any = winner_value if given else spec.default
    if winner == "file" and isinstance(spec.kind, PathText):
        expected = tmp_path / expected
    if isinstance(spec.kind, Number):
        expected = float(expected)
    assert settings.get(spec.name) == expected
    assert getattr(getattr(settings, spec.section), spec.key) == expected
    origins = {
        "default": "default",
        "file": f"file {display_path(tmp_path / 'ivrsync.toml')}:2",
        "env": f"env {spec.env}",
        "flag": f"flag {spec.flag}",
    }
    assert settings.origin(spec.name) == origins[winner]


def test_the_table_covers_the_brief() -> None:
    """The names, defaults and env vars the rest of ivrsync relies on."""
    table = {spec.name: (spec.default, spec.env) for spec in SETTINGS}
    assert table == {
        "paths.config_dir": (Path("ivr-configs"), "IVRSYNC_CONFIG_DIR"),
        "paths.state": (Path(".ivrsync/state.json"), "IVRSYNC_STATE"),
        "cache.dir": (Path(".ivrsync/cache"), "IVRSYNC_CACHE_DIR"),
        "cache.max_mib": (64, None),
        "smartflo.base_url": ("https://api-smartflo.tatateleservices.com", "SMARTFLO_BASE_URL"),
        "smartflo.token_env": ("SMARTFLO_API_TOKEN", None),
        "smartflo.timeout": (10.0, None),
        "smartflo.request_deadline": (60.0, None),
        "smartflo.run_deadline": (0.0, None),
        "smartflo.retries": (4, None),
        "smartflo.retry_delay": (0.5, None),
        "smartflo.rate_limit": (2.0, "SMARTFLO_RATE_LIMIT"),
        "smartflo.separator": ("|", None),
        "smartflo.auth_scheme": ("bearer", None),
        "smartflo.recordings": ("swapped", None),
        "apply.parallelism": (2, None),
        "apply.mass_change_ratio": (0.3, None),
        "apply.mass_change_minimum": (10, None),
        "apply.canary": (True, None),
        "apply.read_back": (True, None),
        "routing.entry_points": ((), None),
    }


def test_existing_cli_flags_are_the_origins_names() -> None:
    flags = {spec.name: spec.flag for spec in SETTINGS}
    assert flags["paths.config_dir"] == "--config-dir"
    assert flags["paths.state"] == "--state"
    assert flags["smartflo.base_url"] == "--base-url"
    assert flags["smartflo.retry_delay"] == "--retry-delay"
    assert flags["apply.parallelism"] == "--parallelism"


_PYTHON_TYPE = {Boolean: bool, Integer: int, Number: float, Text: str, PathText: Path}


@pytest.mark.parametrize("spec", SETTINGS, ids=[spec.name for spec in SETTINGS])
def test_each_setting_is_consistent(spec: SettingSpec) -> None:
    """Its default is valid, its doc is one line, and its annotation matches its kind."""
    assert spec.kind.check(spec.default) == spec.default
    assert spec.doc
    assert "\n" not in spec.doc
    annotation = get_type_hints(SECTIONS[spec.section])[spec.key]
    if isinstance(spec.kind, Choice):
        assert get_args(annotation) == spec.kind.choices
    elif isinstance(spec.kind, IvrList):
        assert annotation == tuple[str | int, ...]
    else:
        assert annotation is _PYTHON_TYPE[type(spec.kind)]


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = resolve_settings(None, env={}, flags={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.smartflo.timeout = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.origins["smartflo.timeout"] = "x"  # type: ignore[index]


def test_get_and_origin_refuse_unknown_names() -> None:
    settings = resolve_settings(None, env={}, flags={})
    with pytest.raises(KeyError):
        settings.get("smartflo.nope")
    with pytest.raises(KeyError):
        settings.get("checks.no-such-rule")
    with pytest.raises(KeyError):
        settings.origin("nope")


def test_an_unknown_flag_name_is_a_bug() -> None:
    with pytest.raises(ValueError, match=r"smartflo\.tiemout"):
        resolve_settings(None, env={}, flags={"smartflo.tiemout": 3})


def test_a_none_flag_and_an_empty_variable_are_not_given() -> None:
    settings = resolve_settings(
        None, env={"SMARTFLO_BASE_URL": ""}, flags={"smartflo.timeout": None}
    )
    assert settings.origin("smartflo.timeout") == "default"
    assert settings.origin("smartflo.base_url") == "default"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param({"smartflo.timeout": 5}, 5.0, id="int-for-float"),
        pytest.param({"smartflo.timeout": "2.5"}, 2.5, id="text-converted"),
        pytest.param({"apply.canary": "off"}, False, id="bool-text"),
        pytest.param({"apply.canary": False}, False, id="bool"),
        pytest.param({"routing.entry_points": "Main, 349"}, ("Main", 349), id="list-text"),
        pytest.param({"routing.entry_points": ["Main", 349]}, ("Main", 349), id="list"),
    ],
)
def test_flag_values_are_converted(flags: dict[str, object], expected: object) -> None:
    settings = resolve_settings(None, env={}, flags=flags)
    ((name, _),) = flags.items()
    assert settings.get(name) == expected


@pytest.mark.parametrize(
    ("env", "flags", "fragments"),
    [
        pytest.param(
            {"SMARTFLO_BASE_URL": "api.example"},
            {},
            ["environment variable SMARTFLO_BASE_URL: smartflo.base_url: expected an http"],
            id="env-url",
        ),
        pytest.param(
            {},
            {"smartflo.retries": 21},
            ["flag --retries: smartflo.retries: expected an integer from 0 to 20, found 21"],
            id="flag-range",
        ),
        pytest.param(
            {},
            {"apply.canary": "maybe"},
            ["flag --canary: apply.canary: expected true or false", 'found "maybe"'],
            id="flag-bool-text",
        ),
        pytest.param(
            {},
            {"smartflo.timeout": True},
            ["smartflo.timeout: expected a number greater than 0, found true (a boolean)"],
            id="flag-bool-for-float",
        ),
        pytest.param(
            {},
            {"checks.dead-end": "fatal"},
            ['flag --check: checks.dead-end: expected "warning", "error" or "off"'],
            id="flag-severity",
        ),
    ],
)
def test_bad_env_and_flag_values_name_their_source(
    env: dict[str, str], flags: dict[str, object], fragments: list[str]
) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_settings(None, env=env, flags=flags)
    for fragment in fragments:
        assert fragment in caught.value.message


def test_file_env_and_flag_problems_are_reported_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ivrsync.toml").write_text("[smartflo]\nretries = -1\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        resolve_settings(
            Path("ivrsync.toml"),
            env={"IVRSYNC_STATE": " "},
            flags={"apply.parallelism": 0},
        )
    message = caught.value.message
    assert message.startswith("3 problems with the settings:")
    assert "ivrsync.toml:2: smartflo.retries" in message
    assert "environment variable IVRSYNC_STATE: paths.state" in message
    assert "flag --parallelism: apply.parallelism" in message


# --- Paths ------------------------------------------------------------------------------------


def test_paths_from_the_file_and_defaults_are_relative_to_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    file = folder / "ivrsync.toml"
    file.write_text('[paths]\nconfig_dir = "configs"\n', encoding="utf-8")
    settings = resolve_settings(file, env={}, flags={})
    assert settings.paths.config_dir == folder / "configs"
    assert settings.paths.state == folder / ".ivrsync/state.json"
    assert settings.origin("paths.state") == "default"


def test_paths_from_env_flags_or_absolute_stay_as_given(tmp_path: Path) -> None:
    file = tmp_path / "ivrsync.toml"
    absolute = tmp_path / "elsewhere"
    file.write_text(f'[paths]\nconfig_dir = "{absolute.as_posix()}"\n', encoding="utf-8")
    settings = resolve_settings(file, env={"IVRSYNC_STATE": "st/state.json"}, flags={})
    assert settings.paths.config_dir == absolute
    assert settings.paths.state == Path("st/state.json")
    settings = resolve_settings(None, env={}, flags={"paths.config_dir": "here"})
    assert settings.paths.config_dir == Path("here")
    assert resolve_settings(None, env={}, flags={}).paths.state == Path(".ivrsync/state.json")


# --- Checks -----------------------------------------------------------------------------------


def test_checks_rules_from_file_and_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ivrsync.toml").write_text(
        '# rules\n[checks]\ndead-end = "error"\nunreachable-ivr = "off"\n', encoding="utf-8"
    )
    settings = resolve_settings(
        Path("ivrsync.toml"), env={}, flags={"checks.dead-end": "warning", "checks.loop": None}
    )
    assert dict(settings.checks.rules) == {"dead-end": "warning", "unreachable-ivr": "off"}
    assert settings.origin("checks.dead-end") == "flag --check"
    assert settings.origin("checks.unreachable-ivr") == "file ivrsync.toml:4"
    assert settings.checks.severity("unreachable-ivr", "error") == "off"
    assert settings.checks.severity("not-named", "error") == "error"
    assert settings.get("checks.unreachable-ivr") == "off"


# --- Report and dialect -----------------------------------------------------------------------


def test_report_lists_every_setting_with_value_and_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ivrsync.toml").write_text(
        '[smartflo]\ntimeout = 5\nseparator = "||"\n[checks]\ndead-end = "error"\n',
        encoding="utf-8",
    )
    settings = resolve_settings(
        Path("ivrsync.toml"),
        env={"SMARTFLO_BASE_URL": "http://127.0.0.1:8"},
        flags={"apply.parallelism": 4},
    )
    rows = settings_report(settings)
    assert [name for name, _, _ in rows] == [spec.name for spec in SETTINGS] + ["checks.dead-end"]
    shown = {name: (value, origin) for name, value, origin in rows}
    assert shown["smartflo.timeout"] == ("5.0", "file ivrsync.toml:2")
    assert shown["smartflo.separator"] == ('"||"', "file ivrsync.toml:3")
    assert shown["smartflo.base_url"] == ('"http://127.0.0.1:8"', "env SMARTFLO_BASE_URL")
    assert shown["apply.parallelism"] == ("4", "flag --parallelism")
    assert shown["apply.canary"] == ("true", "default")
    assert shown["paths.config_dir"] == ('"ivr-configs"', "default")
    assert shown["routing.entry_points"] == ("[]", "default")
    assert shown["checks.dead-end"] == ('"error"', "file ivrsync.toml:5")


def test_report_shows_the_token_variable_name_never_its_value() -> None:
    secret = "eyJhbGciOiJIUzI1NiJ9.secret-value"
    env = {"SMARTFLO_API_TOKEN": secret, "MY_TOKEN": secret}
    settings = resolve_settings(None, env=env, flags={"smartflo.token_env": "MY_TOKEN"})
    rows = settings_report(settings)
    assert ("smartflo.token_env", '"MY_TOKEN"', "flag --token-env") in rows
    assert secret not in repr(rows)
    assert secret not in repr(settings)


@pytest.mark.parametrize(
    ("text", "flags", "confirmed", "missing"),
    [
        pytest.param(None, {}, False, DIALECT_KEYS, id="nothing-set"),
        pytest.param(
            '[smartflo]\nseparator = "|"\nauth_scheme = "bearer"\n',
            {},
            False,
            ("recordings",),
            id="file-two-of-three-even-at-default-values",
        ),
        pytest.param(
            '[smartflo]\nseparator = "|"\nauth_scheme = "bearer"\nrecordings = "swapped"\n',
            {},
            True,
            (),
            id="file-all",
        ),
        pytest.param(
            '[smartflo]\nseparator = "||"\n',
            {"smartflo.auth_scheme": "raw", "smartflo.recordings": "direct"},
            True,
            (),
            id="file-and-flags",
        ),
        pytest.param(
            "[smartflo]\ntimeout = 3\n",
            {"smartflo.separator": "||"},
            False,
            ("auth_scheme", "recordings"),
            id="one-flag",
        ),
    ],
)
def test_dialect_confirmed(
    tmp_path: Path,
    text: str | None,
    flags: dict[str, object],
    confirmed: bool,
    missing: tuple[str, ...],
) -> None:
    file = None
    if text is not None:
        file = tmp_path / "ivrsync.toml"
        file.write_text(text, encoding="utf-8")
    settings = resolve_settings(file, env={}, flags=flags)
    assert dialect_confirmed(settings) is confirmed
    assert unconfirmed_dialect(settings) == missing


def test_settings_type_is_exported() -> None:
    assert isinstance(resolve_settings(None, env={}, flags={}), Settings)


def test_the_package_imports_no_click_httpx_or_yaml() -> None:
    code = (
        "import sys, ivrsync.settings\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'click', 'httpx', 'yaml'})\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
