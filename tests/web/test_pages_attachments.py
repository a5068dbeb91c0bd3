"""File fields on the task page: upload, keep across a refused submit, cite, and open (佐证材料)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import pytest
from conftest import csrf_of
from flask import Flask
from flask.testing import FlaskClient
from support import AssessmentWalk, at_rectification_report
from test_pages_support import nothing_stored, text
from werkzeug.test import TestResponse

from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
SHA = hashlib.sha256(JPEG).hexdigest()
ACTIONS = "补齐服务台账，每周入户走访两次。"


@pytest.fixture
def report(kernel: Kernel) -> tuple[AssessmentWalk, str]:
    return at_rectification_report(kernel)


def _submit(client: FlaskClient, walk: AssessmentWalk, task_id: str, fields: dict[str, Any]) -> TestResponse:
    version = walk.show()["version"]
    data = {**fields, "csrf_token": csrf_of(client, f"/tasks/{task_id}"), "expected_version": str(version)}
    return client.post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")


def test_the_form_offers_a_file_chooser_for_the_fields_kinds(
    report: tuple[AssessmentWalk, str], login: Login
) -> None:
    _walk, task_id = report
    page = text(login("member1").get(f"/tasks/{task_id}"))
    assert 'enctype="multipart/form-data"' in page
    assert (
        '<input id="f-evidence_files" name="evidence_files" type="file" '
        'accept=".jpg,.jpeg,.png,.pdf,.doc,.docx,.xls,.xlsx" multiple' in page
    )
    assert "佐证材料附件" in page and "可上传的文件类型：.jpg、.jpeg、.png" in page


def test_an_upload_survives_a_refused_submit_and_is_cited_by_the_report(
    report: tuple[AssessmentWalk, str], login: Login
) -> None:
    walk, task_id = report
    client = login("member1")
    refused = _submit(
        client, walk, task_id, {"actions": "太短", "evidence_files": (io.BytesIO(JPEG), "走访照片.jpg")}
    )
    page = text(refused)
    assert refused.status_code == 422 and 'id="err-actions"' in page
    # The file is kept: listed by name with a ticked box holding its hash, and opens for its uploader.
    assert f'name="evidence_files" value="{SHA}" checked' in page and "走访照片.jpg" in page
    link = f"/instances/{walk.instance_id}/attachments/{SHA}"
    assert f'href="{link}"' in page and client.get(link).data == JPEG
    done = _submit(client, walk, task_id, {"actions": ACTIONS, "evidence_files": SHA})
    assert done.status_code == 302
    recheck = walk.task_of(walk.secretary, "Task_rectification_recheck")
    assert recheck.id and f'href="{link}"' in text(login("secretary1").get(f"/tasks/{recheck.id}"))
    case = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    assert "附件" in case and f'href="{link}"' in case and "走访照片.jpg" in case


def test_an_unticked_file_is_left_out(report: tuple[AssessmentWalk, str], login: Login) -> None:
    walk, task_id = report
    client = login("member1")
    _submit(client, walk, task_id, {"actions": "太短", "evidence_files": (io.BytesIO(JPEG), "a.jpg")})
    assert _submit(client, walk, task_id, {"actions": ACTIONS}).status_code == 302
    recheck = walk.task_of(walk.secretary, "Task_rectification_recheck")
    assert "evidence_files" not in text(login("secretary1").get(f"/tasks/{recheck.id}"))


def test_a_file_opens_for_the_cases_readers_only_and_never_as_a_page(
    report: tuple[AssessmentWalk, str], login: Login
) -> None:
    walk, task_id = report
    _submit(
        login("member1"),
        walk,
        task_id,
        {"actions": ACTIONS, "evidence_files": (io.BytesIO(JPEG), "照片.jpg")},
    )
    link = f"/instances/{walk.instance_id}/attachments/{SHA}"
    opened = login("committee").get(link)
    assert opened.status_code == 200 and opened.data == JPEG
    assert opened.headers["Content-Type"] == "image/jpeg"
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    assert opened.headers["Content-Security-Policy"].startswith("sandbox")
    assert (
        opened.headers["Content-Disposition"]
        == "inline; filename=\"__.jpg\"; filename*=UTF-8''%E7%85%A7%E7%89%87.jpg"
    )
    assert login("secretary2").get(link).status_code == 403
    assert login("committee").get(f"/instances/{walk.instance_id}/attachments/{'0' * 64}").status_code == 404
    assert (
        login("committee").get(f"/instances/{walk.instance_id}/attachments/..%2F..%2Fetc").status_code == 404
    )


def test_a_disguised_file_is_refused_in_chinese_and_stores_nothing(
    report: tuple[AssessmentWalk, str], login: Login, kernel: Kernel
) -> None:
    walk, task_id = report
    client = login("member1")
    disguised = (io.BytesIO(b"<html><script>alert(1)</script></html>"), "photo.jpg")
    with nothing_stored(kernel):
        refused = _submit(client, walk, task_id, {"actions": ACTIONS, "evidence_files": disguised})
    page = text(refused)
    assert refused.status_code == 422 and 'id="err-evidence_files"' in page
    assert "photo.jpg 的内容与其扩展名 .jpg 不符" in page and ACTIONS in page  # typed text survives


def test_a_request_over_the_size_limit_is_refused_in_words(
    report: tuple[AssessmentWalk, str], login: Login, app: Flask, kernel: Kernel
) -> None:
    _walk, task_id = report
    client = login("member1")
    token = csrf_of(client, f"/tasks/{task_id}")
    app.config["MAX_CONTENT_LENGTH"] = 4096
    with nothing_stored(kernel):
        refused = client.post(
            f"/tasks/{task_id}",
            data={
                "csrf_token": token,
                "expected_version": "1",
                "evidence_files": (io.BytesIO(JPEG * 4), "big.jpg"),
            },
            content_type="multipart/form-data",
        )
    assert refused.status_code == 413 and "提交的内容过大（合计不超过 4 KB）" in text(refused)
