"""What browsers ask every site for by itself: the icon (/favicon.ico), a red square with a star."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, send_from_directory

blueprint = Blueprint("site", __name__)


@blueprint.get("/favicon.ico")
def favicon() -> Any:
    response = send_from_directory(
        current_app.static_folder or "static", "favicon.ico", mimetype="image/x-icon"
    )
    response.cache_control.max_age = 7 * 24 * 3600
    response.cache_control.public = True
    return response
