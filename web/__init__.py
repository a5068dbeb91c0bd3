"""The web: a thin Flask layer over the engine's services.

Every view parses and validates, makes one service call, and renders. Nothing here decides
what the procedure is; that is in `processes/` and `forms/`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer

from xianfeng.engine.kernel import Kernel, create_kernel

from . import auth, csp, errors, i18n, inputs
from .config import load_web_settings
from .context import KERNEL_KEY

csrf = CSRFProtect()


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per set of keys.

    Flask builds a new serializer when it opens every request's session, API calls included, even
    without a cookie; the serializer holds only keys and settings, so one serves all threads. The
    cookie's signature and age are still checked on every request, and a changed secret key (or
    fallback list) makes a new serializer.
    """

    _cached: tuple[tuple[object, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._cached
        if cached is not None and cached[0] == keys:
            return cached[1]
        serializer = super().get_signing_serializer(app)
        self._cached = (keys, serializer)  # one assignment: threads see the old pair or the new
        return serializer


def create_app(kernel: Kernel | None = None, testing: bool = False) -> Flask:
    kernel = kernel or create_kernel()
    web = load_web_settings(kernel.settings)
    # `xianfeng` is a namespace package, where Flask cannot infer an instance folder: name one.
    app = Flask(__name__, instance_path=str(Path(kernel.settings.data_dir).resolve() / "instance"))
    app.config.update(
        SECRET_KEY=web.secret_key,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=web.secure_cookies,
        SESSION_COOKIE_NAME="xianfeng_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
        # A form with a few files at the attachment limit each; the service judges each file.
        MAX_CONTENT_LENGTH=6 * kernel.settings.max_attachment_bytes + 1024 * 1024,
        JSON_AS_ASCII=False,
    )
    app.session_interface = CookieSessions()
    app.extensions[KERNEL_KEY] = kernel
    app.extensions["xianfeng.web_settings"] = web
    csrf.init_app(app)
    i18n.setup(app, Path(kernel.settings.data_dir) / ".translations", web.language)
    app.before_request(lambda: auth.load_actor(app))
    inputs.install(app)  # before the routes: their <int:…> are bounded
    csp.install(app)
    _register_blueprints(app)
    errors.register(app)  # after the API, whose own HTTP error handler this replaces
    return app


def _register_blueprints(app: Flask) -> None:
    from .api import register_api
    from .pages import register_pages

    register_pages(app)
    register_api(app, csrf)
