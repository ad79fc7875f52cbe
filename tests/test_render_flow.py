"""The call-flow renderers: labels, quoting in Mermaid and DOT, the JSON document, test reports."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivrsync.model import (
    CallFlow,
    CallPath,
    CallStep,
    CallTest,
    CallTestReport,
    CallTestResult,
    FlowEdge,
    FlowNode,
    Problem,
)
from ivrsync.render.calltest import path_text, render_test_report
from ivrsync.render.flow_dot import dot_string, render_flow_dot
from ivrsync.render.flow_json import render_flow_json
from ivrsync.render.flow_labels import edge_label, node_lines, plain_text
from ivrsync.render.flow_mermaid import mermaid_text, render_flow_mermaid

FLOW = CallFlow(
    nodes=(
        FlowNode("ivr|1", "ivr", "Main", "ivr-configs/main.yaml", focus=True),
        FlowNode("ivr|9", "unmanaged"),
        FlowNode("hangup|1", "terminal"),
    ),
    edges=(
        FlowEdge("ivr|1", "ivr|9", "1", status="added"),
        FlowEdge("ivr|1", "hangup|1", "2", status="removed"),
        FlowEdge("ivr|1", "ivr|9", "timeout", after=3, status="rerouted", was_target="hangup|1"),
        FlowEdge("ivr|1", "hangup|1", "invalid", after=2, status="changed", was_after=4),
    ),
)


def test_plain_text_is_one_printable_bounded_line() -> None:
    assert plain_text("a\n b\r\n\tc\x00") == "a b c\ufffd"
    assert plain_text("x" * 100) == "x" * 79 + "\u2026"


@pytest.mark.parametrize(
    ("node", "lines"),
    [
        (FlowNode("ivr|1", "ivr", "Main"), ("Main", "IVR 1")),
        (FlowNode("ivr|9", "unmanaged"), ("IVR 9", "unmanaged")),
        (FlowNode("hangup|1", "terminal"), ("hangup",)),
        (FlowNode("custom_dialplan|Night plan", "terminal"), ("custom_dialplan", "Night plan")),
    ],
    ids=["ivr", "unmanaged", "hangup", "terminal"],
)
def test_node_lines(node: FlowNode, lines: tuple[str, ...]) -> None:
    assert node_lines(node) == lines


def test_edge_labels_say_what_a_plan_does() -> None:
    assert [edge_label(edge) for edge in FLOW.edges] == [
        "1 (added)",
        "2 (removed)",
        "timeout x3 (rerouted, was hangup|1)",
        "invalid x2 (was x4)",
    ]


@given(st.text())
def test_mermaid_text_leaves_only_letters_digits_plain_punctuation_and_entities(text: str) -> None:
    escaped = mermaid_text(plain_text(text))

    assert re.fullmatch(r"([^\W_]|[ .,\-_/'()+?!:]|#\d+;)*", escaped), escaped
    assert '"' not in escaped


@given(st.text())
def test_dot_strings_read_back_as_the_text(text: str) -> None:
    quoted = dot_string(text)
    inner = quoted[1:-1]

    assert quoted.startswith('"')
    assert quoted.endswith('"')
    assert re.fullmatch(r'([^"\\]|\\\\|\\")*', inner, flags=re.DOTALL)
    assert re.sub(r"\\(.)", r"\1", inner, flags=re.DOTALL) == text


def test_mermaid_marks_each_kind_of_change() -> None:
    assert render_flow_mermaid(FLOW) == (
        "flowchart LR\n"
        '  n1["Main<br/>IVR 1"]:::focus\n'
        '  n2["IVR 9<br/>unmanaged"]:::unmanaged\n'
        '  n3(["hangup"])\n'
        '  n1 ==>|"1 (added)"| n2\n'
        '  n1 -.->|"2 (removed)"| n3\n'
        '  n1 ==>|"timeout x3 (rerouted, was hangup#124;1)"| n2\n'
        '  n1 ==>|"invalid x2 (was x4)"| n3\n'
        "  classDef unmanaged stroke-dasharray:5 5\n"
        "  classDef focus stroke-width:3px\n"
        "  linkStyle 0 stroke:#1a7f37,stroke-width:3px\n"
        "  linkStyle 1 stroke:#cf222e,stroke-width:2px,stroke-dasharray:4 4\n"
        "  linkStyle 2 stroke:#bf8700,stroke-width:3px\n"
        "  linkStyle 3 stroke:#bf8700,stroke-width:3px\n"
    )


def test_dot_colours_each_kind_of_change() -> None:
    lines = render_flow_dot(FLOW).splitlines()

    assert lines[4:] == [
        '  n1 [label="Main\\nIVR 1", shape=box, penwidth=3];',
        '  n2 [label="IVR 9\\nunmanaged", shape=box, style="dashed"];',
        '  n3 [label="hangup", shape=box, style="rounded"];',
        '  n1 -> n2 [label="1 (added)", color="#1a7f37", fontcolor="#1a7f37", penwidth=2.5];',
        '  n1 -> n3 [label="2 (removed)", style=dashed, color="#cf222e", fontcolor="#cf222e", '
        "penwidth=2.5];",
        '  n1 -> n2 [label="timeout x3 (rerouted, was hangup|1)", style=dotted, color="#bf8700", '
        'fontcolor="#bf8700", penwidth=2.5];',
        '  n1 -> n3 [label="invalid x2 (was x4)", style=dotted, color="#bf8700", '
        'fontcolor="#bf8700", penwidth=2.5];',
        "}",
    ]


def test_the_json_document() -> None:
    document = json.loads(render_flow_json(FLOW))

    assert document["nodes"][:2] == [
        {
            "ref": "ivr|1",
            "type": "ivr",
            "id": "1",
            "kind": "ivr",
            "name": "Main",
            "source": "ivr-configs/main.yaml",
        },
        {"ref": "ivr|9", "type": "ivr", "id": "9", "kind": "unmanaged"},
    ]
    assert document["edges"][2] == {"from": "ivr|1", "to": "ivr|9", "key": "timeout", "after": 3}


# --- test reports ---------------------------------------------------------------------------

PATH = CallPath(
    (
        CallStep("", "ivr|1", "Main\nmenu", "start", ("recording|1",)),
        CallStep("7", "ivr|88", "", "routed"),
    ),
    unused=1,
)
FAILED = CallTestResult(
    CallTest("a | @team <b>", "t.yaml", 4, 3, "Main", ("7", "1"), "ivr|2"),
    False,
    PATH,
    "the call reached ivr|88 after 1 of 2 presses, so 1 press could not be made",
)
REPORT = CallTestReport(
    (FAILED,), (Problem("u.yaml", 2, 3, "[0].pres", "unknown field 'pres'"),), files_read=2
)


def test_a_path_names_ivrs_and_marks_unmanaged_ones() -> None:
    assert path_text(PATH) == "Main menu -7-> ivr|88 (unmanaged)"


def test_the_text_report() -> None:
    assert render_test_report(REPORT, "text") == (
        "FAIL t.yaml:4: a | @team <b>\n"
        "  the call reached ivr|88 after 1 of 2 presses, so 1 press could not be made\n"
        "  Main menu -7-> ivr|88 (unmanaged)\n"
        "u.yaml:2:3: error: [0].pres: unknown field 'pres'\n"
        "1 caller path: 0 passed, 1 failed; 1 problem in test files\n"
    )


def test_the_github_report_escapes_annotations() -> None:
    lines = render_test_report(REPORT, "github").splitlines()

    assert lines[:2] == [
        "::error file=t.yaml,line=4,col=3,title=ivrsync test%3A a | @team <b>::the call reached "
        "ivr|88 after 1 of 2 presses, so 1 press could not be made%0AMain menu -7-> ivr|88 "
        "(unmanaged)",
        "::error file=u.yaml,line=2,col=3,title=ivrsync%3A [0].pres::unknown field 'pres'",
    ]


def test_the_markdown_report_escapes_names() -> None:
    text = render_test_report(REPORT, "markdown")

    assert "| **FAIL** | a &#124; &#64;team &lt;b&gt; <sub>t.yaml:4</sub> |" in text
    assert "@" not in text
    assert text.endswith("\n- u.yaml:2: unknown field &#x27;pres&#x27;\n")
