"""``huajie serve``: the web app and its timer scheduler, in one process or under granian."""

from __future__ import annotations

import os

import click

from app.cli.common import fail, use_routing
from app.config import Settings
from app.errors import ServiceError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--threads", default=None, type=int,
    help="per process [default: 8 in one process; 1 in each of several]",
)  # fmt: skip
@click.option(
    "--workers", default=1, show_default=True, type=int,
    help="processes; more than one runs granian on app.wsgi (the production server)",
)  # fmt: skip
def serve(host: str, port: int, threads: int | None, workers: int) -> None:
    """Run the web app and its timer scheduler."""
    threads = threads if threads is not None else (8 if workers == 1 else 1)
    if workers < 1 or threads < 1:
        fail(ServiceError("--workers 和 --threads 至少为 1"))
    if workers > 1:
        use_routing(Settings.from_env())  # before the workers: each would fail on its own
        click.echo(f"化解 正在运行：http://{host}:{port}/（{workers} 个进程）")
        _granian(host, port, workers, threads)
        return
    from waitress import serve as waitress_serve

    from app.scheduler import TimerScheduler
    from app.serving import freeze_for_serving
    from app.web.factory import create_app

    app = create_app()
    scheduler = TimerScheduler(app.extensions["huajie.db"], app.extensions["huajie.settings"])
    scheduler.start()
    freeze_for_serving()
    click.echo(f"化解 正在运行：http://{host}:{port}/")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="huajie")
    finally:
        scheduler.shutdown()


def _granian(host: str, port: int, workers: int, threads: int) -> None:
    """granian (extra ``prod``): HTTP in Rust, ``workers`` processes each importing
    ``app.wsgi`` after the fork (its own database connections and timer scheduler), each
    running the app on ``threads`` Python threads.

    One thread per process by default: a completion is CPU work and Python runs one thread of
    a process at a time, so processes, not threads, use the cores. Connections are not kept
    alive: a kept connection ties its client to one process, so clients can share out unevenly
    and wait longer on a busy one (keep-alive gained nothing in the benchmark); a new
    connection per request spreads them.
    """
    try:
        from granian import Granian
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings
    except ImportError:
        fail(ServiceError("多进程运行需要 granian：pip install 'huajie[prod]'"))

    from app.serving import MASTER_PID_ENV

    os.environ[MASTER_PID_ENV] = str(os.getpid())  # workers end with this process
    Granian(
        "app.wsgi:app", address=host, port=port, interface=Interfaces.WSGI, workers=workers,
        blocking_threads=threads, http=HTTPModes.http1, websockets=False,
        http1_settings=HTTP1Settings(keep_alive=False), respawn_failed_workers=True,
    ).serve()  # fmt: skip
