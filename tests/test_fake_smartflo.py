"""The fake Smartflo server over loopback sockets: API, strictness, faults, control, process."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrsync.errors import UsageError
from ivrsync.fake_smartflo import (
    FAULT_KINDS,
    FakeSmartflo,
    FaultConfig,
    ScriptedFault,
    load_seed,
    sample_seed_path,
)
from ivrsync.fake_smartflo.serve import Seed, serve
from ivrsync.smartflo.readshape import live_ivr_from_read_shape
from tests.testing.cli import RunCli
from tests.testing.fake import (
    AUTH,
    STRICTNESS_CASES,
    TOKEN,
    USERS,
    changed,
    loopback_client,
    put_body,
    read_json,
    seed_ivrs,
)


@pytest.fixture
def fake() -> Iterator[FakeSmartflo]:
    with FakeSmartflo(ivrs=seed_ivrs(), token=TOKEN, users=USERS) as server:
        yield server


@pytest.fixture
def client(fake: FakeSmartflo) -> Iterator[httpx.Client]:
    with loopback_client(base_url=fake.url, timeout=5.0) as http:
        yield http


# -- login, list, update -----------------------------------------------------------------------


def test_login_answers_the_documented_shape_and_its_token_is_accepted(
    client: httpx.Client,
) -> None:
    response = client.post(
        "/v1/auth/login", json={"email": "ops@example.com", "password": "correct horse"}
    )

    data = response.json()
    assert response.status_code == 200
    assert set(data) == set(read_json("login-success.json"))
    assert (data["success"], data["token_type"]) == (True, "bearer")
    listed = client.get("/v1/ivrs", headers={"Authorization": f"Bearer {data['access_token']}"})
    assert listed.status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "ops@example.com", "password": "wrong"},
        {"email": "nobody@example.com", "password": "correct horse"},
    ],
    ids=["wrong password", "unknown email"],
)
def test_login_with_wrong_credentials_answers_the_documented_failure(
    client: httpx.Client, credentials: dict[str, str]
) -> None:
    response = client.post("/v1/auth/login", json=credentials)

    assert response.json() == read_json("login-failure.json")


def test_repeated_failed_logins_lock_the_account_with_429(client: httpx.Client) -> None:
    wrong = {"email": "ops@example.com", "password": "wrong"}
    counts = [client.post("/v1/auth/login", json=wrong).json().get("login_failed_count")]
    counts += [client.post("/v1/auth/login", json=wrong).json().get("login_failed_count")]
    for _ in range(3):
        client.post("/v1/auth/login", json=wrong)

    right = {"email": "ops@example.com", "password": "correct horse"}
    locked = client.post("/v1/auth/login", json=right)

    assert counts == [1, 2]
    assert locked.status_code == 429
    assert locked.json()["success"] is False


def test_login_passwords_are_masked_in_the_recording(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    client.post("/v1/auth/login", json={"email": "ops@example.com", "password": "correct horse"})

    assert fake.requests[0].body == {"email": "ops@example.com", "password": "***"}


def test_list_answers_the_seed_in_read_shape(client: httpx.Client) -> None:
    response = client.get("/v1/ivrs", headers=AUTH)

    assert response.status_code == 200
    assert response.json() == read_json("ivrs-list.json")


def test_put_is_accepted_stored_in_read_shape_and_listed(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    response = client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)

    assert response.status_code == 200
    assert response.json() == read_json("update-ivr-response.json")
    live = client.get("/v1/ivrs", headers=AUTH).json()["ivrs"]
    assert live_ivr_from_read_shape(live[0]).body == put_body()
    assert live[0]["added_by"] == 10959  # read-only fields survive a full PUT
    assert live == fake.live_ivrs()


def test_put_accepts_the_optional_sms_template_list(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    body = put_body() | {"sms_template": ["3", "0"]}

    response = client.put("/v1/ivr/7926", json=body, headers=AUTH)

    assert response.status_code == 200
    assert [o["sms_template_id"] for o in fake.live_ivrs()[0]["ivr_menu"]] == ["3", "0"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer Bearer {TOKEN}"},
        {"Authorization": f"Token {TOKEN}"},
    ],
    ids=["no header", "wrong token", "no scheme", "doubled bearer", "other scheme"],
)
@pytest.mark.parametrize(("method", "path"), [("PUT", "/v1/ivr/7926"), ("GET", "/v1/ivrs")])
def test_requests_without_a_valid_bearer_token_get_401_json(
    fake: FakeSmartflo, client: httpx.Client, headers: dict[str, str], method: str, path: str
) -> None:
    response = client.request(method, path, json=put_body(), headers=headers)

    assert response.status_code == 401
    assert response.json()["success"] is False
    assert fake.live_ivrs() == seed_ivrs()


@pytest.mark.parametrize("path", ["/v1/ivr/1", "/v1/ivr/abc"], ids=["unknown id", "not a number"])
def test_put_to_an_unknown_ivr_gets_404(client: httpx.Client, path: str) -> None:
    response = client.put(path, json=put_body(), headers=AUTH)

    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "IVR not found."}


def test_unknown_paths_and_methods_are_refused(client: httpx.Client) -> None:
    assert client.get("/v1/ivr/7926", headers=AUTH).status_code == 405
    assert client.get("/v1/nothing", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [case[1:] for case in STRICTNESS_CASES],
    ids=[case[0] for case in STRICTNESS_CASES],
)
def test_put_bodies_that_break_a_documented_rule_get_400_naming_the_field(
    fake: FakeSmartflo, client: httpx.Client, body: Any, message: str
) -> None:
    response = client.put("/v1/ivr/7926", json=body, headers=AUTH)

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["message"].startswith(message)
    assert fake.live_ivrs() == seed_ivrs()


def test_put_with_a_body_that_is_not_json_gets_400(client: httpx.Client) -> None:
    response = client.put("/v1/ivr/7926", content=b"name=x", headers=AUTH)

    assert response.status_code == 400
    assert response.json()["success"] is False


# -- recording ---------------------------------------------------------------------------------


def test_every_request_is_recorded_without_the_authorization_header(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    client.get("/v1/ivrs", headers=AUTH)
    client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)
    client.put("/v1/ivr/1", json=put_body(), headers=AUTH)

    summary = [(r.method, r.path, r.status, r.fault) for r in fake.requests]
    assert summary == [
        ("GET", "/v1/ivrs", 200, None),
        ("PUT", "/v1/ivr/7926", 200, None),
        ("PUT", "/v1/ivr/1", 404, None),
    ]
    assert [r.body for r in fake.puts()] == [put_body(), put_body()]
    assert TOKEN not in repr(fake.requests)


# -- faults ------------------------------------------------------------------------------------

FAULT_CASES: list[tuple[str, int, str]] = [
    # kind, status, what the body says
    ("429", 429, "json"),
    ("500", 500, "json"),
    ("502", 502, "html"),
    ("503", 503, "html"),
    ("504", 504, "html"),
    ("success_false", 200, "json"),
    ("success_false_400", 400, "json"),
    ("success_false_401", 401, "json"),
    ("success_false_403", 403, "json"),
    ("success_false_404", 404, "json"),
]


@pytest.mark.parametrize(
    ("kind", "status", "content"), FAULT_CASES, ids=[case[0] for case in FAULT_CASES]
)
def test_each_answering_fault_kind_is_observable_and_changes_nothing(
    fake: FakeSmartflo, client: httpx.Client, kind: Any, status: int, content: str
) -> None:
    fake.set_faults(FaultConfig(script=(ScriptedFault(kind, ivr_id=7926),), retry_after=0))

    failed = client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)
    retried = client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)

    assert failed.status_code == status
    if content == "json":
        assert failed.json()["success"] is False
        assert failed.json()["message"]
    else:
        assert failed.headers["content-type"] == "text/html"
        assert str(status) in failed.text
    assert [(r.status, r.fault) for r in fake.puts()] == [(status, kind), (200, None)]
    assert retried.json()["success"] is True


def test_429_carries_the_configured_retry_after(fake: FakeSmartflo, client: httpx.Client) -> None:
    fake.set_faults(FaultConfig(script=(ScriptedFault("429"),), retry_after=7))

    response = client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)

    assert response.headers["retry-after"] == "7"


def test_drop_closes_the_connection_without_an_answer(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    fake.set_faults(FaultConfig(script=(ScriptedFault("drop"),)))

    with pytest.raises(httpx.RemoteProtocolError):
        client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)

    assert [(r.status, r.fault) for r in fake.puts()] == [(None, "drop")]
    assert fake.live_ivrs() == seed_ivrs()


def test_timeout_outlasts_the_client_timeout(fake: FakeSmartflo) -> None:
    # The fake waits far longer than the client does; leaving the fake's context wakes it.
    fake.set_faults(FaultConfig(script=(ScriptedFault("timeout"),), timeout_delay=60))

    with (
        loopback_client(base_url=fake.url, timeout=0.1) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)


def test_timeout_that_answers_late_still_applies_the_update(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    fake.set_faults(FaultConfig(script=(ScriptedFault("timeout"),), timeout_delay=0.01))

    response = client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)

    assert response.status_code == 200
    assert [(r.status, r.fault) for r in fake.puts()] == [(200, "timeout")]
    assert live_ivr_from_read_shape(fake.live_ivrs()[0]).body == put_body()


def test_timeout_that_never_answers_drops_the_connection_unapplied(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    faults = FaultConfig(
        script=(ScriptedFault("timeout"),), timeout_delay=0.01, timeout_answers=False
    )
    fake.set_faults(faults)

    with pytest.raises(httpx.RemoteProtocolError):
        client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)

    assert [(r.status, r.fault) for r in fake.puts()] == [(None, "timeout")]
    assert fake.live_ivrs() == seed_ivrs()


def test_scripted_faults_target_one_ivr_and_method(client: httpx.Client) -> None:
    ivrs = [*seed_ivrs(), seed_ivrs()[0] | {"id": 8000}]
    script = (ScriptedFault("503", count=2, ivr_id=8000), ScriptedFault("500", method="GET"))
    with FakeSmartflo(ivrs=ivrs, token=TOKEN, faults=FaultConfig(script=script)) as fake:
        statuses = [
            client.put(f"{fake.url}/v1/ivr/{ivr_id}", json=put_body(), headers=AUTH).status_code
            for ivr_id in (7926, 8000, 7926, 8000, 8000)
        ]
        listed = [client.get(f"{fake.url}/v1/ivrs", headers=AUTH).status_code for _ in "ab"]

    assert statuses == [200, 503, 200, 503, 200]
    assert listed == [500, 200]


def test_random_faults_follow_the_rate_and_methods(client: httpx.Client) -> None:
    config = FaultConfig(rate=1.0, kinds=("503",))
    with FakeSmartflo(ivrs=seed_ivrs(), token=TOKEN, faults=config) as fake:
        put = client.put(f"{fake.url}/v1/ivr/7926", json=put_body(), headers=AUTH)
        get = client.get(f"{fake.url}/v1/ivrs", headers=AUTH)
        fake.set_faults(FaultConfig(rate=1.0, kinds=("500",), methods=("GET",)))
        get_faulted = client.get(f"{fake.url}/v1/ivrs", headers=AUTH)

    assert (put.status_code, get.status_code, get_faulted.status_code) == (503, 200, 500)


def test_random_faults_are_reproducible_for_a_seed(client: httpx.Client) -> None:
    config = FaultConfig(rate=0.5, kinds=("500", "503", "success_false"), seed=42)

    def statuses() -> list[tuple[int, str | None]]:
        with FakeSmartflo(ivrs=seed_ivrs(), token=TOKEN, faults=config) as fake:
            for _ in range(20):
                client.put(f"{fake.url}/v1/ivr/7926", json=put_body(), headers=AUTH)
            return [(r.status or 0, r.fault) for r in fake.puts()]

    first = statuses()
    assert first == statuses()
    assert {fault for _, fault in first} == {None, "500", "503", "success_false"}


def test_fault_config_round_trips_through_json() -> None:
    config = FaultConfig(
        rate=0.2,
        kinds=("429", "drop", "drop_after_apply"),
        methods=("GET", "PUT", "POST"),
        seed=3,
        script=(ScriptedFault("timeout", count=2, ivr_id=5),),
        retry_after=0,
        timeout_delay=0.5,
        timeout_answers=False,
    )

    assert FaultConfig.from_json(json.loads(json.dumps(config.to_json()))) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rate": 2}, "between 0 and 1"),
        ({"kinds": ["418"]}, "unknown fault kind '418'"),
        ({"script": [{"kind": "nope"}]}, "unknown fault kind 'nope'"),
        ({"script": [{"count": 1}]}, "malformed scripted fault"),
        ({"script": [{"kind": "503", "count": 0}]}, "at least 1"),
        ({"script": [{"kind": "503", "method": "DELETE"}]}, "GET, PUT or POST"),
        ({"methods": ["PATCH"]}, "GET, PUT or POST"),
        ({"retry_after": 1.5}, "whole number"),
        ({"rate": "high"}, "must be a number"),
        ({"surprise": True}, "unknown fault config field"),
        (["not", "an", "object"], "JSON object"),
    ],
    ids=[
        "rate",
        "kind",
        "script kind",
        "script without kind",
        "script count",
        "script method",
        "method",
        "retry_after",
        "rate type",
        "unknown field",
        "not an object",
    ],
)
def test_malformed_fault_configs_are_usage_errors(data: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        FaultConfig.from_json(data)


def test_drop_after_apply_applies_the_put_but_sends_no_answer(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    fake.set_faults(FaultConfig(script=(ScriptedFault("drop_after_apply"),)))

    with pytest.raises(httpx.RemoteProtocolError):
        client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)

    assert [(r.status, r.fault) for r in fake.puts()] == [(None, "drop_after_apply")]
    assert live_ivr_from_read_shape(fake.live_ivrs()[0]).body == put_body()


def test_drop_after_apply_of_a_refused_put_changes_nothing(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    fake.set_faults(FaultConfig(script=(ScriptedFault("drop_after_apply"),)))

    with pytest.raises(httpx.RemoteProtocolError):
        client.put("/v1/ivr/7926", json=changed(timeout="20"), headers=AUTH)

    assert fake.live_ivrs() == seed_ivrs()


def test_every_fault_kind_is_covered_by_a_test() -> None:
    covered = {case[0] for case in FAULT_CASES} | {"drop", "timeout", "drop_after_apply"}

    assert covered == set(FAULT_KINDS)


# -- latency and concurrency -------------------------------------------------------------------


def test_eight_connections_get_eight_concurrent_requests() -> None:
    # Counted, not timed: each request records how many were in flight when it started. With
    # 0.3 s of latency, all 8 overlap unless the server serialises them.
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    with (
        FakeSmartflo(ivrs=seed_ivrs(), token=TOKEN, latency=0.3) as fake,
        loopback_client(base_url=fake.url, limits=limits) as client,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        statuses = list(
            pool.map(lambda _: client.get("/v1/ivrs", headers=AUTH).status_code, range(8))
        )

    assert statuses == [200] * 8
    assert max(r.concurrent for r in fake.requests) == 8


def test_keep_alive_connections_serve_many_requests(fake: FakeSmartflo) -> None:
    # One pooled connection: if the server closed it after each answer, httpx would still
    # succeed, so assert on the server's view of connections instead.
    limits = httpx.Limits(max_connections=1)
    with loopback_client(base_url=fake.url, limits=limits) as client:
        ports = set()
        for _ in range(3):
            response = client.get("/v1/ivrs", headers=AUTH, extensions={})
            stream = response.extensions["network_stream"]
            ports.add(stream.get_extra_info("client_addr")[1])

    assert len(ports) == 1


# -- control endpoints and the Python API ------------------------------------------------------


def test_control_endpoints_inspect_and_steer_the_fake(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)

    recorded = client.get("/_fake/requests").json()["requests"]
    patched = client.patch("/_fake/ivrs/7926", json={"timeout": 45, "timeout_retries": "2"})
    listed = client.get("/_fake/ivrs").json()["ivrs"]
    faults = client.put("/_fake/faults", json={"script": [{"kind": "503"}]})
    faulted = client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)
    reset = client.post("/_fake/reset-requests")

    assert [(r["method"], r["path"], r["status"]) for r in recorded] == [
        ("PUT", "/v1/ivr/7926", 200)
    ]
    assert recorded[0]["body"] == put_body()
    assert patched.status_code == 200
    assert (listed[0]["timeout"], listed[0]["timeout_retries"]) == (45, "2")
    assert faults.status_code == 200
    assert faulted.status_code == 503
    assert reset.status_code == 200
    assert fake.requests == []  # control requests are not recorded


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PATCH", "/_fake/ivrs/1", {"timeout": 1}, 404),
        ("PATCH", "/_fake/ivrs/7926", {"id": 1}, 400),
        ("PATCH", "/_fake/ivrs/7926", [1], 400),
        ("PUT", "/_fake/faults", {"kinds": ["nope"]}, 400),
        ("GET", "/_fake/nothing", None, 404),
    ],
    ids=["unknown ivr", "id change", "not an object", "bad faults", "unknown endpoint"],
)
def test_control_endpoints_refuse_bad_requests(
    fake: FakeSmartflo,
    client: httpx.Client,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    response = client.request(method, path, json=body)

    assert response.status_code == status
    assert fake.live_ivrs() == seed_ivrs()


def test_put_faults_with_null_clears_them(fake: FakeSmartflo, client: httpx.Client) -> None:
    fake.set_faults(FaultConfig(rate=1.0))

    cleared = client.put("/_fake/faults", content=b"null")

    assert cleared.status_code == 200

    assert client.put("/v1/ivr/7926", json=put_body(), headers=AUTH).status_code == 200


def test_edit_ivr_changes_what_the_list_shows(fake: FakeSmartflo, client: httpx.Client) -> None:
    fake.edit_ivr(7926, recording="30000", ivr_menu=[])

    live = client.get("/v1/ivrs", headers=AUTH).json()["ivrs"][0]

    assert (live["recording"], live["ivr_menu"]) == ("30000", [])
    with pytest.raises(KeyError):
        fake.edit_ivr(1, timeout=3)


def test_live_ivrs_are_sorted_copies() -> None:
    ivrs = [seed_ivrs()[0] | {"id": 9}, seed_ivrs()[0] | {"id": "3"}]
    with FakeSmartflo(ivrs=ivrs) as fake:
        live = fake.live_ivrs()
        live[0]["name"] = "changed here only"

        assert [i["id"] for i in fake.live_ivrs()] == ["3", 9]
        assert fake.live_ivrs()[0]["name"] == "Welcome IVR"


@pytest.mark.parametrize(
    "ivrs",
    [[{"name": "no id"}], [{"id": True}], [{"id": 1}, {"id": "1"}]],
    ids=["missing id", "bool id", "duplicate id"],
)
def test_bad_seeds_are_usage_errors(ivrs: list[dict[str, Any]]) -> None:
    with pytest.raises(UsageError):
        FakeSmartflo(ivrs=ivrs)


def test_a_taken_port_is_a_usage_error(fake: FakeSmartflo) -> None:
    with pytest.raises(UsageError, match="cannot listen"), FakeSmartflo(port=fake.port):
        pass


def test_stopping_closes_idle_keep_alive_connections() -> None:
    # A client still holding a pooled connection must not keep a handler thread alive.
    before = threading.active_count()
    with FakeSmartflo(ivrs=seed_ivrs(), token=TOKEN) as fake, loopback_client() as client:
        client.get(f"{fake.url}/v1/ivrs", headers=AUTH)
        fake.stop()
        assert threading.active_count() == before


# -- the packaged sample seed and the process ------------------------------------------------


def test_the_sample_seed_maps_cleanly_and_matches_the_example_configs() -> None:
    seed = load_seed(sample_seed_path())

    lives = [live_ivr_from_read_shape(item) for item in seed.ivrs]

    assert all(live.warnings == () for live in lives)
    assert {live.id for live in lives} >= {4101, 4102, 4103, 4104, 7926}
    assert seed.token
    assert seed.users


def test_serve_announces_the_url_and_stops_when_asked() -> None:
    lines: list[str] = []
    stop = threading.Event()
    seen: list[int] = []

    def ready(fake: FakeSmartflo) -> None:
        with loopback_client() as client:
            seen.append(
                client.get(f"{fake.url}/v1/ivrs", headers={"Authorization": "Bearer t"}).status_code
            )
        stop.set()

    # Run off the main thread, so no signal handler is installed in the test process.
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            serve(
                seed=Seed(ivrs=tuple(seed_ivrs())),
                token="t",
                announce=lines.append,
                ready=ready,
                stop=stop,
            )
        )
    )
    worker.start()
    worker.join()

    assert result == [0]
    assert seen == [200]
    assert lines[0].startswith("fake Smartflo listening on http://127.0.0.1:")
    assert lines[0].endswith(" (token: set SMARTFLO_API_TOKEN=t)")


def test_cli_reports_an_unreadable_seed(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("fake-smartflo", "--seed", str(tmp_path / "missing.json"))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot read the seed file ")


def test_cli_reports_a_malformed_faults_file(run_cli: RunCli, tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text('{"kinds": ["nope"]}', encoding="utf-8")

    result = run_cli("fake-smartflo", "--faults", str(faults))

    assert result.exit_code == 1
    assert "unknown fault kind 'nope'" in result.stderr


@pytest.mark.parametrize(
    "entry",
    [["-m", "ivrsync.fake_smartflo"], ["-m", "ivrsync", "fake-smartflo"]],
    ids=["python -m ivrsync.fake_smartflo", "ivrsync fake-smartflo"],
)
def test_process_starts_answers_and_exits_0_on_sigterm(tmp_path: Path, entry: list[str]) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"token": "seed-token", "ivrs": seed_ivrs()}), encoding="utf-8")
    command = [sys.executable, "-W", "error", *entry, "--port", "0", "--seed", str(seed)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            url = line.split()[4]
            with loopback_client(base_url=url) as client:
                listed = client.get("/v1/ivrs", headers={"Authorization": "Bearer seed-token"})
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()

    assert line == f"fake Smartflo listening on {url} (token: set SMARTFLO_API_TOKEN=seed-token)\n"
    assert listed.json() == {"ivrs": seed_ivrs()}
    assert (process.returncode, out, err) == (0, "", "")


def test_python_m_runs_the_cli_command_through_its_error_handler(tmp_path: Path) -> None:
    # One definition of the options: both entry points print the same help and the same error.
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, timeout=60, check=False
        )

    missing = str(tmp_path / "missing.json")
    module = run("-m", "ivrsync.fake_smartflo", "--seed", missing)
    cli = run("-m", "ivrsync", "fake-smartflo", "--seed", missing)
    module_help = run("-m", "ivrsync.fake_smartflo", "--help")
    cli_help = run("-m", "ivrsync", "fake-smartflo", "--help")

    assert (module.returncode, module.stdout) == (1, "")
    assert module.stderr.startswith("error: cannot read the seed file ")
    assert module.stderr == cli.stderr
    assert module_help.returncode == 0
    assert "--latency" in module_help.stdout
    assert module_help.stdout == cli_help.stdout


def test_seed_ivrs_are_not_shared_with_the_caller() -> None:
    ivrs = seed_ivrs()
    original = copy.deepcopy(ivrs)
    with FakeSmartflo(ivrs=ivrs) as fake:
        fake.edit_ivr(7926, name="changed")

    assert ivrs == original
