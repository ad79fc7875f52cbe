"""`ivrsync graph`: the call flow as a Mermaid, Graphviz DOT or JSON graph."""

from __future__ import annotations

from collections.abc import Callable

import click

from ivrsync.cli.options import (
    config_dir_option,
    format_option,
    no_cache_option,
    runtime,
    settings,
)
from ivrsync.commands.graph import GraphRequest, graph
from ivrsync.errors import EXIT_OK
from ivrsync.model import CallFlow
from ivrsync.render.flow_dot import render_flow_dot
from ivrsync.render.flow_json import render_flow_json
from ivrsync.render.flow_mermaid import render_flow_mermaid

_RENDERERS: dict[str, Callable[[CallFlow], str]] = {
    "mermaid": render_flow_mermaid,
    "dot": render_flow_dot,
    "json": render_flow_json,
}


@click.command("graph")
@click.argument("ivrs", nargs=-1, metavar="[IVR]...")
@config_dir_option
@format_option("mermaid", "dot", "json", default="mermaid")
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    metavar="N",
    help="Only what the named IVRs reach within N presses.",
)
@no_cache_option
def command(
    ivrs: tuple[str, ...],
    config_dir: str | None,
    output_format: str,
    depth: int | None,
    no_cache: bool,
) -> int:
    """Draw the call flow: IVRs and destinations as nodes, keys, timeouts and invalid keys as
    edges.

    Without IVR, the whole config set; with IVRs (names or ids), what callers reach from them.
    IVRs no file has (an ivr|<id> of the portal) are drawn as unmanaged. mermaid (the default)
    goes into a ```mermaid block on GitHub; dot into Graphviz (`| dot -Tsvg > flow.svg`).
    """
    context = runtime(settings(config_dir=config_dir), use_cache=not no_cache)
    folder = str(context.settings.paths.config_dir)
    flow = graph(GraphRequest(config_dir=folder, ivrs=ivrs, depth=depth), context)
    click.echo(_RENDERERS[output_format](flow), nl=False)
    return EXIT_OK
