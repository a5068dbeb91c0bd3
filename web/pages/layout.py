"""What every page's layout needs: the actor, the nav counts and the bell, and time filters.

Times are stored in UTC; people here read China time, so every template shows times through the
filters below rather than formatting datetimes itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, g

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.services import inbox, offers
from xianfeng.engine.services.attachments import size_text

from ..context import kernel
from . import labels


def register(app: Flask) -> None:
    @app.context_processor
    def _layout() -> dict[str, Any]:
        actor = g.get("actor")
        counts = inbox.counts(kernel(), actor) if actor is not None else {}
        # "zh_CN" or "en": Babel spells the Chinese locale "zh_Hans_CN", which templates need not know.
        return {
            "actor": actor,
            "nav_counts": counts,
            "locale": labels.lang(),
            "L": labels,
            # The procedures the diagrams offer at a place (`offer`), startable by the actor; asked lazily.
            "offers": lambda place: offers.offered_to(kernel(), actor, place) if actor is not None else [],
        }

    app.jinja_env.filters["cntime"] = china_time
    app.jinja_env.filters["cndate"] = china_date
    app.jinja_env.filters["deadline"] = deadline
    app.jinja_env.filters["filesize"] = size_text


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(CHINA_TZ)


def china_time(value: Any) -> str:
    """`2026-11-25 09:00` in China time; anything that is not a time is shown as it is."""
    instant = _instant(value)
    if instant is None:
        return "" if value is None else str(value)
    return f"{instant:%Y-%m-%d %H:%M}"


def china_date(value: Any) -> str:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    instant = _instant(value)
    return f"{instant:%Y-%m-%d}" if instant is not None else ("" if value is None else str(value))


def deadline(value: Any) -> str:
    """A deadline at 00:00 China time is the end of the day before: shown as `2026-12-09 24:00`.

    Working-day periods end at midnight, and "until 12-10 00:00" reads as one day too many.
    """
    instant = _instant(value)
    if instant is None:
        return "" if value is None else str(value)
    if (instant.hour, instant.minute, instant.second) == (0, 0, 0):
        return f"{instant - dt.timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{instant:%Y-%m-%d %H:%M}"
