"""The `ivrsync` command: click wiring and the one top-level error handler.

Each subcommand lives in its own module under `ivrsync.cli` and only translates: options into plain
arguments, one core call, a renderer, an exit code. This package is the only place that imports
click.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ivrsync import __version__
from ivrsync.errors import EXIT_BUG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, IvrsyncError
from ivrsync.render.escape import shown_lines

#: Subcommand name -> its module under `ivrsync.cli` (each exposing `command`) and the line
#: `ivrsync --help` shows for it. A module is imported only when its command runs, and the list
#: of commands comes from here, so neither `ivrsync validate` nor `ivrsync --help` pays for
#: httpx, the fake server or any other command: start-up counts in every pre-commit hook and CI
#: step (tests/test_architecture.py runs `--help` and looks at what it loaded).
_COMMANDS: dict[str, tuple[str, str]] = {
    "apply": ("apply", "Apply the plan: PUT each changed IVR to Smartflo."),
    "cache": ("cache", "Empty the cache of checked IVR files (`cache clear`)."),
    "call": ("call", "Call an IVR and press keys: hear what the caller hears."),
    "config": ("config", "Show every setting: its value and where it came from."),
    "drift": ("drift", "Compare the live IVRs with what ivrsync last applied."),
    "fake-smartflo": ("fake", "Serve a fake Smartflo account on 127.0.0.1 until Ctrl-C."),
    "github": ("github", "Steps of the ivrsync GitHub Action that talk to GitHub."),
    "graph": ("graph", "Draw the call flow (Mermaid, Graphviz DOT or JSON)."),
    "import": ("import_", "Bring existing Smartflo IVRs under management."),
    "init": ("init", "Write what a new IVR repository needs."),
    "plan": ("plan", "Show what `ivrsync apply` would change."),
    "probe": ("probe", "Find the API dialect of the account on a scratch IVR."),
    "schema": ("schema", "Print the JSON Schema that IVR files must satisfy."),
    "show": ("show", "Show a plan saved by `ivrsync plan --out`."),
    "state": ("state", "Look at the last-applied state, or remove a stale lock."),
    "test": ("test_", "Walk the callers of the test files through the IVRs."),
    "validate": ("validate", "Check IVR files against the schema and against each other."),
}
_COMMAND_MODULES = {name: module for name, (module, _) in _COMMANDS.items()}


class _IvrsyncGroup(click.Group):
    """A click group whose `main` is ivrsync's one error handler, with lazily loaded commands.

    Overriding `main` (rather than wrapping it) means click's test runner goes through exactly
    the same handling as the installed `ivrsync` script.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMAND_MODULES)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # From the table, not from the commands: listing them imports none.
        rows = [(name, _COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _COMMAND_MODULES.get(cmd_name)
        if module_name is None:
            return None
        command: click.Command = importlib.import_module(f"ivrsync.cli.{module_name}").command
        return command

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        code = _run_handled(self, args, prog_name or "ivrsync", extra)
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(
    "ivrsync",
    cls=_IvrsyncGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="ivrsync")
@click.option(
    "--config",
    "config_file",
    default=None,
    metavar="FILE",
    help="The settings file (default: IVRSYNC_CONFIG, else the nearest ivrsync.toml from the "
    "working folder up to the repository root).",
)
def cli(config_file: str | None) -> None:
    """Tata Smartflo IVRs as code: validate, plan and apply IVR menus from YAML files."""
    global _short_run
    context = click.get_current_context()
    _short_run = context.invoked_subcommand not in _LONG_RUNNING
    if _short_run and gc.isenabled():
        # A short run builds its values once (tens of thousands of configs, summaries, state
        # entries) and none of them forms a reference cycle: reference counting frees them all,
        # while the cyclic collector would scan them again and again, for up to a fifth of the
        # run. Back on when the command ends (the test runner runs many in one process).
        gc.disable()
        context.call_on_close(gc.enable)


#: Commands that may run long and hold threads and retries (their tracebacks are cycles): they
#: keep Python's cyclic garbage collector on. `ivrsync.config` pauses it while loading anyway.
_LONG_RUNNING = frozenset({"apply", "fake-smartflo"})
#: Whether this process's command is a short one (see `main`), once the command is known.
_short_run = False


def _crash_log_path() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ivrsync" / "ivrsync.log"


def _report_bug(exc: BaseException) -> None:
    """Save the traceback where a bug report can quote it; tell the user where it is."""
    # Imported here: only a bug needs them, and every run would pay for their import.
    import traceback
    from datetime import UTC, datetime

    log = _crash_log_path()
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {datetime.now(UTC).isoformat()} ivrsync {__version__}\n")
            handle.write("".join(traceback.format_exception(exc)))
        where = f"the traceback is in {log}"
    except OSError:
        where = "the traceback could not be saved"
    click.echo(
        f"internal error: {type(exc).__name__}: {shown_lines(str(exc))}\n"
        f"This is a bug in ivrsync; {where}. Please report it.",
        err=True,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `ivrsync` script and `python -m ivrsync`: runs the command and ends
    the process with its exit code. With `argv` (a caller's own list), raises SystemExit."""
    code = cli.main(args=argv, prog_name="ivrsync", standalone_mode=False)
    if _short_run and argv is None:
        # The run is over and everything it wrote is closed: what is left is the interpreter
        # freeing, one by one, the tens of thousands of values a run over many IVR files built
        # (a tenth of a warm run). The streams are flushed first; nothing registers atexit.
        with contextlib.suppress(BrokenPipeError):  # `ivrsync plan | head`: the reader left
            sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


#: click's words for a value of the wrong kind, in the words of the rest of ivrsync.
_CLICK_WORDS = (
    ("is not a valid integer range", "is not a whole number in the allowed range"),
    ("is not a valid float range", "is not a number in the allowed range"),
    ("is not a valid integer", "is not a whole number"),
    ("is not a valid float", "is not a number"),
)


def usage_words(group: click.Group, exc: click.ClickException) -> tuple[str, str]:
    """A usage error as `error:`/`hint:` lines: the message, and the command's --help (with a
    "did you mean" for a mistyped command)."""
    message = exc.format_message()
    for click_words, ours in _CLICK_WORDS:
        message = message.replace(click_words, ours)
    context = getattr(exc, "ctx", None)
    command_path = context.command_path if context is not None else "ivrsync"
    hint = f"see `{command_path} --help`"
    if message.startswith("No such command"):
        typed = message.split("'")[1] if "'" in message else ""
        import difflib  # here: only a mistyped command needs it

        close = difflib.get_close_matches(typed, sorted(_COMMAND_MODULES), n=1)
        if close:
            hint = f"did you mean `ivrsync {close[0]}`? ({hint})"
    return message.rstrip("."), hint


def _run_handled(
    group: click.Group, args: Sequence[str] | None, prog_name: str, extra: dict[str, Any]
) -> int:
    """Run the CLI and turn every outcome into an exit code (see the README's table)."""
    try:
        result = click.Group.main(
            group, args=args, prog_name=prog_name, standalone_mode=False, **extra
        )
    except IvrsyncError as exc:
        # Messages quote names, values and server text: escaped, so none can drive the terminal
        # or start a workflow command.
        click.echo(f"error: {shown_lines(exc.message)}", err=True)
        if exc.hint:
            click.echo(f"hint: {shown_lines(exc.hint)}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("\ninterrupted", err=True)
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        # Usage errors exit 1, not click's 2: with --detailed-exitcode, 2 means "changes".
        message, hint = usage_words(group, exc)
        click.echo(f"error: {message}", err=True)
        click.echo(f"hint: {hint}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `ivrsync plan | head`: the reader left; nothing to report.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        _report_bug(exc)
        return EXIT_BUG
    return int(result) if isinstance(result, int) else EXIT_OK
