"""The progress bar of `xianfeng verify`: events checked, and how many a second.

`verify` reports progress in events: once for each event as the chain is checked, then once for
each as its instance is replayed. On a terminal the bar says which of the two it is at and the
events per second of that pass; elsewhere (a pipe, `--json`) nothing is drawn.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

import click


class VerifyProgress:
    def __init__(self, events: int, replay: bool, hidden: bool) -> None:
        self.events = events
        self.passes = 2 if replay else 1
        self.started = self.pass_started = time.perf_counter()
        self._bar: Any = click.progressbar(
            length=max(events * self.passes, 1),
            label="checking the chain",
            file=sys.stderr,
            show_pos=True,
            hidden=hidden or not sys.stderr.isatty(),
            item_show_func=lambda _item: self._rate_text(),
            update_min_steps=max(1, events // 500),
        )

    def __enter__(self) -> VerifyProgress:
        self._bar.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.__exit__(kind, exc, tb)

    def update(self, done: int) -> None:
        """`done` more events checked; past the chain's last event the replay has begun."""
        if self.passes == 2 and self._bar.label != "replaying" and self._bar.pos + done > self.events:
            self._bar.label, self.pass_started = "replaying", time.perf_counter()
        self._bar.update(done)

    def _rate_text(self) -> str:
        done = self._bar.pos - (self.events if self._bar.label == "replaying" else 0)
        return f"{done / max(time.perf_counter() - self.pass_started, 1e-6):,.0f} events/s"

    def events_per_second(self) -> float:
        """Events verified per second of the whole run (chain, records and replay together)."""
        return self.events / max(time.perf_counter() - self.started, 1e-6)
