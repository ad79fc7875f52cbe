"""ivrsync.settings: the default file, and probe answers written back as a minimal edit."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from ivrsync.errors import UsageError
from ivrsync.settings import (
    DEFAULT_SETTINGS_TEXT,
    SETTINGS,
    SettingSpec,
    dialect_confirmed,
    read_settings_file,
    resolve_settings,
    write_dialect,
)
from ivrsync.settings.schema import SECTIONS

ALL = {"separator": "||", "auth_scheme": "raw", "recordings": "direct"}

# --- DEFAULT_SETTINGS_TEXT --------------------------------------------------------------------


def test_default_text_parses_to_empty_sections() -> None:
    assert tomllib.loads(DEFAULT_SETTINGS_TEXT) == {
        **{section: {} for section in SECTIONS},
        "checks": {},
    }


@pytest.mark.parametrize("spec", SETTINGS, ids=[spec.name for spec in SETTINGS])
def test_default_text_shows_every_setting_in_its_section(spec: SettingSpec) -> None:
    lines = DEFAULT_SETTINGS_TEXT.splitlines()
    line = f"# {spec.key} = {spec.kind.to_toml(spec.default)}"
    assert line in lines
    index = lines.index(line)
    headers = [text for text in lines[:index] if text.startswith("[")]
    assert headers[-1] == f"[{spec.section}]"
    comments = " ".join(text[2:] for text in lines[:index] if text.startswith("# "))
    assert spec.doc in comments


def test_default_text_uncommented_is_valid_and_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    keys = {spec.key for spec in SETTINGS}
    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and line[2:].split(" = ")[0] in keys else line
        for line in DEFAULT_SETTINGS_TEXT.splitlines()
    )
    Path("ivrsync.toml").write_text(uncommented, encoding="utf-8")
    settings = resolve_settings(Path("ivrsync.toml"), env={}, flags={})
    defaults = resolve_settings(None, env={}, flags={})
    for spec in SETTINGS:
        assert settings.get(spec.name) == defaults.get(spec.name), spec.name
        assert settings.origin(spec.name).startswith("file ivrsync.toml:"), spec.name
    assert dialect_confirmed(settings)


def test_default_text_lines_fit() -> None:
    assert max(len(line) for line in DEFAULT_SETTINGS_TEXT.splitlines()) <= 100


# --- write_dialect ----------------------------------------------------------------------------

EDIT_CASES = [
    pytest.param(
        '# mine\n[smartflo]\nseparator = "|"  # probe me\ntimeout = 5\n',
        {"separator": "||"},
        '# mine\n[smartflo]\nseparator = "||"  # probe me\ntimeout = 5\n',
        id="in-place-keeps-comment",
    ),
    pytest.param(
        '[smartflo]\nrecordings = "swapped"\nauth_scheme = "bearer"\nseparator = "|"\n',
        ALL,
        '[smartflo]\nrecordings = "direct"\nauth_scheme = "raw"\nseparator = "||"\n',
        id="in-place-keeps-order",
    ),
    pytest.param(
        "[smartflo]\ntimeout = 5 # t\n\n# about apply\n[apply]\ncanary = false\n",
        {"separator": "||", "auth_scheme": "raw"},
        '[smartflo]\ntimeout = 5 # t\nseparator = "||"\nauth_scheme = "raw"\n\n'
        "# about apply\n[apply]\ncanary = false\n",
        id="missing-added-at-section-end",
    ),
    pytest.param(
        "[smartflo]\nretries = [\n]\n[paths]\n",
        {"recordings": "direct"},
        '[smartflo]\nretries = [\n]\nrecordings = "direct"\n[paths]\n',
        id="after-a-multiline-value",
    ),
    pytest.param(
        "[apply]\ncanary = false\n[smartflo] # api\n",
        {"separator": "||"},
        '[apply]\ncanary = false\n[smartflo] # api\nseparator = "||"\n',
        id="empty-section",
    ),
    pytest.param(
        "[apply]\ncanary = false\n",
        {"separator": "||", "recordings": "direct"},
        '[apply]\ncanary = false\n\n[smartflo]\nseparator = "||"\nrecordings = "direct"\n',
        id="section-created",
    ),
    pytest.param(
        "[apply]\ncanary = false",
        {"separator": "||"},
        '[apply]\ncanary = false\n\n[smartflo]\nseparator = "||"\n',
        id="no-final-newline",
    ),
    pytest.param(
        "",
        {"auth_scheme": "raw"},
        '[smartflo]\nauth_scheme = "raw"\n',
        id="empty-file",
    ),
    pytest.param(
        "[smartflo]\r\ntimeout = 5\r\n",
        {"separator": "||", "auth_scheme": "raw"},
        '[smartflo]\r\ntimeout = 5\r\nseparator = "||"\r\nauth_scheme = "raw"\r\n',
        id="crlf-kept",
    ),
    pytest.param(
        'smartflo.timeout = 5\nsmartflo.separator = "|"\n[apply]\n',
        {"separator": "||", "auth_scheme": "raw"},
        'smartflo.timeout = 5\nsmartflo.separator = "||"\nsmartflo.auth_scheme = "raw"\n[apply]\n',
        id="dotted-keys",
    ),
    pytest.param(
        "smartflo = { timeout = 5 }  # inline\n",
        {"separator": "||"},
        'smartflo = { timeout = 5, separator = "||" }  # inline\n',
        id="inline-table",
    ),
    pytest.param(
        "smartflo = {}\n",
        {"separator": "||"},
        'smartflo = { separator = "||" }\n',
        id="empty-inline-table",
    ),
    pytest.param(
        '[smartflo]\n# Reference separator, see the docs.\n# separator = "|"\ntimeout = 5\n',
        {"separator": "||"},
        '[smartflo]\n# Reference separator, see the docs.\nseparator = "||"\ntimeout = 5\n',
        id="commented-default-uncommented",
    ),
    pytest.param(
        '[smartflo]\nbase_url = """\n# separator = 1\nhttps://x"""\n[apply]\n# separator = "|"\n',
        {"separator": "||"},
        '[smartflo]\nbase_url = """\n# separator = 1\nhttps://x"""\nseparator = "||"\n[apply]\n'
        '# separator = "|"\n',
        id="commented-lines-elsewhere-left-alone",
    ),
]


@pytest.mark.parametrize(("before", "answers", "after"), EDIT_CASES)
def test_write_dialect_is_a_minimal_edit(
    tmp_path: Path, before: str, answers: dict[str, str], after: str
) -> None:
    path = tmp_path / "ivrsync.toml"
    path.write_bytes(before.encode("utf-8"))
    write_dialect(path, answers)
    text = path.read_bytes().decode("utf-8")
    assert text == after
    smartflo = tomllib.loads(text)["smartflo"]
    assert {key: smartflo[key] for key in answers} == answers
    write_dialect(path, answers)
    assert path.read_bytes().decode("utf-8") == after  # idempotent


def test_write_dialect_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "ivrsync.toml"
    write_dialect(path, ALL)
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {"smartflo": ALL}


def test_write_dialect_into_the_default_file_round_trips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path("ivrsync.toml")
    path.write_text(DEFAULT_SETTINGS_TEXT, encoding="utf-8")
    write_dialect(path, ALL)
    text = path.read_text(encoding="utf-8")
    before, after = DEFAULT_SETTINGS_TEXT.splitlines(), text.splitlines()
    assert len(before) == len(after)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [
        ('# separator = "|"', 'separator = "||"'),
        ('# auth_scheme = "bearer"', 'auth_scheme = "raw"'),
        ('# recordings = "swapped"', 'recordings = "direct"'),
    ]
    settings = resolve_settings(path, env={}, flags={})
    assert dialect_confirmed(settings)
    for key, value in ALL.items():
        assert settings.get(f"smartflo.{key}") == value
        line = after.index(f'{key} = "{value}"') + 1
        assert settings.origin(f"smartflo.{key}") == f"file ivrsync.toml:{line}"
    assert read_settings_file(path).values.keys() == {f"smartflo.{key}" for key in ALL}


def test_write_dialect_refuses_a_broken_file_and_leaves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path("ivrsync.toml")
    path.write_text("[smartflo]\nseparator = \n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"^ivrsync\.toml:2:\d+: invalid TOML"):
        write_dialect(path, {"separator": "||"})
    assert path.read_text(encoding="utf-8") == "[smartflo]\nseparator = \n"
    assert [p.name for p in tmp_path.iterdir()] == ["ivrsync.toml"]


def test_write_dialect_refuses_a_table_where_a_key_goes(tmp_path: Path) -> None:
    path = tmp_path / "ivrsync.toml"
    path.write_text("[smartflo.separator]\nx = 1\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"cannot record smartflo\.separator"):
        write_dialect(path, {"separator": "||"})


@pytest.mark.parametrize(
    ("answers", "match"),
    [
        pytest.param({"timeout": "5"}, "not a dialect key", id="not-dialect"),
        pytest.param({"separator": "|||"}, re.escape('expected "|" or "||"'), id="bad-value"),
    ],
)
def test_write_dialect_refuses_bad_answers(
    tmp_path: Path, answers: dict[str, str], match: str
) -> None:
    path = tmp_path / "ivrsync.toml"
    with pytest.raises(ValueError, match=match):
        write_dialect(path, answers)
    assert not path.exists()
