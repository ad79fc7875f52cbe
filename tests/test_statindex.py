"""The cache's index of file statuses: a file whose status is unchanged is not read again, and
a file that changed in any way is, however its times were set.

Files written by a test are seconds old at most, and the index remembers no file younger than
`RACY_NS` (a second write within the same clock tick could keep its status): tests that need
files remembered move that window into the future with `remember_everything`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ivrsync.config.validate as validate_module
import ivrsync.state.disk as disk
from ivrsync import files
from ivrsync.config import loader, statindex
from ivrsync.config.cache import EntryCache
from ivrsync.config.statindex import INDEX_NAME, StatIndex
from tests.testing.cached import (
    CACHE,
    COMMANDS,
    CONFIGS,
    menu_to,
    problem_set,
    same,
    write,
)
from tests.testing.cli import RunCli
from tests.testing.documents import ivr_document


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return problem_set(tmp_path, monkeypatch)


@pytest.fixture
def remember_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statindex, "RACY_NS", -3600 * 10**9)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The IVR files the loader reads, by name, as they are read."""
    names: list[str] = []
    real = loader.read_config

    def spy(path: str | Path, display: str) -> object:
        names.append(display)
        return real(path, display)

    monkeypatch.setattr(validate_module, "read_config", spy)
    return names


def remembered(folder: Path) -> Path:
    """A file `a.yaml` in `folder`, remembered by the index there with the digest `k` * 32."""
    path = folder / "a.yaml"
    path.write_text("id: 1\n", encoding="utf-8")
    index = StatIndex(folder)
    digest, status = index.lookup(str(path))
    assert digest is None
    assert status is not None
    index.remember(str(path), status, b"k" * 32)
    index.save()
    return path


def test_an_unchanged_file_is_known_without_reading(
    tmp_path: Path, remember_everything: None
) -> None:
    path = remembered(tmp_path)

    assert StatIndex(tmp_path).lookup(str(path))[0] == b"k" * 32


def test_a_change_that_keeps_size_and_times_is_still_seen(
    tmp_path: Path, remember_everything: None
) -> None:
    path = remembered(tmp_path)
    before = os.stat(path)

    path.write_text("id: 2\n", encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same times, set back

    assert StatIndex(tmp_path).lookup(str(path))[0] is None  # its change time moved


def test_a_file_written_in_the_last_moments_is_not_remembered(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("id: 1\n", encoding="utf-8")

    assert StatIndex(tmp_path).lookup(str(path)) == (None, None)


@pytest.mark.parametrize("damage", ["flipped", "truncated", "another folder", "a link"])
def test_a_damaged_or_foreign_index_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remember_everything: None, damage: str
) -> None:
    path = remembered(tmp_path)
    stored = tmp_path / INDEX_NAME
    data = stored.read_bytes()
    if damage == "flipped":
        stored.write_bytes(data.replace(b"k" * 32, b"k" * 31 + b"j"))
    elif damage == "truncated":
        stored.write_bytes(data[:-5])
    elif damage == "another folder":  # names are relative to the working folder
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")
    else:
        stored.rename(tmp_path / "moved")
        stored.symlink_to(tmp_path / "moved")

    assert StatIndex(tmp_path).lookup(str(path))[0] is None


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_runs_the_index_knows_say_what_runs_without_the_cache_say(
    run_cli: RunCli, configs: Path, remember_everything: None, command: tuple[str, ...]
) -> None:
    uncached = run_cli(*command, "--no-cache")
    run_cli(*command)  # fills the cache and the index
    assert (CACHE / INDEX_NAME).is_file()

    same(uncached, run_cli(*command))  # positions are looked up in files not read otherwise


def test_a_warm_run_reads_only_the_files_that_changed(
    run_cli: RunCli, configs: Path, remember_everything: None, reads: list[str]
) -> None:
    run_cli("validate")
    assert len(reads) == 7
    reads.clear()
    write("sales.yaml", ivr_document(2, timeout=20))

    warm = run_cli("validate")

    assert reads == ["ivr-configs/sales.yaml"]
    same(run_cli("validate", "--no-cache"), warm)
    assert "90 s" not in warm.stdout


def test_an_edit_that_keeps_the_size_and_the_times_is_checked(
    run_cli: RunCli, configs: Path, remember_everything: None
) -> None:
    path = write("next.yaml", ivr_document(8, menu=menu_to("ivr|2")))
    run_cli("validate")
    before = os.stat(path)
    path.write_text(path.read_text(encoding="utf-8").replace("ivr|2", "ivr|9"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size

    warm = run_cli("validate")

    assert "ivr|9 names no IVR in the config set" in warm.stdout
    same(run_cli("validate", "--no-cache"), warm)


def test_cache_clear_removes_the_index(
    run_cli: RunCli, configs: Path, remember_everything: None, reads: list[str]
) -> None:
    run_cli("validate")
    assert (CACHE / INDEX_NAME).is_file()
    reads.clear()

    run_cli("cache", "clear")
    run_cli("validate")

    assert not (CACHE / INDEX_NAME).exists() or len(reads) == 7
    assert len(reads) == 7


def test_a_file_changed_after_the_index_read_it_keeps_its_entry_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remember_everything: None
) -> None:
    """Positions are looked up in a file the index knew only when a problem needs them; one
    changed meanwhile gives no positions to the entry of its old bytes."""
    monkeypatch.chdir(tmp_path)
    path = write("a.yaml", ivr_document(1, timeout=90))
    cache = EntryCache(tmp_path / "cache", namespace=b"x", max_bytes=1 << 20)
    validate_module.load_config_set([CONFIGS], cache=cache)
    cache.save()
    cache = EntryCache(tmp_path / "cache", namespace=b"x", max_bytes=1 << 20)
    summaries = validate_module._summaries([str(path)], ["ivr-configs/a.yaml"], cache)
    assert summaries[0].cache_key is not None
    path.write_text("\n" + path.read_text(encoding="utf-8"), encoding="utf-8")

    assert summaries[0].locate(("name",)) == (0, 0)  # its text is not the one checked...
    assert summaries[0].cache_key is None  # ...and its entry is not rewritten with it


def test_plan_knows_an_unchanged_state_file_without_reading_it(
    run_cli: RunCli, configs: Path, remember_everything: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("copy.yaml", "typo.yaml", "octal.yaml"):
        (CONFIGS / name).unlink()
    state = Path(".ivrsync/state.json")
    state.parent.mkdir()
    state.write_text(
        '{"version": 1, "lineage": "6d0ad7d4-3d71-4c4e-9f43-6fb1f7a2b5a0", "serial": 0, '
        '"ivrs": {}}\n',
        encoding="utf-8",
    )
    expected = run_cli("plan", "--no-cache")
    run_cli("plan")
    opened: list[str] = []
    real = files.open_regular_file

    def spy(path: str | Path, **options: bool) -> int:
        opened.append(str(path))
        return real(path, **options)

    monkeypatch.setattr(disk, "open_regular_file", spy)

    same(expected, run_cli("plan"))
    assert str(state) not in opened
    before = os.stat(state)
    state.write_text(state.read_text(encoding="utf-8").replace('"serial": 0', '"serial": 9'))
    os.utime(state, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same times

    changed = run_cli("plan")
    assert str(state) in opened  # its change time moved: read again
    same(run_cli("plan", "--no-cache"), changed)


def test_an_index_written_by_another_user_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remember_everything: None
) -> None:
    """A status says nothing of who may read the file: another user's index vouches for none."""
    path = remembered(tmp_path)
    assert StatIndex(tmp_path).lookup(str(path))[0] == b"k" * 32

    monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 1)

    assert StatIndex(tmp_path).lookup(str(path))[0] is None
