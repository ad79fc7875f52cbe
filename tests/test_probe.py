"""`ivrsync probe` against the fake server in each dialect: right answers, written, restored."""

from __future__ import annotations

import itertools
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import body_from_document
from ivrsync.cli.probe import command as probe_command
from ivrsync.commands.probe import MAX_REQUESTS, probe
from ivrsync.commands.runtime import Runtime
from ivrsync.errors import RejectedError
from ivrsync.fake_smartflo import FakeSmartflo
from ivrsync.render.probe import render_restore_failure
from ivrsync.settings import resolve_settings
from ivrsync.smartflo.readshape import live_ivr_from_read_shape, read_shape_from_body
from tests.testing.cli import CliResult, RunCli
from tests.testing.documents import ivr_document

TOKEN = "tok-probe-7c1d-never-printed"
SCRATCH = 900

COMBINATIONS = list(itertools.product(("|", "||"), ("bearer", "raw"), ("swapped", "direct")))


def account_seed() -> list[dict[str, Any]]:
    """Three IVRs using distinct recordings and four destination types, plus the scratch IVR."""
    items = []
    for ivr_id, timeout in ((101, 10), (102, 11), (103, 12), (SCRATCH, 20)):
        document = ivr_document(
            ivr_id,
            timeout=timeout,
            invalid_recording=f"recording|{ivr_id}1",
            recording_invalid=f"recording|{ivr_id}2",
            menu=[
                {"option": "1", "destination": "extension|05047530002"},
                {"option": "2", "destination": "ringgroup|17839"},
                {"option": "3", "destination": f"ivr|{102 if ivr_id == 101 else 101}"},
                {"option": "#", "destination": "hangup|1"},
            ],
        )
        items.append(read_shape_from_body(ivr_id, body_from_document(document)))
    return items


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # the repository root: settings discovery stops here
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(run_cli: RunCli, fake: FakeSmartflo, *args: str) -> CliResult:
    env = {"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_BASE_URL": fake.url}
    result = run_cli(*args, env=env)
    assert TOKEN not in result.stdout + result.stderr
    return result


def scratch_item(fake: FakeSmartflo) -> dict[str, Any]:
    (item,) = [i for i in fake.live_ivrs() if int(i["id"]) == SCRATCH]
    return item


@pytest.mark.parametrize(
    ("separator", "auth", "recordings"),
    COMBINATIONS,
    ids=[f"sep{s}-{a}-{r}" for s, a, r in COMBINATIONS],
)
def test_probe_finds_each_dialect_writes_it_and_restores_the_scratch_ivr(
    run_cli: RunCli, project: Path, separator: str, auth: str, recordings: str
) -> None:
    with FakeSmartflo(
        ivrs=account_seed(),
        token=TOKEN,
        separator=separator,  # type: ignore[arg-type]
        auth=auth,  # type: ignore[arg-type]
        recordings=recordings,  # type: ignore[arg-type]
    ) as fake:
        before = scratch_item(fake)

        result = run(run_cli, fake, "probe", "--ivr", str(SCRATCH), "--write", "--yes")

        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert any(line.startswith(f'separator: "{separator}" — ') for line in lines), lines
        assert any(line.startswith(f'auth_scheme: "{auth}" — ') for line in lines), lines
        assert any(line.startswith(f'recordings: "{recordings}" — ') for line in lines), lines
        written = tomllib.loads((project / "ivrsync.toml").read_text("utf-8"))["smartflo"]
        assert written == {"separator": separator, "auth_scheme": auth, "recordings": recordings}
        assert scratch_item(fake) == before, "the scratch IVR is back to its original body"
        requests = [r for r in fake.requests if not r.path.startswith("/_fake")]
        assert len(requests) <= MAX_REQUESTS

        # With the answers written: import, a plan with nothing to do, one change read back.
        imported = run(run_cli, fake, "import")
        assert imported.exit_code == 0, imported.stderr
        planned = run(run_cli, fake, "plan", "--detailed-exitcode")
        assert planned.exit_code == 0, planned.stdout + planned.stderr
        path = next((project / "ivr-configs").glob("*-101.yaml"))
        text = path.read_text("utf-8").replace("timeout: 10", "timeout: 44")
        path.write_text(text, "utf-8")
        applied = run(run_cli, fake, "apply", "--auto-approve")
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert "Read-back" not in applied.stdout
        assert run(run_cli, fake, "plan", "--detailed-exitcode").exit_code == 0


def test_probe_refuses_a_managed_ivr_unless_allowed(run_cli: RunCli, project: Path) -> None:
    with FakeSmartflo(ivrs=account_seed(), token=TOKEN) as fake:
        assert run(run_cli, fake, "import", "--id", str(SCRATCH)).exit_code == 0
        fake.reset_requests()

        refused = run(run_cli, fake, "probe", "--ivr", str(SCRATCH), "--yes")

        assert refused.exit_code == 1
        assert f"error: IVR {SCRATCH} is managed by ivrsync" in refused.stderr
        assert "--allow-managed" in refused.stderr
        assert fake.puts() == []
        allowed = run(run_cli, fake, "probe", "--ivr", str(SCRATCH), "--yes", "--allow-managed")
        assert allowed.exit_code == 0, allowed.stderr


def test_probe_without_a_terminal_or_yes_sends_nothing(run_cli: RunCli, project: Path) -> None:
    with FakeSmartflo(ivrs=account_seed(), token=TOKEN) as fake:
        result = run(run_cli, fake, "probe", "--ivr", str(SCRATCH))

        assert result.exit_code == 1
        assert "pass --yes" in result.stderr
        assert fake.requests == []


def test_probe_of_an_unknown_ivr_is_a_clear_error(run_cli: RunCli, project: Path) -> None:
    with FakeSmartflo(ivrs=account_seed(), token=TOKEN) as fake:
        result = run(run_cli, fake, "probe", "--ivr", "4242", "--yes")

        assert result.exit_code == 1
        assert "IVR 4242 is not in the account" in result.stderr
        assert fake.puts() == []


def test_probe_reports_webhooks_cleared_by_a_full_put(run_cli: RunCli, project: Path) -> None:
    seed = account_seed()
    seed[-1]["ivr_menu"][0]["webhook_id"] = "77"
    with FakeSmartflo(ivrs=seed, token=TOKEN, webhooks_cleared_by_put=True) as fake:
        result = run(run_cli, fake, "probe", "--ivr", str(SCRATCH), "--yes")

    assert 'webhooks: "cleared by a full PUT" — options 1 had a webhook' in result.stdout
    # A PUT cannot put the webhook back: the restore of the body succeeds, the webhook is lost,
    # and the probe said so above.
    assert result.exit_code == 0, result.stderr


def test_probe_lists_the_destination_types_the_put_accepts(run_cli: RunCli, project: Path) -> None:
    with FakeSmartflo(ivrs=account_seed(), token=TOKEN) as fake:
        result = run(run_cli, fake, "probe", "--ivr", str(SCRATCH), "--yes")

    line = next(x for x in result.stdout.splitlines() if x.startswith("destination types:"))
    for kind in ("extension", "ringgroup", "ivr", "hangup"):
        assert kind in line


def test_the_documented_request_bound_is_the_constant() -> None:
    assert f"at most\n    {MAX_REQUESTS} requests" in (probe_command.help or "")


class _BreakingClient:
    """A client over a dict that accepts the first `good` PUTs and refuses every later one."""

    def __init__(self, items: list[dict[str, Any]], good: int) -> None:
        self.items = {int(i["id"]): dict(i) for i in items}
        self.good = good
        self.puts = 0
        self.separator = "|"
        self.auth_scheme_used = "bearer"

    def __enter__(self) -> _BreakingClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def list_ivrs(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self.items.values()]

    def put_ivr(self, ivr_id: int, body: Any) -> str:
        self.puts += 1
        if self.puts > self.good:
            raise RejectedError(f"IVR {ivr_id}: the server refused it (HTTP 500: down)")
        previous = self.items[ivr_id]
        self.items[ivr_id] = read_shape_from_body(ivr_id, body, previous=previous)
        return "ok"


def test_an_unrestorable_scratch_ivr_is_reported_with_its_saved_body(tmp_path: Path) -> None:
    client = _BreakingClient(account_seed(), good=1)
    settings = resolve_settings(None, env={}, flags={"paths.state": str(tmp_path / "state.json")})
    runtime = Runtime(
        settings=settings,
        env={"SMARTFLO_API_TOKEN": TOKEN},
        open_client=lambda *_a, **_k: client,  # type: ignore[arg-type, return-value]
    )
    original = live_ivr_from_read_shape(account_seed()[-1]).body

    result = probe(SCRATCH, runtime, write=False, allow_managed=False, confirm=lambda _q: True)

    assert not result.restored
    assert result.restore_file == tmp_path / f"probe-{SCRATCH}-original.json"
    assert json.loads(result.restore_file.read_text("utf-8")) == dict(original)
    shown = render_restore_failure(
        SCRATCH, result.original, result.restore_file, base_url="https://x", token_env="MY_TOKEN"
    )
    assert f"IVR {SCRATCH} was NOT restored" in shown
    assert f"curl -X PUT 'https://x/v1/ivr/{SCRATCH}'" in shown
    assert '"Authorization: Bearer $MY_TOKEN"' in shown
    assert f"--data @{result.restore_file}" in shown


def test_a_probe_that_changed_nothing_needs_no_restore(tmp_path: Path) -> None:
    client = _BreakingClient(account_seed(), good=0)
    settings = resolve_settings(None, env={}, flags={"paths.state": str(tmp_path / "state.json")})
    runtime = Runtime(
        settings=settings,
        env={"SMARTFLO_API_TOKEN": TOKEN},
        open_client=lambda *_a, **_k: client,  # type: ignore[arg-type, return-value]
    )

    result = probe(SCRATCH, runtime, write=True, allow_managed=False, confirm=lambda _q: True)

    assert result.restored
    assert result.answers == {"auth_scheme": "bearer"}
    separator = next(f for f in result.findings if f.question == "separator")
    assert separator.answer is None
    assert "PUT with '|' refused" in separator.evidence
    assert "'||' refused" in separator.evidence
