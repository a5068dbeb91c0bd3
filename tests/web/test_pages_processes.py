"""流程管理 through the Flask client: the list of processes with their versions and cases, the editor's
draft saved with its problems named by element, publishing with a reason (and refusals that store
nothing), the difference of two versions and of a draft, and the live form preview."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from conftest import csrf_of
from flask.testing import FlaskClient
from support import CreationWalk
from test_pages_support import nothing_stored, post, text

from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]
FIVE_DAYS = "    notice_days = 5\n"
SEVEN_DAYS = "    notice_days = 7\n"
REASON = "公示期延长至7个工作日"


def _opened(client: FlaskClient, process_key: str = "public_notice") -> int:
    response = post(client, f"/admin/processes/{process_key}/draft", {}, token_from="/admin/processes")
    assert response.status_code == 303, text(response)
    found = re.fullmatch(r"/admin/processes/drafts/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def _editor_data(client: FlaskClient, draft_id: int) -> dict:
    page = text(client.get(f"/admin/processes/drafts/{draft_id}"))
    block = re.search(r'<script type="application/json" id="editor-data">(.*?)</script>', page, re.S)
    assert block, "the editor page carries its data as a JSON block"
    return json.loads(block.group(1))


def _save(client: FlaskClient, draft_id: int, files: dict[str, str]) -> tuple[int, dict]:
    token = csrf_of(client, f"/admin/processes/drafts/{draft_id}")
    response = client.post(
        f"/admin/processes/drafts/{draft_id}/save", json={"files": files}, headers={"X-CSRFToken": token}
    )
    return response.status_code, response.get_json()


def _seven_days(client: FlaskClient, draft_id: int) -> dict:
    notice = _editor_data(client, draft_id)["files"]["public_notice.bpmn"]
    assert FIVE_DAYS in notice
    status, saved = _save(client, draft_id, {"public_notice.bpmn": notice.replace(FIVE_DAYS, SEVEN_DAYS)})
    assert status == 200, saved
    return saved


def _published(login: Login) -> FlaskClient:
    admin = login("admin")
    draft_id = _opened(admin)
    _seven_days(admin, draft_id)
    response = post(
        admin, f"/admin/processes/drafts/{draft_id}/publish", {"reason": REASON}, "/admin/processes"
    )
    assert response.status_code == 303, text(response)
    return admin


def test_the_list_shows_each_process_with_its_versions_and_cases_to_an_auditor(
    kernel: Kernel, login: Login
) -> None:
    CreationWalk(kernel).start()
    page = text(login("auditor").get("/admin/processes"))
    section = page.split('id="process-model_post_creation"', 1)[1].split("</section>", 1)[0]
    assert "v1" in section and "当前" in section
    # "shipped defaults" by "system", in Chinese
    assert "随系统安装的默认流程" in section and "系统" in section
    running = re.search(r'data-label="进行中" class="num">(\d+)<', section)
    assert running and running.group(1) == "1"
    assert "编辑" not in section, "an auditor reads; only an administrator edits"
    assert login("member1").get("/admin/processes").status_code == 403


def test_the_editor_opens_a_draft_with_its_process_files_and_the_panels_choices(login: Login) -> None:
    admin = login("admin")
    draft_id = _opened(admin)
    assert _opened(admin) == draft_id, "opening again continues the open draft"
    data = _editor_data(admin, draft_id)
    assert "public_notice.bpmn" in data["files"] and "objection_review.json" in data["files"]
    assert "approval.bpmn" not in data["files"], "only the files of the process being edited"
    assert (
        "objection_review.json" in data["options"]["forms"]
        and "public_notice" in data["options"]["processes"]
    )
    assert data["problems"] == [] and data["publishable"] is False
    page = text(admin.get(f"/admin/processes/drafts/{draft_id}"))
    assert "/assets/bpmn-editor.js" in page and "/assets/dmn-editor.js" in page
    assert re.search(r'id="publish-button"[^>]* disabled', page), "nothing changed yet: nothing to publish"
    assert "<script>" not in page, "no inline script: the page's data is a JSON block"


def test_saving_a_gateway_without_an_outgoing_flow_names_it_and_publishing_is_refused(
    kernel: Kernel, login: Login
) -> None:
    admin = login("admin")
    draft_id = _opened(admin)
    notice = _editor_data(admin, draft_id)["files"]["public_notice.bpmn"]
    broken = re.sub(r"\s*<bpmn:outgoing>Flow_objection_upheld</bpmn:outgoing>", "", notice)
    broken = re.sub(r"\s*<bpmn:outgoing>Flow_objection_dismissed</bpmn:outgoing>", "", broken)
    broken = re.sub(
        r'<bpmn:sequenceFlow id="Flow_objection_(upheld|dismissed)"[^>]*?(/>|>.*?</bpmn:sequenceFlow>)',
        "",
        broken,
        flags=re.S,
    )
    status, saved = _save(admin, draft_id, {"public_notice.bpmn": broken})
    assert status == 200 and saved["publishable"] is False
    elements = {p["element"] for p in saved["problems"]}
    assert "Gateway_objection" in elements, saved["problems"]
    problem = next(p for p in saved["problems"] if p["element"] == "Gateway_objection")
    assert "no outgoing flow" in problem["message"] and "Gateway_objection" in problem["text"]
    page = text(admin.get(f"/admin/processes/drafts/{draft_id}"))
    assert 'data-element="Gateway_objection"' in page and re.search(
        r'id="publish-button"[^>]* disabled', page
    )
    with nothing_stored(kernel):
        response = post(
            admin,
            f"/admin/processes/drafts/{draft_id}/publish",
            {"reason": "改动公示流程"},
            "/admin/processes",
        )
    assert response.status_code == 422 and "Gateway_objection" in text(response)


def test_an_administrator_publishes_with_a_reason_and_the_list_shows_the_new_version(
    kernel: Kernel, login: Login
) -> None:
    admin = login("admin")
    draft_id = _opened(admin)
    saved = _seven_days(admin, draft_id)
    assert (
        saved["problems"] == []
        and saved["publishable"] is True
        and saved["changed"] == ["public_notice.bpmn"]
    )
    with nothing_stored(kernel):
        refused = post(
            admin, f"/admin/processes/drafts/{draft_id}/publish", {"reason": " "}, "/admin/processes"
        )
    assert refused.status_code == 422 and "reason" in text(refused)
    response = post(
        admin, f"/admin/processes/drafts/{draft_id}/publish", {"reason": REASON}, "/admin/processes"
    )
    assert response.status_code == 303
    page = text(admin.get("/admin/processes"))
    section = page.split('id="process-public_notice"', 1)[1].split("</section>", 1)[0]
    assert "v2" in section and REASON in section and ">admin<" in section
    assert "已发布新版本" in page


def test_a_committee_member_reads_but_cannot_open_save_or_publish_and_nothing_is_stored(
    kernel: Kernel, login: Login
) -> None:
    admin = login("admin")
    draft_id = _opened(admin)
    _seven_days(admin, draft_id)
    committee = login("committee")
    assert committee.get("/admin/processes").status_code == 200
    page = text(committee.get(f"/admin/processes/drafts/{draft_id}"))
    assert 'id="publish-button"' not in page and 'data-readonly="true"' in page
    with nothing_stored(kernel):
        assert (
            post(committee, "/admin/processes/public_notice/draft", {}, "/admin/processes").status_code == 403
        )
        refused = post(
            committee, f"/admin/processes/drafts/{draft_id}/publish", {"reason": REASON}, "/admin/processes"
        )
        assert refused.status_code == 403
        status, body = _save(committee, draft_id, {"public_notice.bpmn": "<x/>"})
        assert status == 403 and body["code"] == "not_allowed"
        discarded = post(committee, f"/admin/processes/drafts/{draft_id}/discard", {}, "/admin/processes")
        assert discarded.status_code == 403


def test_a_save_without_the_csrf_token_or_with_a_file_of_another_kind_is_refused(
    kernel: Kernel, login: Login
) -> None:
    admin = login("admin")
    draft_id = _opened(admin)
    with nothing_stored(kernel):
        assert admin.post(f"/admin/processes/drafts/{draft_id}/save", json={"files": {}}).status_code == 400
        status, body = _save(admin, draft_id, {"evil.py": "import os"})
        assert status == 422 and "evil.py" in body["message"]
        status, body = _save(admin, draft_id, {"public_notice.bpmn": 5})  # type: ignore[dict-item]
        assert status == 400


def test_the_difference_of_two_versions_shows_the_changed_script_task(login: Login) -> None:
    auditor = _published(login) and login("auditor")
    page = text(auditor.get("/admin/processes/public_notice/diff?old=1&new=2"))
    assert "Script_notice_period" in page and "notice_days = 5" in page and "notice_days = 7" in page
    data = json.loads(re.search(r'id="diff-data">(.*?)</script>', page, re.S).group(1))
    (diagram,) = [d for d in data["diagrams"] if d["file"] == "public_notice.bpmn"]
    assert diagram["changed"] == ["Script_notice_period"] and diagram["added"] == diagram["removed"] == []
    assert FIVE_DAYS in diagram["old"] and SEVEN_DAYS in diagram["new"], "old on the left, new on the right"
    assert "/assets/diff-tool.js" in page
    assert auditor.get("/admin/processes/public_notice/diff?old=1").status_code == 404
    assert auditor.get("/admin/processes/public_notice/diff?old=1&new=9").status_code == 404
    assert login("member1").get("/admin/processes/public_notice/diff?old=1&new=2").status_code == 403


def test_the_draft_difference_lists_changed_form_fields(login: Login) -> None:
    admin = login("admin")
    draft_id = _opened(admin, "model_post_creation")
    form = json.loads(_editor_data(admin, draft_id)["files"]["consent.json"])
    form["schema"]["properties"]["pledge"]["maxLength"] = 500
    status, saved = _save(admin, draft_id, {"consent.json": json.dumps(form, ensure_ascii=False)})
    assert status == 200 and saved["problems"] == []
    page = text(admin.get(f"/admin/processes/drafts/{draft_id}/diff"))
    section = page.split('id="file-consent.json"', 1)[1].split("</section>", 1)[0]
    assert (
        'data-element="pledge"' in section
        and "maxLength" in section
        and "1000" in section
        and "500" in section
    )


def test_the_form_preview_draws_the_form_in_chinese_and_english_or_says_why_it_cannot(
    kernel: Kernel, login: Login
) -> None:
    admin = login("admin")
    draft_id = _opened(admin, "model_post_creation")
    form = _editor_data(admin, draft_id)["files"]["consent.json"]
    token = csrf_of(admin, "/admin/processes")
    with nothing_stored(kernel):
        shown = admin.post(
            "/admin/processes/forms/preview",
            json={"name": "consent.json", "text": form},
            headers={"X-CSRFToken": token},
        ).get_json()
        broken = admin.post(
            "/admin/processes/forms/preview",
            json={"name": "consent.json", "text": "{}"},
            headers={"X-CSRFToken": token},
        ).get_json()
    assert shown["ok"] and "公开承诺" in shown["zh_CN"] and "Public pledge" in shown["en"]
    assert 'name="willing"' in shown["zh_CN"] and "<script" not in shown["zh_CN"]
    assert broken["ok"] is False and "missing key" in broken["message"]
    member = login("member1")
    refused = member.post(
        "/admin/processes/forms/preview",
        json={"name": "consent.json", "text": form},
        headers={"X-CSRFToken": csrf_of(member, "/inbox")},
    )
    assert refused.status_code == 403


def test_an_administrator_discards_a_draft(kernel: Kernel, login: Login) -> None:
    admin = login("admin")
    draft_id = _opened(admin)
    assert (
        post(admin, f"/admin/processes/drafts/{draft_id}/discard", {}, "/admin/processes").status_code == 303
    )
    assert _opened(admin) != draft_id, "a discarded draft is not continued"


def test_the_pages_and_the_editors_words_are_in_english_for_an_english_reader(login: Login) -> None:
    admin = login("admin")
    admin.post(
        "/lang/en", data={"csrf_token": csrf_of(admin, "/admin/processes"), "next": "/admin/processes"}
    )
    page = text(admin.get("/admin/processes"))
    assert "<h1>Procedures</h1>" in page and "Published by" in page
    draft_id = _opened(admin)
    data = _editor_data(admin, draft_id)
    assert data["texts"]["dueInWorkingDays"] == "Due in working days (dueInWorkingDays)"
    assert dict(data["options"]["roles"])["branch"].isascii(), "the lane roles are named in English too"
