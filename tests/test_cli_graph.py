"""`ivrsync graph` end to end; its Mermaid and DOT accepted by Mermaid's parser and Graphviz,
for the examples and for hostile names."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.testing.cli import RunCli
from tests.testing.flow import (
    ROOT,
    graphviz_dot,
    ivr,
    menu,
    mermaid_command,
    write_ivrs,
)

#: Names a portal or a file may hold: quotes, brackets, newlines, Mermaid and DOT syntax,
#: HTML, mentions, entity look-alikes, backslash escapes, control and bidi characters.
HOSTILE_NAMES = [
    'Say "hi" [now] {x} (y) <b>z</b> @octocat',
    "line one\nline two\r\n\tthree",
    "end]\n  A-->B\n  click A callback",
    "%%{init: {'theme':'dark'}}%% ; `code` | #35; &amp; ==> -.-> :::x",
    'back\\slash \\N \\l \\" ends with \\',
    "\u202eevil\u200b \x07bell \x00nul",
    "कावेरी सहायता 🛠️ Ünïcödé",
    "long " * 100,
]


@pytest.fixture(autouse=True)
def _examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_a_sub_menu_and_its_destinations_as_mermaid(run_cli: RunCli) -> None:
    result = run_cli("graph", "Kaveri Repairs", "--depth", "1")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "flowchart LR\n"
        '  n1["Kaveri Support<br/>IVR 4103"]\n'
        '  n2["Kaveri Repairs<br/>IVR 4105"]\n'
        '  n3(["department<br/>13"])\n'
        '  n4(["department<br/>14"])\n'
        '  n5(["extension<br/>05047530023"])\n'
        '  n2 -->|"1"| n3\n'
        '  n2 -->|"2"| n4\n'
        '  n2 -->|"3"| n5\n'
        '  n2 -->|"#42;"| n1\n'
        '  n2 -.->|"timeout x3"| n3\n'
        '  n2 -.->|"invalid x3"| n3\n'
    )


def test_dot_format(run_cli: RunCli) -> None:
    result = run_cli("graph", "4105", "--depth", "1", "--format", "dot")

    assert result.stdout.splitlines()[4:7] == [
        '  n1 [label="Kaveri Support\\nIVR 4103", shape=box];',
        '  n2 [label="Kaveri Repairs\\nIVR 4105", shape=box];',
        '  n3 [label="department\\n13", shape=box, style="rounded"];',
    ]
    assert '  n2 -> n3 [label="timeout x3", style=dotted];' in result.stdout


def test_json_format_lists_every_node_and_edge(run_cli: RunCli) -> None:
    document = json.loads(run_cli("graph", "--format", "json").stdout)

    assert document["version"] == 1
    ivrs = [node for node in document["nodes"] if node["kind"] == "ivr"]
    assert [(n["ref"], n["name"]) for n in ivrs] == [
        ("ivr|4101", "Kaveri Main Menu"),
        ("ivr|4102", "Kaveri Sales"),
        ("ivr|4103", "Kaveri Support"),
        ("ivr|4104", "Kaveri After Hours"),
        ("ivr|4105", "Kaveri Repairs"),
    ]
    assert {"from": "ivr|4101", "to": "ivr|4103", "key": "2", "after": 1} in document["edges"]
    assert {
        "from": "ivr|4101",
        "to": "extension|05047530002",
        "key": "timeout",
        "after": 3,
    } in document["edges"]


def test_named_ivrs_bring_what_they_reach(run_cli: RunCli) -> None:
    document = json.loads(run_cli("graph", "4104", "--format", "json").stdout)

    assert [node["ref"] for node in document["nodes"]] == [
        "ivr|4104",
        "agent|05047530019",
        "hangup|1",
        "voicemail|21",
    ]


def test_unmanaged_ivrs_are_drawn_as_such(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_ivrs(Path("ivr-configs"), ivr(1, menu(k1="ivr|77")))

    mermaid = run_cli("graph").stdout
    dot = run_cli("graph", "--format", "dot").stdout

    assert '  n2["IVR 77<br/>unmanaged"]:::unmanaged\n' in mermaid
    assert "  classDef unmanaged stroke-dasharray:5 5\n" in mermaid
    assert '  n2 [label="IVR 77\\nunmanaged", shape=box, style="dashed"];' in dot


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("Nobody", "4101"), "error: no IVR named or numbered 'Nobody' in the config set"),
        (("--depth", "2"), "error: --depth counts presses from the IVRs named, and none was named"),
    ],
    ids=["unknown-ivr", "depth-without-ivr"],
)
def test_what_cannot_be_drawn(run_cli: RunCli, args: tuple[str, ...], error: str) -> None:
    result = run_cli("graph", *args)

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[0] == error


# --- the outside parsers ------------------------------------------------------------------


def _hostile_project(folder: Path) -> Path:
    documents = [
        ivr(
            index + 1,
            menu(k1=f"ivr|{index + 2}", k2='custom_dialplan|Night "shift" plan'),
            name=name,
        )
        for index, name in enumerate(HOSTILE_NAMES)
    ]
    return write_ivrs(folder / "ivr-configs", *documents)


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _hostile_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.usefixtures("hostile")
def test_hostile_names_stay_inside_their_mermaid_labels(run_cli: RunCli) -> None:
    result = run_cli("graph")

    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    # The IVRs and the unmanaged one the last routes to, two destinations, 4 edges per IVR, the
    # unmanaged class.
    assert len(lines) == 1 + (len(HOSTILE_NAMES) + 3) + 4 * len(HOSTILE_NAMES) + 1
    for line in lines[1:]:
        assert line.startswith("  ")
        assert not any(ch in line for ch in "\r\t\x00\x07\u202e@`")
    assert "#34;hi#34; #91;now#93; #123;x#125; (y) #60;b#62;z#60;/b#62; #64;octocat" in lines[1]


@pytest.mark.usefixtures("hostile")
def test_hostile_names_stay_inside_their_dot_strings(run_cli: RunCli) -> None:
    result = run_cli("graph", "--format", "dot")

    assert 'label="back\\\\slash \\\\N \\\\l \\\\\\" ends with \\\\\\nIVR 5"' in result.stdout
    assert 'label="line one line two three\\nIVR 2"' in result.stdout


@pytest.mark.node
def test_mermaid_parses_the_examples_and_hostile_names(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = mermaid_command()
    (tmp_path / "examples.mmd").write_text(run_cli("graph").stdout, encoding="utf-8")
    (tmp_path / "depth.mmd").write_text(run_cli("graph", "4101", "--depth", "1").stdout)
    _hostile_project(tmp_path / "hostile")
    monkeypatch.chdir(tmp_path / "hostile")
    (tmp_path / "hostile.mmd").write_text(run_cli("graph").stdout, encoding="utf-8")
    files = [str(tmp_path / name) for name in ("examples.mmd", "depth.mmd", "hostile.mmd")]

    result = subprocess.run([*command, *files], capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok\n") == 3


@pytest.mark.node
def test_the_mermaid_parser_rejects_a_broken_diagram(tmp_path: Path) -> None:
    # Proves the test above can fail: the parser does read the files.
    broken = tmp_path / "broken.mmd"
    broken.write_text('flowchart LR\n  n1["unclosed] --> n2\n', encoding="utf-8")
    no_block = tmp_path / "plan.md"
    no_block.write_text("# a plan without a diagram\n", encoding="utf-8")

    result = subprocess.run(
        [*mermaid_command(), str(broken), str(no_block)], capture_output=True, text=True
    )

    assert result.returncode == 1
    assert "broken.mmd: Parse error" in result.stdout
    assert "plan.md: no mermaid block found" in result.stdout


def test_graphviz_draws_the_examples_and_hostile_names(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dot = graphviz_dot()
    examples = run_cli("graph", "--format", "dot").stdout
    _hostile_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    hostile = run_cli("graph", "--format", "dot").stdout

    for text in (examples, hostile):
        result = subprocess.run(
            [dot, "-Tsvg"], input=text, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert "<svg" in result.stdout
    drawn = subprocess.run([dot, "-Tsvg"], input=hostile, capture_output=True, text=True)
    assert "back\\slash \\N \\l \\&quot; ends with \\" in drawn.stdout


def test_graphviz_rejects_a_broken_graph() -> None:
    result = subprocess.run(
        [graphviz_dot(), "-Tsvg"], input='digraph { a -> "b }', capture_output=True, text=True
    )

    assert result.returncode != 0
