"""Three-way refreshed plans: conflict vs warning vs clean, and the `--refresh` text section."""

from __future__ import annotations

from typing import Any

import pytest

from ivrsync.body import body_from_document, digest_body
from ivrsync.errors import ConflictError
from ivrsync.model import (
    Conflict,
    FieldRefresh,
    IvrConfig,
    LiveIvr,
    RefreshedPlan,
    State,
    StateEntry,
)
from ivrsync.plan.diff import compute_plan
from ivrsync.plan.refresh import check_conflicts, conflicts, refresh_plan
from ivrsync.render.refresh import render_refresh_text
from tests.testing.documents import ivr_document


def body(ivr_id: int, **overrides: Any) -> dict[str, Any]:
    return body_from_document(ivr_document(ivr_id, **overrides))


def config(ivr_id: int, **overrides: Any) -> IvrConfig:
    b = body(ivr_id, **overrides)
    return IvrConfig(ivr_id, b["name"], f"ivr-configs/ivr-{ivr_id}.yaml", b, digest_body(b))


def state(*ids: int) -> State:
    entries = {
        i: StateEntry(i, body(i), digest_body(body(i)), f"ivr-configs/ivr-{i}.yaml", "T")
        for i in ids
    }
    return State(lineage="l", serial=3, entries=entries)


def live(*bodies: tuple[int, dict[str, Any]], warnings: tuple[str, ...] = ()) -> dict[int, LiveIvr]:
    return {i: LiveIvr(i, b["name"], b, warnings) for i, b in bodies}


def refreshed(
    yaml: dict[str, Any], portal: dict[str, Any], *, in_state: bool = True
) -> RefreshedPlan:
    """IVR 5: state = base document; YAML and portal each apply their overrides to it."""
    base = state(5) if in_state else state()
    plan = compute_plan([config(5, **yaml)], base)
    return refresh_plan(plan, base, live((5, body(5, **portal))))


@pytest.mark.parametrize(
    ("yaml", "portal", "expected"),
    [
        ({}, {}, ()),
        ({"timeout": 45}, {}, ()),
        ({}, {"timeout": 60}, (FieldRefresh("timeout", 20, 20, 60, "drift"),)),
        ({"timeout": 45}, {"timeout": 60}, (FieldRefresh("timeout", 20, 45, 60, "conflict"),)),
        ({"timeout": 45}, {"timeout": 45}, (FieldRefresh("timeout", 20, 45, 45, "converged"),)),
        (
            {"timeout": 45},
            {"description": "portal text"},
            (
                FieldRefresh(
                    "description",
                    "IVR for the support team",
                    "IVR for the support team",
                    "portal text",
                    "overwrite",
                ),
            ),
        ),
        (
            {
                "menu": [
                    {"option": "1", "destination": "extension|05047530002"},
                    {"option": "2", "destination": "ivr|350"},
                ]
            },
            {
                "menu": [
                    {"option": "1", "destination": "extension|05047530002"},
                    {"option": "2", "destination": "hangup|1"},
                ]
            },
            (FieldRefresh("menu.2", "extension|845", "ivr|350", "hangup|1", "conflict"),),
        ),
        (
            {
                "menu": [
                    {"option": "1", "destination": "extension|05047530002"},
                    {"option": "2", "destination": "ivr|350"},
                ]
            },
            {
                "menu": [
                    {"option": "1", "destination": "extension|05047530002"},
                    {"option": "2", "destination": "extension|845"},
                    {"option": "3", "destination": "hangup|1"},
                ]
            },
            (FieldRefresh("menu.3", None, None, "hangup|1", "overwrite"),),
        ),
    ],
    ids=[
        "clean",
        "repo-change-only",
        "drift-on-unchanged-ivr",
        "conflict-same-field",
        "converged-same-value",
        "warning-other-field-overwritten",
        "conflict-same-menu-key",
        "warning-other-menu-key-overwritten",
    ],
)
def test_each_portal_change_is_classified_against_the_repository_change(
    yaml: dict[str, Any], portal: dict[str, Any], expected: tuple[FieldRefresh, ...]
) -> None:
    result = refreshed(yaml, portal)

    (ivr,) = result.ivrs
    assert ivr.fields == expected
    assert ivr.is_clean is (expected == ())


def test_conflicts_name_ivr_and_field_and_apply_is_refused_without_overwrite_drift() -> None:
    result = refreshed({"timeout": 45, "description": "yaml"}, {"timeout": 60, "description": "p"})

    assert conflicts(result) == [
        Conflict(5, "IVR 5", "description", "IVR for the support team", "yaml", "p"),
        Conflict(5, "IVR 5", "timeout", 20, 45, 60),
    ]
    with pytest.raises(ConflictError) as caught:
        check_conflicts(result, overwrite_drift=False)
    assert caught.value.message == (
        "2 fields changed both in the YAML and in the portal since the last apply: "
        "IVR 5 (IVR 5) field description; IVR 5 (IVR 5) field timeout"
    )
    assert "--overwrite-drift" in caught.value.hint
    check_conflicts(result, overwrite_drift=True)  # no exception


@pytest.mark.parametrize(
    ("yaml", "portal"),
    [({}, {}), ({"timeout": 45}, {"description": "p"}), ({"timeout": 45}, {"timeout": 45})],
    ids=["clean", "warning-only", "converged"],
)
def test_no_conflict_means_apply_may_proceed(yaml: dict[str, Any], portal: dict[str, Any]) -> None:
    result = refreshed(yaml, portal)

    assert conflicts(result) == []
    check_conflicts(result, overwrite_drift=False)


def test_an_adopt_has_no_base_so_live_differences_are_overwrites_not_conflicts() -> None:
    result = refreshed({"timeout": 45}, {"timeout": 60}, in_state=False)

    (ivr,) = result.ivrs
    assert ivr.action == "adopt"
    assert ivr.fields == (FieldRefresh("timeout", None, 45, 60, "overwrite"),)
    assert conflicts(result) == []


def test_missing_live_ivrs_forgets_and_warnings_are_reported_per_ivr() -> None:
    base = state(1, 2, 3)
    plan = compute_plan([config(1, timeout=45), config(3)], base)  # 2 is forgotten
    portal = live((2, body(2, timeout=9)), (3, body(3)), warnings=("webhook on 3",))

    result = refresh_plan(plan, base, portal)

    by_id = {ivr.id: ivr for ivr in result.ivrs}
    assert [ivr.id for ivr in result.ivrs] == [1, 2, 3]
    assert by_id[1].live_missing
    assert by_id[1].puts
    assert by_id[2].action == "forget"
    assert by_id[2].fields == (FieldRefresh("timeout", 20, 20, 9, "drift"),)
    assert by_id[3].action is None
    assert by_id[3].warnings == ()  # no PUT for 3, so nothing can clear its webhook
    assert result.missing == (by_id[1],)


def test_a_partial_plan_refreshes_only_its_targets() -> None:
    base = state(1, 2)
    plan = compute_plan([config(1), config(2)], base, targets=[2])

    result = refresh_plan(plan, base, live((1, body(1, timeout=9)), (2, body(2))))

    assert [ivr.id for ivr in result.ivrs] == [2]


def test_text_section_shows_conflicts_overwrites_drift_and_missing() -> None:
    base = state(1, 2, 3, 4)
    plan = compute_plan(
        [config(1, timeout=45), config(2, timeout=45), config(3), config(4, timeout=45)], base
    )
    portal = live(
        (1, body(1, timeout=60)),
        (
            2,
            body(
                2,
                description="portal text",
                menu=[{"option": "1", "destination": "extension|05047530002"}],
            ),
        ),
        (3, body(3, timeout=30)),
        warnings=("a webhook a full PUT may clear",),  # on every live IVR here
    )

    text = render_refresh_text(refresh_plan(plan, base, portal))

    assert text == (
        '! IVR 1 "IVR 1" (ivr-configs/ivr-1.yaml): CONFLICT, changed in the YAML and the portal\n'
        "    ! timeout: YAML 45, portal 60 (last applied 20)\n"
        '~ IVR 2 "IVR 2" (ivr-configs/ivr-2.yaml): changed in the portal; '
        "the next PUT overwrites it\n"
        "    ~ description: portal portal text -> YAML IVR for the support team\n"
        "    ~ option 2: portal (none) -> YAML extension|845\n"
        '~ IVR 3 "IVR 3" (ivr-configs/ivr-3.yaml): changed in the portal; no change planned\n'
        "    ~ timeout: 20 -> 30 (last applied -> portal)\n"
        '! IVR 4 "IVR 4" (ivr-configs/ivr-4.yaml): no longer exists in Smartflo; '
        "its PUT will fail\n"
        "warning: a webhook a full PUT may clear\n"  # IVR 1: PUT (conflict)
        "warning: a webhook a full PUT may clear\n"  # IVR 2: PUT; not 3: no PUT
        "\n"
        "Refresh: 1 conflict (1 IVR), 2 portal changes to overwrite, 1 IVR drifted, 1 missing; "
        "3 live IVRs.\n"
    )


def test_text_section_without_drift_is_one_line() -> None:
    result = refreshed({"timeout": 45}, {})

    assert render_refresh_text(result) == (
        "Refresh: no drift; the portal matches the state; 1 live IVR.\n"
    )
