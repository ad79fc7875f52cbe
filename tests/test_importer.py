"""Import: safe file names, where each IVR goes, refusing to overwrite, state records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import body_from_document, digest_body
from ivrsync.config.validate import load_config_set
from ivrsync.errors import UsageError
from ivrsync.importer import ImportPlan, plan_import, safe_file_stem, select_ivrs, write_import
from ivrsync.model import LiveIvr, StateEntry
from ivrsync.smartflo.readshape import live_ivr_from_read_shape
from ivrsync.state import StateStore
from tests.testing.documents import ivr_document, write_ivr

SAMPLE = Path(__file__).parent / "data" / "live" / "ivrs-list.json"


def live_ivr(ivr_id: int, name: str | None = None, **overrides: Any) -> LiveIvr:
    document = ivr_document(ivr_id, **overrides)
    if name is not None:
        document["name"] = name
    return LiveIvr(ivr_id, document["name"], body_from_document(document), ())


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root as the working directory, with the schema where the examples expect it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "ivr.schema.json").write_text("{}", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Welcome IVR", "welcome-ivr"),
        ("Sales / Support", "sales-support"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("Café Niño", "cafe-nino"),
        ("सहायता", ""),
        ("", ""),
        ("   --  ", ""),
        ("CON", ""),
        ("a" * 100, "a" * 60),
        ("Tab\tand\nnewline", "tab-and-newline"),
    ],
    ids=[
        "spaces",
        "slash",
        "path-traversal",
        "dot-file",
        "accents",
        "non-latin-only",
        "empty",
        "only-separators",
        "windows-device",
        "long",
        "control-characters",
    ],
)
def test_names_become_safe_file_stems(name: str, stem: str) -> None:
    assert safe_file_stem(name) == stem


def test_the_documented_sample_maps_to_a_valid_ivr_file(project: Path) -> None:
    (item,) = json.loads(SAMPLE.read_text(encoding="utf-8"))["ivrs"]
    ivr = live_ivr_from_read_shape(item)

    plan = plan_import([ivr], project / "ivr-configs")
    (file,) = plan.files
    file.path.parent.mkdir()
    file.path.write_text(file.text, encoding="utf-8")
    config_set = load_config_set([project / "ivr-configs"])

    assert file.display == "ivr-configs/welcome-ivr.yaml"
    assert config_set.problems == ()
    (config,) = config_set.configs
    assert (config.id, config.name) == (7926, "Welcome IVR")
    assert config.body == ivr.body
    assert file.text.startswith("# yaml-language-server: $schema=../schemas/ivr.schema.json\n")


def test_files_are_named_after_ivrs_with_the_id_added_on_a_clash(project: Path) -> None:
    config_dir = project / "ivr-configs"
    write_ivr(config_dir, ivr_document(1), name="sales.yaml")  # another IVR's file
    ivrs = [
        live_ivr(2, "Sales"),
        live_ivr(3, "Support"),
        live_ivr(4, "support"),
        live_ivr(5, "सहायता"),
        live_ivr(6, "Night"),
    ]

    plan = plan_import(ivrs, config_dir)

    assert [(f.ivr.id, f.display, f.exists) for f in plan.files] == [
        (2, "ivr-configs/sales-2.yaml", False),
        (3, "ivr-configs/support-3.yaml", False),
        (4, "ivr-configs/support-4.yaml", False),
        (5, "ivr-configs/ivr-5.yaml", False),
        (6, "ivr-configs/night.yaml", False),
    ]


def test_a_name_with_the_id_added_that_is_taken_too_gets_a_count(project: Path) -> None:
    config_dir = project / "ivr-configs"
    write_ivr(config_dir, ivr_document(99), name="night-13.yaml")  # another IVR's file
    # IVR 5's name is what the two "Foo"s fall back to; one "Night" falls back to a used name.
    ivrs = [live_ivr(5, "Foo 12"), live_ivr(12, "Foo"), live_ivr(13, "Night")]
    ivrs += [live_ivr(14, "Foo"), live_ivr(20, "Night")]

    plan = plan_import(ivrs, config_dir)

    assert [(f.ivr.id, f.display, f.exists) for f in plan.files] == [
        (5, "ivr-configs/foo-12.yaml", False),
        (12, "ivr-configs/foo-12-2.yaml", False),
        (13, "ivr-configs/night-13-2.yaml", False),
        (14, "ivr-configs/foo-14.yaml", False),
        (20, "ivr-configs/night-20.yaml", False),
    ]


def test_an_ivr_already_defined_by_a_file_goes_back_to_that_file(project: Path) -> None:
    config_dir = project / "ivr-configs"
    write_ivr(config_dir / "teams", ivr_document(7, timeout=99), name="custom-name.yaml")

    plan = plan_import([live_ivr(7, "Support")], config_dir)

    (file,) = plan.files
    assert file.display == "ivr-configs/teams/custom-name.yaml"
    assert file.exists
    # The existing file is edited in place (its layout kept, no schema line added), its
    # changed values replaced by the live ones.
    assert "timeout: 20\n" in file.text
    assert "$schema" not in file.text
    assert plan.warnings == ()


def test_a_new_file_gets_the_schema_line_relative_to_its_folder(project: Path) -> None:
    plan = plan_import([live_ivr(7, "Support")], project / "ivr-configs" / "teams")

    (file,) = plan.files
    assert "$schema=../../schemas/ivr.schema.json\n" in file.text


def test_unknown_ids_are_an_error_naming_them() -> None:
    live = {1: live_ivr(1), 2: live_ivr(2)}

    assert [ivr.id for ivr in select_ivrs(live, [2, 2])] == [2]
    assert [ivr.id for ivr in select_ivrs(live, None)] == [1, 2]
    assert [ivr.id for ivr in select_ivrs(live, [9, 1, 8])] == [1]


def run_import(project: Path, plan: ImportPlan, *, force: bool = False) -> list[StateEntry]:
    store = StateStore(project / "state.json")
    with store.lock(command="test") as lock:
        return write_import(
            plan, lock=lock, force=force, clock=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        )


def test_imported_ivrs_are_recorded_as_applied_with_their_file(project: Path) -> None:
    ivr = live_ivr(7, "Support", timeout=45)
    plan = plan_import([ivr], project / "ivr-configs")

    entries = run_import(project, plan)

    expected = StateEntry(
        7, ivr.body, digest_body(ivr.body), "ivr-configs/support.yaml", "2026-01-02T03:04:05Z"
    )
    assert entries == [expected]
    assert StateStore(project / "state.json").load().entries == {7: expected}
    assert (project / "ivr-configs" / "support.yaml").read_text(encoding="utf-8") == plan.files[
        0
    ].text


def test_existing_files_are_never_overwritten_without_force(project: Path) -> None:
    config_dir = project / "ivr-configs"
    existing = write_ivr(config_dir, ivr_document(7, timeout=99), name="support.yaml")
    before = existing.read_bytes()
    plan = plan_import([live_ivr(7, "Support"), live_ivr(8, "New")], config_dir)

    with pytest.raises(UsageError, match=r"overwrite 1 existing file\(s\): ivr-configs/support"):
        run_import(project, plan)

    assert existing.read_bytes() == before
    assert not (config_dir / "new.yaml").exists()
    assert StateStore(project / "state.json").load().entries == {}

    run_import(project, plan, force=True)

    assert existing.read_text(encoding="utf-8") == plan.files[0].text
    assert sorted(p.name for p in config_dir.iterdir()) == ["new.yaml", "support.yaml"]


def test_a_file_that_appears_after_planning_is_not_replaced(project: Path) -> None:
    plan = plan_import([live_ivr(7, "Support")], project / "ivr-configs")
    (project / "ivr-configs").mkdir()
    (project / "ivr-configs" / "support.yaml").write_text("mine\n", encoding="utf-8")

    with pytest.raises(UsageError, match="appeared while importing"):
        run_import(project, plan)

    assert (project / "ivr-configs" / "support.yaml").read_text(encoding="utf-8") == "mine\n"
