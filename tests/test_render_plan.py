"""The plan renderers (text and markdown), compared whole."""

from __future__ import annotations

from typing import Any

import pytest

from ivrsync.model import Change, FieldChange, IvrRef, Plan
from ivrsync.render.plan_markdown import PLAN_MARKER, render_plan_markdown
from ivrsync.render.plan_text import format_value, render_plan_text

UPDATE = Change(
    id=349,
    name="Support IVR",
    action="update",
    source="ivr-configs/support.yaml",
    fields=(
        FieldChange("timeout", 20, 30),
        FieldChange("menu.2", "extension|845", "ringgroup|17839"),
        FieldChange("menu.3", None, "ivr|350"),
        FieldChange("menu.4", "hangup|1", None),
    ),
    body={"name": "Support IVR"},
    digest="sha256:new",
    state_digest="sha256:old",
)
ADOPT = Change(
    id=350,
    name="Sales",
    action="adopt",
    source="ivr-configs/sales.yaml",
    fields=(
        FieldChange("name", None, "Sales"),
        FieldChange("timeout", None, 10),
        FieldChange("menu.1", None, "department|11"),
    ),
    body={"name": "Sales"},
    digest="sha256:sales",
    state_digest=None,
)
FORGET = Change(
    id=351,
    name="Old",
    action="forget",
    source="ivr-configs/old.yaml",
    fields=(),
    body=None,
    digest=None,
    state_digest="sha256:gone",
)
UNCHANGED = (IvrRef(352, "Night", "ivr-configs/night.yaml"),)
PLAN = Plan(lineage="L", serial=3, changes=(UPDATE, ADOPT, FORGET), unchanged=UNCHANGED)
EMPTY = Plan(lineage="L", serial=3, changes=(), unchanged=UNCHANGED)
PARTIAL = Plan(lineage="L", serial=3, changes=(UPDATE,), unchanged=(), targets=(349,))

TEXT_BODY = """\
~ IVR 349 "Support IVR" (ivr-configs/support.yaml) will be updated
    ~ timeout: 20 -> 30
    ~ option 2: extension|845 -> ringgroup|17839
    + option 3: ivr|350
    - option 4: hangup|1

+ IVR 350 "Sales" (ivr-configs/sales.yaml) will be adopted (its whole body is PUT)
    + name: Sales
    + timeout: 10
    + option 1: department|11

- IVR 351 "Old" (ivr-configs/old.yaml) will be forgotten
    will be removed from the state only; the IVR stays in Smartflo untouched (no API call)

"""
PARTIAL_NOTICE = (
    "Partial plan: only IVR 349 (--target). Other IVRs were not compared and may have changes too."
)


@pytest.mark.parametrize(
    ("plan", "verbose", "expected"),
    [
        (
            PLAN,
            False,
            TEXT_BODY + "Plan: 0 to create, 1 to update, 1 to adopt, 1 to forget, 1 unchanged.\n",
        ),
        (
            PLAN,
            True,
            TEXT_BODY + '  IVR 352 "Night" (ivr-configs/night.yaml) is unchanged\n\n'
            "Plan: 0 to create, 1 to update, 1 to adopt, 1 to forget, 1 unchanged.\n",
        ),
        (EMPTY, False, "No changes. 1 IVR unchanged; the configs match the state.\n"),
        (
            Plan(lineage=None, serial=0, changes=(), unchanged=()),
            False,
            "No changes. 0 IVRs unchanged; the configs match the state.\n",
        ),
        (
            PARTIAL,
            False,
            f"{PARTIAL_NOTICE}\n\n"
            '~ IVR 349 "Support IVR" (ivr-configs/support.yaml) will be updated\n'
            "    ~ timeout: 20 -> 30\n"
            "    ~ option 2: extension|845 -> ringgroup|17839\n"
            "    + option 3: ivr|350\n"
            "    - option 4: hangup|1\n"
            "\n"
            "Plan: 0 to create, 1 to update, 0 to adopt, 0 to forget, 0 unchanged.\n"
            f"{PARTIAL_NOTICE}\n",
        ),
    ],
    ids=["full", "verbose", "empty", "empty-nothing-at-all", "partial"],
)
def test_text(plan: Plan, verbose: bool, expected: str) -> None:
    assert render_plan_text(plan, verbose=verbose) == expected


def test_text_in_colour_paints_markers_and_the_summary() -> None:
    plan = Plan(lineage="L", serial=3, changes=(FORGET, ADOPT), unchanged=())

    assert render_plan_text(plan, color=True) == (
        '\x1b[31m- IVR 351 "Old" (ivr-configs/old.yaml) will be forgotten\x1b[0m\n'
        "    will be removed from the state only; the IVR stays in Smartflo untouched"
        " (no API call)\n"
        "\n"
        '\x1b[32m+ IVR 350 "Sales" (ivr-configs/sales.yaml) will be adopted'
        " (its whole body is PUT)\x1b[0m\n"
        "    \x1b[32m+ name: Sales\x1b[0m\n"
        "    \x1b[32m+ timeout: 10\x1b[0m\n"
        "    \x1b[32m+ option 1: department|11\x1b[0m\n"
        "\n"
        "\x1b[1mPlan: 0 to create, 0 to update, 1 to adopt, 1 to forget, 0 unchanged.\x1b[0m\n"
    )


def test_text_without_colour_has_no_escape_codes() -> None:
    assert "\x1b" not in render_plan_text(PLAN, color=False, verbose=True)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("extension|845", "extension|845"),
        ("Support IVR", "Support IVR"),
        ("", '""'),
        (" padded", '" padded"'),
        ("20", '"20"'),
        ("true", '"true"'),
        ("a -> b", '"a -> b"'),
        ("two\nlines", '"two\\nlines"'),
        ('"quoted"', '"\\"quoted\\""'),
        ("ünï", "ünï"),
        (20, "20"),
        (True, "true"),
        (None, "null"),
        (["a", 1], '["a", 1]'),
    ],
    ids=[
        "reference",
        "spaces-inside",
        "empty",
        "leading-space",
        "numeric-string",
        "bool-string",
        "arrow",
        "newline",
        "quote",
        "unicode",
        "int",
        "bool",
        "null",
        "list",
    ],
)
def test_format_value_keeps_values_unambiguous(value: Any, shown: str) -> None:
    assert format_value(value) == shown


MD_HEAD = """\
<!-- ivrsync-plan -->
## ivrsync plan

| to create | to update | to adopt | to forget | unchanged |
|---:|---:|---:|---:|---:|
| 0 | 1 | 1 | 1 | 1 |

"""
MD_UPDATE = """\
<details><summary><code>~</code> update <b>IVR 349</b> <code>Support IVR</code> \
(<code>ivr-configs/support.yaml</code>)</summary>

```diff
- timeout: 20
+ timeout: 30
- option 2: extension|845
+ option 2: ringgroup|17839
+ option 3: ivr|350
- option 4: hangup|1
```

</details>"""
MD_ADOPT_FORGET = """\
<details><summary><code>+</code> adopt <b>IVR 350</b> <code>Sales</code> \
(<code>ivr-configs/sales.yaml</code>)</summary>

```diff
+ name: Sales
+ timeout: 10
+ option 1: department|11
```

</details>

<details><summary><code>-</code> forget <b>IVR 351</b> <code>Old</code> \
(<code>ivr-configs/old.yaml</code>)</summary>

Will be removed from the state only; the IVR stays in Smartflo untouched (no API call).

</details>"""
MD_UNCHANGED = """\
<details><summary>1 unchanged IVR</summary>

```text
IVR 352 "Night" (ivr-configs/night.yaml)
```

</details>"""
MD_PARTIAL = (
    "> [!WARNING]\n> **Partial plan**: only IVR 349 (`--target`). "
    "Other IVRs were not compared and may have changes too."
)


@pytest.mark.parametrize(
    ("plan", "verbose", "expected"),
    [
        (PLAN, False, f"{MD_HEAD}{MD_UPDATE}\n\n{MD_ADOPT_FORGET}\n"),
        (PLAN, True, f"{MD_HEAD}{MD_UPDATE}\n\n{MD_ADOPT_FORGET}\n\n{MD_UNCHANGED}\n"),
        (
            EMPTY,
            False,
            "<!-- ivrsync-plan -->\n## ivrsync plan\n\n"
            "| to create | to update | to adopt | to forget | unchanged |\n"
            "|---:|---:|---:|---:|---:|\n"
            "| 0 | 0 | 0 | 0 | 1 |\n\n"
            "**No changes. 1 IVR unchanged; the configs match the state.**\n",
        ),
        (
            PARTIAL,
            False,
            f"<!-- ivrsync-plan -->\n## ivrsync plan\n\n{MD_PARTIAL}\n\n"
            "| to create | to update | to adopt | to forget | unchanged |\n"
            "|---:|---:|---:|---:|---:|\n"
            f"| 0 | 1 | 0 | 0 | 0 |\n\n{MD_UPDATE}\n\n{MD_PARTIAL}\n",
        ),
    ],
    ids=["full", "verbose", "empty", "partial"],
)
def test_markdown(plan: Plan, verbose: bool, expected: str) -> None:
    assert render_plan_markdown(plan, verbose=verbose) == expected


def test_markdown_escapes_html_in_names_and_fences_backticks_in_values() -> None:
    change = Change(
        id=7,
        name="A | <script>x</script> & `b`",
        action="update",
        source="ivr-configs/<odd>.yaml",
        fields=(FieldChange("description", "```", "a|b <i>"),),
        body={},
        digest="d2",
        state_digest="d1",
    )
    plan = Plan(lineage=None, serial=0, changes=(change,), unchanged=())

    assert render_plan_markdown(plan) == (
        "<!-- ivrsync-plan -->\n## ivrsync plan\n\n"
        "| to create | to update | to adopt | to forget | unchanged |\n"
        "|---:|---:|---:|---:|---:|\n"
        "| 0 | 1 | 0 | 0 | 0 |\n\n"
        "<details><summary><code>~</code> update <b>IVR 7</b> "
        "<code>A &#124; &lt;script&gt;x&lt;/script&gt; &amp; `b`</code> "
        "(<code>ivr-configs/&lt;odd&gt;.yaml</code>)</summary>\n\n"
        "````diff\n- description: ```\n+ description: a|b <i>\n````\n\n</details>\n"
    )


def _many_updates(count: int) -> Plan:
    changes = tuple(
        Change(
            id=1000 + i,
            name=f"IVR {1000 + i}",
            action="update",
            source=f"ivr-configs/ivr-{1000 + i}.yaml",
            fields=(
                FieldChange("timeout", 20, 30),
                FieldChange("menu.2", "extension|845", "ringgroup|17839"),
            ),
            body={},
            digest="new",
            state_digest="old",
        )
        for i in range(count)
    )
    return Plan(lineage="L", serial=1, changes=changes, unchanged=UNCHANGED)


def test_markdown_for_2000_changed_ivrs_stays_under_the_limit_and_says_what_it_left_out() -> None:
    text = render_plan_markdown(_many_updates(2000), verbose=True)

    assert len(text) <= 60_000
    assert text.startswith(PLAN_MARKER + "\n")
    shown = text.count("<details>")
    assert 0 < shown < 2000
    notice = (
        f"> [!NOTE]\n> **{2000 - shown} changed IVRs are not shown and the list of unchanged "
        "IVRs is not shown**: this comment stops at 60,000 characters. The full plan is in the "
        "saved plan file (`ivrsync plan --out plan.json`, e.g. the CI artifact), or run "
        "`ivrsync plan` locally.\n"
    )
    assert text.endswith(notice)
    assert "| 2000 | 0 | 0 | 1 |" in text  # the summary still counts everything


@pytest.mark.parametrize("limit", [3_000, 3_001, 5_000, 7_777], ids=str)
def test_markdown_never_exceeds_any_limit_and_fills_it(limit: int) -> None:
    text = render_plan_markdown(_many_updates(200), limit=limit)

    assert len(text) <= limit
    # Greedy: another block (about 440 characters) would not have fitted.
    assert limit - len(text) < 500


def test_markdown_fits_exactly_when_everything_fits() -> None:
    plan = _many_updates(3)
    full = render_plan_markdown(plan)

    assert render_plan_markdown(plan, limit=len(full)) == full
    assert "[!NOTE]" not in full


def test_markdown_refuses_a_limit_too_small_for_its_frame() -> None:
    with pytest.raises(ValueError, match="a markdown plan needs a limit above"):
        render_plan_markdown(_many_updates(5), limit=200)
