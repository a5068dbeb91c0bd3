"""案件查询 in the browser's terms: the filter form, the list of cases with their outcomes in words,
keyset paging, the refusals, and the Excel download of every matching case."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from urllib.parse import quote

import openpyxl
import pytest
from flask.testing import FlaskClient
from support import CreationWalk
from test_pages_support import post, text

from xianfeng.engine.kernel import Kernel
from xianfeng.web.pages import case_pages

Login = Callable[[str], FlaskClient]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _lapsed(kernel: Kernel, candidate: str = "member6") -> int:
    walk = CreationWalk(kernel, candidate=candidate)
    walk.start()
    walk.pass_notice()  # the evaluation period ends before anyone evaluated
    walk.complete(
        walk.secretary, {"extend": False, "reason": "参加测评人数不足，不再延长"}, "Task_extend_evaluation"
    )
    return walk.instance_id


def _started(kernel: Kernel, candidate: str, secretary: str = "secretary1") -> int:
    members = (
        ("member12", "member13", "member14", "member15")
        if secretary == "secretary2"
        else ("member2", "member3", "member4", "member5")
    )
    evaluators = tuple(u for u in members if u != candidate)[:3]  # never the nominee
    walk = CreationWalk(kernel, secretary=secretary, candidate=candidate, evaluators=evaluators)
    walk.start()
    return walk.instance_id


def _listed(body: str) -> list[int]:
    """The case numbers of the table, in order."""
    return [
        int(n) for n in re.findall(r'<td data-label="编号" class="num"><a href="/instances/(\d+)">', body)
    ]


def test_the_auditor_finds_a_lapsed_nomination_and_opens_it(kernel: Kernel, login: Login) -> None:
    lapsed = _lapsed(kernel)
    running = _started(kernel, "member1")
    auditor = login("auditor")
    everything = text(auditor.get("/instances"))
    assert _listed(everything) == [running, lapsed] and "共 2 件" in everything
    body = text(auditor.get("/instances?status=completed&outcome=evaluation_lapsed"))
    assert _listed(body) == [lapsed] and "共 1 件" in body
    assert "已办结（测评逾期，推荐失效）" in body
    assert '<option value="evaluation_lapsed" selected>测评逾期，推荐失效</option>' in body
    assert '<optgroup label="党员示范岗创建">' in body
    assert f'href="/instances/{lapsed}"' in body
    assert 'href="/instances.xlsx?status=completed&amp;outcome=evaluation_lapsed"' in body
    assert "群众测评（5 位群众）" in everything  # where the running one waits
    assert auditor.get(f"/instances/{lapsed}").status_code == 200


def test_the_list_pages_newest_first_with_next_and_previous_links(kernel: Kernel, login: Login) -> None:
    ids = [_started(kernel, f"member{n}") for n in (1, 2, 3)]
    auditor = login("auditor")
    first = text(auditor.get("/instances?procedure=model_post_creation&limit=2"))
    assert _listed(first) == [ids[2], ids[1]] and "共 3 件" in first and "上一页" not in first
    found = re.search(r'<a class="button" rel="next" href="([^"]+)">下一页</a>', first)
    assert found, first
    following = found.group(1).replace("&amp;", "&")
    assert "procedure=model_post_creation" in following and "limit=2" in following
    second = text(auditor.get(following))
    assert _listed(second) == [ids[0]] and "下一页" not in second
    back = re.search(r'<a class="button" rel="prev" href="([^"]+)">上一页</a>', second)
    assert back and _listed(text(auditor.get(back.group(1).replace("&amp;", "&")))) == [ids[2], ids[1]]


def test_a_bad_filter_is_shown_beside_its_field_and_lists_nothing(kernel: Kernel, login: Login) -> None:
    _lapsed(kernel)
    response = login("auditor").get("/instances?started_from=2026-02-30&status=nope&q=x")
    body = text(response)
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="e-started_from">不是有效的日期（格式 YYYY-MM-DD）：2026-02-30</p>' in body
    )
    assert '<p class="field-error" id="e-status">未知的状态：nope' in body
    assert 'aria-invalid="true" aria-describedby="e-status"' in body
    assert 'value="x"' in body and '<details class="more" open>' in body
    assert _listed(body) == [] and "共 " not in body
    paging = text(login("auditor").get("/instances?after=zzz&limit=500"))
    assert '<ul class="errors"><li>翻页位置无效：zzz</li><li>每页最多 200 条</li></ul>' in paging


def test_the_page_speaks_english_with_the_diagrams_outcome_words(kernel: Kernel, login: Login) -> None:
    _lapsed(kernel)
    client = login("auditor")
    post(client, "/lang/en", {"next": "/instances"})
    body = text(client.get("/instances"))
    assert "<h1>Cases</h1>" in body and "Procedure" in body and "Found: 1" in body
    assert "Closed (Evaluation overdue; nomination lapsed)" in body
    assert ">Excellent</option>" in body  # an end event without nameEn or a translation: its code in words


def test_only_those_who_may_search_see_the_entry_and_the_page(kernel: Kernel, login: Login) -> None:
    member = login("member1")
    assert "案件查询" not in text(member.get("/inbox"))
    assert member.get("/instances").status_code == 403
    assert member.get("/instances.xlsx").status_code == 403
    for username in ("auditor", "committee", "admin", "secretary1"):
        assert 'href="/instances">案件查询</a>' in text(login(username).get("/inbox")), username


def test_a_branch_sees_its_own_cases_and_is_refused_another_branchs_filter(
    kernel: Kernel, login: Login
) -> None:
    mine = _started(kernel, "member11", secretary="secretary2")
    theirs = _started(kernel, "member1")
    secretary = login("secretary2")
    body = text(secretary.get("/instances"))
    assert _listed(body) == [mine] and theirs not in _listed(body)
    assert (
        'name="branch_id"' not in body and "治安村" not in body
    )  # no other branch's branch or villages offered
    assert secretary.get("/instances?branch_id=1").status_code == 403
    assert secretary.get("/instances.xlsx?branch_id=1").status_code == 403


def _sheet(response: object) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(response.data))  # type: ignore[attr-defined]
    sheet = book.active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_excel_holds_every_matching_case_not_only_the_page(kernel: Kernel, login: Login) -> None:
    lapsed = _lapsed(kernel)
    ids = [_started(kernel, f"member{n}") for n in (1, 2)]
    response = login("auditor").get("/instances.xlsx?procedure=model_post_creation&limit=1")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert quote("案件查询") in response.headers["Content-Disposition"]
    rows = _sheet(response)
    assert str(rows[0][0]).startswith("案件查询：共 3 件，导出于 ")
    assert rows[1][0] == "筛选条件：流程：model_post_creation"
    assert rows[2][:9] == ["编号", "标题", "流程", "版本", "党支部", "村", "状态", "结果", "发起时间"]
    assert [row[0] for row in rows[3:]] == [ids[1], ids[0], lapsed]
    assert rows[-1][6:8] == ["已办结", "测评逾期，推荐失效"]
    assert rows[3][6] == "进行中" and "党员测评" in str(rows[3][11])


def test_a_capped_excel_says_how_many_it_left_out(
    kernel: Kernel, login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [_started(kernel, f"member{n}") for n in (1, 2, 3)]
    monkeypatch.setattr(case_pages, "EXPORT_CAP", 2)
    rows = _sheet(login("committee").get("/instances.xlsx"))
    assert "共 3 件" in str(rows[0][0]) and "仅含最新的 2 件" in str(rows[0][0])
    assert [row[0] for row in rows[3:]] == [ids[2], ids[1]]


def test_a_bad_filter_refuses_the_excel_naming_the_field(kernel: Kernel, login: Login) -> None:
    response = login("auditor").get("/instances.xlsx?started_to=31.12.2026")
    assert response.status_code == 422 and "不是有效的日期" in text(response)
