"""Live ids ivrsync could read but not store (issue #10, class 6), through the real CLI.

A hostile or broken server lists IVRs whose id is 0, negative, beyond 64 bits, a float, a
boolean, or a string that is no plain decimal number. Each is refused where it enters
(`ivrsync.smartflo.readshape`), naming the item, before anything is written: `import` leaves no
state the next run would refuse as corrupt, and no YAML file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import body_from_document
from ivrsync.smartflo.readshape import MAX_IVR_ID, read_shape_from_body
from tests.testing.cli import RunCli
from tests.testing.documents import ivr_document
from tests.testing.hostile_server import TOKEN, Canned, hostile_server, list_answer


def item_with_id(ivr_id: Any, name: str = "Sales") -> dict[str, Any]:
    item = read_shape_from_body(7, body_from_document(ivr_document(7, name=name)))
    item["id"] = ivr_id
    return item


RANGE = f"an IVR id must be a whole number from 1 to {MAX_IVR_ID}"

BAD_IDS = [
    (0, f"{RANGE}, got a number (0)", "zero"),
    ("0", f"{RANGE}, got a string ('0')", "zero-as-text"),
    (-5, f"{RANGE}, got a number (-5)", "negative"),
    ("-5", "expected an integer, got a string ('-5')", "negative-as-text"),
    (MAX_IVR_ID + 1, f"{RANGE}, got a number (9223372036854775808)", "beyond-64-bits"),
    (10**40, f"{RANGE}, got a number (1{'0' * 36}...)", "huge"),  # shortened
    ("1" * 5000, "expected an integer, got a string of 5000 digits", "huge-as-text"),
    (349.0, "expected an integer, got a number (349.0)", "float"),
    (True, "expected an integer, got a boolean", "boolean"),
    (None, "expected an integer, got null", "null"),
    ("12x", "expected an integer, got a string ('12x')", "not-a-number"),
    ("", "expected an integer, got a string ('')", "empty"),
    (" 349", "expected an integer, got a string (' 349')", "padded"),
    ("٣٤٩", "expected an integer, got a string ('٣٤٩')", "arabic-indic-digits"),
    ([349], "expected an integer, got a list", "list"),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("ivr_id", "problem"), [(i, p) for i, p, _ in BAD_IDS], ids=[c[2] for c in BAD_IDS]
)
def test_import_refuses_a_live_id_it_could_not_store_and_writes_nothing(
    run_cli: RunCli, project: Path, ivr_id: Any, problem: str
) -> None:
    good = read_shape_from_body(8, body_from_document(ivr_document(8)))
    canned = Canned(list_body=list_answer(good, item_with_id(ivr_id)))

    with hostile_server(canned) as server:
        result = run_cli("import", "--base-url", server.url, env={"SMARTFLO_API_TOKEN": TOKEN})

    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: cannot read IVR #2 of the list (named 'Sales'), field 'id' from GET /v1/ivrs: "
        f"{problem}\n"
    )
    assert list(project.iterdir()) == []  # no state, no YAML files
    assert canned.puts() == []


def test_drift_refuses_a_live_id_naming_the_item(run_cli: RunCli, project: Path) -> None:
    canned = Canned(list_body=list_answer(item_with_id(0, name="\x1b[2JOdd")))

    with hostile_server(canned) as server:
        result = run_cli("drift", "--base-url", server.url, env={"SMARTFLO_API_TOKEN": TOKEN})

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: cannot read IVR #1 of the list (named '\\x1b[2JOdd'), field 'id' from GET "
        f"/v1/ivrs: {RANGE}, got a number (0)\n"
    )


def test_the_largest_storable_id_is_imported_and_read_back(run_cli: RunCli, project: Path) -> None:
    canned = Canned(list_body=list_answer(item_with_id(str(MAX_IVR_ID))))

    with hostile_server(canned) as server:
        env = {"SMARTFLO_API_TOKEN": TOKEN}
        imported = run_cli("import", "--base-url", server.url, env=env)
        listed = run_cli("state", "list")

    assert imported.exit_code == 0, imported.stderr
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.splitlines()[1].startswith(f"{MAX_IVR_ID}  Sales  ivr-configs/sales.yaml")
