"""党员责任区: the areas of one's scope, an area with its work records (R9), a member recording
work, the branch's comments, and the division's forms (R8) on the start and task pages."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from typing import Any

from conftest import csrf_of
from flask.testing import FlaskClient
from support import actor, member_id_of
from test_pages_support import nothing_stored, post, text
from walks_support import divide, name_of

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import areas, inbox

Login = Callable[[str], FlaskClient]
SERVICE = {
    "kind": "service",
    "domain": "hardship_relief",
    "happened_on": "2026-11-20",
    "what": "为困难户代办低保续期手续",
    "for_whom": "东风村某户",
    "outcome": "已办结",
}
POLITICAL = {
    "kind": "political",
    "political_activity": "study",
    "happened_on": "2026-11-21",
    "what": "学习党章和党内法规",
}


def _record(kernel: Kernel, username: str, data: dict[str, Any]) -> int:
    return areas.record_work(kernel, actor(kernel, username), dict(data))


def _drafting(kernel: Kernel) -> list[Any]:
    """secretary1's ready 划分责任区 tasks."""
    return [t for t in inbox.tasks_for(kernel, actor(kernel, "secretary1")) if t.spec_id == "Task_add_area"]


def test_the_areas_page_lists_villages_members_lead_and_status(kernel: Kernel, login: Login) -> None:
    assert "暂无责任区" in text(login("secretary1").get("/areas"))
    first, second = divide(kernel)
    body = text(login("secretary1").get("/areas"))
    assert f'href="/areas/{first}">治安村一组</a>' in body
    assert f'href="/areas/{second}">东风村牧业组</a>' in body
    assert "治安村" in body and "东风村" in body and "有效" in body
    team = f"{name_of(kernel, 'member1')}、{name_of(kernel, 'member4')}（牵头）"
    assert team in body and 'class="responsive"' in body
    assert "东风村牧业组" in text(login("committee").get("/areas"))
    assert "东风村牧业组" in text(login("member4").get("/areas"))
    assert "暂无责任区" in text(login("secretary2").get("/areas"))
    assert "暂无责任区" in text(login("secretary1").get("/areas?status=draft"))
    english = text(login("secretary1").get("/areas?lang=en"))
    assert "Responsibility areas" in english and "(lead)" in english and "Active" in english


def test_an_area_shows_its_records_duties_and_comments(kernel: Kernel, login: Login) -> None:
    _first, second = divide(kernel)
    service = _record(kernel, "member4", SERVICE)
    _record(kernel, "member1", POLITICAL)
    areas.comment_work(kernel, actor(kernel, "secretary1"), service, "工作扎实，继续保持。")
    body = text(login("committee").get(f"/areas/{second}"))
    assert "<h1>东风村牧业组</h1>" in body and "东风村牧业组：member4 联系的农牧户" in body
    assert "东风村牧业组：member1 联系的农牧户" in body  # each member's own scope (R8)
    assert "服务群众" in body and "困难救助" in body and "为困难户代办低保续期手续" in body
    assert "东风村某户" in body and "已办结" in body and "工作扎实，继续保持。" in body
    assert "政治任务" in body and "学习提高" in body and "学习党章和党内法规" in body
    assert re.search(r'href="/instances/\d+"', body)  # the division that made the area
    assert "记录工作" not in body and "提交点评" not in body  # the committee neither records nor comments
    assert login("secretary2").get(f"/areas/{second}").status_code == 403
    assert login("secretary1").get("/areas/999").status_code == 404
    english = text(login("committee").get(f"/areas/{second}?lang=en"))
    assert "Hardship relief" in english and "Political duty" in english and "Work records" in english


def test_a_member_records_work_in_their_area(kernel: Kernel, login: Login) -> None:
    _first, second = divide(kernel)
    client = login("member4")
    assert f'href="/areas/{second}/records/new"' in text(client.get(f"/areas/{second}"))
    form = text(client.get(f"/areas/{second}/records/new"))
    assert 'type="radio" name="kind" value="service"' in form and "服务群众" in form
    assert '<select id="f-domain" name="domain"' in form and "信访矛盾" in form
    assert 'name="happened_on" type="date" value="2026-11-25"' in form  # today, by the kernel's clock
    assert 'enctype="multipart/form-data"' in form and 'name="attachments" type="file"' in form
    partial = {"kind": "service", "what": "走访", "for_whom": "老党员"}
    response = post(client, f"/areas/{second}/records/new", partial)
    body = text(response)
    assert response.status_code == 422
    assert 'id="err-domain"' in body and 'id="err-what"' in body and 'id="err-happened_on"' in body
    assert 'value="service" checked' in body and ">走访</textarea>" in body and 'value="老党员"' in body
    response = post(client, f"/areas/{second}/records/new", SERVICE)
    assert response.status_code == 302 and response.headers["Location"] == f"/areas/{second}"
    page = text(client.get(f"/areas/{second}"))
    assert "已记录工作" in page and "为困难户代办低保续期手续" in page
    (row,) = areas.work_records(kernel, actor(kernel, "secretary1"), second)
    assert (row["member"], row["domain"]) == (name_of(kernel, "member4"), "hardship_relief")


def test_only_a_member_of_the_area_records_in_it(kernel: Kernel, login: Login) -> None:
    first, second = divide(kernel)
    assert "记录工作" not in text(login("member3").get(f"/areas/{second}"))
    assert "记录工作" in text(login("member3").get(f"/areas/{first}"))
    for username in ("member3", "member9", "secretary1", "committee"):  # another area, none, none, town
        client = login(username)
        assert client.get(f"/areas/{second}/records/new").status_code == 403
        with nothing_stored(kernel):
            refused = post(client, f"/areas/{second}/records/new", SERVICE)
        assert refused.status_code == 403, username
    with nothing_stored(kernel):
        assert post(login("member3"), f"/areas/{second}/records/new", {"kind": "x"}).status_code == 403
        assert post(login("member15"), f"/areas/{second}/records/new", SERVICE).status_code == 403


def test_the_branch_comments_on_a_record(kernel: Kernel, login: Login) -> None:
    _first, second = divide(kernel)
    record = _record(kernel, "member4", SERVICE)
    path = f"/areas/{second}/records/{record}/comment"
    client = login("secretary1")
    assert f'action="{path}"' in text(client.get(f"/areas/{second}"))
    with nothing_stored(kernel):
        empty = post(client, path, {"comment": " "})
    assert empty.status_code == 422 and "请填写点评意见（至少 2 个字）" in text(empty)
    assert 'aria-invalid="true"' in text(empty)
    with nothing_stored(kernel):
        assert post(login("member4"), path, {"comment": "自己点评自己"}).status_code == 403
        assert post(login("secretary2"), path, {"comment": "越权点评"}).status_code == 403
    done = post(client, path, {"comment": "工作扎实，继续保持。"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"#record-{record}")
    page = text(client.get(f"/areas/{second}"))
    assert "已点评" in page and "工作扎实，继续保持。" in page and "再次点评" in page


def test_the_branch_starts_a_division_and_its_area_form_offers_villages_and_members(
    kernel: Kernel, login: Login
) -> None:
    start = "/processes/responsibility_area_division/start"
    assert f'href="{start}"' in text(login("secretary1").get("/areas"))
    assert login("member4").get(start).status_code == 403
    assert login("secretary1").get("/processes/periodic_assessment/start").status_code == 404
    client = login("secretary1")
    page = text(client.get(start))
    assert "<h1>党员责任区划分</h1>" in page and 'name="csrf_token"' in page  # nothing to fill in
    assert "<h1>Division into responsibility areas</h1>" in text(client.get(f"{start}?lang=en"))
    response = post(client, start, {})
    assert response.status_code == 302 and response.headers["Location"].startswith("/instances/")
    (task,) = _drafting(kernel)
    form = text(client.get(f"/tasks/{task.id}"))
    assert '<select id="f-village_id" name="village_id"' in form
    assert '<option value="1">治安村</option>' in form and '<option value="2">东风村</option>' in form
    m3 = member_id_of(kernel, "member3")
    assert f'type="checkbox" name="member_ids" value="{m3}"> {name_of(kernel, "member3")}（' in form
    assert '<select id="f-lead_member_id" name="lead_member_id"' in form
    assert 'type="radio" name="more" value="true"' in form
    assert 'name="scope"' not in form  # each member's scope comes next, one form per member
    data = {
        "expected_version": _version(form),
        "village_id": "1",
        "name": "治安村一组",
        "member_ids": [str(m3)],
        "lead_member_id": str(m3),
        "more": "true",
    }
    assert post(client, f"/tasks/{task.id}", data).status_code == 302
    (duties,) = [
        t for t in inbox.tasks_for(kernel, actor(kernel, "secretary1")) if t.spec_id == "Task_member_duties"
    ]
    form = text(client.get(f"/tasks/{duties.id}"))
    assert "明确职责的党员" in form and name_of(kernel, "member3") in form
    assert 'name="scope"' in form and 'name="tasks"' in form
    scope = {"scope": "治安村一组所辖农牧户", "tasks": "政策宣讲、矛盾调解、帮扶困难群众"}
    assert (
        post(client, f"/tasks/{duties.id}", {"expected_version": _version(form), **scope}).status_code == 302
    )
    again = _drafting(kernel)
    assert len(again) == 1 and again[0].id != task.id  # the next area of the division


def _version(form: str) -> str:
    return re.search(r'name="expected_version" value="(\d+)"', form).group(1)  # type: ignore[union-attr]


PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


def _post_files(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(
        path, data={**data, "csrf_token": csrf_of(client, path)}, content_type="multipart/form-data"
    )


def test_a_record_keeps_its_photos_which_the_areas_readers_open(kernel: Kernel, login: Login) -> None:
    _first, second = divide(kernel)
    client = login("member4")
    path = f"/areas/{second}/records/new"
    refused = _post_files(client, path, {**SERVICE, "what": "", "attachments": (io.BytesIO(PNG), "入户.png")})
    sha = hashlib.sha256(PNG).hexdigest()
    assert refused.status_code == 422 and f'name="attachments" value="{sha}" checked' in text(refused)
    assert _post_files(client, path, {**SERVICE, "attachments": sha}).status_code == 302
    (row,) = areas.work_records(kernel, actor(kernel, "secretary1"), second)
    assert row["attachments"] == [sha]
    link = f"/areas/{second}/attachments/{sha}"
    page = text(login("secretary1").get(f"/areas/{second}"))
    assert f'href="{link}"' in page and "入户.png" in page
    opened = login("committee").get(link)
    assert opened.status_code == 200 and opened.data == PNG and opened.headers["Content-Type"] == "image/png"
    assert login("secretary2").get(link).status_code == 403
    assert login("secretary1").get(f"/areas/{_first}/attachments/{sha}").status_code == 404  # not cited there


def test_a_record_refuses_a_file_of_the_wrong_kind_and_stores_nothing(kernel: Kernel, login: Login) -> None:
    _first, second = divide(kernel)
    client = login("member4")
    with nothing_stored(kernel):
        refused = _post_files(
            client, f"/areas/{second}/records/new", {**SERVICE, "attachments": (io.BytesIO(b"MZ"), "x.exe")}
        )
    assert refused.status_code == 422 and "x.exe：只能上传" in text(refused)
    assert "为困难户代办低保续期手续" in text(refused)  # what was typed survives


def test_the_branch_sets_goals_and_members_record_work_against_them(kernel: Kernel, login: Login) -> None:
    _first, second = divide(kernel)
    branch, member = login("secretary1"), login("member4")
    assert f'href="/areas/{second}/goals/new"' in text(branch.get(f"/areas/{second}"))
    assert "添加工作目标" not in text(member.get(f"/areas/{second}"))
    assert member.get(f"/areas/{second}/goals/new").status_code == 403
    form = text(branch.get(f"/areas/{second}/goals/new"))
    assert 'name="title"' in form and 'name="target_count"' in form and "困难救助" in form
    with nothing_stored(kernel):
        refused = post(branch, f"/areas/{second}/goals/new", {"title": "走访", "target_count": "0"})
        assert (
            post(
                member, f"/areas/{second}/goals/new", {"title": "走访全部低保户", "target_count": "2"}
            ).status_code
            == 403
        )
    assert (
        refused.status_code == 422
        and 'id="err-title"' in text(refused)
        and 'id="err-target_count"' in text(refused)
    )
    done = post(
        branch,
        f"/areas/{second}/goals/new",
        {"title": "走访全部低保户", "domain": "hardship_relief", "target_count": "2"},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("#goals")
    assert "完成 0 / 2" in text(branch.get(f"/areas/{second}"))
    record_form = text(member.get(f"/areas/{second}/records/new"))
    (goal,) = re.findall(r'<option value="(\d+)"[^>]*>走访全部低保户</option>', record_form)
    assert post(member, f"/areas/{second}/records/new", {**SERVICE, "goal_id": goal}).status_code == 302
    page = text(branch.get(f"/areas/{second}"))
    assert "完成 1 / 2" in page and "服务的工作目标" in page
    assert page.count('id="disclosures"') == page.count('id="goals"') == 1
    assert 'max="2" value="1"' in page  # the progress bar


def test_the_areas_page_lists_the_members_exempted_with_their_reasons(kernel: Kernel, login: Login) -> None:
    divide(kernel)
    body = text(login("secretary1").get("/areas"))
    assert (
        "不承担责任区的党员" in body and name_of(kernel, "member2") in body and "年老体弱，长期患病" in body
    )
    assert name_of(kernel, "member2") not in text(login("secretary2").get("/areas"))
    reassign = "/processes/responsibility_area_reassignment/start"
    assert f'href="{reassign}"' in body  # the procedures the diagrams offer on the areas page
