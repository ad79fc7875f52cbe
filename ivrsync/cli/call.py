"""`ivrsync call`: be the caller. Walk one path and read what the caller hears, step by step."""

from __future__ import annotations

import sys

import click

from ivrsync.cli.options import config_dir_option, no_cache_option, runtime, settings
from ivrsync.commands.calltest import call, open_call
from ivrsync.errors import EXIT_OK, UsageError
from ivrsync.render.calltest import render_call, render_call_end, render_call_step

_PROMPT = "key (0-9 * #, timeout, invalid; Enter: no key; q: hang up)"


@click.command("call")
@click.argument("start", metavar="START")
@click.argument("keys", nargs=-1, metavar="[KEY]...")
@config_dir_option
@click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Ask for each key at the terminal (default: when no KEY is given and stdin is one).",
)
@no_cache_option
def command(
    start: str,
    keys: tuple[str, ...],
    config_dir: str | None,
    interactive: bool | None,
    no_cache: bool,
) -> int:
    """Call the IVR START (a name or an id) and press KEYs: prints what the caller hears and
    where the call ends.

    KEYs are 0-9, * and # (quote * and # in the shell), timeout (the caller presses nothing)
    and invalid (a key the menu lacks). Interactively, each key is asked for in turn until the
    call leaves the menus.
    """
    context = runtime(settings(config_dir=config_dir), use_cache=not no_cache)
    folder = str(context.settings.paths.config_dir)
    if interactive is None:
        interactive = not keys and sys.stdin.isatty()
    if not interactive:
        click.echo(render_call(call(folder, start, keys, context)), nl=False)
        return EXIT_OK
    session = open_call(folder, start, context)
    click.echo(render_call_step(session.steps[0]), nl=False)
    pending = list(keys)
    hung_up = False
    while session.in_menu:
        key = pending.pop(0) if pending else click.prompt(_PROMPT, default="", show_default=False)
        key = key.strip() or "timeout"
        if key == "q":
            hung_up = True
            break
        try:
            step = session.press(key)
        except UsageError as exc:
            click.echo(f"{exc.message} ({exc.hint})", err=True)
            continue
        click.echo(render_call_step(step), nl=False)
    click.echo(render_call_end(session.path(), hung_up=hung_up), nl=False)
    return EXIT_OK
