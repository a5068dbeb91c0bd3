"""The instance page, its diagram JSON, the printable QR sheet, QR codes and the bpmn-js files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import actor
from test_pages_support import APPROVE, text, walk_to

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import tasks
from xianfeng.web.pages import vendor

Login = Callable[[str], FlaskClient]


def test_the_instance_page_shows_state_data_history_and_links(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    response = login("secretary1").get(f"/instances/{walk.instance_id}")
    body = text(response)
    assert response.status_code == 200
    assert "党员示范岗创建：李志强（便民服务示范岗）" in body and "进行中" in body
    assert "党员测评" in body and "待 5 位群众通过链接填写" in body  # who the case waits for
    assert "secretary1" in body and "发起" in body  # history
    assert "共 5 个未使用的一次性链接。" in body and body.count("/qr.png") == 5
    assert f"/instances/{walk.instance_id}/links/print" in body
    assert 'data-processes="model_post_creation"' in body


def test_links_are_shown_to_the_branch_and_committee_only(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    member = text(login("member2").get(f"/instances/{walk.instance_id}"))
    assert "/qr.png" not in member and "群众测评链接" not in member and "/urge" not in member
    assert login("auditor").get(f"/instances/{walk.instance_id}").status_code == 200
    assert login("member2").get(f"/instances/{walk.instance_id}/links/print").status_code == 403
    assert login("secretary2").get(f"/instances/{walk.instance_id}").status_code == 403


def test_a_closed_case_shows_its_outcome_and_plate(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "decision")
    task = walk.task_of("committee", "Task_committee_decision")
    tasks.complete(kernel, actor(kernel, "committee"), task.id, dict(APPROVE))
    body = text(login("committee").get(f"/instances/{walk.instance_id}?lang=en"))
    assert "Closed" in body and "Model post established" in body and "ZA-SFG-2026-0001" in body


def test_the_diagram_json_gives_the_pinned_files_and_progress(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    diagram = login("secretary1").get(f"/instances/{walk.instance_id}/diagram.json").get_json()
    by_process = {d["process_id"]: d for d in diagram["diagrams"]}
    assert diagram["process_key"] == "model_post_creation"
    assert set(by_process) == {"model_post_creation", "nominee_evaluation", "public_notice", "approval"}
    assert (
        by_process["approval"]["name"] == "approval.bpmn"
        and "<bpmn:definitions" in by_process["approval"]["xml"]
    )
    assert "Start_nomination" in diagram["completed"]
    assert set(diagram["current"]) == {
        "Call_evaluation",  # the call activity the evaluation runs in, and its deadline, are current too
        "Timer_evaluation_deadline",
        "Task_member_evaluation",
        "Task_public_evaluation",
    }
    assert login("secretary2").get(f"/instances/{walk.instance_id}/diagram.json").status_code == 403


def test_the_print_sheet_has_a_qr_code_and_address_per_open_link(kernel: Kernel, login: Login) -> None:
    walk = walk_to(kernel, "evaluation")
    tokens = walk.public_tokens()
    body = text(login("secretary1").get(f"/instances/{walk.instance_id}/links/print"))
    assert all(f"http://localhost/s/{token}" in body and f"/s/{token}/qr.png" in body for token in tokens)
    assert "每个二维码只能使用一次" in body


def test_a_qr_code_is_a_png_of_the_link(client: FlaskClient, kernel: Kernel) -> None:
    walk = walk_to(kernel, "evaluation")
    first, second = walk.public_tokens()[:2]
    one, other = client.get(f"/s/{first}/qr.png"), client.get(f"/s/{second}/qr.png")
    assert one.status_code == 200 and one.mimetype == "image/png" and one.data.startswith(b"\x89PNG")
    assert one.data != other.data
    assert client.get("/s/not%20a%20token/qr.png").status_code == 404


def test_the_bundled_viewer_is_served_with_a_content_version(client: FlaskClient, app: Flask) -> None:
    with app.test_request_context():
        url = vendor.asset_url("viewer.js")
    assert url.startswith("/assets/viewer.js?v=") and not url.endswith("missing")
    script = client.get(url)
    assert script.status_code == 200 and b"BpmnJS" in script.data
    assert "max-age=31536000" in script.headers["Cache-Control"]
    assert client.get("/assets/viewer.css").status_code == 200
    assert client.get("/assets/../package.json").status_code == 404
    assert client.get("/assets/%2e%2e/build.mjs").status_code == 404


def test_a_bundle_not_built_says_how_to_build_it(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(vendor, "DIST", tmp_path)
    response = client.get("/assets/viewer.css")
    assert response.status_code == 404 and "npm run build --prefix web" in text(response)
