"""The read shape of GET /v1/ivrs <-> the PUT body: the documented sample, round trips, errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivrsync.body import body_from_document, dtmf_rank
from ivrsync.errors import ApiError
from ivrsync.model import BODY_FIELDS, DTMF_KEYS, LiveIvr
from ivrsync.smartflo.readshape import live_ivr_from_read_shape, read_shape_from_body
from tests.testing.documents import BASE_DOCUMENT, SAMPLE_BODY

DATA = Path(__file__).parent / "data" / "fake_smartflo"


def sample_item() -> dict[str, Any]:
    """The one IVR of the documented GET /v1/ivrs sample."""
    item: dict[str, Any] = json.loads((DATA / "ivrs-list.json").read_text("utf-8"))["ivrs"][0]
    return item


def test_documented_sample_maps_to_the_expected_body() -> None:
    live = live_ivr_from_read_shape(sample_item())

    assert live == LiveIvr(id=7926, name="Welcome IVR", body=SAMPLE_BODY, warnings=())
    assert list(live.body) == list(BODY_FIELDS)


def test_invalid_recording_names_are_reversed_between_read_and_write() -> None:
    # [inference] documented in readshape.RECORDING_FIELDS; the sample has equal values (244),
    # so distinct values pin which read field lands where.
    item = sample_item() | {"invalid_retry_recording": "111", "invalid_recording": 222}

    body = live_ivr_from_read_shape(item).body

    assert body["invalid_recording"] == "recording|111"
    assert body["recording_invalid"] == "recording|222"


def test_documented_sample_survives_a_round_trip_through_the_body() -> None:
    item = sample_item()

    stored = read_shape_from_body(7926, live_ivr_from_read_shape(item).body, previous=item)

    assert stored == item
    assert list(stored) == list(item)


def test_the_readme_example_document_maps_back_to_its_own_body() -> None:
    body = body_from_document(BASE_DOCUMENT)

    assert live_ivr_from_read_shape(read_shape_from_body(349, body)).body == body


NORMALISATION_CASES = [
    ("id as a string", {"id": "7926"}, "id", 7926),
    ("integer field as a string", {"timeout": "30"}, "timeout", 30),
    ("renamed integer as a string", {"invalid_retries": "4"}, "incorrect_count", 4),
    ("recording id as a number", {"recording": 19549}, "recording", "recording|19549"),
    (
        "numeric recording as a string",
        {"invalid_recording": "244"},
        "recording_invalid",
        "recording|244",
    ),
    ("typed recording is kept", {"recording": "outbound_tts|77"}, "recording", "outbound_tts|77"),
    ("leading zero kept", {"timeout_recording": "0245"}, "timeout_recording", "recording|0245"),
    (
        "destination id as a number",
        {"invalid_destination": 845},
        "invalid_destination",
        "extension|845",
    ),
    (
        "timeout destination type",
        {"timeout_dest_type": "department", "timeout_destination": "7"},
        "timeout_destination",
        "department|7",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [case[1:] for case in NORMALISATION_CASES],
    ids=[case[0] for case in NORMALISATION_CASES],
)
def test_ids_as_strings_or_numbers_are_normalised(
    changes: dict[str, Any], field: str, expected: Any
) -> None:
    live = live_ivr_from_read_shape(sample_item() | changes)

    actual = live.id if field == "id" else live.body[field]
    assert actual == expected
    assert type(actual) is type(expected)


def test_menu_is_sorted_by_dtmf_key_with_options_and_ids_as_strings() -> None:
    menu = [
        {"option": "#", "destination_type": "hangup", "destination_id": 1},
        {"option": 2, "destination_type": "extension", "destination_id": "05047530002"},
        {"option": "*", "destination_type": "ivr", "destination_id": "4101"},
        {"option": "0", "destination_type": "department", "destination_id": 7},
    ]

    body = live_ivr_from_read_shape(sample_item() | {"ivr_menu": menu}).body

    assert body["option"] == ["0", "2", "*", "#"]
    assert body["destination"] == [
        "department|7",
        "extension|05047530002",
        "ivr|4101",
        "hangup|1",
    ]


def test_added_by_and_unknown_fields_are_ignored() -> None:
    item = sample_item() | {"added_by": 1, "created_at": "2024-01-01"}

    assert live_ivr_from_read_shape(item).body == SAMPLE_BODY


PORTAL_ONLY_CASES = [
    ("webhook string", {"webhook_id": "12"}, ["webhook_id 12"]),
    ("webhook number", {"webhook_id": 12}, ["webhook_id 12"]),
    ("sms template", {"sms_template_id": "5"}, ["sms_template_id 5"]),
    ("both", {"webhook_id": "3", "sms_template_id": 4}, ["webhook_id 3", "sms_template_id 4"]),
    ("zero strings", {"webhook_id": "0", "sms_template_id": "0"}, []),
    ("zero numbers", {"webhook_id": 0, "sms_template_id": 0}, []),
    ("empty and null", {"webhook_id": "", "sms_template_id": None}, []),
]


@pytest.mark.parametrize(
    ("menu_fields", "expected"),
    [case[1:] for case in PORTAL_ONLY_CASES],
    ids=[case[0] for case in PORTAL_ONLY_CASES],
)
def test_portal_only_menu_settings_warn_naming_ivr_and_option(
    menu_fields: dict[str, Any], expected: list[str]
) -> None:
    item = sample_item()
    item["ivr_menu"][0].update(menu_fields)

    warnings = live_ivr_from_read_shape(item).warnings

    assert len(warnings) == len(expected)
    for warning, setting in zip(warnings, expected, strict=True):
        assert warning.startswith("IVR 7926 (Welcome IVR), option 1: ")
        assert setting in warning
        assert "a full PUT may clear it" in warning


def test_portal_only_settings_missing_entirely_are_no_warning() -> None:
    item = sample_item()
    del item["ivr_menu"][0]["webhook_id"], item["ivr_menu"][0]["sms_template_id"]

    assert live_ivr_from_read_shape(item).warnings == ()


def _without(field: str) -> dict[str, Any]:
    item = sample_item()
    del item[field]
    return item


def _menu_with(**fields: Any) -> dict[str, Any]:
    item = sample_item()
    item["ivr_menu"][0].update(fields)
    return item


def _menu_without(field: str) -> dict[str, Any]:
    item = sample_item()
    del item["ivr_menu"][0][field]
    return item


ERROR_CASES = [
    ("missing name", _without("name"), "'name'", "missing"),
    ("missing read-only rename", _without("invalid_retries"), "'invalid_retries'", "missing"),
    ("missing destination type", _without("timeout_dest_type"), "'timeout_dest_type'", "missing"),
    ("missing menu", _without("ivr_menu"), "'ivr_menu'", "missing"),
    ("name not a string", sample_item() | {"name": 5}, "'name'", "expected a string"),
    (
        "name with a lone surrogate",
        sample_item() | {"name": "Sales \ud800"},
        "'name'",
        "not valid Unicode",
    ),
    (
        "destination id with a lone surrogate",
        _menu_with(destination_id="\udc80"),
        "'ivr_menu[0].destination_id'",
        "not valid Unicode",
    ),
    ("timeout a bool", sample_item() | {"timeout": True}, "'timeout'", "expected an integer"),
    ("timeout a word", sample_item() | {"timeout": "soon"}, "'timeout'", "expected an integer"),
    ("timeout a float", sample_item() | {"timeout": 2.5}, "'timeout'", "expected an integer"),
    ("recording null", sample_item() | {"recording": None}, "'recording'", "expected an id"),
    ("recording empty", sample_item() | {"recording": ""}, "'recording'", "empty"),
    ("menu not a list", sample_item() | {"ivr_menu": {}}, "'ivr_menu'", "expected a list"),
    ("menu entry not an object", sample_item() | {"ivr_menu": ["1"]}, "'ivr_menu[0]'", "object"),
    ("menu option missing", _menu_without("option"), "'ivr_menu[0].option'", "missing"),
    (
        "menu destination type missing",
        _menu_without("destination_type"),
        "'ivr_menu[0].destination_type'",
        "missing",
    ),
    (
        "menu destination id a list",
        _menu_with(destination_id=[1]),
        "'ivr_menu[0].destination_id'",
        "expected an id",
    ),
    (
        "duplicate option",
        sample_item() | {"ivr_menu": [sample_item()["ivr_menu"][0]] * 2},
        "'ivr_menu[1].option'",
        "appears twice",
    ),
]


@pytest.mark.parametrize(
    ("item", "field", "problem"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_unmappable_shapes_raise_api_error_naming_ivr_and_field(
    item: dict[str, Any], field: str, problem: str
) -> None:
    with pytest.raises(ApiError) as caught:
        live_ivr_from_read_shape(item)

    assert "IVR 7926" in caught.value.message
    assert f"field {field}" in caught.value.message
    assert problem in caught.value.message


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (["not", "an", "object"], "expected a JSON object"),
        ({"name": "no id"}, "field 'id'"),
        ({"id": "abc"}, "field 'id'"),
    ],
    ids=["not an object", "missing id", "id not a number"],
)
def test_items_without_an_id_raise_api_error(item: Any, problem: str) -> None:
    with pytest.raises(ApiError, match=problem):
        live_ivr_from_read_shape(item)


def test_read_shape_keeps_portal_only_settings_of_options_that_still_exist() -> None:
    previous = sample_item()
    previous["ivr_menu"][0].update(webhook_id="12", sms_template_id="5")
    previous["ivr_menu"].append(
        {
            "option": "2",
            "destination_type": "extension",
            "destination_id": "845",
            "sms_template_id": "0",
            "webhook_id": "99",
        }
    )
    body = copy.deepcopy(SAMPLE_BODY)  # option 1 only: option 2 is removed by the PUT
    body["option"], body["destination"] = ["1", "3"], ["ringgroup|17839", "voicemail|21"]

    stored = read_shape_from_body(7926, body, previous=previous)

    assert stored["added_by"] == 10959
    assert stored["ivr_menu"] == [
        {
            "option": "1",
            "destination_type": "ringgroup",
            "destination_id": "17839",
            "sms_template_id": "5",
            "webhook_id": "12",
        },
        {
            "option": "3",
            "destination_type": "voicemail",
            "destination_id": "21",
            "sms_template_id": "0",
            "webhook_id": "0",
        },
    ]


def test_a_body_sms_template_list_replaces_the_sms_template_ids() -> None:
    previous = sample_item()
    previous["ivr_menu"][0]["sms_template_id"] = "5"
    body = dict(SAMPLE_BODY) | {"sms_template": ["8"]}

    stored = read_shape_from_body(7926, body, previous=previous)

    assert stored["ivr_menu"][0]["sms_template_id"] == "8"


def test_read_shape_without_previous_has_no_added_by_and_zero_portal_ids() -> None:
    stored = read_shape_from_body(7926, SAMPLE_BODY)

    assert "added_by" not in stored
    assert stored["ivr_menu"][0]["webhook_id"] == "0"
    assert stored["invalid_recording"] == 244  # a number, as in the sample


def test_read_shape_rejects_a_reference_without_a_type() -> None:
    body = dict(SAMPLE_BODY) | {"timeout_destination": "050109590001"}

    with pytest.raises(ApiError, match="IVR 7926, field 'timeout_destination'"):
        read_shape_from_body(7926, body)


# -- property: body -> read shape -> body is the identity ------------------------------------

_IDS = st.from_regex(r"[0-9]{1,12}|[A-Za-z0-9][A-Za-z0-9_ .-]{0,10}[A-Za-z0-9]", fullmatch=True)
_RECORDINGS = st.builds(
    lambda kind, ident: f"{kind}|{ident}", st.sampled_from(["recording", "outbound_tts"]), _IDS
)
_DESTINATIONS = st.builds(
    lambda kind, ident: f"{kind}|{ident}",
    st.sampled_from(["extension", "agent", "ringgroup", "ivr", "department", "custom_dialplan"]),
    _IDS,
)
_COUNTS = st.integers(min_value=0, max_value=10_000)


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    keys = sorted(draw(st.sets(st.sampled_from(DTMF_KEYS))), key=dtmf_rank)
    return {
        "name": draw(st.text()),
        "description": draw(st.text()),
        "recording": draw(_RECORDINGS),
        "timeout": draw(_COUNTS),
        "incorrect_count": draw(_COUNTS),
        "invalid_recording": draw(_RECORDINGS),
        "invalid_destination": draw(_DESTINATIONS),
        "timeout_retry_recording": draw(_RECORDINGS),
        "timeout_recording": draw(_RECORDINGS),
        "timeout_destination": draw(_DESTINATIONS),
        "timeout_tries": draw(_COUNTS),
        "recording_invalid": draw(_RECORDINGS),
        "option": keys,
        "destination": [draw(_DESTINATIONS) for _ in keys],
    }


@settings(max_examples=60)
@given(ivr_id=st.integers(min_value=1, max_value=10**9), body=bodies())
def test_body_to_read_shape_and_back_is_identity(ivr_id: int, body: dict[str, Any]) -> None:
    # Through JSON, as the fake server serves it: the mapping must not depend on Python types.
    item = json.loads(json.dumps(read_shape_from_body(ivr_id, body)))

    live = live_ivr_from_read_shape(item)

    assert live.id == ivr_id
    assert live.body == body
    assert live.warnings == ()
