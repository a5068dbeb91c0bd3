"""Server-rendered pages (zh-CN first): sign-in, the workbench, registers, public pages."""

from __future__ import annotations

from flask import Flask

from . import auth_pages, home, layout


def register_pages(app: Flask) -> None:
    layout.register(app)
    app.register_blueprint(auth_pages.blueprint)
    app.add_url_rule("/", "home", home.home)
