"""What every page's layout needs: the actor, the nav counts and the bell."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import get_locale

from xianfeng.engine.services import inbox

from ..context import kernel


def register(app: Flask) -> None:
    @app.context_processor
    def _layout() -> dict[str, Any]:
        actor = g.get("actor")
        counts = inbox.counts(kernel(), actor) if actor is not None else {}
        return {"actor": actor, "nav_counts": counts, "locale": str(get_locale())}
