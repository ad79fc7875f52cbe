"""Hostile IVR files and folders (issue #10, classes 2, 5, 7 and 8), through the real CLI.

Special and huge files end in a problem at once (never a hang, never a read of the whole thing);
values PyYAML cannot build end in the usual problem with file, line, column and hint (never an
internal error, exit 3); file names that are not UTF-8 are refused before any request; and
validation stays linear however many problems a file holds, reporting at most 50 of them.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from ivrsync.config.validate import MAX_PROBLEMS_PER_FILE
from ivrsync.fake_smartflo import FakeSmartflo
from tests.testing.cli import RunCli
from tests.testing.documents import VALID, edited
from tests.testing.hang import no_hang

TOKEN = "tok-hostile-config-31c9"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ivr-configs").mkdir()
    return tmp_path


# -- class 2: special and huge files ----------------------------------------------------------


def sparse_file(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no disk space (reading it would take the time)."""
    with path.open("wb") as handle:
        handle.truncate(size)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_and_huge_files_in_the_folder_are_problems_at_once(
    run_cli: RunCli, project: Path
) -> None:
    folder = project / "ivr-configs"
    sparse_file(folder / "a-gigabyte.yaml", 1 << 30)
    os.mkfifo(folder / "b-fifo.yaml")
    (folder / "c-device.yaml").symlink_to("/dev/zero")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "d-socket.yaml"))
    (folder / "e-valid.yaml").write_text(VALID, encoding="utf-8")

    with no_hang(10):
        result = run_cli("validate", "ivr-configs")
    listener.close()

    assert result.exit_code == 1
    assert result.stdout == (
        "ivr-configs/a-gigabyte.yaml: error: the file is larger than 4 MiB, the most ivrsync reads "
        "from an IVR file (hint: an IVR file is a few KB: keep one IVR per file, and only IVR "
        "files in the folder)\n"
        "ivr-configs/b-fifo.yaml: error: cannot read: not a regular file (hint: IVR files must be "
        "regular YAML files)\n"
        "ivr-configs/c-device.yaml: error: cannot read: not a regular file (hint: IVR files must "
        "be regular YAML files)\n"
        "ivr-configs/d-socket.yaml: error: cannot read: No such device or address (hint: check "
        "that the file exists and is readable (a broken link, or permissions?))\n"
        "checked 5 files: 4 errors, 0 warnings\n"
    )


@pytest.mark.parametrize("name", ["/dev/zero", "/dev/urandom"], ids=["zero", "urandom"])
def test_a_device_named_on_the_command_line_is_a_problem(run_cli: RunCli, name: str) -> None:
    with no_hang(10):
        result = run_cli("validate", name)

    assert (result.exit_code, result.stdout) == (
        1,
        f"{name}: error: cannot read: not a regular file (hint: IVR files must be regular YAML "
        "files)\nchecked 1 file: 1 error, 0 warnings\n",
    )


def test_a_file_just_within_the_bound_is_read(run_cli: RunCli, project: Path) -> None:
    padding = "#" * ((4 << 20) - len(VALID) - 1) + "\n"
    (project / "ivr-configs" / "padded.yaml").write_text(VALID + padding, encoding="ascii")

    assert run_cli("validate", "ivr-configs").exit_code == 0


# -- class 5: values PyYAML cannot build ---------------------------------------------------------

TAG_HINT = "(hint: remove the `!!{}` tag (IVR files need no tags), or write a valid value for it)"
DIGITS = (
    "has more than 4300 digits (hint: IVR fields hold small numbers such as 20 or 349; quote the "
    "value if it is text)"
)
UNKNOWN_TAG = (
    "(hint: IVR files need no tags: remove it (ivrsync reads plain YAML and never runs a tag))"
)


def case(new: str, expected: str, name: str, old: str = "timeout: 20") -> object:
    """A line of VALID (`old`) replaced by `new`, and the start of the problem it must give."""
    return pytest.param(old, new, expected, id=name)


BAD_VALUES = [
    case(
        'timeout: !!int "abc"',
        "5:10: error: 'abc' cannot be read as !!int " + TAG_HINT.format("int"),
        "int",
    ),
    case(
        'timeout: !!timestamp "x"',
        "5:10: error: 'x' cannot be read as !!timestamp " + TAG_HINT.format("timestamp"),
        "timestamp",
    ),
    case(
        'timeout: !!timestamp "2001-02-30"',
        "5:10: error: '2001-02-30' cannot be read as !!timestamp " + TAG_HINT.format("timestamp"),
        "february-30",
    ),
    case(
        'timeout: !!float "abc"',
        "5:10: error: 'abc' cannot be read as !!float " + TAG_HINT.format("float"),
        "float",
    ),
    case(
        'timeout: !!bool "maybe"',
        "5:10: error: 'maybe' cannot be read as !!bool " + TAG_HINT.format("bool"),
        "bool",
    ),
    case(
        '? !!int "zz"\n: 3',
        "5:3: error: 'zz' cannot be read as !!int " + TAG_HINT.format("int"),
        "tagged-key",
    ),
    case(
        "timeout: 2001-13-45",
        "5:10: error: '2001-13-45' looks like a date to YAML, but is not a valid one (hint: "
        "quote it to keep it as text, or fix the date)",
        "implicit-date",
    ),
    case(
        'timeout: !!binary "é"',
        "5:10: error: YAML syntax error: failed to convert base64 data into ascii",
        "binary",
    ),
    case(
        'timeout: !!python/object/apply:os.system ["id"]',
        "5:10: error: unknown YAML tag '!!python/object/apply:os.system' " + UNKNOWN_TAG,
        "python",
    ),
    case("timeout: !Ref x", "5:10: error: unknown YAML tag '!Ref' " + UNKNOWN_TAG, "unknown-tag"),
    case(
        "timeout: !<tag:example.com,2000:x> 1",
        "5:10: error: unknown YAML tag 'tag:example.com,2000:x' " + UNKNOWN_TAG,
        "verbatim-tag",
    ),
    case(
        "timeout: 1" + "0" * 5000, f"5:10: error: the number '1{'0' * 56}...' " + DIGITS, "digits"
    ),
    case(
        "timeout: -" + "1" * 4400, f"5:10: error: the number '-{'1' * 56}...' " + DIGITS, "negative"
    ),
    case("timeout: 0x" + "f" * 5000, f"5:10: error: the number '0x{'f' * 55}...' " + DIGITS, "hex"),
    case(
        "timeout: 1" + ":59" * 3000,
        f"5:10: error: the number '1{':59' * 18}:5...' " + DIGITS,
        "base-60",
    ),
    case(
        "id: 9" + "9" * 5000, f"1:5: error: the number '{'9' * 57}...' " + DIGITS, "id", "id: 349"
    ),
    case(
        "option: 2" + "2" * 5000,
        f"17:13: error: the number '{'2' * 57}...' " + DIGITS,
        "menu-key",
        "option: 2",
    ),
    case(
        'timeout: "' + "1" * 5000 + '"',
        f"5:10: error: timeout: expected a whole number, got the text '{'1' * 37}...'",
        "digits-quoted",
    ),
    case(
        'name: "\\ud800"',
        "2:10: error: YAML syntax error: found invalid Unicode character escape code",
        "lone-surrogate",
        "name: Support IVR",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD_VALUES)
def test_values_yaml_cannot_build_are_problems_at_the_value(
    run_cli: RunCli, project: Path, old: str, new: str, expected: str
) -> None:
    (project / "ivr-configs" / "x.yaml").write_text(edited(old, new), encoding="utf-8")

    result = run_cli("validate", "ivr-configs")

    assert result.exit_code == 1, result.stderr
    assert result.stdout.startswith(f"ivr-configs/x.yaml:{expected}")


# -- class 7: file names that are not UTF-8 ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"caf\xe9.yaml", "caf\\xe9.yaml"),
        (b"\xff\xfe.yaml", "\\xff\\xfe.yaml"),
        (b"cut\xe2\x82.yaml", "cut\\xe2\\x82.yaml"),
        (b"sub-\xe9/ivr.yaml", "sub-\\xe9/ivr.yaml"),
    ],
    ids=["latin-1", "invalid-bytes", "truncated-sequence", "folder"],
)
def test_a_file_name_that_is_not_utf8_is_refused_before_any_request(
    run_cli: RunCli, project: Path, raw: bytes, shown: str
) -> None:
    target = os.path.join(os.fsencode(project / "ivr-configs"), raw)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(VALID)
    problem = (
        f"ivr-configs/{shown}: error: the file name is not UTF-8, so ivrsync could not record "
        "this IVR's source in the state; the file was not read (hint: rename the file with "
        "UTF-8 characters only (e.g. `git mv`), then run again)\n"
    )

    validated = run_cli("validate", "ivr-configs")
    planned = run_cli("plan", "--format", "json")
    with FakeSmartflo(token=TOKEN) as fake:
        env = {"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_BASE_URL": fake.url}
        applied = run_cli("apply", "--auto-approve", env=env)
        requests = list(fake.requests)

    assert (validated.exit_code, validated.stdout) == (
        1,
        problem + "checked 1 file: 1 error, 0 warnings\n",
    )
    for result in (planned, applied):
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr.startswith(problem)
    assert requests == []
    assert not (project / ".ivrsync" / "state.json").exists()


# -- class 8: linear validation, capped problems ------------------------------------------------


def unknown_keys(count: int) -> str:
    return VALID + "".join(f"unknown_key_{i}: {i}\n" for i in range(count))


def duplicate_keys(count: int) -> str:
    return VALID + "".join(f"timeout: {i}\n" for i in range(count))


def menu_entries(count: int) -> str:
    return VALID + "".join(
        f'  - option: "1"\n    destination: extension|845\n    extra_{i}: x\n' for i in range(count)
    )


@pytest.mark.parametrize(
    ("make", "count", "more"),
    [
        (unknown_keys, 10_000, 9_950),
        (unknown_keys, 20_000, 19_950),
        (duplicate_keys, 5_000, 4_951),  # one more: the first duplicate of `timeout` itself
        (duplicate_keys, 10_000, 9_951),
        # each entry: its own unknown key and a repeated option; and the menu is too long
        (menu_entries, 500, 951),
        (menu_entries, 1_000, 1_951),
    ],
    ids=["unknown-10k", "unknown-20k", "duplicate-5k", "duplicate-10k", "menu-500", "menu-1k"],
)
def test_a_file_reports_at_most_50_problems_and_counts_the_rest(
    run_cli: RunCli, project: Path, make: object, count: int, more: int
) -> None:
    # Doubling the input doubles the work and changes nothing else (the time is measured by
    # benchmarks/bench_hostile.py, not here).
    text = make(count)  # type: ignore[operator]
    (project / "ivr-configs" / "x.yaml").write_text(text, encoding="utf-8")

    result = run_cli("validate", "--format", "json", "ivr-configs")

    problems = json.loads(result.stdout)["problems"]
    assert result.exit_code == 1
    assert len(problems) == MAX_PROBLEMS_PER_FILE + 1
    last = problems[-1]
    assert last["message"].startswith(f"and {more} more problems in this file, from line ")
    assert last["hint"] == "fix the first 50, then validate again"
    lines = [p["line"] for p in problems]
    assert lines == sorted(lines)


def test_only_shown_problems_get_a_did_you_mean(run_cli: RunCli, project: Path) -> None:
    text = VALID + "".join(f"timeut_{i}: 1\n" for i in range(200))
    (project / "ivr-configs" / "x.yaml").write_text(text.replace("timeout: 20\n", ""), "utf-8")

    result = run_cli("validate", "ivr-configs")

    lines = result.stdout.splitlines()
    assert len(lines) == MAX_PROBLEMS_PER_FILE + 2  # and the summary line
    # The mistyped keys stand for the missing `timeout`, so it is not reported as missing too.
    assert "missing field" not in result.stdout
    assert all("did you mean 'timeout'?" in line for line in lines[:50])
    assert "and 150 more problems in this file" in lines[50]


@pytest.fixture
def two_files(project: Path) -> Path:
    folder = project / "ivr-configs"
    (folder / "a.yaml").write_text(unknown_keys(60), encoding="utf-8")
    (folder / "b.yaml").write_text(unknown_keys(60).replace("id: 349", "id: 350"), "utf-8")
    return folder


def test_the_cap_is_per_file(run_cli: RunCli, two_files: Path) -> None:
    # 61 problems each: 60 unknown keys and the name both files give their IVR.
    result = run_cli("validate", "ivr-configs")

    counts = [line for line in result.stdout.splitlines() if "more problems" in line]
    assert counts == [
        "ivr-configs/a.yaml:68:1: error: and 11 more problems in this file, from line 68 on, not "
        "shown (hint: fix the first 50, then validate again)",
        "ivr-configs/b.yaml:68:1: error: and 11 more problems in this file, from line 68 on, not "
        "shown (hint: fix the first 50, then validate again)",
    ]
