"""End to end: new IVRs born in git, created through `POST /v1/ivr` on the fake server.

The real CLI against the real fake server over loopback; a subprocess where SIGKILL matters.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path
from typing import Any

import yaml

from ivrsync.fake_smartflo import FaultConfig
from ivrsync.smartflo.readshape import live_ivr_from_read_shape
from ivrsync.state import StateStore
from tests.testing.cli import RunCli
from tests.testing.processes import finish, settle, spawn_apply
from tests.testing.workspace import TOKEN, Workspace, apply_cli, open_workspace


def new_ivr_text(name: str, *routes: str) -> str:
    """A new IVR's file (no `id`), with comments a person wrote; `routes` become options 1..n."""
    menu = "".join(
        f'  - option: "{key}"   # route {key}\n    destination: {route}\n'
        for key, route in enumerate(routes or ("extension|845",), start=1)
    )
    return (
        f"# {name}: new in this pull request\n"
        f"name: {name}\n"
        "description: made by ivrsync   # reviewed in PR 12\n"
        "recording: recording|0231\n"
        "timeout: 20\n"
        "incorrect_count: 5\n"
        "invalid_recording: recording|349\n"
        "invalid_destination: extension|05047530002\n"
        "timeout_retry_recording: recording|52156\n"
        "timeout_recording: recording|123\n"
        "timeout_destination: extension|05047530002\n"
        "timeout_tries: 3\n"
        "recording_invalid: recording|58999\n"
        "\n"
        "menu:\n" + menu
    )


def add_new(ws: Workspace, file: str, name: str, *routes: str) -> tuple[Path, str]:
    path = ws.config_dir / file
    text = new_ivr_text(name, *routes)
    path.write_text(text, encoding="utf-8")
    return path, text


def adopt(run_cli: RunCli, ws: Workspace) -> None:
    assert apply_cli(run_cli, ws, "--auto-approve").exit_code == 0
    ws.fake.reset_requests()


def plan_cli(run_cli: RunCli, ws: Workspace, *extra: str) -> Any:
    args = ["plan", "--config-dir", str(ws.config_dir), "--state", str(ws.state_path), *extra]
    return run_cli(*args, env={"SMARTFLO_API_TOKEN": TOKEN})


def live_by_name(ws: Workspace) -> dict[str, list[int]]:
    names: dict[str, list[int]] = {}
    for item in ws.fake.live_ivrs():
        names.setdefault(item["name"], []).append(int(item["id"]))
    return names


def file_id(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("id")


# -- Must show 1: two new IVRs and a route to them, in one apply --------------------------------


def test_two_new_ivrs_and_a_rerouted_menu_take_two_posts_and_one_put_in_order(
    run_cli: RunCli, tmp_path: Path
) -> None:
    with open_workspace(tmp_path, 3) as ws:
        adopt(run_cli, ws)
        returns, returns_text = add_new(ws, "returns.yaml", "Returns menu", "ivr|@Refunds desk")
        refunds, refunds_text = add_new(ws, "refunds.yaml", "Refunds desk", "ivr|@IVR 1")
        menu = ws.documents[1]["menu"]
        ws.write(1, menu=[*menu, {"option": "3", "destination": "ivr|@Returns menu"}])

        plan = plan_cli(run_cli, ws)
        assert plan.exit_code == 0, plan.stderr
        assert "Plan: 2 to create, 1 to update, 0 to adopt, 0 to forget, 2 unchanged." in (
            plan.stdout
        )
        assert plan.stdout.index('new IVR "Refunds desk"') < plan.stdout.index(
            'new IVR "Returns menu"'
        )

        result = apply_cli(run_cli, ws, "--auto-approve")
        assert result.exit_code == 0, result.stderr

        requests = [r for r in ws.fake.requests if r.method in ("POST", "PUT")]
        assert [r.method for r in requests] == ["POST", "POST", "PUT"]
        ids = {name: found[0] for name, found in live_by_name(ws).items()}
        refunds_id, returns_id = ids["Refunds desk"], ids["Returns menu"]
        # In order: nothing ever routes to an IVR that does not exist yet.
        assert requests[0].body["name"] == "Refunds desk"
        assert requests[0].body["destination"] == ["ivr|1"]
        assert requests[1].body["name"] == "Returns menu"
        assert requests[1].body["destination"] == [f"ivr|{refunds_id}"]
        assert requests[2].path == "/v1/ivr/1"
        assert f"ivr|{returns_id}" in requests[2].body["destination"]

        # Each file gained exactly its id line, comments and layout intact.
        assert returns.read_text(encoding="utf-8") == returns_text.replace(
            "name: Returns menu\n", f"id: {returns_id}\nname: Returns menu\n"
        )
        assert refunds.read_text(encoding="utf-8") == refunds_text.replace(
            "name: Refunds desk\n", f"id: {refunds_id}\nname: Refunds desk\n"
        )
        state = ws.state()
        assert state.entries[returns_id].body["destination"] == [f"ivr|{refunds_id}"]
        assert not StateStore(ws.state_path).intents.path.exists()

        again = plan_cli(run_cli, ws, "--detailed-exitcode")
        assert again.exit_code == 0, again.stdout + again.stderr
        assert "No changes." in again.stdout


def test_a_saved_plan_with_creates_applies_as_reviewed(run_cli: RunCli, tmp_path: Path) -> None:
    with open_workspace(tmp_path, 2) as ws:
        adopt(run_cli, ws)
        returns, _ = add_new(ws, "returns.yaml", "Returns menu", "ivr|@IVR 2")
        saved = tmp_path / "plan.json"
        assert plan_cli(run_cli, ws, "--out", str(saved)).exit_code == 0
        document = yaml.safe_load(saved.read_text(encoding="utf-8"))
        assert document["version"] == 3
        assert document["summary"]["create"] == 1
        [create] = [c for c in document["changes"] if c["action"] == "create"]
        assert (create["id"], create["routes_to"]) == (None, [])

        result = run_cli(*ws.args(str(saved)), env={"SMARTFLO_API_TOKEN": TOKEN})
        assert result.exit_code == 0, result.stderr
        assert len(ws.fake.posts()) == 1
        assert file_id(returns) == live_by_name(ws)["Returns menu"][0]


# -- Must show 2: lost answers and SIGKILL, reruns converge with no duplicate ----------------


def converged(ws: Workspace, files: dict[str, Path]) -> None:
    """No duplicate on the server; each file holds its IVR's live id; state == server."""
    names = live_by_name(ws)
    duplicates = {name: ids for name, ids in names.items() if len(ids) > 1}
    assert not duplicates
    live = {int(i["id"]): live_ivr_from_read_shape(i).body for i in ws.fake.live_ivrs()}
    state = ws.state()
    for name, path in files.items():
        assert file_id(path) == names[name][0], (name, path.read_text(encoding="utf-8"))
    for ivr_id, entry in state.entries.items():
        assert dict(entry.body) == dict(live[ivr_id])


def test_lost_answers_and_kills_between_post_and_discovery_converge_without_duplicates(
    run_cli: RunCli, tmp_path: Path
) -> None:
    rng = random.Random(13)
    for run in range(20):
        root = tmp_path / f"run-{run}"
        root.mkdir()
        with open_workspace(root, 2, latency=0.03) as ws:
            adopt(run_cli, ws)
            files = {
                "Refunds desk": add_new(ws, "refunds.yaml", "Refunds desk", "ivr|@IVR 1")[0],
                "Returns menu": add_new(ws, "returns.yaml", "Returns menu", "ivr|@Refunds desk")[0],
                "Exchanges": add_new(ws, "exchanges.yaml", "Exchanges", "ivr|@Returns menu")[0],
            }
            ws.write(2, menu=[{"option": "1", "destination": "ivr|@Exchanges"}])
            # Every POST is applied, then its answer is lost (or only some are).
            drop = FaultConfig(
                rate=rng.choice([0.5, 1.0]),
                kinds=("drop_after_apply",),
                methods=("POST",),
                seed=run,
            )
            ws.fake.set_faults(drop)
            process = spawn_apply(ws, "--auto-approve")
            # A random moment after a random POST reached the server: before, during or after
            # the read that discovers its id (each request takes the fake's latency, 30 ms).
            wanted = rng.randint(1, 3)
            deadline = time.monotonic() + 30
            while len(ws.fake.posts()) < wanted and process.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.1))
            process.send_signal(signal.SIGKILL)
            finish(process)
            settle(ws.fake)
            # A rerun with the answers still lost, then clean reruns until nothing is left.
            apply_cli(run_cli, ws, "--auto-approve")
            ws.fake.set_faults(None)
            for _ in range(3):
                if plan_cli(run_cli, ws, "--detailed-exitcode").exit_code == 0:
                    break
                apply_cli(run_cli, ws, "--auto-approve")
            assert plan_cli(run_cli, ws, "--detailed-exitcode").exit_code == 0
            converged(ws, files)
            assert len(ws.fake.live_ivrs()) == 5


# -- Must show 3: a name taken live is refused before any write --------------------------------


def test_a_new_ivr_whose_name_exists_live_is_refused_before_any_write(
    run_cli: RunCli, tmp_path: Path
) -> None:
    with open_workspace(tmp_path, 3) as ws:
        adopt(run_cli, ws)
        ws.remove(3)  # IVR 3 stays live but is no longer managed here
        ws.fake.reset_requests()
        path, text = add_new(ws, "again.yaml", "IVR 3")
        state_before = ws.state_path.read_bytes()

        result = apply_cli(run_cli, ws, "--auto-approve", "--allow-mass-change")
        assert result.exit_code == 1
        assert "the new IVR 'IVR 3' already exists live as IVR 3" in result.stderr
        assert "ivrsync import --id 3" in result.stderr
        assert "nothing was sent" in result.stderr
        assert [r.method for r in ws.fake.requests if r.method != "GET"] == []
        assert path.read_text(encoding="utf-8") == text
        assert ws.state_path.read_bytes() == state_before

        refreshed = plan_cli(run_cli, ws, "--refresh", "--base-url", ws.fake.url)
        assert refreshed.exit_code == 1
        assert "already exists live as IVR 3" in refreshed.stderr


# -- Must show 4: name references, duplicate names, loops: file and line -----------------------


def test_validation_names_file_and_line_for_bad_references_duplicates_and_loops(
    run_cli: RunCli, tmp_path: Path
) -> None:
    folder = tmp_path / "ivr-configs"
    folder.mkdir()
    (folder / "a.yaml").write_text(new_ivr_text("Returns menu", "ivr|@Refund desk"), "utf-8")
    (folder / "b.yaml").write_text(new_ivr_text("Refunds desk", "ivr|@Loop two"), "utf-8")
    (folder / "c.yaml").write_text(new_ivr_text("Loop one", "ivr|@Loop two"), "utf-8")
    (folder / "d.yaml").write_text(new_ivr_text("Loop two", "ivr|@Loop one"), "utf-8")
    (folder / "e.yaml").write_text(new_ivr_text("Refunds desk"), "utf-8")

    result = run_cli("validate", "--config-dir", str(folder))
    assert result.exit_code == 1
    out = result.stdout + result.stderr
    # The menu's first destination is on line 17 of a new IVR's file.
    assert (
        "a.yaml:17:18: error: menu[0].destination: ivr|@Refund desk names no IVR in the config "
        "set (hint: did you mean ivr|@Refunds desk? names match exactly)"
    ) in out
    assert "b.yaml:2:7: error: name: the name 'Refunds desk' is also used by" in out
    assert "a new IVR's name must be unique in the config set" in out
    assert "e.yaml:2:7: error: name: the name 'Refunds desk' is also used by" in out
    assert (
        "c.yaml:17:18: error: menu[0].destination: ivr|@Loop two closes a loop of new IVRs "
        "(Loop one -> Loop two -> Loop one)"
    ) in out
    assert "d.yaml:17:18: error: menu[0].destination: ivr|@Loop one closes a loop" in out


def test_a_malformed_name_reference_gets_one_error_saying_how_to_write_it(
    run_cli: RunCli, tmp_path: Path
) -> None:
    folder = tmp_path / "ivr-configs"
    folder.mkdir()
    (folder / "a.yaml").write_text(new_ivr_text("A", "ivr|@", "ivr|@ A"), "utf-8")

    result = run_cli("validate", "--config-dir", str(folder))

    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert errors == [
        f"{folder / 'a.yaml'}:17:18: error: menu[0].destination: 'ivr|@': a name reference needs "
        "the IVR's name right after the @ (hint: write ivr|@<name> with no spaces around the "
        "name, e.g. ivr|@Sales)",
        f"{folder / 'a.yaml'}:19:18: error: menu[1].destination: 'ivr|@ A': a name reference "
        "needs the IVR's name right after the @ (hint: write ivr|@<name> with no spaces around "
        "the name, e.g. ivr|@Sales)",
    ]


def test_plan_says_when_a_stopped_apply_left_a_create_unfinished(
    run_cli: RunCli, tmp_path: Path
) -> None:
    from ivrsync.body import digest_body
    from ivrsync.model import CreateIntent

    with open_workspace(tmp_path, 1) as ws:
        adopt(run_cli, ws)
        add_new(ws, "returns.yaml", "Returns menu")
        body = {"name": "Returns menu"}
        intent = CreateIntent(
            "Returns menu", "x.yaml", body, digest_body(body), "2026-12-01T00:00:00Z"
        )
        StateStore(ws.state_path).intents.add(intent)

        result = plan_cli(run_cli, ws)

        assert result.exit_code == 0
        assert (
            "a stopped apply left 1 create(s) unfinished (Returns menu); the next apply "
            "completes them from the live IVRs before it creates anything"
        ) in result.stderr


def test_a_new_ivr_gets_the_telephony_checks_of_one_ivr_before_it_is_created(
    run_cli: RunCli, tmp_path: Path
) -> None:
    folder = tmp_path / "ivr-configs"
    folder.mkdir()
    text = new_ivr_text("Returns menu").replace(
        "invalid_destination: extension|05047530002", "invalid_destination: hangup|1"
    )
    (folder / "a.yaml").write_text(text, "utf-8")

    result = run_cli("validate", "--config-dir", str(folder))

    assert result.exit_code == 0
    assert (
        f"{folder / 'a.yaml'}:8:22: warning: invalid_destination: callers who press a wrong key "
        "6 times are cut off: invalid_destination is hangup|1 [hangup-fallback]"
    ) in result.stdout


def test_a_created_ivr_is_read_back_and_a_wrong_separator_named(
    run_cli: RunCli, tmp_path: Path
) -> None:
    from ivrsync.fake_smartflo import FakeSmartflo

    # The server takes `||` and mangles a `|` reference instead of refusing it: the create
    # "succeeds", and only reading it back shows the damage.
    with FakeSmartflo(token=TOKEN, separator="||", separator_strict=False) as fake:
        folder = tmp_path / "ivr-configs"
        folder.mkdir()
        (folder / "returns.yaml").write_text(new_ivr_text("Returns menu"), "utf-8")
        args = ["apply", "--config-dir", str(folder), "--state", str(tmp_path / "s.json")]
        result = run_cli(
            *args, "--base-url", fake.url, "--auto-approve", env={"SMARTFLO_API_TOKEN": TOKEN}
        )

        assert result.exit_code == 1
        assert len(fake.posts()) == 1
        assert "separator" in result.stdout + result.stderr
        assert "Returns menu" in result.stdout + result.stderr
