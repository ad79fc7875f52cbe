"""Hostile plan files (issue #10, classes 2 and 5), through `ivrsync apply PLANFILE`.

`apply` reads the plan while it holds the state lock, so a plan file that blocks (a FIFO), never
ends (`/dev/zero`) or is huge must be refused at once; and JSON no plan can hold (integers
beyond Python's limit, NaN, lone surrogates, deep nesting) must be a clean PlanFileError naming
the file, never an internal error. Nothing is sent, and the lock is free again afterwards.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivrsync.errors import PlanFileError
from ivrsync.fake_smartflo import FakeSmartflo
from ivrsync.plan.planfile import MAX_PLAN_BYTES, load_plan
from tests.testing.cli import CliResult, RunCli
from tests.testing.documents import ivr_document, write_ivr
from tests.testing.hang import no_hang

TOKEN = "tok-hostile-plan-77a0"
HINT = "hint: pass the file written by `ivrsync plan --out FILE`\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_ivr(tmp_path / "ivr-configs", ivr_document(349))
    return tmp_path


@pytest.fixture
def fake() -> Iterator[FakeSmartflo]:
    with FakeSmartflo(token=TOKEN) as server:
        yield server


def apply_file(run_cli: RunCli, fake: FakeSmartflo, plan_file: str) -> CliResult:
    env = {"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_BASE_URL": fake.url}
    with no_hang(10):
        result = run_cli("apply", plan_file, env=env)
    assert fake.requests == []
    # The lock was released: a second run is not refused as locked.
    assert "locked" not in run_cli("apply", plan_file, env=env).stderr
    return result


def saved_plan(run_cli: RunCli) -> str:
    assert run_cli("plan", "--out", "plan.json").exit_code == 0
    return Path("plan.json").read_text(encoding="utf-8")


# -- class 2: special and huge files -------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_at_once(run_cli: RunCli, project: Path, fake: FakeSmartflo) -> None:
    os.mkfifo("plan.fifo")

    result = apply_file(run_cli, fake, "plan.fifo")

    assert (result.exit_code, result.stderr) == (
        1,
        "error: cannot read the plan file plan.fifo: plan.fifo is a FIFO (named pipe), not a "
        "regular file\n" + HINT,
    )


@pytest.mark.parametrize(
    ("plan_file", "kind"),
    [("/dev/zero", "a character device"), ("/dev/urandom", "a character device")],
    ids=["zero", "urandom"],
)
def test_a_device_is_refused_unread(
    run_cli: RunCli, project: Path, fake: FakeSmartflo, plan_file: str, kind: str
) -> None:
    result = apply_file(run_cli, fake, plan_file)

    assert (result.exit_code, result.stderr) == (
        1,
        f"error: cannot read the plan file {plan_file}: {plan_file} is {kind}, not a regular "
        "file\n" + HINT,
    )


def test_a_link_to_a_device_is_refused(run_cli: RunCli, project: Path, fake: FakeSmartflo) -> None:
    Path("plan.json").symlink_to("/dev/zero")

    result = apply_file(run_cli, fake, "plan.json")

    assert result.exit_code == 1
    assert "plan.json is a character device, not a regular file" in result.stderr


def test_a_socket_is_refused(run_cli: RunCli, project: Path, fake: FakeSmartflo) -> None:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind("plan.sock")
    try:
        result = apply_file(run_cli, fake, "plan.sock")
    finally:
        listener.close()

    assert result.exit_code == 1
    assert "plan.sock is a socket, not a regular file" in result.stderr


def test_a_huge_file_is_refused_unread(run_cli: RunCli, project: Path, fake: FakeSmartflo) -> None:
    with open("plan.json", "wb") as handle:
        handle.truncate(1 << 30)  # sparse: a gigabyte that takes no disk space

    result = apply_file(run_cli, fake, "plan.json")

    assert (result.exit_code, result.stderr) == (
        1,
        "error: cannot read the plan file plan.json: plan.json is larger than 64 MiB, the most "
        "ivrsync reads from such a file\n" + HINT,
    )


def test_a_folder_is_refused(run_cli: RunCli, project: Path, fake: FakeSmartflo) -> None:
    # click refuses a folder before ivrsync sees it (dir_okay=False); load_plan does too.
    Path("plan.json").mkdir()

    result = apply_file(run_cli, fake, "plan.json")

    assert result.exit_code == 1
    assert "'plan.json' is a directory" in result.stderr
    with pytest.raises(PlanFileError, match=r"plan.json is a folder, not a regular file"):
        load_plan(Path("plan.json"))


def test_the_bound_is_the_state_files() -> None:
    assert MAX_PLAN_BYTES == 64 << 20


# -- class 5: JSON no plan can hold -------------------------------------------------------------


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


INVALID = "error: the plan file plan.json is not a valid plan: "

HOSTILE_PLANS = [
    (
        lambda t: edit(t, '"serial": 0', '"serial": 1' + "0" * 5000),
        INVALID + "it holds an integer longer than 4300 digits",
        "huge-serial",
    ),
    (
        lambda t: edit(t, '"after": 20', '"after": 2' + "0" * 5000),
        INVALID + "it holds an integer longer than 4300 digits",
        "huge-value",
    ),
    (
        lambda t: edit(t, '"after": 20', '"after": NaN'),
        INVALID + "it holds NaN, which is not a JSON number",
        "nan",
    ),
    (
        lambda t: edit(t, '"after": 20', '"after": -Infinity'),
        INVALID + "it holds -Infinity, which is not a JSON number",
        "infinity",
    ),
    (
        lambda t: edit(t, '"name": "IVR 349"', '"name": "IVR \\ud800"'),
        INVALID + "it holds text that is not Unicode (a lone surrogate such as \\ud800)",
        "surrogate-in-name",
    ),
    (
        lambda t: edit(t, '"source": "ivr-configs', '"source": "\\udfffivr-configs'),
        INVALID + "it holds text that is not Unicode (a lone surrogate such as \\ud800)",
        "surrogate-in-source",
    ),
    (
        lambda t: edit(t, '"digest"', '"\\udc00": 1, "digest"'),
        INVALID + "it holds text that is not Unicode (a lone surrogate such as \\ud800)",
        "surrogate-in-key",
    ),
    (
        lambda t: "[" * 100_000 + "]" * 100_000,
        INVALID + "it nests more than 32 levels deep",
        "deep-beyond-the-parser",
    ),
    (
        lambda t: edit(t, '"after": 20', '"after": ' + "[" * 200 + "]" * 200),
        INVALID + "it nests more than 32 levels deep",
        "deep-within-the-parser",
    ),
    (
        lambda t: t.encode("utf-8").replace(b"IVR 349", b"IVR \xe9").decode("latin-1"),
        "error: the plan file plan.json is not UTF-8 text (byte ",
        "latin-1",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [(c, e) for c, e, _ in HOSTILE_PLANS], ids=[c[2] for c in HOSTILE_PLANS]
)
def test_json_no_plan_can_hold_is_a_clean_error(
    run_cli: RunCli, project: Path, fake: FakeSmartflo, change: object, expected: str
) -> None:
    text = change(saved_plan(run_cli))  # type: ignore[operator]
    Path("plan.json").write_bytes(text.encode("latin-1" if "\xe9" in text else "utf-8"))

    result = apply_file(run_cli, fake, "plan.json")

    assert result.exit_code == 1
    assert result.stderr.startswith(expected)
    assert result.stderr.endswith(HINT)
