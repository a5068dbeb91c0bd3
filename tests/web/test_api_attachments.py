"""Files through the API: upload for a task's file field, cite the hash when completing, read back."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from support import AssessmentWalk, at_rectification_report
from test_api_support import etag_of_task, nothing_stored

from xianfeng.engine.kernel import Kernel

Headers = Callable[[str], dict[str, str]]
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 20
SHA = hashlib.sha256(PDF).hexdigest()


@pytest.fixture
def report(kernel: Kernel) -> tuple[AssessmentWalk, str]:
    return at_rectification_report(kernel)


def _upload(client: FlaskClient, headers: dict[str, str], task_id: str, **parts: object) -> object:
    return client.post(
        f"/api/v1/tasks/{task_id}/attachments",
        headers=headers,
        data=parts,
        content_type="multipart/form-data",
    )


def test_a_file_uploaded_then_cited_is_read_back_by_the_committee(
    client: FlaskClient, token: Headers, report: tuple[AssessmentWalk, str]
) -> None:
    walk, task_id = report
    member = token("member1")
    uploaded = _upload(client, member, task_id, evidence_files=(io.BytesIO(PDF), "整改台账.pdf"))
    assert uploaded.status_code == 201, uploaded.get_json()
    assert uploaded.get_json() == {
        "files": {
            "evidence_files": [
                {"sha256": SHA, "name": "整改台账.pdf", "media_type": "application/pdf", "size": len(PDF)}
            ]
        }
    }
    headers = {**member, "If-Match": etag_of_task(client, member, task_id)}
    body = {"data": {"actions": "补齐服务台账，每周入户走访两次。", "evidence_files": [SHA]}}
    assert client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json=body).status_code == 200
    opened = client.get(f"/api/v1/instances/{walk.instance_id}/attachments/{SHA}", headers=token("committee"))
    assert opened.status_code == 200 and opened.data == PDF
    assert opened.headers["Content-Type"] == "application/pdf"
    assert opened.headers["Content-Disposition"].startswith("attachment; ")
    refused = client.get(
        f"/api/v1/instances/{walk.instance_id}/attachments/{SHA}", headers=token("secretary2")
    )
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_allowed"


@pytest.mark.parametrize(
    ("parts", "status", "words"),
    [
        ({"evidence_files": (io.BytesIO(b"GIF89a"), "x.pdf")}, 422, "x.pdf 的内容与其扩展名 .pdf 不符"),
        ({"actions": (io.BytesIO(PDF), "a.pdf")}, 422, "actions 不是表单 rectification_report.json 的附件栏"),
        ({"note": "附上台账"}, 422, "send multipart/form-data with files only, not the fields note"),
        ({}, 422, "send multipart/form-data with files only"),
    ],
)
def test_a_refused_upload_answers_json_and_stores_nothing(
    client: FlaskClient,
    token: Headers,
    kernel: Kernel,
    report: tuple[AssessmentWalk, str],
    parts: dict[str, object],
    status: int,
    words: str,
) -> None:
    _walk, task_id = report
    with nothing_stored(kernel):
        response = _upload(client, token("member1"), task_id, **parts)
    body = response.get_json()
    assert response.status_code == status and words in str(body), body


def test_one_may_upload_only_to_tasks_one_may_act_on(
    client: FlaskClient, token: Headers, kernel: Kernel, report: tuple[AssessmentWalk, str]
) -> None:
    _walk, task_id = report
    with nothing_stored(kernel):
        response = _upload(client, token("member2"), task_id, evidence_files=(io.BytesIO(PDF), "a.pdf"))
    assert response.status_code == 403 and response.get_json()["code"] == "not_allowed"
