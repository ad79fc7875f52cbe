"""ivrsync.settings: finding ivrsync.toml, and every problem named by file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrsync.errors import UsageError
from ivrsync.settings import find_settings_file, read_settings_file
from ivrsync.settings.layout import scan_layout

# --- Discovery --------------------------------------------------------------------------------


def _touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("files", "start", "expected"),
    [
        pytest.param(
            ["repo/.git/", "repo/ivrsync.toml", "repo/a/ivrsync.toml"],
            "repo/a/b",
            "repo/a/ivrsync.toml",
            id="nearest-parent",
        ),
        pytest.param(
            ["repo/.git/", "repo/ivrsync.toml", "repo/a/b/ivrsync.toml"],
            "repo/a/b",
            "repo/a/b/ivrsync.toml",
            id="in-start",
        ),
        pytest.param(
            ["repo/.git/", "repo/ivrsync.toml"], "repo/a/b", "repo/ivrsync.toml", id="at-repo-root"
        ),
        pytest.param(
            ["ivrsync.toml", "repo/.git/"], "repo/a", None, id="stops-at-repo-root-git-folder"
        ),
        pytest.param(
            ["ivrsync.toml", "repo/.git"], "repo/a", None, id="stops-at-repo-root-git-file"
        ),
        pytest.param(
            ["ivrsync.toml", "repo/sub/.git/"],
            "repo/sub/x",
            None,
            id="stops-at-a-submodule-root",
        ),
        pytest.param(
            [".git/", "repo/ivrsync.toml/"],
            "repo",
            None,
            id="a-folder-named-ivrsync-toml-is-no-file",
        ),
    ],
)
def test_discovery(tmp_path: Path, files: list[str], start: str, expected: str | None) -> None:
    for name in files:
        if name.endswith("/"):
            (tmp_path / name).mkdir(parents=True, exist_ok=True)
        else:
            _touch(tmp_path / name)
    (tmp_path / start).mkdir(parents=True, exist_ok=True)
    found = find_settings_file(tmp_path / start, explicit=None, env={})
    assert found == (tmp_path / expected if expected else None)


def test_discovery_from_a_relative_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    _touch(tmp_path / "ivrsync.toml")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert find_settings_file(Path(), explicit=None, env={}) == tmp_path / "ivrsync.toml"


def test_explicit_wins_over_env_and_discovery(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _touch(tmp_path / "ivrsync.toml")
    chosen = _touch(tmp_path / "chosen.toml")
    other = _touch(tmp_path / "other.toml")
    env = {"IVRSYNC_CONFIG": str(other)}
    assert find_settings_file(tmp_path, explicit=str(chosen), env=env) == chosen


def test_env_wins_over_discovery_and_empty_env_is_unset(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    nearest = _touch(tmp_path / "ivrsync.toml")
    other = _touch(tmp_path / "other.toml")
    assert find_settings_file(tmp_path, explicit=None, env={"IVRSYNC_CONFIG": str(other)}) == other
    assert find_settings_file(tmp_path, explicit=None, env={"IVRSYNC_CONFIG": ""}) == nearest


@pytest.mark.parametrize(
    ("explicit", "env", "fragments"),
    [
        pytest.param("missing.toml", {}, ["missing.toml", "--config", "does not exist"], id="flag"),
        pytest.param(
            None,
            {"IVRSYNC_CONFIG": "gone.toml"},
            ["gone.toml", "IVRSYNC_CONFIG", "does not exist"],
            id="env",
        ),
        pytest.param("folder", {}, ["folder", "is a folder"], id="flag-folder"),
    ],
)
def test_a_named_file_must_exist(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    explicit: str | None,
    env: dict[str, str],
    fragments: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    _touch(tmp_path / "ivrsync.toml")
    with pytest.raises(UsageError) as caught:
        find_settings_file(tmp_path, explicit=explicit, env=env)
    for fragment in fragments:
        assert fragment in caught.value.message


# --- Problems, each with file:line ------------------------------------------------------------

PROBLEM_CASES = [
    # id, file text, where, message fragment, hint fragment
    (
        "unknown-key-did-you-mean",
        '# dialect\n[smartflo]\nseperator = "||"\n',
        "ivrsync.toml:3",
        "unknown key `seperator` in [smartflo]",
        "did you mean `separator`?",
    ),
    (
        "unknown-section-did-you-mean",
        "[smartlfo]\ntimeout = 5\n",
        "ivrsync.toml:1",
        "unknown section [smartlfo]",
        "did you mean `smartflo`?",
    ),
    (
        "unknown-section-no-close-name",
        "[paths]\n\n[zzz]\n",
        "ivrsync.toml:3",
        "unknown section [zzz]",
        "the sections are [paths], [cache], [smartflo], [apply], [routing], [checks]",
    ),
    (
        "key-in-the-wrong-section",
        "[apply]\ntimeout = 5\n",
        "ivrsync.toml:2",
        "unknown key `timeout` in [apply]",
        "`timeout` belongs in [smartflo]",
    ),
    (
        "key-outside-any-section",
        "retries = 3\n",
        "ivrsync.toml:1",
        "unknown setting `retries` outside any section",
        "did you mean `[smartflo] retries`?",
    ),
    (
        "wrong-type-string-for-number",
        '[smartflo]\ntimeout = "fast"\n',
        "ivrsync.toml:2",
        'smartflo.timeout: expected a number greater than 0, found "fast" (a string)',
        "",
    ),
    (
        "wrong-type-bool-for-int",
        "[smartflo]\n\nretries = true\n",
        "ivrsync.toml:3",
        "smartflo.retries: expected an integer from 0 to 20, found true (a boolean)",
        "",
    ),
    (
        "wrong-type-float-for-int",
        "[apply]\nparallelism = 2.0\n",
        "ivrsync.toml:2",
        "apply.parallelism: expected an integer from 1 to 64, found 2.0 (a float)",
        "",
    ),
    (
        "wrong-type-string-for-bool",
        '[apply]\ncanary = "yes"\n',
        "ivrsync.toml:2",
        'apply.canary: expected true or false, found "yes" (a string)',
        "",
    ),
    (
        "out-of-range-int",
        "[apply]\nparallelism = 65\n",
        "ivrsync.toml:2",
        "apply.parallelism: expected an integer from 1 to 64, found 65 (an integer)",
        "",
    ),
    (
        "out-of-range-open-minimum",
        "[apply]\nmass_change_ratio = 0\n",
        "ivrsync.toml:2",
        "apply.mass_change_ratio: expected a number greater than 0 and at most 1, found 0",
        "",
    ),
    (
        "out-of-range-maximum",
        "[apply]\nmass_change_ratio = 1.5\n",
        "ivrsync.toml:2",
        "apply.mass_change_ratio: expected a number greater than 0 and at most 1, found 1.5",
        "",
    ),
    (
        "out-of-range-negative",
        "[smartflo]\nrate_limit = -1\n",
        "ivrsync.toml:2",
        "smartflo.rate_limit: expected a number at least 0 (0 = unlimited), found -1",
        "",
    ),
    (
        "not-finite",
        "[smartflo]\ntimeout = inf\n",
        "ivrsync.toml:2",
        "smartflo.timeout: expected a number greater than 0, found inf (a float)",
        "",
    ),
    (
        "bad-allowed-value",
        '[smartflo]\nseparator = "|||"\n',
        "ivrsync.toml:2",
        'smartflo.separator: expected "|" or "||", found "|||" (a string)',
        "did you mean `||`?",
    ),
    (
        "bad-allowed-value-did-you-mean",
        '[smartflo]\nauth_scheme = "Bearer"\n',
        "ivrsync.toml:2",
        'smartflo.auth_scheme: expected "bearer" or "raw", found "Bearer"',
        "did you mean `bearer`?",
    ),
    (
        "token-env-holds-a-token",
        '[smartflo]\ntoken_env = "eyJhbGciOi.J9"\n',
        "ivrsync.toml:2",
        "smartflo.token_env: expected the name of an environment variable",
        "never put the token itself in the file",
    ),
    (
        "base-url-not-http",
        '[smartflo]\nbase_url = "api-smartflo.tatateleservices.com"\n',
        "ivrsync.toml:2",
        "smartflo.base_url: expected an http:// or https:// URL",
        "",
    ),
    (
        "empty-path",
        '[paths]\nstate = ""\n',
        "ivrsync.toml:2",
        'paths.state: expected a non-empty path (a string), found "" (a string)',
        "",
    ),
    (
        "entry-points-not-an-array",
        '[routing]\nentry_points = "Main"\n',
        "ivrsync.toml:2",
        "routing.entry_points: expected an array of IVR names",
        "",
    ),
    (
        "entry-points-bad-item",
        '[routing]\nentry_points = [\n  "Main",\n  0,\n]\n',
        "ivrsync.toml:2",
        "found an array holding 0 (an integer)",
        "",
    ),
    (
        "secret-token",
        '[smartflo]\ntoken = "abc"\n',
        "ivrsync.toml:2",
        "refused key `token` in [smartflo]",
        "secrets do not belong in the file",
    ),
    (
        "secret-password-at-top-level",
        'password = "hunter2"\n',
        "ivrsync.toml:1",
        "refused key `password`",
        "secrets do not belong in the file",
    ),
    (
        "section-not-a-table",
        "smartflo = 5\n",
        "ivrsync.toml:1",
        "`smartflo` must be a table ([smartflo]), found 5 (an integer)",
        "",
    ),
    (
        "array-of-tables",
        "[[apply]]\nparallelism = 2\n",
        "ivrsync.toml:1",
        "`apply` must be a table ([apply]), found an array",
        "",
    ),
    (
        "subtable-in-a-section",
        "[smartflo.extra]\nx = 1\n",
        "ivrsync.toml:1",
        "unknown key `extra` in [smartflo]",
        "",
    ),
    (
        "severity-bad-did-you-mean",
        '[checks]\ndead-end = "warn"\n',
        "ivrsync.toml:2",
        'checks.dead-end: expected "warning", "error" or "off", found "warn" (a string)',
        "did you mean `warning`?",
    ),
    (
        "severity-not-a-string",
        "[checks]\ndead-end = 1\n",
        "ivrsync.toml:2",
        "checks.dead-end: expected",
        "",
    ),
    (
        "rule-name-invalid",
        '[checks]\nDead_End = "error"\n',
        "ivrsync.toml:2",
        'invalid rule name "Dead_End" in [checks]',
        "lowercase letters, digits and dashes",
    ),
    # Positions through TOML's other forms.
    (
        "dotted-key-at-top-level",
        '# x\nsmartflo.seperator = "|"\n',
        "ivrsync.toml:2",
        "unknown key `seperator` in [smartflo]",
        "did you mean `separator`?",
    ),
    (
        "dotted-section-at-top-level",
        "\nsmartlfo.timeout = 5\n",
        "ivrsync.toml:2",
        "unknown section [smartlfo]",
        "did you mean `smartflo`?",
    ),
    (
        "inline-table",
        "[paths]\n\nsmartflo = { timeout = 0 }\n",
        "ivrsync.toml:3",
        "unknown key `smartflo` in [paths]",
        "",
    ),
    (
        "inline-table-at-top-level-multiline-value-before",
        "apply = { parallelism = 2 }\nsmartflo = { retries = [\n1,\n], timeout = 1 }\n",
        "ivrsync.toml:2",
        "smartflo.retries: expected an integer from 0 to 20, found an array",
        "",
    ),
    (
        "quoted-key",
        '[smartflo]\n"seperator" = "|"\n',
        "ivrsync.toml:2",
        "unknown key `seperator` in [smartflo]",
        "did you mean `separator`?",
    ),
    (
        "quoted-section-and-literal-key",
        "[ \"smartflo\" ] # the API\n'time out' = 1\n",
        "ivrsync.toml:2",
        "unknown key `time out` in [smartflo]",
        "did you mean `timeout`?",
    ),
    (
        "after-a-multiline-string",
        '[paths]\nconfig_dir = """\nretries = 99\n[apply]\n"""\n[smartflo]\nretries = 99\n',
        "ivrsync.toml:7",
        "smartflo.retries: expected an integer from 0 to 20, found 99",
        "",
    ),
    (
        "after-a-multiline-array-with-comments",
        '[routing]\nentry_points = [\n  "a", # x = 1\n  "b",\n]\n[smartflo]\nretries = -1\n',
        "ivrsync.toml:7",
        "smartflo.retries: expected an integer from 0 to 20, found -1",
        "",
    ),
    (
        "after-a-literal-string-with-a-hash",
        "[smartflo]\nbase_url = 'https://x/#[apply]'\nretries = -1\n",
        "ivrsync.toml:3",
        "smartflo.retries: expected an integer from 0 to 20, found -1",
        "",
    ),
    (
        "crlf-lines",
        "[smartflo]\r\n\r\nretries = -1\r\n",
        "ivrsync.toml:3",
        "smartflo.retries: expected an integer",
        "",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "message", "hint"),
    [pytest.param(*case[1:], id=case[0]) for case in PROBLEM_CASES],
)
def test_each_problem_names_file_line_and_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    where: str,
    message: str,
    hint: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ivrsync.toml").write_bytes(text.encode("utf-8"))
    with pytest.raises(UsageError) as caught:
        read_settings_file(Path("ivrsync.toml"))
    assert caught.value.message.startswith(f"{where}: ")
    assert message in caught.value.message
    if hint:
        assert hint in caught.value.hint
    else:
        assert "did you mean" not in caught.value.hint


def test_every_problem_is_reported_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ivrsync.toml").write_text(
        '[smartflo]\nseperator = "|"\ntimeout = 0\n\n[smartlfo]\n[apply]\ncanary = 1\n',
        encoding="utf-8",
    )
    with pytest.raises(UsageError) as caught:
        read_settings_file(Path("ivrsync.toml"))
    lines = caught.value.message.splitlines()
    assert lines[0] == "4 problems with the settings:"
    assert [line.split(": ")[0].strip() for line in lines[1:]] == [
        "ivrsync.toml:2",
        "ivrsync.toml:3",
        "ivrsync.toml:5",
        "ivrsync.toml:7",
    ]
    assert "did you mean `separator`?" in lines[1]
    assert "did you mean `smartflo`?" in lines[3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", {}, id="empty"),
        pytest.param("# only comments\n\n[paths]\n[checks]\n", {}, id="empty-sections"),
        pytest.param(
            "[smartflo]\ntimeout = 5\nretry_delay = 0\n",
            {"smartflo.timeout": 5.0, "smartflo.retry_delay": 0.0},
            id="int-accepted-for-float",
        ),
        pytest.param(
            'smartflo.separator = "||"\napply = { canary = false }\n'
            '[routing]\nentry_points = ["Main", 349]\n[checks]\nloop-2 = "off"\n',
            {
                "smartflo.separator": "||",
                "apply.canary": False,
                "routing.entry_points": ("Main", 349),
                "checks.loop-2": "off",
            },
            id="every-form",
        ),
    ],
)
def test_valid_files(tmp_path: Path, text: str, expected: dict[str, object]) -> None:
    path = tmp_path / "ivrsync.toml"
    path.write_text(text, encoding="utf-8")
    assert dict(read_settings_file(path).values) == expected


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        pytest.param(
            "[smartflo]\ntimeout = = 5\n", "ivrsync.toml:2:11", "Invalid value", id="value"
        ),
        pytest.param("[paths]\n\n[apply\n", "ivrsync.toml:3:7", "Expected ']'", id="header"),
        pytest.param(
            '[smartflo]\nbase_url = "https://x\n',
            "ivrsync.toml:2:",
            "Illegal character",
            id="unterminated-string",
        ),
        pytest.param(
            "[smartflo]\nretries = 1\nretries = 2\n",
            "ivrsync.toml:3",
            "Cannot overwrite a value",
            id="duplicate-key-at-end",
        ),
        pytest.param(
            "[apply]\n[apply]\n", "ivrsync.toml:2", "Cannot declare", id="duplicate-table"
        ),
    ],
)
def test_a_syntax_error_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, where: str, reason: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ivrsync.toml").write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        read_settings_file(Path("ivrsync.toml"))
    assert caught.value.message.startswith(where)
    assert "invalid TOML" in caught.value.message
    assert reason in caught.value.message
    assert "(at line" not in caught.value.message


def test_a_file_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ivrsync.toml").write_bytes(b"[paths]\nconfig_dir = '\xff'\n")
    with pytest.raises(UsageError, match=r"ivrsync\.toml: not UTF-8"):
        read_settings_file(Path("ivrsync.toml"))


def test_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the settings file"):
        read_settings_file(tmp_path)


# --- The scanner ------------------------------------------------------------------------------

LAYOUT_TEXT = """\
# comment = not a key
top = 1
a.b.c = "x"   # dotted
[ s ]   # header with a comment
"quoted.key" = 'lit'
multi = '''
fake = 1
'''
arr = [
  1, # x = 2
  { inner = 3, deep = { x = 4 } },
]
after = 5
[[list]]
item = 6
[s2.sub]
k = 1979-05-27 07:32:00Z
last = { }
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        pytest.param(("top",), 2, id="top"),
        pytest.param(("a",), 3, id="dotted-parent"),
        pytest.param(("a", "b", "c"), 3, id="dotted"),
        pytest.param(("s",), 4, id="header"),
        pytest.param(("s", "quoted.key"), 5, id="quoted"),
        pytest.param(("s", "multi"), 6, id="multiline-string"),
        pytest.param(("s", "arr"), 9, id="array"),
        pytest.param(("s", "arr", "inner"), 11, id="inline-in-array"),
        pytest.param(("s", "arr", "deep", "x"), 11, id="nested-inline"),
        pytest.param(("s", "after"), 13, id="after-array"),
        pytest.param(("list",), 14, id="array-table"),
        pytest.param(("list", "item"), 15, id="array-table-key"),
        pytest.param(("s2",), 16, id="implicit-parent"),
        pytest.param(("s2", "sub", "k"), 17, id="datetime"),
        pytest.param(("s2", "sub", "last"), 18, id="empty-inline"),
        pytest.param(("s2", "sub", "last", "missing"), 18, id="falls-back-to-parent"),
    ],
)
def test_scanner_positions(path: tuple[str, ...], line: int) -> None:
    layout = scan_layout(LAYOUT_TEXT)
    assert layout.line_of(path) == line


def test_scanner_spans_cover_the_values() -> None:
    layout = scan_layout(LAYOUT_TEXT)
    spans = {path: LAYOUT_TEXT[span.start : span.end] for path, span in layout.pairs}
    assert spans[("a", "b", "c")] == '"x"'
    assert spans[("s", "multi")] == "'''\nfake = 1\n'''"
    assert spans[("s2", "sub", "k")] == "1979-05-27 07:32:00Z"
    assert spans[("s2", "sub", "last")] == "{ }"
    assert ("s", "fake") not in layout.keys
    assert layout.line_of(("nowhere",)) is None
