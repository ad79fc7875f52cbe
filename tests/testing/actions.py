"""Run a composite action's steps the way the runner does, to test action.yml end to end.

`run_composite` walks the steps in order: it evaluates each `if:` (GitHub's expression language,
the part the action uses: `||`, `&&`, `!`, `==`, `!=`, parentheses, literals, context properties
and the status functions), substitutes `${{ }}` in `env:`, `with:` and `working-directory:`,
runs each `run:` with bash as the runner does (`bash --noprofile --norc -eo pipefail FILE`),
collects `$GITHUB_OUTPUT` into `steps.<id>.outputs`, and records `uses:` steps with their
evaluated inputs instead of running them (they are other people's actions: setup-python,
upload-artifact). Steps named in `skip` are recorded as skipped by the caller's choice.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)|(?P<op>==|!=|&&|\|\||!|\(|\)))"
)
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


@dataclass
class StepRun:
    """One step as it ran (or not): `outcome` is success, failure or skipped."""

    name: str
    id: str | None
    outcome: str
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class CompositeRun:
    steps: list[StepRun]
    summary: str

    def step(self, name: str) -> StepRun:
        return next(step for step in self.steps if step.name == name)

    @property
    def failed(self) -> bool:
        return any(step.outcome == "failure" for step in self.steps)

    @property
    def stdout(self) -> str:
        return "".join(step.stdout for step in self.steps)

    @property
    def stderr(self) -> str:
        return "".join(step.stderr for step in self.steps)


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


def text(value: Any) -> str:
    """A value as `${{ }}` writes it into a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Parser:
    def __init__(self, source: str, context: Mapping[str, Any], failed: bool) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        source = source.strip()
        while position < len(source):
            match = _TOKEN.match(source, position)
            if match is None or match.end() == position:
                raise ValueError(f"cannot read expression at {source[position:]!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0
        self.context = context
        self.failed = failed
        self.status_called = False

    def peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.index != len(self.tokens):
            raise ValueError(f"unexpected {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!="):
            _, op = self.take()
            right = self.unary()
            # GitHub compares strings case-insensitively, and null as the empty string here.
            equal = text(value).lower() == text(right).lower()
            value = equal if op == "==" else not equal
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, value = self.take()
        if value == "(":
            inner = self.or_()
            self.take()  # ")"
            return inner
        if kind == "string":
            return value[1:-1].replace("''", "'")
        if kind == "number":
            return float(value) if "." in value else int(value)
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if self.peek() == "(":
            self.take()
            self.take()  # ")": the status functions take no arguments
            self.status_called = True
            return {
                "always": True,
                "success": not self.failed,
                "failure": self.failed,
                "cancelled": False,
            }[value]
        found: Any = self.context
        for part in value.split("."):
            found = found.get(part) if isinstance(found, Mapping) else None
        return found


def evaluate(source: str, context: Mapping[str, Any], *, failed: bool = False) -> Any:
    return _Parser(source, context, failed).parse()


def condition(source: str | None, context: Mapping[str, Any], *, failed: bool) -> bool:
    """A step's `if:`; without a status function it means `success() && (...)`."""
    if source is None:
        return not failed
    source = _EXPRESSION.sub(lambda m: m.group(1), str(source))
    parser = _Parser(source, context, failed)
    value = truthy(parser.parse())
    return value if parser.status_called else value and not failed


def substitute(template: Any, context: Mapping[str, Any]) -> str:
    return _EXPRESSION.sub(lambda m: text(evaluate(m.group(1), context)), text(template))


def run_composite(
    action: Mapping[str, Any],
    *,
    inputs: Mapping[str, str],
    github: Mapping[str, Any],
    workspace: Path,
    runner_temp: Path,
    env: Mapping[str, str],
    skip: tuple[str, ...] = (),
) -> CompositeRun:
    """Run `action`'s steps in `workspace`; see the module docstring."""
    declared = action.get("inputs", {})
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ValueError(f"inputs the action does not declare: {sorted(unknown)}")
    values = {name: spec.get("default", "") for name, spec in declared.items()}
    context: dict[str, Any] = {"github": dict(github), "steps": {}, "env": dict(env)}
    context["inputs"] = {name: substitute(value, context) for name, value in values.items()}
    context["inputs"].update(inputs)
    summary = runner_temp / "step-summary.md"
    summary.touch()
    runs: list[StepRun] = []
    for index, step in enumerate(action["runs"]["steps"]):
        name = substitute(step.get("name", f"step {index}"), context)
        failed = any(run.outcome == "failure" for run in runs)
        run = StepRun(name=name, id=step.get("id"), outcome="skipped")
        runs.append(run)
        if name in skip or not condition(step.get("if"), context, failed=failed):
            continue
        step_env = {key: substitute(value, context) for key, value in step.get("env", {}).items()}
        run.env = step_env
        if "uses" in step:
            run.with_ = {key: substitute(v, context) for key, v in step.get("with", {}).items()}
            run.outcome = "success"
            continue
        output_file = runner_temp / f"output-{index}"
        output_file.write_text("", encoding="utf-8")
        script = runner_temp / f"step-{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        cwd = workspace / substitute(step.get("working-directory", "."), context)
        process_env = {
            **os.environ,
            **env,
            **step_env,
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_REPOSITORY": text(github.get("repository")),
            "GITHUB_RUN_ID": text(github.get("run_id")),
            "GITHUB_ACTIONS": "true",
        }
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=process_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        run.returncode = result.returncode
        run.stdout, run.stderr = result.stdout, result.stderr
        run.outcome = "success" if result.returncode == 0 else "failure"
        run.outputs = _outputs(output_file.read_text(encoding="utf-8"))
        if run.id:
            context["steps"][run.id] = {"outputs": run.outputs, "outcome": run.outcome}
    return CompositeRun(steps=runs, summary=summary.read_text(encoding="utf-8"))


def _outputs(raw: str) -> dict[str, str]:
    """`name=value` lines (the only form run_ivrsync.sh writes)."""
    found: dict[str, str] = {}
    for line in raw.splitlines():
        if "=" in line:
            key, _, value = line.partition("=")
            found[key] = value
    return found
