"""The administrators' room's blueprint (`/admin/…`); each page module adds its routes to it."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
