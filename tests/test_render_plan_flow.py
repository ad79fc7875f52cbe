"""The call-flow diagram of `plan --format markdown`: its block, its place in the budget, and
Mermaid's parser on it. Plain-text plans stay as they were."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ivrsync.flow.graph import flow_change
from ivrsync.model import CallFlow, Change, FieldChange, Plan
from ivrsync.render.plan_markdown import render_plan_markdown
from tests.testing.cli import RunCli
from tests.testing.flow import (
    configs,
    example_project,
    ivr,
    menu,
    mermaid_command,
    record_as_applied,
)

MAIN = Path("ivr-configs/main-menu.yaml")


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The examples, all recorded as applied: a plan of them is empty."""
    monkeypatch.chdir(example_project(tmp_path))
    record_as_applied(Path("ivr-configs"), Path(".ivrsync/state.json"))
    return tmp_path


def _reroute_key_3_and_add_key_4() -> None:
    text = MAIN.read_text(encoding="utf-8")
    text = text.replace("department|7      # Accounts", "extension|845    # Accounts")
    text += '  - option: "4"\n    destination: voicemail|21\n'
    MAIN.write_text(text, encoding="utf-8")


DIAGRAM = """\
<details open><summary><b>Call flow</b>: 2 changed routes (1 added, 1 rerouted), marked in \
the diagram</summary>

```mermaid
flowchart LR
  n1["Kaveri Main Menu<br/>IVR 4101"]:::focus
  n2["Kaveri Sales<br/>IVR 4102"]
  n3["Kaveri Support<br/>IVR 4103"]
  n4(["extension<br/>845"])
  n5(["extension<br/>05047530002"])
  n6(["hangup"])
  n7(["voicemail<br/>21"])
  n1 -->|"0"| n5
  n1 -->|"1"| n2
  n1 -->|"2"| n3
  n1 ==>|"3 (rerouted, was department#124;7)"| n4
  n1 ==>|"4 (added)"| n7
  n1 -->|"9"| n6
  n1 -.->|"timeout x3"| n5
  n1 -.->|"invalid x4"| n5
  n2 -->|"#42;"| n1
  n3 -->|"#42;"| n1
  classDef focus stroke-width:3px
  linkStyle 4 stroke:#1a7f37,stroke-width:3px
  linkStyle 3 stroke:#bf8700,stroke-width:3px
```

</details>"""


@pytest.mark.usefixtures("applied")
def test_a_rerouted_and_an_added_key_are_the_two_marked_edges(run_cli: RunCli) -> None:
    _reroute_key_3_and_add_key_4()

    result = run_cli("plan", "--format", "markdown")

    assert result.exit_code == 0, result.stderr
    blocks = result.stdout.split("\n\n<details")
    assert "<details" + blocks[1].split("\n\n<details")[0] == DIAGRAM
    assert DIAGRAM in result.stdout
    assert result.stdout.index(DIAGRAM) < result.stdout.index("update <b>IVR 4101</b>")


@pytest.mark.usefixtures("applied")
def test_a_plan_that_changes_no_route_has_no_diagram(run_cli: RunCli) -> None:
    MAIN.write_text(MAIN.read_text().replace("timeout: 10", "timeout: 12"), encoding="utf-8")

    result = run_cli("plan", "--format", "markdown")

    assert "1 | 0 | 0 | 4 |" in result.stdout
    assert "mermaid" not in result.stdout


@pytest.mark.usefixtures("applied")
def test_the_text_plan_is_unchanged(run_cli: RunCli) -> None:
    _reroute_key_3_and_add_key_4()

    result = run_cli("plan")

    assert result.stdout == (
        '~ IVR 4101 "Kaveri Main Menu" (ivr-configs/main-menu.yaml) will be updated\n'
        "    ~ option 3: department|7 -> extension|845\n"
        "    + option 4: voicemail|21\n"
        "\n"
        "Plan: 0 to create, 1 to update, 0 to adopt, 0 to forget, 4 unchanged.\n"
    )


@pytest.mark.node
@pytest.mark.usefixtures("applied")
def test_mermaid_parses_the_plan_comment(run_cli: RunCli, tmp_path: Path) -> None:
    _reroute_key_3_and_add_key_4()
    MAIN.write_text(
        MAIN.read_text().replace("Kaveri Main Menu", 'Main "menu" [x] @here %% `y`'),
        encoding="utf-8",
    )
    Path("plan.md").write_text(run_cli("plan", "--format", "markdown").stdout, encoding="utf-8")

    result = subprocess.run(
        [*mermaid_command(), "plan.md"], capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith(": ok\n")


# --- the budget ---------------------------------------------------------------------------


def _plan_and_flow(updates: int) -> tuple[Plan, CallFlow]:
    before = {
        c.id: c for c in configs(*[ivr(i, menu(k1="extension|1")) for i in range(1, updates + 1)])
    }
    after = {
        c.id: c for c in configs(*[ivr(i, menu(k1="extension|2")) for i in range(1, updates + 1)])
    }
    changes = tuple(
        Change(
            i, f"IVR {i}", "update", f"ivr-configs/ivr-{i}.yaml",
            (FieldChange("menu.1", "extension|1", "extension|2"),),
            after[i].body, after[i].digest, before[i].digest,
        )
        for i in range(1, updates + 1)
    )  # fmt: skip
    return Plan("lineage", 1, changes, ()), flow_change(before, after, list(after))


def test_the_diagram_is_the_first_thing_left_out() -> None:
    plan, flow = _plan_and_flow(20)
    full = render_plan_markdown(plan, flow=flow)
    without = render_plan_markdown(plan)

    squeezed = render_plan_markdown(plan, flow=flow, limit=len(full) - 1)

    assert "```mermaid" in full
    assert len(squeezed) <= len(full) - 1
    assert "```mermaid" not in squeezed
    assert squeezed.count("<details><summary>") == 20
    assert "> **The call-flow diagram is not shown**: this comment stops at" in squeezed
    assert squeezed.startswith(without.rstrip("\n"))


def test_when_still_short_the_blocks_go_too_and_the_notice_says_both() -> None:
    plan, flow = _plan_and_flow(20)
    without = render_plan_markdown(plan)

    squeezed = render_plan_markdown(plan, flow=flow, limit=len(without) - 200)

    assert "```mermaid" not in squeezed
    assert len(squeezed) <= len(without) - 200
    notice = r"> \*\*The call-flow diagram is not shown and \d+ changed IVRs are not shown\*\*"
    assert re.search(notice, squeezed)


def test_a_diagram_too_large_for_github_is_a_note() -> None:
    plan, flow = _plan_and_flow(200)

    text = render_plan_markdown(plan, flow=flow)

    assert "```mermaid" not in text
    assert "> **The call-flow diagram is not shown**: its 600 edges (" in text
    assert "are more than GitHub draws (500 edges, 50,000 characters)" in text
