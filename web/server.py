"""Serving: a real WSGI server (waitress) and an in-process ticker that fires due timers and hands
notifications to the delivery adapter, so a notice period ends within a second of its due time
without cron. Several processes may each run a ticker: instances are claimed with row locks."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from xianfeng.engine.errors import XianfengError
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import notifications, timers

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
            notifications.dispatch(self.kernel)
        except XianfengError as exc:
            log.error("tick failed: %s", exc.message)
        except Exception:  # the ticker must survive anything one round throws
            log.exception("tick failed")

    def stop(self) -> None:
        self.stopped.set()


def serve(app: Flask, kernel: Kernel, host: str, port: int, threads: int, tick_interval: float) -> None:
    from waitress import serve as waitress_serve

    ticker = Ticker(kernel, tick_interval)
    ticker.start()
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="xianfeng")
    finally:
        ticker.stop()
