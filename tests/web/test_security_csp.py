"""A Content-Security-Policy on every response (issue 12, finding 10): every route of the app, pages
and API alike, signed in or not, found or not, answers with the policy (or, for an attachment, its
stricter sandbox), and the policy allows no inline script or style."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from xianfeng.web.csp import POLICY

Login = Callable[[str], FlaskClient]


def _routes(app: Flask) -> list[str]:
    """Every GET route, its arguments filled with a value that names nothing (so most are 404)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()):
            paths.append(re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", _value, rule.rule))
    return sorted(set(paths))


def _value(match: re.Match[str]) -> str:
    return "1" if match.group(1) == "int" else "x"


def test_the_policy_allows_nothing_inline_and_no_framing() -> None:
    directives = dict(part.split(" ", 1) for part in POLICY.split("; "))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "unsafe" not in POLICY


@pytest.mark.parametrize("who", [None, "committee"])
def test_every_route_answers_with_the_policy(app: Flask, login: Login, who: str | None) -> None:
    client = login(who) if who else app.test_client()
    paths = _routes(app)
    assert len(paths) > 60
    missing = []
    for path in paths:
        response = client.get(path)
        policy = response.headers.get("Content-Security-Policy", "")
        if policy != POLICY and not (policy.startswith("sandbox") and "/attachments/" in path):
            missing.append(f"{path} ({response.status_code}): {policy or 'no policy'}")
    assert missing == []
