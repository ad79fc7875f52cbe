"""`ivrsync fake-smartflo`: serve a fake Smartflo account on 127.0.0.1 for rehearsals.

The one definition of the fake's options: `python -m ivrsync.fake_smartflo` runs this command.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from ivrsync.fake_smartflo import load_faults, load_seed, sample_seed_path, serve
from ivrsync.fake_smartflo.dialect import (
    AUTH_SCHEMES,
    RECORDING_NAMES,
    SEPARATORS,
    AuthScheme,
    Dialect,
    RecordingNames,
    Separator,
)
from ivrsync.fake_smartflo.edits import help_text as edit_help_text

_EPILOG = (
    "Control endpoints (no token): GET /_fake/requests, POST /_fake/reset-requests, "
    "GET /_fake/ivrs, GET /_fake/dialect, GET and PUT /_fake/faults, and "
    "PATCH /_fake/ivrs/ID[?shape=read|body] to edit an IVR as in the portal. "
    f"{edit_help_text()} "
    "Names in both shapes are read-shape names unless a PUT-body-only name is given or "
    "?shape=body is set; any other name is refused."
)


@click.command("fake-smartflo", epilog=_EPILOG)
@click.option(
    "--port", type=int, default=0, show_default=True, help="Port to listen on (0: any free port)."
)
@click.option(
    "--seed",
    "seed_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help='A GET /v1/ivrs response {"ivrs": [...]} (default: the packaged sample).',
)
@click.option(
    "--faults",
    "faults_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A fault config JSON file (rate, kinds, script, retry_after, ...).",
)
@click.option("--token", default=None, help="The API token to accept (default: the seed's).")
@click.option(
    "--latency", type=float, default=0.0, show_default=True, help="Seconds added per API request."
)
@click.option("--verbose", is_flag=True, help="Log every request to stderr.")
@click.option(
    "--separator",
    type=click.Choice(SEPARATORS),
    default="|",
    show_default=True,
    metavar="SEP",
    help="The reference separator PUT and POST bodies must use: '|' (type|id) or '||' (type||id).",
)
@click.option(
    "--separator-lenient",
    is_flag=True,
    help="Store a reference with the wrong separator mangled (as a blind split would) "
    "instead of refusing it with 400.",
)
@click.option(
    "--auth",
    type=click.Choice(AUTH_SCHEMES),
    default="bearer",
    show_default=True,
    help="The Authorization header accepted: 'Bearer <token>', the raw token, or both.",
)
@click.option(
    "--recordings",
    type=click.Choice(RECORDING_NAMES),
    default="swapped",
    show_default=True,
    help="swapped: read invalid_recording shows body recording_invalid (and read "
    "invalid_retry_recording body invalid_recording); direct: read names equal body names.",
)
@click.option(
    "--webhooks-cleared-by-put",
    is_flag=True,
    help="A full PUT sets every menu option's webhook_id to 0.",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Requests per second (every API request, login included) above which the fake "
    "answers 429 with Retry-After (default: no limit).",
)
def command(
    port: int,
    seed_path: Path | None,
    faults_path: Path | None,
    token: str | None,
    latency: float,
    verbose: bool,
    separator: str,
    separator_lenient: bool,
    auth: str,
    recordings: str,
    webhooks_cleared_by_put: bool,
    rate_limit: float | None,
) -> int:
    """Serve a fake Smartflo account on 127.0.0.1 until Ctrl-C or SIGTERM.

    Point ivrsync at it with SMARTFLO_BASE_URL=http://127.0.0.1:PORT and the token it prints.
    The dialect options choose how it behaves where the real API is unknown.
    """
    dialect = Dialect(
        separator=cast(Separator, separator),
        separator_strict=not separator_lenient,
        auth=cast(AuthScheme, auth),
        recordings=cast(RecordingNames, recordings),
        webhooks_cleared_by_put=webhooks_cleared_by_put,
        rate_limit=rate_limit,
    )
    return serve(
        seed=load_seed(seed_path or sample_seed_path()),
        port=port,
        token=token,
        faults=load_faults(faults_path) if faults_path else None,
        latency=latency,
        verbose=verbose,
        dialect=dialect,
        announce=lambda line: click.echo(line),
    )
