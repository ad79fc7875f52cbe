"""The plan document: documented fields, checksum, atomic save, and every way a load is refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ivrsync import __version__
from ivrsync.body import body_from_document, digest_body
from ivrsync.errors import PlanFileError
from ivrsync.model import Change, FieldChange, IvrRef, Plan
from ivrsync.plan.planfile import (
    PLAN_FORMAT_VERSION,
    document_checksum,
    load_plan,
    plan_to_document,
    render_plan_json,
    save_plan,
)
from tests.testing.documents import ivr_document

BODY = body_from_document(ivr_document(349, timeout=30))
DIGEST = digest_body(BODY)

PLAN = Plan(
    lineage="2f1c0c5e-0000-4000-8000-000000000001",
    serial=7,
    changes=(
        Change(
            id=349,
            name="IVR 349",
            action="update",
            source="ivr-configs/ivr-349.yaml",
            fields=(
                FieldChange("timeout", 20, 30),
                FieldChange("menu.3", None, "ivr|350"),
            ),
            body=BODY,
            digest=DIGEST,
            state_digest="sha256:" + "0" * 64,
        ),
        Change(
            id=351,
            name="Old | <b>",
            action="forget",
            source="ivr-configs/old.yaml",
            fields=(),
            body=None,
            digest=None,
            state_digest="sha256:" + "1" * 64,
        ),
    ),
    unchanged=(IvrRef(350, "Sales — ünïcode", "ivr-configs/ivr-350.yaml"),),
)
PARTIAL = Plan(lineage=None, serial=0, changes=(), unchanged=(), targets=(3, 9))


def test_document_has_the_documented_fields() -> None:
    document = plan_to_document(PLAN)

    assert {k: v for k, v in document.items() if k not in ("changes", "checksum")} == {
        "version": 3,
        "ivrsync_version": __version__,
        "lineage": "2f1c0c5e-0000-4000-8000-000000000001",
        "serial": 7,
        "partial": False,
        "targets": None,
        "summary": {"create": 0, "update": 1, "adopt": 0, "forget": 1, "unchanged": 1},
        "unchanged": [{"id": 350, "name": "Sales — ünïcode", "source": "ivr-configs/ivr-350.yaml"}],
    }
    assert document["changes"] == [
        {
            "id": 349,
            "name": "IVR 349",
            "action": "update",
            "source": "ivr-configs/ivr-349.yaml",
            "fields": [
                {"field": "timeout", "before": 20, "after": 30},
                {"field": "menu.3", "before": None, "after": "ivr|350"},
            ],
            "body": dict(BODY),
            "digest": DIGEST,
            "state_digest": "sha256:" + "0" * 64,
        },
        {
            "id": 351,
            "name": "Old | <b>",
            "action": "forget",
            "source": "ivr-configs/old.yaml",
            "fields": [],
            "body": None,
            "digest": None,
            "state_digest": "sha256:" + "1" * 64,
        },
    ]
    assert document["checksum"] == document_checksum(document)
    assert document["checksum"].startswith("sha256:")


def test_partial_plan_document_names_its_targets() -> None:
    document = plan_to_document(PARTIAL)

    assert (document["partial"], document["targets"]) == (True, [3, 9])


def test_json_text_is_indented_sorted_and_ends_with_a_newline() -> None:
    text = render_plan_json(PARTIAL)

    assert json.loads(text) == plan_to_document(PARTIAL)
    assert text == json.dumps(plan_to_document(PARTIAL), indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("plan", [PLAN, PARTIAL], ids=["full", "partial"])
def test_save_then_load_round_trips(tmp_path: Path, plan: Plan) -> None:
    path = tmp_path / "plan.json"

    save_plan(plan, path)

    assert load_plan(path) == plan
    assert path.read_text(encoding="utf-8") == render_plan_json(plan)
    assert os.listdir(tmp_path) == ["plan.json"]  # no temporary file left behind


def test_loaded_bodies_are_in_put_field_order(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(PLAN, path)

    body = load_plan(path).changes[0].body

    assert body is not None
    assert list(body) == list(BODY)
    assert list(json.loads(path.read_text(encoding="utf-8"))["changes"][0]["body"]) == sorted(BODY)


def test_save_replaces_an_existing_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old", encoding="utf-8")

    save_plan(PLAN, path)

    assert load_plan(path) == PLAN


def test_save_into_a_missing_folder_is_a_plan_file_error(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "plan.json"

    with pytest.raises(PlanFileError, match=r"cannot write the plan file .*nope/plan\.json"):
        save_plan(PLAN, path)


def _edited(change: Any) -> str:
    document = plan_to_document(PLAN)
    change(document)
    return json.dumps(document)


def _resealed(change: Any) -> str:
    """An edit that also recomputes the checksum, to reach the field checks."""
    document = plan_to_document(PLAN)
    change(document)
    document["checksum"] = document_checksum(document)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"is not JSON \(line 1, column 2"),
        ("[]", r"is not a valid plan: expected a JSON object"),
        (_edited(lambda d: d.update(version=4)), r"has version 4; this ivrsync"),
        (_edited(lambda d: d.pop("version")), r"has version null"),
        (
            _edited(lambda d: d["changes"][0]["body"].update(timeout=31)),
            r"fails its checksum: it was changed after it was made",
        ),
        (_edited(lambda d: d.update(serial=8)), r"fails its checksum"),
        (_edited(lambda d: d.pop("checksum")), r"missing field\(s\): checksum"),
        (_resealed(lambda d: d.pop("changes")), r"missing field\(s\): changes"),
        (
            _resealed(lambda d: d["changes"][0].pop("state_digest")),
            r"at changes\[0\]: missing field\(s\): state_digest",
        ),
        (
            _resealed(lambda d: d["changes"][1].update(action="delete")),
            r"at changes\[1\]\.action: expected one of update, adopt, forget",
        ),
        (
            _resealed(lambda d: d["changes"][0].update(id="349")),
            r"at changes\[0\]\.id: expected an integer",
        ),
        (
            _resealed(lambda d: d["changes"][0]["fields"][1].pop("after")),
            r"at changes\[0\]\.fields\[1\]: missing field\(s\): after",
        ),
        (
            _resealed(lambda d: d["unchanged"][0].update(name=None)),
            r"at unchanged\[0\]\.name: expected a string",
        ),
        (_resealed(lambda d: d.update(serial=True)), r"at serial: expected an integer"),
        (_resealed(lambda d: d.update(targets="3")), r"at targets: expected a list"),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "newer-format",
        "no-format",
        "edited-body",
        "edited-serial",
        "no-checksum",
        "no-changes",
        "change-field-missing",
        "bad-action",
        "string-id",
        "field-change-missing-after",
        "null-name",
        "bool-serial",
        "targets-not-list",
    ],
)
def test_load_refuses_bad_files_naming_them(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(PlanFileError, match=message) as caught:
        load_plan(path)

    assert str(path) in caught.value.message
    assert caught.value.hint


def test_load_of_a_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"

    with pytest.raises(PlanFileError, match=r"cannot read the plan file .*absent\.json"):
        load_plan(path)


def test_the_plan_document_version_is_three() -> None:
    # 2: the key is `version`, as in every other document (1 called it `format_version`);
    # 3: the `create` action.
    assert PLAN_FORMAT_VERSION == 3
