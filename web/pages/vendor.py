"""Browser assets bundled from the npm registry (`web/src/` → `web/static/dist/`, built by
`npm run build --prefix web`, which `make` runs): the diagram viewer and the pages' other scripts.
Served from this server with a content version in the URL, so a browser caches them until they
change: the browsers here reach no CDN."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, render_template, send_from_directory, url_for
from flask_babel import gettext as _

blueprint = Blueprint("vendor", __name__, url_prefix="/assets")
DIST = Path(__file__).resolve().parent.parent / "static" / "dist"


@functools.cache
def _version(folder: Path, name: str) -> str:
    path = folder / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "missing"


def asset_url(name: str) -> str:
    """The URL of a bundled asset, versioned by its content."""
    return url_for("vendor.asset", name=name, v=_version(DIST, name))


@blueprint.get("/<path:name>")
def asset(name: str) -> Any:
    path = (DIST / name).resolve()
    if DIST.resolve() not in path.parents:
        return render_template("error.html", title=_("找不到该内容"), error=None, status=404), 404
    if not path.is_file():
        title = _(
            "页面组件尚未构建：请在项目目录运行 make（或 npm ci --prefix web && npm run build --prefix web）"
        )
        return render_template("error.html", title=title, error=None, status=404), 404
    return send_from_directory(DIST, name, max_age=365 * 86400)


def register_asset_helper(app: Flask) -> None:
    app.jinja_env.globals["asset_url"] = asset_url
