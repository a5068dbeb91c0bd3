"""POST /api/v1/auth/token: exchange a username and password for a bearer token."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, fields

from .. import auth
from .common import ApiBlueprint

blueprint = ApiBlueprint("auth_api", __name__, url_prefix="/api/v1/auth", description="Sign in")


class Credentials(Schema):
    class Meta:
        unknown = RAISE

    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class Token(Schema):
    token = fields.String(required=True)
    expires_in = fields.Integer(required=True)


@blueprint.route("/token", methods=["POST"])
@blueprint.arguments(Credentials)
@blueprint.response(200, Token)
def token(credentials: dict[str, Any]) -> dict[str, Any]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    value = auth.issue_token(app, credentials["username"], credentials["password"])
    return {"token": value, "expires_in": auth.TOKEN_MAX_AGE}
