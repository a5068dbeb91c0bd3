"""The `xianfeng` command: the engine's commands plus `serve`."""

from __future__ import annotations

import click

from xianfeng.engine.cli import cli
from xianfeng.engine.cli_support import kernel_of, refuse
from xianfeng.engine.errors import XianfengError
from xianfeng.engine.logs import configure_logging

from . import create_app
from .config import load_web_settings
from .server import serve


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; each uses one CPU core at a time, so about one per core.",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker process (they overlap waiting on the network and the database).",
)
@click.pass_context
def serve_cmd(ctx: click.Context, host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web workbench, the public pages and the API; fire timers in-process."""
    try:
        kernel = kernel_of(ctx)
    except XianfengError as exc:
        refuse(exc)
    try:
        configure_logging()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    app = create_app(kernel)
    web = load_web_settings(kernel.settings)
    click.echo(f"先锋 Xianfeng: open http://{host}:{port}/  (demo accounts: see README; password demo12345)")
    serve(app, kernel, host, port, workers, threads, web.tick_interval)


def main() -> None:
    cli(obj={})
