"""Talking to the fake Smartflo server directly: its token, seed, a PUT body, a loopback client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from ivrsync.model import BODY_FIELDS

DATA = Path(__file__).parent.parent / "data" / "fake_smartflo"
TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USERS = {"ops@example.com": "correct horse"}


def read_json(name: str) -> Any:
    return json.loads((DATA / name).read_text("utf-8"))


def seed_ivrs() -> list[dict[str, Any]]:
    ivrs: list[dict[str, Any]] = read_json("ivrs-list.json")["ivrs"]
    return ivrs


def put_body() -> dict[str, Any]:
    body: dict[str, Any] = read_json("update-ivr-request.json")
    return body


def loopback_client(**options: Any) -> httpx.Client:
    """An httpx client for plain http on loopback: skipping the CA bundle keeps tests fast."""
    return httpx.Client(verify=False, **options)


def changed(**changes: Any) -> dict[str, Any]:
    return put_body() | changes


def body_without(field: str) -> dict[str, Any]:
    body = put_body()
    del body[field]
    return body


STRICTNESS_CASES: list[tuple[str, Any, str]] = [
    ("array instead of object", [put_body()], "The request body must be a JSON object."),
    ("unknown field", changed(webhook="1"), "The webhook field is not allowed."),
    *[
        (f"missing {field}", body_without(field), f"The {field} field is required.")
        for field in BODY_FIELDS
    ],
    ("name not a string", changed(name=1), "The name field must be a string."),
    ("description null", changed(description=None), "The description field must be a string."),
    ("timeout a string", changed(timeout="20"), "The timeout field must be an integer."),
    ("timeout a bool", changed(timeout=True), "The timeout field must be an integer."),
    (
        "timeout_tries a float",
        changed(timeout_tries=3.0),
        "The timeout_tries field must be an integer.",
    ),
    (
        "recording a bare id",
        changed(recording="0231"),
        "The recording field must be of the form",
    ),
    ("recording with two pipes", changed(recording="recording||0231"), "The recording field"),
    ("recording without id", changed(recording="recording|"), "The recording field"),
    (
        "destination without type",
        changed(invalid_destination="|845"),
        "The invalid_destination",
    ),
    ("option not an array", changed(option="1"), "The option field must be an array."),
    (
        "option of integers",
        changed(option=[1, 2]),
        "The option field must be an array of strings.",
    ),
    (
        "destination of objects",
        changed(destination=[{}, {}]),
        "The destination field must be an",
    ),
    (
        "arrays of unequal length",
        changed(option=["1"]),
        "The destination field must have as many",
    ),
    (
        "option not a dtmf key",
        changed(option=["1", "x"]),
        "The option.1 field must be a DTMF key",
    ),
    (
        "duplicate option",
        changed(option=["1", "1"]),
        "The option.1 field has a duplicate value.",
    ),
    (
        "destination malformed",
        changed(destination=["extension|1", "x"]),
        "The destination.1 field",
    ),
    (
        "sms_template not strings",
        changed(sms_template=[1, 2]),
        "The sms_template field must be",
    ),
    ("sms_template too short", changed(sms_template=["1"]), "The sms_template field must have"),
]
