"""bpmn-js, installed from the npm registry into `web/node_modules` (`npm ci --prefix web`), served
from this server: the browsers here reach no CDN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, render_template, send_from_directory
from flask_babel import gettext as _

blueprint = Blueprint("vendor", __name__, url_prefix="/vendor")
BPMN_JS_DIST = Path(__file__).resolve().parent.parent / "node_modules" / "bpmn-js" / "dist"
# What the viewer page needs: the navigated viewer and its two stylesheets.
SERVED = frozenset(
    {
        "bpmn-navigated-viewer.production.min.js",
        "assets/bpmn-js.css",
        "assets/diagram-js.css",
    }
)


@blueprint.get("/bpmn-js/<path:name>")
def bpmn_js(name: str) -> Any:
    if name not in SERVED:
        return render_template("error.html", title=_("找不到该内容"), error=None, status=404), 404
    if not (BPMN_JS_DIST / name).is_file():
        title = _("流程图组件未安装：请在项目目录运行 npm ci --prefix web")
        return render_template("error.html", title=title, error=None, status=404), 404
    return send_from_directory(BPMN_JS_DIST, name, max_age=86400)
