"""files.py: atomic writes that never go through a link, bounded reads of regular files only."""

from __future__ import annotations

import errno
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from ivrsync.fake_smartflo import FakeSmartflo
from ivrsync.files import (
    FileRefusedError,
    open_regular_file,
    read_limited,
    read_regular_file,
    write_atomically,
)
from tests.testing.accounts import TOKEN as IMPORT_TOKEN
from tests.testing.accounts import env_for, seed
from tests.testing.cli import RunCli
from tests.testing.documents import ivr_document, write_ivr
from tests.testing.hang import no_hang


def _make_socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------------------------
# write_atomically


def test_write_atomically_replaces_a_file_keeping_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_bytes(b"old")
    target.chmod(0o600)

    write_atomically(target, b"new")

    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert files_in(tmp_path) == ["plan.json"]


@pytest.mark.parametrize("exclusive", [False, True], ids=["replace", "exclusive"])
@pytest.mark.parametrize(
    "link_to",
    ["victim.txt", "missing.txt", "sub"],
    ids=["to-a-file", "dangling", "to-a-folder"],
)
def test_write_atomically_refuses_a_symlink_target_and_leaves_both_alone(
    tmp_path: Path, link_to: str, exclusive: bool
) -> None:
    (tmp_path / "victim.txt").write_bytes(b"precious")
    (tmp_path / "sub").mkdir()
    link = tmp_path / "state.json"
    link.symlink_to(tmp_path / link_to)

    with pytest.raises(FileRefusedError) as raised:
        write_atomically(link, b"overwritten", exclusive=exclusive)

    assert isinstance(raised.value, OSError)
    assert not isinstance(raised.value, FileExistsError)  # not "someone created it meanwhile"
    assert raised.value.errno == errno.ELOOP
    assert raised.value.strerror == (
        f"{link} is a symbolic link; ivrsync does not write through symbolic links"
    )
    assert raised.value.filename == str(link)
    assert link.is_symlink()  # not replaced by a regular file
    assert (tmp_path / "victim.txt").read_bytes() == b"precious"
    assert not (tmp_path / "missing.txt").exists()  # nothing created through a dangling link
    assert files_in(tmp_path / "sub") == []
    assert files_in(tmp_path) == ["state.json", "sub", "victim.txt"]  # no temporary file left


def test_write_atomically_follows_a_linked_folder(tmp_path: Path) -> None:
    # Only the last component is checked: a linked config or state folder is a normal setup.
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)

    write_atomically(tmp_path / "linked" / "state.json", b"{}")

    assert (tmp_path / "real" / "state.json").read_bytes() == b"{}"


@pytest.mark.parametrize("kind", ["fifo", "folder", "socket"])
def test_write_atomically_refuses_a_target_that_is_not_a_regular_file(
    tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "plan.json"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        _make_socket(target)

    with pytest.raises(FileRefusedError, match="not a regular file") as raised:
        write_atomically(target, b"x")

    assert raised.value.errno == errno.EINVAL
    assert str(target) in raised.value.strerror
    assert files_in(tmp_path) == ["plan.json"]


# ---------------------------------------------------------------------------------------------
# read_regular_file


def test_read_regular_file_reads_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"x" * 1000)

    assert read_regular_file(path, limit=1000) == b"x" * 1000
    assert read_regular_file(path, limit=1 << 20) == b"x" * 1000


@pytest.mark.parametrize(
    ("size", "limit", "words"),
    [(1001, 1000, "1000 bytes"), ((64 << 20) + 1, 64 << 20, "64 MiB"), (4097, 4 << 10, "4 KiB")],
    ids=["one-byte-over", "sparse-64MiB", "kib"],
)
def test_read_regular_file_refuses_a_file_over_the_limit(
    tmp_path: Path, size: int, limit: int, words: str
) -> None:
    path = tmp_path / "state.json"
    with path.open("wb") as handle:
        handle.truncate(size)  # sparse: no disk used, and nothing is read

    with pytest.raises(FileRefusedError) as raised:
        read_regular_file(path, limit=limit)

    assert raised.value.errno == errno.EFBIG
    assert raised.value.strerror == (
        f"{path} is larger than {words}, the most ivrsync reads from such a file"
    )


def test_read_limited_stops_a_file_that_grows_while_read(tmp_path: Path) -> None:
    path = tmp_path / "journal"
    path.write_bytes(b"x" * 10)
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, b"y" * 100, 10)  # grows after a caller's fstat would have passed
        with pytest.raises(FileRefusedError, match="larger than 50 bytes"):
            read_limited(fd, limit=50, path=path)
    finally:
        os.close(fd)


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: os.mkfifo(p), "a FIFO (named pipe)"),
        (lambda p: p.mkdir(), "a folder"),
        (lambda p: p.symlink_to("/dev/zero"), "a character device"),
        (lambda p: p.symlink_to("/dev/null"), "a character device"),
        (_make_socket, "a socket"),
    ],
    ids=["fifo", "folder", "dev-zero", "dev-null", "socket"],
)
def test_read_regular_file_refuses_special_files_without_blocking(
    tmp_path: Path, make: Callable[[Path], object], kind: str
) -> None:
    path = tmp_path / "state.json"
    make(path)

    with no_hang(), pytest.raises(FileRefusedError) as raised:
        read_regular_file(path, limit=1 << 20)

    assert raised.value.errno == errno.EINVAL
    assert raised.value.strerror == f"{path} is {kind}, not a regular file"


def test_read_regular_file_follows_links_unless_told_not_to(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_bytes(b"{}")
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "real.json")

    assert read_regular_file(link, limit=100) == b"{}"
    with pytest.raises(FileRefusedError, match="is a symbolic link"):
        read_regular_file(link, limit=100, follow_symlinks=False)


def test_a_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "nothing", limit=100)


def test_open_regular_file_never_creates_through_a_dangling_link(tmp_path: Path) -> None:
    link = tmp_path / "state.json.lock"
    link.symlink_to(tmp_path / "elsewhere")

    with pytest.raises(FileRefusedError, match="is a symbolic link"):
        open_regular_file(link, os.O_RDWR | os.O_CREAT, follow_symlinks=False)

    assert not (tmp_path / "elsewhere").exists()


# ---------------------------------------------------------------------------------------------
# Through the CLI: every file ivrsync writes goes through write_atomically


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_ivr(Path("ivr-configs"), ivr_document(101))
    return tmp_path


@pytest.mark.parametrize("target", ["victim.txt", "missing.txt"], ids=["to-a-file", "dangling"])
def test_plan_out_refuses_to_write_through_a_symlink(
    run_cli: RunCli, project: Path, target: str
) -> None:
    Path("victim.txt").write_bytes(b"precious")
    Path("plan.json").symlink_to(project / target)

    result = run_cli("plan", "--out", "plan.json")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(
        "error: cannot write the plan file plan.json: plan.json is a symbolic link; ivrsync "
        "does not write through symbolic links\n"
    )
    assert Path("plan.json").is_symlink()
    assert Path("victim.txt").read_bytes() == b"precious"
    assert not Path("missing.txt").exists()


@pytest.mark.parametrize(
    ("target", "force"),
    [("shared.yaml", True), ("missing.yaml", False), ("missing.yaml", True)],
    ids=["force-onto-a-linked-ivr-file", "dangling", "force-dangling"],
)
def test_import_refuses_to_write_an_ivr_file_through_a_symlink(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, force: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ivr-configs").mkdir()
    # A file defining IVR 7926 elsewhere: import goes back to the (linked) file defining it.
    write_ivr(tmp_path, ivr_document(7926, name="Welcome IVR"), name="shared.yaml")
    precious = Path("shared.yaml").read_bytes()
    link = Path("ivr-configs/welcome-ivr.yaml")
    link.symlink_to(tmp_path / target)

    with FakeSmartflo(ivrs=seed(), token=IMPORT_TOKEN) as fake:
        flags = ["--force"] if force else []
        result = run_cli("import", "--id", "7926", *flags, env=env_for(fake))

    assert (result.exit_code, result.stdout) == (1, "")
    assert (
        f"error: {link}: cannot write: {link} is a symbolic link; ivrsync does not "
        "write through symbolic links\n"
    ) in result.stderr
    assert link.is_symlink()
    assert Path("shared.yaml").read_bytes() == precious
    assert not Path("missing.yaml").exists()
