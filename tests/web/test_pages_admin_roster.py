"""党员花名册 pages: export; upload a roster with a bad row (its reason shown, nothing stored), then
the corrected file, previewed and confirmed; the confirmation re-checks the very bytes previewed."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable

from admin_support import member_by_code, org_events, read_roster, write_roster
from flask.testing import FlaskClient
from test_pages_support import hidden, nothing_stored, text

from xianfeng.engine.kernel import Kernel

Login = Callable[[str], FlaskClient]
NEW = {"党员编号": "ZA-M40", "姓名": "包红梅", "所在党支部": "红星嘎查党支部", "所在嘎查村": "胜利嘎查"}


def _upload(client: FlaskClient, content: bytes, name: str = "花名册.xlsx") -> str:
    page = text(client.get("/admin/roster"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/admin/roster/preview",
        data={"csrf_token": token.group(1), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, text(response)
    return text(response)


def _confirm(client: FlaskClient, preview: str, **override: object) -> tuple[int, str]:
    parts = re.findall(r'name="content" value="([^"]+)"', preview)
    data = {
        "csrf_token": hidden(preview, "csrf_token"),
        "filename": hidden(preview, "filename"),
        "sha256": hidden(preview, "sha256"),
        "digest": hidden(preview, "digest"),
        "content": parts,
        "reason": "年度核对",
    } | override
    response = client.post("/admin/roster/import", data=data, content_type="multipart/form-data")
    return response.status_code, text(response)


def test_a_roster_with_a_bad_row_is_shown_then_the_corrected_one_imported(
    kernel: Kernel, login: Login
) -> None:
    admin = login("admin")
    export = admin.get("/admin/roster.xlsx")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    rows = read_roster(export.data)
    bad = write_roster([*rows, {**NEW, "所在嘎查村": "治安村"}])
    with nothing_stored(kernel):
        preview = _upload(admin, bad)
    assert "拒绝 1 行" in preview and "嘎查村“治安村”不属于红星嘎查党支部" in preview
    assert 'id="row-35"' in preview and "确认导入" not in preview
    good = write_roster([*rows, NEW])
    preview = _upload(admin, good)
    assert (
        "新增 1 名，修改 0 名，无变化 33 名，拒绝 0 行" in preview
        and "确认导入（新增 1 名，修改 0 名）" in preview
    )
    status, done = _confirm(admin, preview)
    assert status == 200 and "新增 1 名，修改 0 名，无变化 33 名" in done
    assert member_by_code(kernel, "ZA-M40").village_id == 4
    (event,) = org_events(kernel, "roster")
    assert event["payload"]["file"] == "花名册.xlsx" and event["payload"]["reason"] == "年度核对"
    again = _upload(admin, good)
    assert "花名册与系统中的党员完全一致，无需导入" in again and "确认导入" not in again


def test_a_confirmation_with_other_bytes_than_previewed_is_refused(kernel: Kernel, login: Login) -> None:
    admin = login("admin")
    preview = _upload(admin, write_roster([NEW]))
    other = base64.b64encode(write_roster([{**NEW, "姓名": "别人"}])).decode()
    with nothing_stored(kernel):
        status, page = _confirm(admin, preview, content=[other])
    assert status == 400 and "确认的文件与预览的文件不一致" in page


def test_a_file_that_is_no_workbook_is_refused_as_a_whole(kernel: Kernel, login: Login) -> None:
    with nothing_stored(kernel):
        preview = _upload(login("admin"), b"name,code\n", "名单.csv")
    assert "文件不是有效的 Excel 工作簿" in preview and "确认导入" not in preview


def test_the_committee_previews_but_is_offered_no_import(kernel: Kernel, login: Login) -> None:
    committee = login("committee")
    assert "上传并预览" not in text(committee.get("/admin/roster"))
    assert committee.get("/admin/roster.xlsx").status_code == 200
    assert login("member1").get("/admin/roster.xlsx").status_code == 403
