"""The commands as plain functions: a request, an injected Runtime, a result value. No click,
no network: the client is an in-memory fake handed in through `Runtime.open_client`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ivrsync.body import body_from_document
from ivrsync.commands.apply import ApplyHooks, ApplyRequest, apply
from ivrsync.commands.drift import drift
from ivrsync.commands.plan import PlanRequest, plan
from ivrsync.commands.runtime import Runtime
from ivrsync.commands.validate import validate
from ivrsync.errors import ConfigError
from ivrsync.model import Body, Outcome, Plan
from ivrsync.settings import resolve_settings
from ivrsync.smartflo.readshape import read_shape_from_body
from tests.testing.documents import ivr_document, write_ivr


class MemoryAccount:
    """A Smartflo account in a dict: what the commands need of a client."""

    def __init__(self, *ids: int) -> None:
        self.items = {i: read_shape_from_body(i, body_from_document(ivr_document(i))) for i in ids}
        self.puts: list[int] = []
        self.separator = "|"

    def __enter__(self) -> MemoryAccount:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def list_ivrs(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self.items.values()]

    def put_ivr(self, ivr_id: int, body: Body) -> str:
        self.puts.append(ivr_id)
        self.items[ivr_id] = read_shape_from_body(ivr_id, body, previous=self.items[ivr_id])
        return "IVR updated successfully"


def runtime(tmp_path: Path, account: MemoryAccount, **overrides: Any) -> Runtime:
    settings = resolve_settings(
        None,
        env={},
        flags={
            "paths.config_dir": str(tmp_path / "ivr-configs"),
            "paths.state": str(tmp_path / "state.json"),
            "smartflo.base_url": "http://127.0.0.1:1",
        },
    )
    return Runtime(
        settings=settings,
        env={"SMARTFLO_API_TOKEN": "tok-commands"},
        open_client=lambda *_args, **_kw: account,  # type: ignore[arg-type, return-value]
        **overrides,
    )


def hooks(shown: list[Plan], outcomes: list[Outcome]) -> ApplyHooks:
    return ApplyHooks(
        show_plan=shown.append,
        show_refreshed=lambda _refreshed: None,
        confirm=lambda: True,
        on_outcome=outcomes.append,
    )


def test_plan_then_apply_then_plan_again(tmp_path: Path) -> None:
    account = MemoryAccount(1, 2)
    for ivr_id in (1, 2):
        write_ivr(tmp_path / "ivr-configs", ivr_document(ivr_id, timeout=33))
    context = runtime(tmp_path, account)

    first = plan(PlanRequest(), context)
    shown: list[Plan] = []
    outcomes: list[Outcome] = []
    applied = apply(ApplyRequest(auto_approve=True), context, hooks(shown, outcomes))
    again = plan(PlanRequest(), context)

    assert [c.action for c in first.plan.changes] == ["adopt", "adopt"]
    assert first.refusal is None
    assert applied.ok
    assert applied.canary == 1  # the first IVR went alone and was read back
    assert applied.read_back == ()
    assert account.puts == [1, 2]
    assert shown == [applied.plan]
    assert sorted(o.id for o in outcomes) == [1, 2]
    assert again.plan.is_empty


def test_apply_refused_at_the_question_sends_nothing(tmp_path: Path) -> None:
    account = MemoryAccount(1)
    write_ivr(tmp_path / "ivr-configs", ivr_document(1, timeout=33))
    refuse = ApplyHooks(
        show_plan=lambda _p: None,
        show_refreshed=lambda _r: None,
        confirm=lambda: False,
        on_outcome=lambda _o: None,
    )

    result = apply(ApplyRequest(), runtime(tmp_path, account), refuse)

    assert result.cancelled
    assert result.report is None
    assert account.puts == []


def test_invalid_configs_show_their_problems_and_raise(tmp_path: Path) -> None:
    write_ivr(tmp_path / "ivr-configs", ivr_document(1, timeout=0))
    seen: list[Any] = []
    context = runtime(tmp_path, MemoryAccount(), show_problems=seen.extend)

    with pytest.raises(ConfigError, match="no plan was made"):
        plan(PlanRequest(), context)

    assert [p.path for p in seen] == ["timeout"]


def test_validate_returns_the_config_set(tmp_path: Path) -> None:
    write_ivr(tmp_path / "ivr-configs", ivr_document(1))

    result = validate([], config_dir=tmp_path / "ivr-configs")

    assert not result.failed
    assert [c.id for c in result.config_set.configs] == [1]


def test_drift_against_the_account(tmp_path: Path) -> None:
    account = MemoryAccount(1)
    write_ivr(tmp_path / "ivr-configs", ivr_document(1))
    context = runtime(tmp_path, account)
    apply(ApplyRequest(auto_approve=True), context, hooks([], []))
    account.items[1]["timeout"] = 45

    report = drift(context)

    assert report.has_drift
    assert [d.id for d in report.drifted] == [1]
