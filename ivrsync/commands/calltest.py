"""`test` and `call`: callers walked through the config set, from test files or one at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ivrsync.commands.graph import resolve_ivrs
from ivrsync.commands.runtime import Runtime
from ivrsync.commands.validate import require_valid_configs
from ivrsync.errors import UsageError
from ivrsync.flow.suite import load_call_tests, run_call_tests
from ivrsync.flow.walk import PRESSES, Caller, answer, ivrs_by_id, press
from ivrsync.model import CallPath, CallStep, CallTestReport, IvrConfig

#: Where `ivrsync test` looks for test files when given none.
DEFAULT_TESTS_DIR = "ivr-tests"

_PRESS_HINT = "presses are 0-9, * and # (quote * and # in the shell), timeout or invalid"


@dataclass(frozen=True)
class CallTestRequest:
    config_dir: str
    paths: tuple[str, ...] = ()  # test files or folders; empty: DEFAULT_TESTS_DIR


def run_tests(request: CallTestRequest, runtime: Runtime) -> CallTestReport:
    """Run every caller-path test. Raises UsageError for a test path that does not exist,
    ConfigError for invalid configs; failing tests and bad test files are in the report."""
    paths = request.paths or (DEFAULT_TESTS_DIR,)
    for path in paths:
        if not Path(path).exists():
            default = "" if request.paths else " (the default folder of caller-path tests)"
            raise UsageError(
                f"{path}{default}: no such file or directory",
                hint=f"write tests in {DEFAULT_TESTS_DIR}/*.yaml, or pass test files or folders",
            )
    config_set = require_valid_configs(request.config_dir, runtime, consequence="no test was run")
    return run_call_tests(config_set.configs, load_call_tests(paths))


@dataclass
class CallSession:
    """One call in progress, for a person pressing keys one at a time (`ivrsync call`)."""

    ivrs: dict[int, IvrConfig]
    caller: Caller
    steps: list[CallStep] = field(default_factory=list)

    @property
    def in_menu(self) -> bool:
        return self.caller.in_menu

    def press(self, key: str) -> CallStep:
        """Press `key` (a DTMF key, `timeout` or `invalid`); raises UsageError for anything
        else, or once the call has left the menus."""
        if key not in PRESSES:
            raise UsageError(f"not a press: '{key}'", hint=_PRESS_HINT)
        if not self.in_menu:
            raise UsageError("the call has already left the menus")
        self.caller = press(self.ivrs, self.caller, key)
        self.steps.append(self.caller.step)
        return self.caller.step

    def path(self, *, unused: int = 0) -> CallPath:
        return CallPath(tuple(self.steps), unused=unused)


def open_call(config_dir: str, start: str, runtime: Runtime) -> CallSession:
    """A call answered by the IVR `start` names (a name or an id). Raises ConfigError for
    invalid configs, UsageError when no IVR matches."""
    config_set = require_valid_configs(config_dir, runtime, consequence="no call was made")
    [config] = resolve_ivrs(config_set.configs, [start])
    caller = answer(config)
    return CallSession(ivrs_by_id(config_set.configs), caller, [caller.step])


def call(config_dir: str, start: str, presses: tuple[str, ...], runtime: Runtime) -> CallPath:
    """The call from `start` through `presses` (all checked before the walk)."""
    for key in presses:
        if key not in PRESSES:
            raise UsageError(f"not a press: '{key}'", hint=_PRESS_HINT)
    session = open_call(config_dir, start, runtime)
    for index, key in enumerate(presses):
        if not session.in_menu:
            return session.path(unused=len(presses) - index)
        session.press(key)
    return session.path()
