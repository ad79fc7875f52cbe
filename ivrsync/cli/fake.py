"""`ivrsync fake-smartflo`: serve a fake Smartflo account on 127.0.0.1 for rehearsals."""

from __future__ import annotations

from pathlib import Path

import click

from ivrsync.fake_smartflo import load_faults, load_seed, sample_seed_path, serve


@click.command("fake-smartflo")
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
def command(
    port: int,
    seed_path: Path | None,
    faults_path: Path | None,
    token: str | None,
    latency: float,
    verbose: bool,
) -> int:
    """Serve a fake Smartflo account on 127.0.0.1 until Ctrl-C or SIGTERM.

    Point ivrsync at it with SMARTFLO_BASE_URL=http://127.0.0.1:PORT and the token it prints.
    """
    return serve(
        seed=load_seed(seed_path or sample_seed_path()),
        port=port,
        token=token,
        faults=load_faults(faults_path) if faults_path else None,
        latency=latency,
        verbose=verbose,
        announce=lambda line: click.echo(line),
    )
