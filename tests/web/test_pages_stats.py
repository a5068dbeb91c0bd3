"""统计分析 in the web: the page (charts fed by a JSON data block, tables with the same figures), its
Excel download and `GET /api/v1/stats`, each for the committee (the town) and a branch (its own)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

from flask.testing import FlaskClient
from openpyxl import load_workbook
from support import establish_post
from test_pages_support import text
from walks_support import RENAMED_OUTCOMES, excellent_post, publish_outcomes, year_of

from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]
Token = Callable[[str], dict[str, str]]
DATA_BLOCK = re.compile(r'<script type="application/json" id="stats-data">(.*?)</script>', re.S)


def row_of(page: str, table: str, first_cell: str) -> list[str]:
    body = page.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell} in {table}")


def test_the_committee_sees_the_town_in_charts_and_tables(kernel: Kernel, login: Login) -> None:
    establish_post(kernel)
    page = text(login("committee").get("/stats"))
    assert "<h1>统计分析 <small>全镇</small></h1>" in page
    assert row_of(page, "posts_by_branch", "治安村党支部") == ["治安村党支部", "1", "0", "1"]
    assert row_of(page, "posts_by_branch", "红星嘎查党支部") == ["红星嘎查党支部", "0", "0", "0"]
    assert row_of(page, "posts_by_category", "关键岗位")[1] == "1"
    found = DATA_BLOCK.search(page)
    assert found, "the figures reach the script as a JSON data block"
    charts = {c["id"]: c for c in json.loads(found.group(1))["charts"]}
    assert charts["posts_by_branch"]["categories"] == ["治安村党支部", "红星嘎查党支部", "新民村党支部"]
    assert charts["posts_by_branch"]["series"][0] == {"name": "有效", "data": [1, 0, 0]}
    scripts = re.findall(r"<script([^>]*)>", page)
    assert all("src=" in s or 'type="application/json"' in s for s in scripts), scripts  # no inline script
    assert re.search(r'<script src="/assets/stats\.js\?v=[0-9a-f]{12}" defer>', page)
    assert 'href="/stats"' in page  # in the nav


def test_a_branch_sees_its_own_and_may_not_ask_for_another(kernel: Kernel, login: Login) -> None:
    establish_post(kernel)
    secretary = login("secretary2")
    page = text(secretary.get("/stats"))
    assert "<small>红星嘎查党支部</small>" in page and "治安村党支部" not in page
    assert row_of(page, "posts_by_branch", "红星嘎查党支部")[-1] == "0"
    assert secretary.get("/stats?branch=1").status_code == 403
    assert secretary.get("/stats.xlsx?branch=1").status_code == 403
    member = login("member1")
    assert member.get("/stats").status_code == 403
    assert 'href="/stats"' not in text(member.get("/me"))


def test_a_filter_that_is_not_a_number_is_said_and_nothing_is_computed(login: Login) -> None:
    client = login("committee")
    refused = client.get("/stats?year=abc")
    assert refused.status_code == 422 and "年度必须是数字，例如 2026" in text(refused)
    assert client.get("/stats?branch=x").status_code == 422
    assert client.get("/stats?year=1800").status_code == 404
    assert client.get("/stats?branch=99").status_code == 404


def test_the_workbook_holds_the_pages_figures_in_the_readers_language(kernel: Kernel, login: Login) -> None:
    establish_post(kernel)
    client = login("committee")
    response = client.get("/stats.xlsx?year=2026")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:3] == ["统计分析", "示范岗：按党支部", "示范岗：按类别"]
    rows = list(book["示范岗：按党支部"].iter_rows(values_only=True))
    assert rows[0] == ("党支部", "有效", "已撤销", "合计") and rows[1] == ("治安村党支部", 1, 0, 1)
    assert ("年度", "2026") in list(book["统计分析"].iter_rows(values_only=True))
    english = load_workbook(io.BytesIO(client.get("/stats.xlsx?lang=en").data))
    assert "Model posts by branch" in english.sheetnames


def test_the_assessment_outcomes_are_those_the_published_diagram_declares(
    kernel: Kernel, login: Login
) -> None:
    excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    year, committee = str(year_of(kernel)), login("committee")
    shipped = text(committee.get("/stats"))
    assert row_of(shipped, "assessments_by_cycle", "年度")[1:6] == [
        "优秀",
        "合格",
        "整改",
        "不合格",
        "考核数",
    ]
    publish_outcomes(kernel, RENAMED_OUTCOMES)  # 优秀 renamed 特优, 良好 added after it
    page = text(committee.get("/stats"))
    renamed = ["特优", "良好", "合格", "整改", "不合格"]
    assert row_of(page, "assessments_by_cycle", "年度")[1:7] == [*renamed, "考核数"]
    assert row_of(page, "assessments_by_cycle", year)[1:7] == ["1", "0", "0", "0", "0", "1"]
    found = DATA_BLOCK.search(page)
    assert found
    (chart,) = [c for c in json.loads(found.group(1))["charts"] if c["id"] == "assessments_by_cycle"]
    assert [s["name"] for s in chart["series"]] == renamed
    english = text(committee.get("/stats?lang=en"))
    assert row_of(english, "assessments_by_cycle", "Year")[1:6] == [
        "Outstanding",
        "Good",
        "Pass",
        "Rectify",
        "Fail",
    ]
    assert f"最近一次考核：{year} 年，特优" in text(login("member1").get("/me"))


def test_the_page_reads_in_english(kernel: Kernel, login: Login) -> None:
    client = login("committee")
    page = text(client.get("/stats?lang=en"))
    assert "<h1>Statistics <small>The whole town</small></h1>" in page
    assert "Average working days per step" in page and "Work records by service domain" in page


def test_the_api_gives_the_same_figures_to_whom_the_page_gives_them(
    kernel: Kernel, client: FlaskClient, token: Token
) -> None:
    establish_post(kernel)
    response = client.get("/api/v1/stats", headers=token("committee"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["branch_id"] is None and [b["name"] for b in body["branches"]] == [
        "治安村党支部",
        "红星嘎查党支部",
        "新民村党支部",
    ]
    assert body["posts"] == [{"branch_id": 1, "category": "key_post", "status": "active", "count": 1}]
    table = next(t for t in body["tables"] if t["id"] == "posts_by_branch")
    assert table["rows"][0] == ["治安村党支部", 1, 0, 1]
    own = client.get("/api/v1/stats", headers=token("secretary2")).get_json()
    assert own["branch_id"] == 2 and own["posts"] == []
    refused = client.get("/api/v1/stats?branch_id=1", headers=token("secretary2"))
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_allowed"
    assert client.get("/api/v1/stats", headers=token("member1")).status_code == 403
    assert client.get("/api/v1/stats?year=abc", headers=token("committee")).status_code == 422
    assert client.get("/api/v1/stats?branch=1", headers=token("committee")).status_code == 422  # unknown
    assert client.get("/api/v1/stats").status_code == 401
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/stats" in paths and paths["/api/v1/stats"]["get"]["security"] == [{"bearer": []}]
