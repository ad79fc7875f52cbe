"""State vs live -> DriftReport, and its text, markdown and JSON renderings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ivrsync.body import body_from_document, digest_body
from ivrsync.model import DriftReport, FieldChange, IvrDrift, IvrRef, LiveIvr, State, StateEntry
from ivrsync.plan.drift import compute_drift
from ivrsync.render.drift import (
    DRIFT_MARKER,
    render_drift_json,
    render_drift_markdown,
    render_drift_text,
)
from tests.testing.documents import ivr_document


def body(ivr_id: int, **overrides: Any) -> dict[str, Any]:
    return body_from_document(ivr_document(ivr_id, **overrides))


def state_of(*bodies: tuple[int, dict[str, Any]]) -> State:
    entries = {
        ivr_id: StateEntry(ivr_id, b, digest_body(b), f"ivr-configs/ivr-{ivr_id}.yaml", "T")
        for ivr_id, b in bodies
    }
    return State(lineage="l", serial=1, entries=entries)


def live_of(
    *bodies: tuple[int, dict[str, Any]], warnings: tuple[str, ...] = ()
) -> dict[int, LiveIvr]:
    return {ivr_id: LiveIvr(ivr_id, b["name"], b, warnings) for ivr_id, b in bodies}


MENU_2_TO_RINGGROUP = [
    {"option": "1", "destination": "extension|05047530002"},
    {"option": "2", "destination": "ringgroup|17839"},
    {"option": "3", "destination": "hangup|1"},
]


@pytest.mark.parametrize(
    ("live_overrides", "expected"),
    [
        ({}, ()),
        ({"timeout": 45}, (FieldChange("timeout", 20, 45),)),
        (
            {"description": "edited", "timeout_tries": 1},
            (
                FieldChange("description", "IVR for the support team", "edited"),
                FieldChange("timeout_tries", 3, 1),
            ),
        ),
        (
            {"menu": MENU_2_TO_RINGGROUP},
            (
                FieldChange("menu.2", "extension|845", "ringgroup|17839"),
                FieldChange("menu.3", None, "hangup|1"),
            ),
        ),
        (
            {"menu": [{"option": "1", "destination": "extension|05047530002"}]},
            (FieldChange("menu.2", "extension|845", None),),
        ),
    ],
    ids=["in-sync", "one-field", "two-fields-in-body-order", "menu-per-key", "option-removed"],
)
def test_portal_changes_are_reported_as_state_value_to_live_value(
    live_overrides: dict[str, Any], expected: tuple[FieldChange, ...]
) -> None:
    report = compute_drift(state_of((5, body(5))), live_of((5, body(5, **live_overrides))))

    drifted = (IvrDrift(5, "IVR 5", "ivr-configs/ivr-5.yaml", expected),) if expected else ()
    assert report == DriftReport(
        drifted=drifted, missing=(), unmanaged=(), in_sync=0 if expected else 1
    )
    assert report.has_drift is bool(expected)


def test_missing_and_unmanaged_ivrs_are_listed_and_only_missing_counts_as_drift() -> None:
    state = state_of((1, body(1)), (2, body(2)))
    live = live_of((1, body(1)), (9, body(9, name="Trial")), warnings=("w",))

    report = compute_drift(state, live)

    assert report == DriftReport(
        drifted=(),
        missing=(IvrRef(2, "IVR 2", "ivr-configs/ivr-2.yaml"),),
        unmanaged=(IvrRef(9, "Trial", ""),),
        in_sync=1,
        warnings=("w",),  # only the managed IVR's warnings
    )
    assert report.has_drift
    assert not compute_drift(state_of((1, body(1))), live).has_drift


def sample_report() -> DriftReport:
    state = state_of((1, body(1)), (2, body(2)), (3, body(3)))
    live = live_of((1, body(1, timeout=45, menu=MENU_2_TO_RINGGROUP)), (3, body(3)), (9, body(9)))
    return compute_drift(state, live)


def test_text_lists_changes_missing_and_unmanaged_then_the_summary() -> None:
    assert render_drift_text(sample_report()) == (
        '~ IVR 1 "IVR 1" (ivr-configs/ivr-1.yaml) was changed in the portal\n'
        "    ~ timeout: 20 -> 45\n"
        "    ~ option 2: extension|845 -> ringgroup|17839\n"
        "    + option 3: hangup|1\n"
        '- IVR 2 "IVR 2" (ivr-configs/ivr-2.yaml) no longer exists in Smartflo\n'
        '? IVR 9 "IVR 9" is not managed by ivrsync\n'
        "\n"
        "Drift: 1 IVR changed in the portal, 1 missing, 1 in sync; 1 live IVR not managed.\n"
    )


def test_text_without_drift_is_one_line() -> None:
    report = compute_drift(
        state_of((1, body(1)), (2, body(2))), live_of((1, body(1)), (2, body(2)))
    )

    assert render_drift_text(report) == (
        "No drift: 2 managed IVRs in sync with the state; 0 live IVRs not managed.\n"
    )


def test_json_is_a_versioned_document_with_state_and_live_values() -> None:
    document = json.loads(render_drift_json(sample_report()))

    assert document == {
        "version": 2,
        "drift": True,
        "summary": {"managed": 3, "drifted": 1, "missing": 1, "in_sync": 1, "unmanaged": 1},
        "drifted": [
            {
                "id": 1,
                "name": "IVR 1",
                "source": "ivr-configs/ivr-1.yaml",
                "fields": [
                    {"field": "timeout", "state": 20, "live": 45},
                    {"field": "menu.2", "state": "extension|845", "live": "ringgroup|17839"},
                    {"field": "menu.3", "state": None, "live": "hangup|1"},
                ],
            }
        ],
        "missing": [{"id": 2, "name": "IVR 2", "source": "ivr-configs/ivr-2.yaml"}],
        "unmanaged": [{"id": 9, "name": "IVR 9"}],
        "warnings": [],
    }


def test_markdown_starts_with_the_marker_and_shows_a_table_per_drifted_ivr() -> None:
    text = render_drift_markdown(sample_report())

    assert text == (
        f"{DRIFT_MARKER}\n"
        "## ivrsync drift\n\n"
        "| changed in the portal | missing in Smartflo | in sync | live, not managed |\n"
        "|---:|---:|---:|---:|\n"
        "| 1 | 1 | 1 | 1 |\n\n"
        "**Drift: 1 IVR changed in the portal, 1 missing, 1 in sync; 1 live IVR not managed.**\n\n"
        "<details><summary>~ <code>IVR 1 &quot;IVR 1&quot; (ivr-configs/ivr-1.yaml)</code>: "
        "3 fields changed in the portal</summary>\n\n"
        "| field | state (last applied) | live |\n"
        "|---|---|---|\n"
        "| timeout | <code>20</code> | <code>45</code> |\n"
        "| option 2 | <code>extension&#124;845</code> | <code>ringgroup&#124;17839</code> |\n"
        "| option 3 | *(none)* | <code>hangup&#124;1</code> |\n\n"
        "</details>\n\n"
        "**Managed IVRs missing in Smartflo** (1)\n\n"
        '- `IVR 2 "IVR 2" (ivr-configs/ivr-2.yaml)`\n\n'
        "**Live IVRs not managed by ivrsync** (1)\n\n"
        '- `IVR 9 "IVR 9"`\n'
    )


def test_markdown_escapes_html_in_values_and_names() -> None:
    state = state_of((1, body(1)))
    live = live_of((1, body(1, description="<script>x</script> | y")))

    text = render_drift_markdown(compute_drift(state, live))

    assert "<script>" not in text
    assert "&lt;script&gt;x&lt;/script&gt; &#124; y" in text


def test_markdown_over_the_limit_leaves_sections_out_and_says_so() -> None:
    ids = range(1, 201)
    state = state_of(*((i, body(i)) for i in ids))
    live = live_of(*((i, body(i, timeout=45, description="x" * 200)) for i in ids))

    text = render_drift_markdown(compute_drift(state, live), limit=10_000)

    assert len(text) <= 10_000
    kept = text.count("<details>")
    assert 0 < kept < 200
    assert f"**{200 - kept} more section(s) left out**" in text
