"""Serving: gunicorn with N worker processes of T threads each, and in every worker a ticker that
fires due timers and hands notifications to the delivery adapter, so a notice period ends within a
second of its due time without cron.

Worker *processes*, not threads, are what add capacity: a step is CPU work in Python, and one
process runs Python on one core at a time. Threads in a worker overlap waiting (the network, the
database's write lock). Several tickers are safe: instances are claimed with row locks (PostgreSQL)
or one writer at a time (SQLite), and a timer fired by one is gone for the others.

The app is built once, before the workers are forked, so a bad configuration fails at start; each
worker then drops the database connections it inherited and opens its own.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any

from flask import Flask

from xianfeng.engine.errors import XianfengError
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import fires_ahead, notifications, setup, stats_steps, timers

log = logging.getLogger("xianfeng.server")


class Ticker(threading.Thread):
    def __init__(self, kernel: Kernel, interval: float) -> None:
        super().__init__(name="xianfeng-ticker", daemon=True)
        self.kernel = kernel
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.tick_once()

    def tick_once(self) -> None:
        try:
            report = timers.tick(self.kernel)
            if report.fired or report.failed:
                log.info("tick: %d fired, %d failed", len(report.fired), len(report.failed))
            fires_ahead.compute_ahead(self.kernel, self.kernel.clock.now())
            stats_steps.catch_up(self.kernel)
            notifications.dispatch(self.kernel)
        except XianfengError as exc:
            log.error("tick failed: %s", exc.message)
        except Exception:  # the ticker must survive anything one round throws
            log.exception("tick failed")

    def stop(self) -> None:
        self.stopped.set()


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """gunicorn settings. With one thread gunicorn runs its `sync` workers: one request at a time
    per process, a connection per request, the most completions per core, but a slow client holds
    a whole process, so put a buffering proxy (nginx) in front. With more threads it runs `gthread`
    workers: keep-alive connections, slow clients hold only a thread, but the threads of a process
    share one core (the GIL) and pay for it in contention."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "preload_app": True,
        "keepalive": 5,
        "timeout": 60,
        "graceful_timeout": 10,
        "proc_name": "xianfeng",
        "accesslog": None,
        "errorlog": "-",
    }


def serve(
    app: Flask, kernel: Kernel, host: str, port: int, workers: int, threads: int, tick_interval: float
) -> None:
    from gunicorn.app.base import BaseApplication

    versions = setup.warm(kernel)
    log.info("loaded %d process versions before starting the workers", versions)
    # What is loaded by now lives as long as the server: keep the cycle collector from scanning
    # it on every full collection, and leave the pages the workers share untouched by it.
    gc.collect()
    gc.freeze()

    def post_fork(_server: Any, _worker: Any) -> None:
        kernel.db.engine.dispose(close=False)  # the master's connections stay the master's

    def post_worker_init(_worker: Any) -> None:
        Ticker(kernel, tick_interval).start()

    class Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
        def load_config(self) -> None:
            options = gunicorn_options(host, port, workers, threads)
            options.update(post_fork=post_fork, post_worker_init=post_worker_init)
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    Server().run()
