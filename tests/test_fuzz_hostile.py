"""Fuzzing every input boundary through the real CLI (issue #10): never an internal error, no hang.

Hypothesis mutates what ivrsync reads: IVR YAML files (hostile tags, scalars, nesting, aliases,
raw text), the state file and its journal, plan files (also with a recomputed checksum, to get
past it), and the server's answers to `GET /v1/ivrs` and to PUTs (from a small hostile server).
Each run must end in exit 0 or 1 (a clean result or a clean error), never 3, within a few
seconds. Example counts are bounded so the whole module runs in well under a minute in CI
(IVRSYNC_FUZZ_EXAMPLES=2000 runs a deeper search locally); no per-example deadline (conftest.py),
since CI machines are noisy.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivrsync.body import body_from_document
from ivrsync.plan.planfile import document_checksum
from ivrsync.smartflo.readshape import read_shape_from_body
from tests.testing.cli import CliResult, RunCli
from tests.testing.documents import VALID, ivr_document, write_ivr
from tests.testing.hang import no_hang
from tests.testing.hostile_server import TOKEN, Canned, hostile_server
from tests.testing.state import LINEAGE, applied, entry_of, journal_bytes, write_state

FUZZ = settings(
    max_examples=int(os.environ.get("IVRSYNC_FUZZ_EXAMPLES", "60")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def clean(result: CliResult) -> None:
    """A clean outcome: a result or an error, never an internal error (and text that prints)."""
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "internal error" not in result.stderr, result.stderr


# -- YAML ---------------------------------------------------------------------------------------

#: Scalars and fragments that have crashed YAML loaders, or could.
HOSTILE_YAML = [
    '!!int "abc"',
    '!!timestamp "x"',
    '!!timestamp "2001-02-30"',
    '!!float "x"',
    '!!bool "maybe"',
    '!!binary "@@@"',
    '!!binary "é"',
    '!!python/object/apply:os.system ["id"]',
    "!foo x",
    "!<tag:x,2000:y> 1",
    "!!str [1]",
    "!!map [1]",
    "!!seq {a: 1}",
    "!!set {a: 1}",
    "!!omap [a: 1]",
    "!!pairs {a: 1}",
    '!!null "x"',
    "2001-13-45",
    "2001-12-14t21:59:43.10-99:99",
    "1" + "0" * 5000,
    "-0x" + "f" * 5000,
    "1" + ":59" * 3000,
    "0o" + "7" * 5000,
    "1e400",
    ".nan",
    "-.inf",
    "0777",
    "1_000",
    '"\\ud800"',
    '"\\U00110000"',
    '"\\x1b]0;t\\x07\\u202e"',
    "&a [*a]",
    "&a {b: *a}",
    "*undefined",
    "[" * 300 + "]" * 300,
    "{a: " * 100 + "1" + "}" * 100,
    "<<: 3",
    "[1, 2",
    '"unterminated',
    "|\n  block",
    "~",
    "yes",
    "- a\n- b",
    "? [a, b]\n: c",
]
FIELDS = [line.split(":")[0] for line in VALID.splitlines() if ":" in line and line[0] != " "]

yaml_value = st.sampled_from(HOSTILE_YAML) | st.text(max_size=12)
yaml_line = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(FIELDS), yaml_value),
    st.builds(lambda k, v: f"{k}: {v}", st.text(max_size=6), yaml_value),
    yaml_value,
    st.sampled_from(VALID.splitlines()),
)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    lines = VALID.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines)))
        line = draw(yaml_line)
        if draw(st.booleans()) and index < len(lines):
            lines[index] = line
        else:
            lines.insert(index, line)
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=yaml_texts() | st.text(max_size=200))
def test_yaml_files(run_cli: RunCli, tmp_path: Path, text: str) -> None:
    folder = tmp_path / "ivr-configs"
    folder.mkdir(exist_ok=True)
    (folder / "x.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    with no_hang(10):
        for args in (("validate", str(folder)), ("plan", "--config-dir", str(folder))):
            clean(run_cli(*args, "--format", "json", *_state(tmp_path, args)))


def _state(tmp_path: Path, args: tuple[str, ...]) -> tuple[str, ...]:
    return ("--state", str(tmp_path / "state.json")) if args[0] == "plan" else ()


# -- JSON documents: state, journal, plan -------------------------------------------------------

#: JSON text that json.loads accepts, or chokes on, but no file ivrsync wrote holds.
HOSTILE_JSON = [
    "1" + "0" * 5000,
    "-" + "9" * 4301,
    "1e400",
    "NaN",
    "-Infinity",
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"\\u0000"',
    '"\\u001b]0;x\\u0007"',
    "[" * 100_000 + "]" * 100_000,
    "[" * 40 + "]" * 40,
    '{"a": ' * 40 + "1" + "}" * 40,
    "0",
    "-1",
    "true",
    "null",
    '""',
    "[]",
    "{}",
    "1.5",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
fragments = st.sampled_from(HOSTILE_JSON) | json_values.map(json.dumps)
_SENTINEL = "\x00fuzz\x00"


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> str:
    """`document` as JSON text with one value (or a new key) replaced by a hostile fragment."""
    root = copy.deepcopy(document)
    node = root
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        break
    if isinstance(node, dict) and (not node or draw(st.booleans())):
        node[draw(st.sampled_from(["extra", "id", "body", "name", "349"]))] = _SENTINEL
    elif node:
        node[key] = _SENTINEL
    return json.dumps(root).replace(json.dumps(_SENTINEL), draw(fragments))


def _state_document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "state.json")
        write_state(path, entry_of(349), entry_of(350))
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return document


STATE_DOCUMENT = _state_document()


@FUZZ
@given(text=mutated(STATE_DOCUMENT))
def test_state_files(run_cli: RunCli, tmp_path: Path, text: str) -> None:
    state = tmp_path / "state.json"
    state.write_text(text, encoding="utf-8", errors="surrogatepass")
    with no_hang(10):
        for args in (("state", "list"), ("state", "show", "349"), ("plan",)):
            clean(run_cli(*args, "--state", str(state), *_configs(args)))


def _configs(args: tuple[str, ...]) -> tuple[str, ...]:
    return ("--config-dir", "ivr-configs-absent-is-an-error") if args == ("plan",) else ()


RECORD = applied(entry_of(2))


@FUZZ
@given(
    lines=st.lists(
        mutated(RECORD) | st.binary(max_size=40).map(lambda b: b.decode("latin-1")), max_size=3
    )
)
def test_journals(run_cli: RunCli, tmp_path: Path, lines: list[str]) -> None:
    state = tmp_path / "state.json"
    write_state(state, entry_of(349))
    journal = journal_bytes(LINEAGE, 3) + b"".join(
        line.encode("utf-8", "surrogatepass") + b"\n" for line in lines
    )
    (tmp_path / "state.json.journal").write_bytes(journal)
    with no_hang(10):
        clean(run_cli("state", "list", "--state", str(state)))


@pytest.fixture(scope="module")
def put_server() -> Iterator[Canned]:
    """One hostile server for the module; each example sets the answers it needs."""
    with hostile_server(Canned()) as canned:
        yield canned


@pytest.fixture(scope="module")
def plan_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The plan adopting IVR 349 into an empty state, as `plan --out` saves it."""
    from click.testing import CliRunner

    from ivrsync.cli import cli

    folder = tmp_path_factory.mktemp("plan")
    write_ivr(folder / "ivr-configs", ivr_document(349))
    plan = folder / "plan.json"
    args = ["plan", "--config-dir", str(folder / "ivr-configs"), "--state", str(folder / "s.json")]
    result = CliRunner().invoke(cli, [*args, "--out", str(plan)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(plan.read_text(encoding="utf-8"))
    return document


@FUZZ
@given(data=st.data())
def test_plan_files(
    run_cli: RunCli,
    tmp_path: Path,
    put_server: Canned,
    plan_document: dict[str, Any],
    data: st.DataObject,
) -> None:
    text = data.draw(mutated(plan_document))
    if data.draw(st.booleans()):
        # Past the checksum: a plan that is wrong but consistent, as a forger would write it.
        try:
            edited = json.loads(text)
            if isinstance(edited, dict):
                edited["checksum"] = document_checksum(edited)
                text = json.dumps(edited)
        except (ValueError, RecursionError):  # not JSON, or text no checksum can cover
            pass
    plan = tmp_path / "plan.json"
    plan.write_text(text, encoding="utf-8", errors="surrogatepass")
    state = tmp_path / "s.json"
    state.unlink(missing_ok=True)  # the plan was made from an empty state
    with no_hang(10):
        clean(
            run_cli(
                "apply",
                str(plan),
                "--state",
                str(state),
                "--base-url",
                put_server.url,
                "--retries",
                "0",
                env={"SMARTFLO_API_TOKEN": TOKEN},
            )
        )


# -- server answers: the list, and PUTs ---------------------------------------------------------

LIVE_ITEM = read_shape_from_body(7, body_from_document(ivr_document(7)))


@st.composite
def list_answers(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=60))
    items = [LIVE_ITEM, *(copy.deepcopy(LIVE_ITEM) for _ in range(draw(st.integers(0, 2))))]
    for index, item in enumerate(items[1:], start=1):
        item["id"] = 7 + index
    text = draw(mutated({"ivrs": items}))
    return text.encode("utf-8", "surrogatepass")


@FUZZ
@given(answer=list_answers())
def test_list_answers(run_cli: RunCli, tmp_path: Path, put_server: Canned, answer: bytes) -> None:
    put_server.list_body = answer
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:  # import writes: a fresh folder
        env = {"SMARTFLO_API_TOKEN": TOKEN}
        config_dir = str(Path(folder, "ivr-configs"))
        state = str(Path(folder, "state.json"))
        server = put_server
        with no_hang(10):
            for command in ("import", "drift"):
                args = (
                    command,
                    "--config-dir",
                    config_dir,
                    "--state",
                    state,
                    "--base-url",
                    server.url,
                )
                clean(run_cli(*args, env=env))


PUT_STATUSES = [200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503]
put_bodies = st.one_of(
    st.binary(max_size=60),
    st.builds(
        lambda fragment: f'{{"success": true, "message": {fragment}}}'.encode(
            "utf-8", "surrogatepass"
        ),
        fragments,
    ),
    st.builds(
        lambda fragment: f'{{"success": {fragment}, "message": "x"}}'.encode(
            "utf-8", "surrogatepass"
        ),
        fragments,
    ),
    fragments.map(lambda text: text.encode("utf-8", "surrogatepass")),
)


@FUZZ
@given(status=st.sampled_from(PUT_STATUSES), body=put_bodies)
def test_put_answers(
    run_cli: RunCli, tmp_path: Path, put_server: Canned, status: int, body: bytes
) -> None:
    put_server.put_status, put_server.put_body = status, body
    folder = tmp_path / "ivr-configs"
    write_ivr(folder, ivr_document(349))
    state = tmp_path / "state.json"
    state.unlink(missing_ok=True)
    with no_hang(10):
        result = run_cli(
            "apply",
            "--auto-approve",
            "--config-dir",
            str(folder),
            "--state",
            str(state),
            "--base-url",
            put_server.url,
            "--retries",
            "0",
            env={"SMARTFLO_API_TOKEN": TOKEN},
        )
    clean(result)
