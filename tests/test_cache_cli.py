"""The cache of checked IVR files, through the CLI: a warm run says exactly what a cold one says.

Every test compares runs with the cache against runs without it (`--no-cache`), over a config set
with errors and warnings, some of which come from another file (a duplicate id, an `ivr|`
reference to a file that goes away). Whether a run used the cache is seen in the cache folder:
a run that worked nothing out writes no pack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivrsync.commands.runtime import Runtime
from ivrsync.model import SCALAR_FIELDS
from ivrsync.settings import resolve_settings
from tests.testing.cached import (
    CACHE,
    COMMANDS,
    CONFIGS,
    pack_bytes,
    packs,
    problem_set,
    same,
    write,
)
from tests.testing.cli import RunCli
from tests.testing.documents import ivr_document


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config set with every kind of problem, cross-file ones among them."""
    return problem_set(tmp_path, monkeypatch)


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_warm_runs_say_what_runs_without_the_cache_say(
    run_cli: RunCli, configs: Path, command: tuple[str, ...]
) -> None:
    uncached = run_cli(*command, "--no-cache")
    cold = run_cli(*command)
    written = pack_bytes()
    warm = run_cli(*command)

    assert uncached.exit_code != 0 or command[0] == "graph"  # errors are in the set...
    same(uncached, cold)
    same(uncached, warm)
    assert written  # ...the cold run filled the cache, and the warm one used it:
    assert pack_bytes() == written  # nothing was worked out again


def test_errors_that_depend_on_another_file_follow_that_file(
    run_cli: RunCli, configs: Path
) -> None:
    run_cli("validate")
    cold = run_cli("validate")
    assert "IVR id 1 is also used by ivr-configs/copy.yaml" in cold.stdout
    assert "ivr|77 names no IVR" in cold.stdout

    # main.yaml is unchanged (cached); what it is told changes with the others.
    (CONFIGS / "copy.yaml").unlink()
    write("far.yaml", ivr_document(77))
    (CONFIGS / "support.yaml").unlink()
    warm = run_cli("validate")

    same(run_cli("validate", "--no-cache"), warm)
    assert "is also used by" not in warm.stdout
    assert "ivr|77" not in warm.stdout
    assert "ivr|3 names no IVR in the config set" in warm.stdout


def test_a_file_that_does_not_parse_still_silences_the_references_warnings(
    run_cli: RunCli, configs: Path
) -> None:
    run_cli("validate")
    write("broken.yaml", "id: 9\nname: [unclosed\n")
    warm = run_cli("validate")

    same(run_cli("validate", "--no-cache"), warm)
    assert "names no IVR" not in warm.stdout


@pytest.mark.parametrize(
    "damage",
    ["flipped", "truncated", "foreign header", "garbage lines", "empty", "a folder"],
)
def test_a_damaged_cache_is_ignored_and_rewritten(
    run_cli: RunCli, configs: Path, damage: str
) -> None:
    expected = run_cli("validate", "--no-cache")
    run_cli("validate")
    [pack] = packs()
    data = pack.read_bytes()
    if damage == "flipped":  # one character of an entry's problem: the line's check fails
        assert b"timout" in data
        pack.write_bytes(data.replace(b"timout", b"timoXt", 1))
    elif damage == "truncated":
        pack.write_bytes(data[: len(data) // 2])
    elif damage == "foreign header":
        pack.write_bytes(b"something else 7\n" + data.split(b"\n", 1)[1])
    elif damage == "garbage lines":
        pack.write_bytes(data + b"not a line\n\x00\xff\n" + b"f" * 32 + b" x y\n")
    elif damage == "empty":
        pack.write_bytes(b"")
    else:
        pack.unlink()
        (CACHE / pack.name).mkdir()

    damaged = run_cli("validate")
    rewritten = pack_bytes()
    again = run_cli("validate")

    same(expected, damaged)
    same(expected, again)
    assert rewritten  # the entries are back...
    assert pack_bytes() == rewritten  # ...and the run after found them all


def test_an_entry_that_is_no_summary_is_ignored_and_rewritten(
    run_cli: RunCli, configs: Path
) -> None:
    """An entry with a valid check but a foreign shape (another program's, a forged one)."""
    expected = run_cli("validate", "--no-cache")
    cache = Runtime(settings=resolve_settings(None, env={}, flags={}), use_cache=True)
    entries = cache.config_cache()
    assert entries is not None
    for path in CONFIGS.rglob("*.yaml"):
        for forged in (b"[1,2,3]", b'{"body": 1}', b'[[],2,1,"x",null,[],[],"d",{}]'):
            entries.put(entries.key(path.read_bytes()), forged)
    entries.save()

    forged_run = run_cli("validate")

    same(expected, forged_run)
    same(expected, run_cli("validate"))


def test_no_cache_writes_nothing(run_cli: RunCli, configs: Path) -> None:
    for command in COMMANDS:
        run_cli(*command, "--no-cache")

    assert not Path(".ivrsync").exists()


def test_cache_clear_empties_it(run_cli: RunCli, configs: Path) -> None:
    run_cli("validate")
    count = len(packs())

    cleared = run_cli("cache", "clear")

    assert cleared.exit_code == 0
    assert cleared.stdout.startswith(f"Cleared the cache in .ivrsync/cache: {count} files, ")
    assert packs() == []
    same(run_cli("validate", "--no-cache"), run_cli("validate"))
    assert packs()  # filled again
    assert run_cli("cache", "clear").exit_code == 0
    assert run_cli("cache", "clear").stdout.startswith("Cleared the cache in .ivrsync/cache: 0 ")


def test_a_settings_change_that_could_change_results_is_a_miss(
    run_cli: RunCli, configs: Path
) -> None:
    run_cli("validate")
    before = pack_bytes()
    Path("ivrsync.toml").write_text('[smartflo]\nseparator = "||"\n', encoding="utf-8")

    changed = run_cli("validate")

    same(run_cli("validate", "--no-cache"), changed)
    added = pack_bytes()[len(before) :] if pack_bytes().startswith(before) else pack_bytes()
    assert added.count(b"\n") >= 7  # every file again, under the new settings


def test_a_linked_cache_folder_is_not_written_through(
    run_cli: RunCli, configs: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Path(".ivrsync").mkdir()
    CACHE.symlink_to(elsewhere, target_is_directory=True)
    expected = run_cli("validate", "--no-cache")

    linked = run_cli("validate")

    assert (linked.exit_code, linked.stdout) == (expected.exit_code, expected.stdout)
    assert "is a symbolic link, and ivrsync does not write through links" in linked.stderr
    assert list(elsewhere.iterdir()) == []
    assert run_cli("cache", "clear").exit_code == 1  # nor deleted through


def test_the_cache_stays_within_its_bound(run_cli: RunCli, configs: Path) -> None:
    Path("ivrsync.toml").write_text("[cache]\nmax_mib = 1\n", encoding="utf-8")
    for round_number in range(4):  # each round rewrites every file: ~0.6 MiB of new entries
        for index in range(150):
            long = f"round {round_number} " + "x" * 4000
            write(f"bulk/b{index}.yaml", ivr_document(1000 + index, description=long))
        result = run_cli("validate")

        same(run_cli("validate", "--no-cache"), result)
        assert sum(path.stat().st_size for path in packs()) <= 1 << 20
    assert packs()


def test_two_runs_at_once_share_the_cache(configs: Path) -> None:
    for index in range(200):
        write(f"many/m{index}.yaml", ivr_document(2000 + index))
    env = {**os.environ, "SMARTFLO_RATE_LIMIT": "0"}
    command = [sys.executable, "-m", "ivrsync", "validate"]
    expected = subprocess.run([*command, "--no-cache"], capture_output=True, env=env, check=False)
    for round_number in range(3):
        write("many/m0.yaml", ivr_document(2000, description=f"round {round_number}"))
        runs = [
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            for _ in range(3)
        ]
        outcomes = [(run.wait(timeout=120), *run.communicate()) for run in runs]

        assert all(o == (expected.returncode, expected.stdout, expected.stderr) for o in outcomes)
    before = pack_bytes()
    after = subprocess.run(command, capture_output=True, env=env, check=False)
    assert (after.returncode, after.stdout) == (expected.returncode, expected.stdout)
    assert pack_bytes() == before  # every entry was there: the runs at once lost none


def test_plan_reads_the_state_from_the_cache_and_still_refuses_a_corrupt_one(
    run_cli: RunCli, configs: Path
) -> None:
    for name in ("copy.yaml", "typo.yaml", "octal.yaml"):
        (CONFIGS / name).unlink()
    state = Path(".ivrsync/state.json")
    state.parent.mkdir()
    run_cli("plan", "--no-cache")  # no state yet: a plan of adopts
    state.write_text(
        '{"version": 1, "lineage": "6d0ad7d4-3d71-4c4e-9f43-6fb1f7a2b5a0", "serial": 0, '
        '"ivrs": {}}\n',
        encoding="utf-8",
    )
    expected = run_cli("plan", "--no-cache")
    run_cli("plan")

    same(expected, run_cli("plan"))
    state.write_text(state.read_text(encoding="utf-8").replace('"serial": 0', '"serial": -1'))
    corrupt = run_cli("plan")
    same(run_cli("plan", "--no-cache"), corrupt)
    assert corrupt.exit_code == 1
    assert "the state file .ivrsync/state.json is corrupt" in corrupt.stderr


@pytest.mark.parametrize("field", ["timeout", "name", "timeout_destination"])
def test_an_entry_with_a_value_of_the_wrong_type_is_ignored(
    run_cli: RunCli, configs: Path, field: str
) -> None:
    """A forged entry of the right shape whose value has the wrong type (a number as text, text
    as a number) would crash the checks that compare it: it is no entry."""
    for name in ("copy.yaml", "typo.yaml", "octal.yaml"):  # no errors: every check runs
        (CONFIGS / name).unlink()
    expected = run_cli("validate", "--no-cache")
    run_cli("validate")
    cache = Runtime(settings=resolve_settings(None, env={}, flags={}), use_cache=True)
    entries = cache.config_cache()
    assert entries is not None
    index = SCALAR_FIELDS.index(field)
    forged = 0
    for path in CONFIGS.rglob("*.yaml"):
        key = entries.key(path.read_bytes())
        payload = entries.get(key)
        entry = json.loads(payload) if payload is not None else None
        if not isinstance(entry, list) or not entry:
            continue
        # A flat entry: mark, id, digest, count, the scalars...; else the body's values at 6.
        values = entry if entry[0] == 3 else entry[6]
        at = 4 + index if entry[0] == 3 else index
        if isinstance(values, list):
            values[at] = str(values[at]) if isinstance(values[at], int) else 7
            entries.put(key, json.dumps(entry).encode())
            forged += 1
    entries.save()
    assert forged

    same(expected, run_cli("validate"))
