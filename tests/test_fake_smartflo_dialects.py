"""The fake's dialects: each hypothesis about the real API (smartflo-api.md, section 6)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrsync.errors import ApiError, UsageError
from ivrsync.fake_smartflo import FakeSmartflo, FaultConfig
from ivrsync.fake_smartflo.ratelimit import TokenBucket, retry_after
from ivrsync.smartflo.readshape import live_ivr_from_read_shape
from tests.testing.cli import RunCli
from tests.testing.fake import (
    AUTH,
    TOKEN,
    USERS,
    loopback_client,
    put_body,
    seed_ivrs,
)


def two_pipes(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with every reference written `type||id`."""
    return {
        name: (
            [item.replace("|", "||") for item in value]
            if name == "destination"
            else value.replace("|", "||")
            if isinstance(value, str) and "|" in value
            else value
        )
        for name, value in body.items()
    }


def serving(**dialect: Any) -> FakeSmartflo:
    return FakeSmartflo(ivrs=seed_ivrs(), token=TOKEN, users=USERS, **dialect)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with loopback_client(timeout=5.0) as client:
        yield client


# -- separator ---------------------------------------------------------------------------------


def test_two_pipe_server_stores_two_pipe_references_as_the_read_shape_shows_them(
    http: httpx.Client,
) -> None:
    with serving(separator="||") as fake:
        response = http.put(f"{fake.url}/v1/ivr/7926", json=two_pipes(put_body()), headers=AUTH)
        live = fake.live_ivrs()[0]

    assert response.status_code == 200
    assert (live["recording"], live["invalid_destination_type"]) == ("0231", "extension")
    assert [o["destination_id"] for o in live["ivr_menu"]] == ["05047530002", "845"]
    assert live_ivr_from_read_shape(live).body == put_body()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("recording", "recording|0231", "The recording field must be of the form type||id."),
        ("timeout_destination", "extension|1", "The timeout_destination field must be of"),
        ("destination", ["extension||1", "extension|2"], "The destination.1 field must be of"),
        ("recording", "recording|||0231", "The recording field must be of the form type||id."),
    ],
    ids=["recording", "destination field", "menu destination", "three pipes"],
)
def test_strict_two_pipe_server_refuses_one_pipe_references_naming_the_field(
    http: httpx.Client, field: str, value: Any, message: str
) -> None:
    body = two_pipes(put_body()) | {field: value}
    with serving(separator="||") as fake:
        response = http.put(f"{fake.url}/v1/ivr/7926", json=body, headers=AUTH)
        live = fake.live_ivrs()

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["message"].startswith(message)
    assert live == seed_ivrs()


def test_lenient_two_pipe_server_stores_one_pipe_references_mangled(http: httpx.Client) -> None:
    with serving(separator="||", separator_strict=False) as fake:
        response = http.put(f"{fake.url}/v1/ivr/7926", json=put_body(), headers=AUTH)
        live = fake.live_ivrs()[0]

    assert response.json() == {"success": True, "message": "IVR updated successfully"}
    # No `||` to cut at: the whole value became the type and the id is empty.
    assert (live["timeout_dest_type"], live["timeout_destination"]) == ("extension|05047530002", "")
    assert live["ivr_menu"][1]["destination_type"] == "extension|845"
    assert live["ivr_menu"][1]["destination_id"] == ""
    assert live["recording"] == "recording|0231"  # not a `recording` type: shown as written
    with pytest.raises(ApiError, match="empty"):
        live_ivr_from_read_shape(live)  # what reads back is not what was sent


def test_lenient_one_pipe_server_stores_two_pipe_references_with_a_leading_pipe(
    http: httpx.Client,
) -> None:
    with serving(separator_strict=False) as fake:
        response = http.put(f"{fake.url}/v1/ivr/7926", json=two_pipes(put_body()), headers=AUTH)
        live = fake.live_ivrs()[0]

    assert response.status_code == 200
    assert live["recording"] == "|0231"
    assert (live["invalid_destination_type"], live["invalid_destination"]) == (
        "extension",
        "|05047530002",
    )
    assert live_ivr_from_read_shape(live).body["recording"] == "|0231"


def test_lenient_servers_still_check_everything_but_the_separator(http: httpx.Client) -> None:
    with serving(separator="||", separator_strict=False) as fake:
        response = http.put(
            f"{fake.url}/v1/ivr/7926", json=put_body() | {"timeout": "20"}, headers=AUTH
        )

    assert response.status_code == 400
    assert response.json()["message"] == "The timeout field must be an integer."


# -- auth --------------------------------------------------------------------------------------


def _status_and_message(response: httpx.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("message")


@pytest.mark.parametrize(
    ("auth", "headers", "expected"),
    [
        ("raw", {"Authorization": TOKEN}, (200, None)),
        ("raw", AUTH, (401, "Deleted or blacklisted token provided")),
        ("raw", {"Authorization": "wrong"}, (401, "Deleted or blacklisted token provided")),
        ("raw", {}, (401, "Missing required request parameters: [Authorization]")),
        ("both", {"Authorization": TOKEN}, (200, None)),
        ("both", AUTH, (200, None)),
        ("both", {"Authorization": f"Bearer Bearer {TOKEN}"}, (401, "Deleted or blacklisted")),
        ("bearer", {"Authorization": TOKEN}, (401, "Unauthenticated.")),
    ],
    ids=[
        "raw token",
        "raw given bearer",
        "raw wrong token",
        "raw no header",
        "both raw",
        "both bearer",
        "both doubled bearer",
        "bearer given raw",
    ],
)
def test_auth_dialects_accept_their_header_form(
    http: httpx.Client, auth: Any, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    with serving(auth=auth) as fake:
        response = http.get(f"{fake.url}/v1/ivrs", headers=headers)

    status, message = expected
    assert response.status_code == status
    if message:
        assert response.json()["message"].startswith(message)
    else:
        assert response.json() == {"ivrs": seed_ivrs()}


def test_raw_auth_accepts_a_login_token_bare(http: httpx.Client) -> None:
    with serving(auth="raw") as fake:
        login = http.post(
            f"{fake.url}/v1/auth/login",
            json={"email": "ops@example.com", "password": "correct horse"},
        )
        token = login.json()["access_token"]
        bare = http.get(f"{fake.url}/v1/ivrs", headers={"Authorization": token})
        bearer = http.get(f"{fake.url}/v1/ivrs", headers={"Authorization": f"Bearer {token}"})

    assert (bare.status_code, bearer.status_code) == (200, 401)


# -- recordings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recordings", "retry_recording", "invalid_recording"),
    [("swapped", "349", 58999), ("direct", "58999", 349)],
)
def test_recording_dialects_choose_which_read_field_shows_which_recording(
    http: httpx.Client, recordings: Any, retry_recording: str, invalid_recording: int
) -> None:
    # Body: invalid_recording recording|349, recording_invalid recording|58999.
    with serving(recordings=recordings) as fake:
        http.put(f"{fake.url}/v1/ivr/7926", json=put_body(), headers=AUTH)
        live = fake.live_ivrs()[0]

    assert live["invalid_retry_recording"] == retry_recording
    assert live["invalid_recording"] == invalid_recording


def test_direct_recordings_read_back_swapped_by_ivrsyncs_mapping(http: httpx.Client) -> None:
    with serving(recordings="direct") as fake:
        http.put(f"{fake.url}/v1/ivr/7926", json=put_body(), headers=AUTH)
        read_back = live_ivr_from_read_shape(fake.live_ivrs()[0]).body

    sent = put_body()
    assert read_back["invalid_recording"] == sent["recording_invalid"]
    assert read_back["recording_invalid"] == sent["invalid_recording"]


# -- webhooks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cleared", "after"), [(False, "12"), (True, "0")])
def test_webhooks_survive_a_put_unless_the_dialect_clears_them(
    http: httpx.Client, cleared: bool, after: str
) -> None:
    menu = [
        {
            "option": "1",
            "destination_type": "extension",
            "destination_id": "05047530002",
            "sms_template_id": "0",
            "webhook_id": "12",
        }
    ]
    with serving(webhooks_cleared_by_put=cleared) as fake:
        fake.edit_ivr(7926, ivr_menu=menu)
        http.put(f"{fake.url}/v1/ivr/7926", json=put_body(), headers=AUTH)
        webhooks = [entry["webhook_id"] for entry in fake.live_ivrs()[0]["ivr_menu"]]

    assert webhooks == [after, "0"]  # option 2 is new: it never had one


# -- rate limit --------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(2, clock=clock)

    burst = [bucket.take() for _ in range(3)]
    clock.now += 0.25
    too_soon = bucket.take()
    clock.now += 0.25
    refilled = bucket.take()

    assert burst[:2] == [None, None]
    assert burst[2] == pytest.approx(0.5)
    assert too_soon == pytest.approx(0.25)  # a refused request took no token
    assert refilled is None


def test_token_bucket_never_holds_more_than_one_seconds_worth() -> None:
    clock = Clock()
    bucket = TokenBucket(2, clock=clock)
    clock.now += 3600.0  # a long idle spell

    taken = [bucket.take() is None for _ in range(3)]

    assert taken == [True, True, False]


def test_token_bucket_below_one_per_second_allows_one_at_a_time() -> None:
    clock = Clock()
    bucket = TokenBucket(0.5, clock=clock)

    first, second = bucket.take(), bucket.take()
    clock.now += 2.0
    third = bucket.take()

    assert (first, second, third) == (None, pytest.approx(2.0), None)


@pytest.mark.parametrize(("wait", "header"), [(0.01, 1), (1.0, 1), (1.01, 2)])
def test_retry_after_is_whole_seconds_rounded_up(wait: float, header: int) -> None:
    assert retry_after(wait) == header


def test_rate_limit_counts_every_request_and_answers_429_with_retry_after(
    http: httpx.Client,
) -> None:
    # One request per second: the login takes the only token, so the PUT right after is refused.
    with serving(rate_limit=1) as fake:
        login = http.post(
            f"{fake.url}/v1/auth/login",
            json={"email": "ops@example.com", "password": "correct horse"},
        )
        refused = http.put(f"{fake.url}/v1/ivr/7926", json=put_body(), headers=AUTH)
        control = http.get(f"{fake.url}/_fake/requests").json()
        deadline = time.monotonic() + 5
        while (
            later := http.get(f"{fake.url}/v1/ivrs", headers=AUTH)
        ).status_code == 429 and time.monotonic() < deadline:
            time.sleep(0.1)
        live, count = fake.live_ivrs(), fake.rate_limited_count
        recorded = [(r.method, r.status, r.rate_limited) for r in fake.requests]

    assert login.status_code == 200
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "1")
    assert refused.json()["success"] is False
    assert live == seed_ivrs()  # the refused PUT changed nothing
    assert later.status_code == 200
    assert count == [status for _, status, _ in recorded].count(429)
    assert recorded[:2] == [("POST", 200, False), ("PUT", 429, True)]
    assert control["rate_limited_count"] == 1
    assert [r["rate_limited"] for r in control["requests"]] == [False, True]


def test_rate_limit_applies_before_faults_and_reset_clears_the_count(http: httpx.Client) -> None:
    faults = FaultConfig(rate=1.0, kinds=("503",), methods=("GET",))
    with serving(rate_limit=1, faults=faults) as fake:
        statuses = [http.get(f"{fake.url}/v1/ivrs", headers=AUTH).status_code for _ in "ab"]
        recorded = [(r.status, r.fault, r.rate_limited) for r in fake.requests]
        before = fake.rate_limited_count
        fake.reset_requests()
        after = fake.rate_limited_count

    assert statuses == [503, 429]
    assert recorded == [(503, "503", False), (429, None, True)]
    assert (before, after) == (1, 0)


@pytest.mark.parametrize(
    "dialect",
    [
        {"separator": "/"},
        {"auth": "basic"},
        {"recordings": "crossed"},
        {"rate_limit": 0},
        {"rate_limit": -1.5},
        {"rate_limit": float("inf")},
    ],
    ids=["separator", "auth", "recordings", "zero rate", "negative rate", "infinite rate"],
)
def test_unknown_dialect_values_are_usage_errors(dialect: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        FakeSmartflo(**dialect)


# -- the command line --------------------------------------------------------------------------


def test_dialect_flags_reach_the_served_fake(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"token": "seed-token", "ivrs": seed_ivrs()}), encoding="utf-8")
    flags = [
        "--separator=||",
        "--separator-lenient",
        "--auth",
        "raw",
        "--recordings",
        "direct",
        "--webhooks-cleared-by-put",
        "--rate-limit",
        "50",
    ]
    command = [sys.executable, "-m", "ivrsync.fake_smartflo", "--seed", str(seed), *flags]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[4]
            with loopback_client(base_url=url, timeout=5.0) as client:
                dialect = client.get("/_fake/dialect").json()["dialect"]
                listed = client.get("/v1/ivrs", headers={"Authorization": "seed-token"})
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()

    assert dialect == {
        "separator": "||",
        "separator_strict": False,
        "auth": "raw",
        "recordings": "direct",
        "webhooks_cleared_by_put": True,
        "rate_limit": 50.0,
    }
    assert listed.status_code == 200
    assert process.returncode == 0


@pytest.mark.parametrize(
    "flags",
    [["--separator", "|||"], ["--auth", "basic"], ["--rate-limit", "0"]],
    ids=["separator", "auth", "rate limit"],
)
def test_bad_dialect_flags_are_usage_errors(run_cli: RunCli, flags: list[str]) -> None:
    result = run_cli("fake-smartflo", *flags)

    assert result.exit_code == 1
    assert "Invalid value" in result.stderr
