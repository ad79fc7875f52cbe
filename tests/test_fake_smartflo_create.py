"""`POST /v1/ivr` on the fake: as strict as the PUT, no id in the answer, faults as on PUT."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ivrsync.fake_smartflo import FakeSmartflo, FaultConfig, ScriptedFault
from ivrsync.smartflo.readshape import live_ivr_from_read_shape
from tests.testing.fake import (
    AUTH,
    STRICTNESS_CASES,
    TOKEN,
    loopback_client,
    put_body,
    seed_ivrs,
)


@pytest.fixture
def fake() -> Iterator[FakeSmartflo]:
    ivrs = [*seed_ivrs(), seed_ivrs()[0] | {"id": "8000"}]  # ids may be strings in a seed
    with FakeSmartflo(ivrs=ivrs, token=TOKEN) as server:
        yield server


@pytest.fixture
def client(fake: FakeSmartflo) -> Iterator[httpx.Client]:
    with loopback_client(base_url=fake.url, timeout=5.0) as http:
        yield http


def created(fake: FakeSmartflo) -> list[dict[str, Any]]:
    return [ivr for ivr in fake.live_ivrs() if ivr["id"] not in (7926, "8000")]


def test_create_answers_without_an_id_and_lists_the_new_ivr_above_every_seed_id(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    first = client.post("/v1/ivr", json=put_body(), headers=AUTH)
    second = client.post("/v1/ivr", json=put_body() | {"name": "Second"}, headers=AUTH)

    listed = client.get("/v1/ivrs", headers=AUTH).json()["ivrs"]
    assert first.status_code == second.status_code == 200
    assert first.json() == {"success": True, "message": "IVR created successfully"}
    assert [ivr["id"] for ivr in listed] == [7926, "8000", 8001, 8002]
    assert live_ivr_from_read_shape(listed[2]).body == put_body()
    assert listed[3]["name"] == "Second"
    assert [(r.status, r.created_id) for r in fake.posts()] == [(200, 8001), (200, 8002)]
    assert fake.puts() == []


def test_create_in_an_empty_account_starts_at_1(client: httpx.Client) -> None:
    with FakeSmartflo(token=TOKEN) as empty:
        client.post(f"{empty.url}/v1/ivr", json=put_body(), headers=AUTH)

        assert [ivr["id"] for ivr in empty.live_ivrs()] == [1]


@pytest.mark.parametrize(
    ("body", "message"),
    [case[1:] for case in STRICTNESS_CASES],
    ids=[case[0] for case in STRICTNESS_CASES],
)
def test_create_bodies_that_break_a_documented_rule_get_400_naming_the_field(
    fake: FakeSmartflo, client: httpx.Client, body: Any, message: str
) -> None:
    response = client.post("/v1/ivr", json=body, headers=AUTH)

    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert created(fake) == []
    assert [(r.status, r.created_id) for r in fake.posts()] == [(400, None)]


def test_create_follows_the_dialect_like_the_put() -> None:
    with (
        FakeSmartflo(token=TOKEN, separator="||") as fake,
        loopback_client(base_url=fake.url) as client,
    ):
        one_pipe = client.post("/v1/ivr", json=put_body(), headers=AUTH)

    assert one_pipe.status_code == 400
    assert one_pipe.json()["message"] == "The recording field must be of the form type||id."


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("POST", "/v1/ivr", {}, 401),
        ("GET", "/v1/ivr", AUTH, 405),
        ("POST", "/v1/ivrs", AUTH, 405),
        ("POST", "/v1/ivr/7926", AUTH, 405),
    ],
    ids=["no token", "get", "post to the list", "post to an ivr"],
)
def test_create_needs_a_token_and_its_own_path(
    fake: FakeSmartflo,
    client: httpx.Client,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    response = client.request(method, path, json=put_body(), headers=headers)

    assert response.status_code == status
    assert created(fake) == []


def test_create_with_a_body_that_is_not_json_gets_400(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    response = client.post("/v1/ivr", content=b"name=x", headers=AUTH)

    assert response.status_code == 400
    assert created(fake) == []


def test_scripted_faults_apply_to_posts(fake: FakeSmartflo, client: httpx.Client) -> None:
    script = (
        ScriptedFault("503", method="POST"),
        ScriptedFault("500", method="POST", ivr_id=8001),  # a POST has no id: never matches
    )
    fake.set_faults(FaultConfig(script=script))

    statuses = [client.post("/v1/ivr", json=put_body(), headers=AUTH).status_code for _ in "ab"]

    assert statuses == [503, 200]
    assert [(r.fault, r.created_id) for r in fake.posts()] == [("503", None), (None, 8001)]


def test_random_faults_apply_to_posts_only_when_listed(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    fake.set_faults(FaultConfig(rate=1.0, kinds=("500",)))  # methods: PUT only
    unfaulted = client.post("/v1/ivr", json=put_body(), headers=AUTH)
    fake.set_faults(FaultConfig(rate=1.0, kinds=("500",), methods=("POST",)))
    faulted = client.post("/v1/ivr", json=put_body(), headers=AUTH)

    assert (unfaulted.status_code, faulted.status_code) == (200, 500)
    assert len(created(fake)) == 1


def test_drop_after_apply_creates_the_ivr_and_a_retry_creates_another(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    fake.set_faults(FaultConfig(script=(ScriptedFault("drop_after_apply", method="POST"),)))

    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/ivr", json=put_body(), headers=AUTH)
    retried = client.post("/v1/ivr", json=put_body(), headers=AUTH)

    assert retried.status_code == 200
    assert [ivr["name"] for ivr in created(fake)] == ["Support IVR", "Support IVR"]
    assert [(r.status, r.fault, r.created_id) for r in fake.posts()] == [
        (None, "drop_after_apply", 8001),
        (200, None, 8002),
    ]


def test_posts_are_in_the_control_recording(fake: FakeSmartflo, client: httpx.Client) -> None:
    client.post("/v1/ivr", json=put_body(), headers=AUTH)

    (recorded,) = client.get("/_fake/requests").json()["requests"]

    assert (recorded["method"], recorded["path"], recorded["created_id"]) == (
        "POST",
        "/v1/ivr",
        8001,
    )
    assert recorded["body"] == put_body()
