"""The administrators' room in the web (`/admin/…`): organisation, members and their moves,
accounts, the roster from Excel, holidays; and everyone's own password (`/account/password`).

Each page makes one call to `engine/services/admin`, which decides who may act (administrators)
and who may read (the committee and auditors)."""

from __future__ import annotations

from flask import Flask

from . import account_pages, holiday_pages, member_pages, org_pages, password_pages, roster_pages
from .blueprint import blueprint

__all__ = ["account_pages", "holiday_pages", "member_pages", "org_pages", "register", "roster_pages"]


def register(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.register_blueprint(password_pages.blueprint)
    app.before_request(password_pages.require_new_password)
