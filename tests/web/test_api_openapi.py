"""The OpenAPI document lists every operation with its schemas and security, the routes enforce
what it documents, and every error under /api/ is JSON `{code, message, errors?}`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from test_api_support import error_of

Headers = Callable[[str], dict[str, str]]

OPERATIONS = {
    ("post", "/api/v1/auth/token"),
    ("get", "/api/v1/tasks"),
    ("get", "/api/v1/tasks/{task_id}"),
    ("post", "/api/v1/tasks/{task_id}/complete"),
    ("post", "/api/v1/tasks/batch-complete"),
    ("post", "/api/v1/tasks/{task_id}/return"),
    ("post", "/api/v1/tasks/{task_id}/transfer"),
    ("post", "/api/v1/tasks/{task_id}/delegate"),
    ("post", "/api/v1/tasks/{task_id}/resolve"),
    ("post", "/api/v1/tasks/{task_id}/signers"),
    ("post", "/api/v1/tasks/{task_id}/sign"),
    ("post", "/api/v1/tasks/{task_id}/urge"),
    ("post", "/api/v1/instances/{instance_id}/copies"),
    ("post", "/api/v1/processes/{key}/instances"),
    ("get", "/api/v1/instances"),
    ("get", "/api/v1/people"),
    ("get", "/api/v1/instances/{instance_id}"),
    ("get", "/api/v1/instances/{instance_id}/history"),
    ("get", "/api/v1/instances/{instance_id}/history/{position}"),
    ("get", "/api/v1/instances/{instance_id}/diagram"),
    ("get", "/api/v1/instances/{instance_id}/links"),
    ("get", "/api/v1/inbox/done"),
    ("get", "/api/v1/inbox/started"),
    ("get", "/api/v1/inbox/copies"),
    ("get", "/api/v1/inbox/signing"),
    ("get", "/api/v1/inbox/counts"),
    ("get", "/api/v1/notifications"),
    ("get", "/api/v1/notifications/unread"),
    ("post", "/api/v1/notifications/read"),
    ("get", "/api/v1/posts"),
    ("get", "/api/v1/posts/{post_id}"),
    ("post", "/api/v1/tasks/{task_id}/attachments"),
    ("get", "/api/v1/instances/{instance_id}/attachments/{sha256}"),
    ("post", "/api/v1/instances/{instance_id}/withdraw"),
    ("get", "/api/v1/stats"),
    ("post", "/api/v1/verify-runs"),
    ("get", "/api/v1/verify-runs/{run_id}"),
    ("post", "/api/v1/instances/{instance_id}/cancel"),
    ("post", "/api/v1/instances/{instance_id}/suspend"),
    ("post", "/api/v1/instances/{instance_id}/resume"),
    ("post", "/api/v1/instances/{instance_id}/retry"),
    ("post", "/api/v1/instances/{instance_id}/migrate"),
    ("get", "/api/v1/instances/{instance_id}/migrate/check"),
    ("post", "/api/v1/tasks/{task_id}/reassign"),
    ("post", "/api/v1/tasks/{task_id}/complete-on-behalf"),
}
UPLOAD = ("post", "/api/v1/tasks/{task_id}/attachments")  # multipart/form-data, files only
DOWNLOAD = ("get", "/api/v1/instances/{instance_id}/attachments/{sha256}")  # the file's bytes
PUBLIC = {("post", "/api/v1/auth/token")}
ERROR_KEYS = {"code", "message", "errors", "errors_zh", "details"}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.get_json())


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _resolves(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """The schema is a $ref (possibly in an array) to a component that exists."""
    schema = schema.get("items", schema)
    match = re.fullmatch(r"#/components/schemas/(\w+)", schema.get("$ref", ""))
    return match is not None and match.group(1) in document["components"]["schemas"]


def test_every_operation_is_documented(document: dict[str, Any]) -> None:
    assert set(_operations(document)) == OPERATIONS


def test_every_operation_but_the_token_one_needs_the_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    for key, operation in _operations(document).items():
        expected: list[dict[str, list[str]]] | None = None if key in PUBLIC else [{"bearer": []}]
        assert operation.get("security") == expected, key
        if key not in PUBLIC:
            assert "401" in operation["responses"], key


def test_every_request_body_and_success_response_references_a_schema(document: dict[str, Any]) -> None:
    for key, operation in _operations(document).items():
        if key[0] == "post" and key != UPLOAD:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            assert _resolves(document, body), key
        success = next(code for code in operation["responses"] if code.startswith("2"))
        content = operation["responses"][success]["content"]
        if key == DOWNLOAD:
            assert content == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
            continue
        assert _resolves(document, content["application/json"]["schema"]), key
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")) and "content" in response:
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ApiError"
                }


def test_request_schemas_refuse_unknown_fields(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    upload = _operations(document)[UPLOAD]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    for key, operation in _operations(document).items():
        if key[0] == "post" and key != UPLOAD:
            name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert schemas[name].get("additionalProperties") is False, name


def test_conditional_operations_document_if_match_etag_and_location(document: dict[str, Any]) -> None:
    operations = _operations(document)
    for path in ("/api/v1/tasks/{task_id}/complete", "/api/v1/tasks/{task_id}/return"):
        (header,) = [p for p in operations[("post", path)]["parameters"] if p["in"] == "header"]
        assert (header["name"], header["required"]) == ("If-Match", True)
        assert "428" in operations[("post", path)]["responses"]
    assert "ETag" in operations[("get", "/api/v1/tasks/{task_id}")]["responses"]["200"]["headers"]
    assert (
        "Location" in operations[("post", "/api/v1/processes/{key}/instances")]["responses"]["201"]["headers"]
    )


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: "7" if m.group(0).startswith("<int:") else "x", rule)


def test_every_api_route_but_the_public_ones_refuses_a_missing_or_forged_token(
    app: Flask, client: FlaskClient
) -> None:
    """What the document says is what the routes do: no route was left unprotected."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in {
            "/api/v1/auth/token",
            "/api/v1/openapi.json",
        }:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for headers in ({}, {"Authorization": "Bearer forged"}):
                response = client.open(_concrete(rule.rule), method=method, headers=headers, json={})
                assert response.status_code == 401, (method, rule.rule)
                assert error_of(response)["code"] == "not_authenticated"
                checked += 1
    assert checked == 2 * (len(OPERATIONS) - len(PUBLIC))


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("get", "/api/v1/no-such-thing", None, 404, "not_found"),
        ("get", "/api/v1/instances/not-a-number", None, 404, "not_found"),
        ("delete", "/api/v1/tasks", None, 405, "method_not_allowed"),
        ("get", "/api/v1/notifications/read", None, 405, "method_not_allowed"),
        ("post", "/api/v1/notifications/read", "{not json", 400, "bad_request"),
        ("post", "/api/v1/notifications/read", "[1, 2]", 422, "unprocessable_entity"),
        ("get", "/api/v1/instances/999", None, 404, "not_found"),
    ],
)
def test_every_error_under_api_is_json(
    client: FlaskClient, token: Headers, method: str, path: str, body: str | None, status: int, code: str
) -> None:
    response = client.open(
        path, method=method.upper(), headers=token("committee"), data=body, content_type="application/json"
    )
    assert response.status_code == status and response.mimetype == "application/json"
    error = error_of(response)
    assert error["code"] == code and set(error) <= ERROR_KEYS


def test_schema_errors_name_the_field_and_keep_the_error_shape(client: FlaskClient, token: Headers) -> None:
    response = client.post("/api/v1/tasks/batch-complete", headers=token("committee"), json={"task_ids": "x"})
    error = error_of(response)
    assert response.status_code == 422 and set(error) <= ERROR_KEYS
    assert set(error["errors"]["json"]) == {"task_ids", "data"}
