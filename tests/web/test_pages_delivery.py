"""What people read of notifications in the web: what happened in the case's words on the bell's
page, the printable notice for the village's board, and the administrator's list of deliveries that
failed, with a button to send one again."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from flask.testing import FlaskClient
from pdf_support import flat, pdf_fonts, pdf_text, qr_codes
from support import CreationWalk
from test_pages_support import nothing_stored, post, text, walk_to

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import notifications

Login = Callable[[str], FlaskClient]


def test_the_bell_says_what_happened_in_the_cases_words(kernel: Kernel, login: Login) -> None:
    walk_to(kernel, "evaluation")
    page = text(login("member2").get("/notifications"))
    assert '<span class="tag">新待办</span>' in page
    assert '<span class="tag">New task</span>' in text(login("member2").get("/notifications?lang=en"))


def test_the_notice_prints_for_the_board_with_a_qr_code_to_object(
    kernel: Kernel, client: FlaskClient, login: Login
) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()  # the notice is on the board now
    board = text(client.get("/public/notices"))
    found = re.search(r'href="/public/notices/(\d+)/print\.pdf"', board)
    assert found, "the board links each notice's printable form"
    response = client.get(f"/public/notices/{found.group(1)}/print.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    words = flat(pdf_text(response.data))
    assert "公示" in words and "党员示范岗测评结果公示" in words and "发布单位中共治安镇治安村党支部" in words
    assert "5个工作日" in words and "如有异议" in words
    assert any("CJK" in font for font in pdf_fonts(response.data))
    assert qr_codes(response.data) == [f"http://localhost/public/notices/{found.group(1)}/object"]
    assert client.get("/public/notices/999/print.pdf").status_code == 404
    case = text(login("secretary1").get(f"/instances/{walk.instance_id}"))
    assert f'href="/public/notices/{found.group(1)}/print.pdf"' in case  # the case page links it too


def test_the_administrator_lists_failed_deliveries_and_sends_one_again(kernel: Kernel, login: Login) -> None:
    kernel.settings = dataclasses.replace(
        kernel.settings, notify={"XIANFENG_NOTIFY_URLS_MEMBER": "dingtalk://"}
    )
    CreationWalk(kernel).start()
    notifications.dispatch(kernel)  # Apprise cannot use the address: failed at once
    admin = login("admin")
    page = text(admin.get("/admin/notifications"))
    assert "投递失败" in page and page.count('id="delivery-') == 3 and "新待办" in page
    assert login("committee").get("/admin/notifications").status_code == 403
    delivery_id = re.search(r'id="delivery-(\d+)"', page).group(1)  # type: ignore[union-attr]
    with nothing_stored(kernel):
        assert admin.post(f"/admin/notifications/{delivery_id}/retry").status_code == 400  # no CSRF token
    done = post(admin, f"/admin/notifications/{delivery_id}/retry", {}, token_from="/admin/notifications")
    assert done.status_code == 302
    assert text(admin.get("/admin/notifications")).count('id="delivery-') == 2
    assert 'href="/admin/notifications"' in page  # in the administrator's nav


def test_the_bell_shows_the_unread_ones_alone_on_asking(kernel: Kernel, login: Login) -> None:
    walk_to(kernel, "evaluation")
    client = login("member2")
    assert "党员测评</a>" in text(client.get("/notifications?show=unread"))
    post(client, "/notifications/read", {})
    assert "暂无通知" in text(client.get("/notifications?show=unread"))
    assert "党员测评</a>" in text(client.get("/notifications"))  # still listed, as read
