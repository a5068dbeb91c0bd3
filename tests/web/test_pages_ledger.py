"""评先选优台账: who is eligible and who is blocked, with reasons and the deciding instances; the
year picker; the Excel download; and listing a member for commendation (R6, R7)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from urllib.parse import quote

import openpyxl
import pytest
from flask.testing import FlaskClient
from support import SCORES_FAIL, AssessmentWalk, establish_post
from test_pages_support import nothing_stored, post, text
from walks_support import excellent_post, name_of, revoke, year_of

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _in_spring(kernel: Kernel) -> None:
    """Early in the year, so that every walk of a test ends in the same calendar year."""
    kernel.clock.set(dt.datetime(2026, 5, 6, 9, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]


def _failed_and_revoked(kernel: Kernel) -> AssessmentWalk:
    """member5's post assessed as failing, and revoked on the committee's approval (a block)."""
    walk = AssessmentWalk(
        kernel, post_id=establish_post(kernel, "member5", ("member6", "member7", "member8")), member="member5"
    )
    walk.through_survey(satisfied=3, dissatisfied=9)
    walk.score(SCORES_FAIL)
    walk.decide("approve")
    return walk


def _rows(body: str) -> list[str]:
    """The member names of the ledger table, in order."""
    return re.findall(r'<td data-label="党员">([^<]+)</td>', body)


def test_the_ledger_shows_the_eligible_and_the_blocked_with_reasons_and_instances(
    kernel: Kernel, login: Login
) -> None:
    good = excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    bad = _failed_and_revoked(kernel)
    year = year_of(kernel)
    body = text(login("committee").get("/ledger"))
    assert f"{year} 年评先选优台账" in body and f'<option value="{year}" selected>' in body
    assert _rows(body) == [name_of(kernel, "member1"), name_of(kernel, "member5")]
    assert "符合条件 1 人，受限 1 人" in body
    assert "考核优秀" in body or "获得奖励" in body
    assert f'href="/instances/{good.instance_id}"' in body and f'href="/instances/{bad.instance_id}"' in body
    assert "被撤销" in body and "受限" in body and "符合条件" in body
    assert 'class="responsive"' in body  # the table folds into cards on a phone
    assert f'href="/ledger/{year}.xlsx"' in body


def test_the_year_picker_and_each_branchs_view(kernel: Kernel, login: Login) -> None:
    excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    year = year_of(kernel)
    assert "该年度暂无评先选优记录" in text(login("committee").get(f"/ledger?year={year - 1}"))
    nonsense = login("committee").get("/ledger?year=nonsense")  # refused, naming the year asked for
    assert nonsense.status_code == 404 and "年份“nonsense”无效，请填写 2000 至 2100 之间的年份" in text(
        nonsense
    )
    assert _rows(text(login("secretary1").get("/ledger"))) == ["李志强"]
    assert _rows(text(login("auditor").get("/ledger"))) == ["李志强"]
    assert "该年度暂无评先选优记录" in text(login("secretary2").get("/ledger"))
    english = text(login("committee").get("/ledger?lang=en"))
    assert "Commendation ledger" in english and "Eligible" in english and "Download Excel" in english


def test_the_excel_download_holds_the_members_of_the_page(kernel: Kernel, login: Login) -> None:
    excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    _failed_and_revoked(kernel)
    year = year_of(kernel)
    client = login("committee")
    response = client.get(f"/ledger/{year}.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(f'评先选优台账-{year}.xlsx')}" in disposition
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("党员", "党支部", "是否符合评先选优条件")
    assert [row[0] for row in rows[1:]] == _rows(text(client.get(f"/ledger?year={year}")))
    assert [row[2] for row in rows[1:]] == ["是", "否"]
    other = openpyxl.load_workbook(io.BytesIO(login("secretary2").get(f"/ledger/{year}.xlsx").data)).active
    assert other is not None and other.max_row == 1  # another branch: the header only
    assert client.get("/ledger/99999.xlsx").status_code == 404


def test_the_committee_lists_an_eligible_member(kernel: Kernel, login: Login) -> None:
    walk = excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    year = year_of(kernel)
    assert "列入表彰对象</button>" not in text(login("secretary1").get("/ledger"))
    with nothing_stored(kernel):
        refused = post(login("secretary1"), f"/ledger/{year}/list", {"member_id": "4"}, "/ledger")
    assert refused.status_code == 403
    client = login("committee")
    assert "列入表彰对象</button>" in text(client.get("/ledger"))
    response = post(client, f"/ledger/{year}/list", {"member_id": "4"}, "/ledger")
    assert response.status_code == 302 and response.headers["Location"].endswith("#member-4")
    body = text(client.get(response.headers["Location"]))
    assert f"已列入 {year} 年表彰对象" in body and "已列入表彰对象</strong>" in body
    assert "列入表彰对象</button>" not in body
    assert walk.post_id


def test_a_refused_listing_shows_the_reason_and_changes_nothing(kernel: Kernel, login: Login) -> None:
    """The page offered the button; the post was revoked before the committee pressed it."""
    walk = excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    year = year_of(kernel)
    client = login("committee")
    assert 'name="member_id" value="4"' in text(client.get("/ledger"))
    revocation = revoke(kernel, walk.post_id)
    with nothing_stored(kernel):
        response = post(client, f"/ledger/{year}/list", {"member_id": "4"}, "/ledger")
    body = text(response)
    assert response.status_code == 422 and 'role="alert"' in body
    assert f"不能将 李志强 列入 {year} 年表彰对象：该年度有限制记录：" in body
    assert "示范岗 ZA-SFG-2026-0001 被撤销：该同志长期外出务工" in body
    assert f'href="/instances/{revocation}"' in body and _rows(body) == ["李志强"]
    with nothing_stored(kernel):
        nobody = post(client, f"/ledger/{year}/list", {"member_id": "9"}, "/ledger")
    assert nobody.status_code == 422 and "该年度没有评先依据" in text(nobody)
    english = post(client, f"/ledger/{year}/list?lang=en", {"member_id": "4"}, "/ledger")
    assert "cannot be listed" in text(english)
