"""REST API under /api/v1 (flask-smorest, marshmallow, OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect

from . import (
    auth_api,
    cases_api,
    history_api,
    inbox_api,
    instances_api,
    interventions_api,
    people_api,
    posts_api,
    stats_api,
    tasks_api,
    verbs_api,
    verify_api,
)


def register_api(app: Flask, csrf: CSRFProtect) -> Api:
    app.config.update(
        API_TITLE="先锋 Xianfeng API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = Api(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for blueprint in (
        auth_api.blueprint,
        tasks_api.blueprint,
        verbs_api.blueprint,
        instances_api.blueprint,
        interventions_api.blueprint,
        history_api.blueprint,
        cases_api.blueprint,
        inbox_api.blueprint,
        posts_api.blueprint,
        stats_api.blueprint,
        verify_api.blueprint,
        people_api.blueprint,
    ):
        csrf.exempt(blueprint)  # the API authenticates with bearer tokens, not cookies
        api.register_blueprint(blueprint)
    return api
