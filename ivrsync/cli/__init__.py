"""The `ivrsync` command: click wiring and the one top-level error handler.

Each subcommand lives in its own module under `ivrsync.cli` and only translates: options into plain
arguments, one core call, a renderer, an exit code. This package is the only place that imports
click.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ivrsync import __version__
from ivrsync.errors import EXIT_BUG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, IvrsyncError

#: Subcommand name -> its module under `ivrsync.cli`, each exposing `command`. A module is
#: imported only when its command runs (or `--help` lists them all), so `ivrsync validate` does
#: not pay for httpx, nor `ivrsync apply` for the fake server: start-up counts in every CI step.
_COMMAND_MODULES = {
    "apply": "apply",
    "drift": "drift",
    "fake-smartflo": "fake",
    "github": "github",
    "import": "import_",
    "init": "init",
    "plan": "plan",
    "schema": "schema",
    "state": "state",
    "validate": "validate",
}


class _IvrsyncGroup(click.Group):
    """A click group whose `main` is ivrsync's one error handler, with lazily loaded commands.

    Overriding `main` (rather than wrapping it) means click's test runner goes through exactly
    the same handling as the installed `ivrsync` script.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMAND_MODULES)

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
def cli() -> None:
    """Tata Smartflo IVRs as code: validate, plan and apply IVR menus from YAML files."""


def _crash_log_path() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ivrsync" / "ivrsync.log"


def _report_bug(exc: BaseException) -> None:
    """Save the traceback where a bug report can quote it; tell the user where it is."""
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
        f"internal error: {type(exc).__name__}: {exc}\n"
        f"This is a bug in ivrsync; {where}. Please report it.",
        err=True,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `ivrsync` script and `python -m ivrsync`."""
    cli.main(args=argv, prog_name="ivrsync")


def _run_handled(
    group: click.Group, args: Sequence[str] | None, prog_name: str, extra: dict[str, Any]
) -> int:
    """Run the CLI and turn every outcome into an exit code (see the README's table)."""
    try:
        result = click.Group.main(
            group, args=args, prog_name=prog_name, standalone_mode=False, **extra
        )
    except IvrsyncError as exc:
        click.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("\ninterrupted", err=True)
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        # Usage errors exit 1, not click's 2: with --detailed-exitcode, 2 means "changes".
        exc.show()
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
