"""What every page's layout needs: the actor, the nav counts and the bell, and time filters.

Times are stored in UTC; people here read China time, so every template shows times through the
filters below rather than formatting datetimes itself.

Per-row work is done once per request: templates translate through the request's catalog, found
once (Flask-Babel looks up the domain, the locale and its cache on every call), and `L`, the
labels, keeps each answer for the rest of the request (a list asks a role's name on every row).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, g
from flask_babel import get_locale, get_translations
from markupsafe import Markup

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
            "L": RequestLabels(),
            # The procedures the diagrams offer at a place (`offer`), startable by the actor; asked lazily.
            "offers": lambda place: offers.offered_to(kernel(), actor, place) if actor is not None else [],
        }

    install_request_translations(app)
    app.jinja_env.filters["cntime"] = china_time
    app.jinja_env.filters["cndate"] = china_date
    app.jinja_env.filters["deadline"] = deadline
    app.jinja_env.filters["filesize"] = size_text
    app.jinja_env.filters["code_name"] = code_name


class RequestLabels:
    """`labels` for one request's templates, each answer kept for the request's language (a
    preview rendered under `force_locale` asks in another). Calls whose arguments cannot be kept
    (a dict) are answered afresh."""

    def __init__(self) -> None:
        self._known: dict[tuple[Any, ...], Any] = {}

    def __getattr__(self, name: str) -> Any:
        found = getattr(labels, name)
        if not callable(found):
            return found

        def kept(*args: Any, **kwargs: Any) -> Any:
            key = (get_locale(), name, args, tuple(sorted(kwargs.items())))
            try:
                return self._known[key]
            except KeyError:
                answer = self._known[key] = found(*args, **kwargs)
                return answer
            except TypeError:  # unhashable arguments
                return found(*args, **kwargs)

        setattr(self, name, kept)  # later lookups skip __getattr__
        return kept


def install_request_translations(app: Flask) -> None:
    """Templates' `_()` and `ngettext()` with the catalog found once per request and language
    (kept in `g`, with the locale it is for)."""

    def catalog() -> Any:
        locale = get_locale()
        kept = g.get("_xianfeng_catalog")
        if kept is None or kept[0] is not locale:
            kept = g._xianfeng_catalog = (locale, get_translations())
        return kept[1]

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
    )


def code_name(value: Any) -> Markup:
    """An identifier shown as it is written (a process key, a setting's name): code, not words."""
    return Markup('<code translate="no">{}</code>').format(value)


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
