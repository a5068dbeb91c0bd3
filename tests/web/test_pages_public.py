"""Pages for villagers without an account: the notice board, objections, and single-use surveys."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from support import GOOD, actor
from test_pages_support import nothing_stored, post, text, walk_to

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import inbox, notices, timers

BOARD = "/public/notices"
OBJECTION = "请核实该同志近期的工作表现情况。"


def _noticed(kernel: Kernel) -> int:
    """An instance whose evaluation passed, so that its notice is on the board; returns the notice id."""
    walk_to(kernel, "evaluation").evaluate()
    (notice,) = notices.active_notices(kernel)
    return int(notice["id"])


def test_the_board_lists_active_notices_with_working_days_left(client: FlaskClient, kernel: Kernel) -> None:
    assert "目前没有正在公示的事项" in text(client.get(BOARD))
    notice_id = _noticed(kernel)
    body = text(client.get(BOARD))
    assert "党员示范岗测评结果公示：李志强" in body and "平均得分96.0" in body
    assert "还剩 5 个工作日" in body and "2026-12-02 24:00" in body
    assert f"/public/notices/{notice_id}/object" in body
    assert "secretary1" not in body and "党员示范岗创建" not in body  # nothing internal
    kernel.clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    assert "还剩 2 个工作日" in text(client.get(BOARD))  # Mon 30th: Tue 1st and Wed 2nd remain
    assert "Notice board" in text(client.get(f"{BOARD}?lang=en"))


def test_the_boards_footer_shows_the_head_published_for_the_notice(
    client: FlaskClient, kernel: Kernel
) -> None:
    assert "chain-head" not in client.get(BOARD).get_data(as_text=True)  # nothing published yet
    _noticed(kernel)
    published = timers.tick(kernel).published
    assert published is not None
    page = client.get(BOARD).get_data(as_text=True)
    assert published.hash in page
    assert f"已公布的链头（截至第 {published.seq} 号事件）" in text(client.get(BOARD))
    assert f"(up to event {published.seq})" in text(client.get(f"{BOARD}?lang=en"))


def test_an_objection_is_filed_and_its_receipt_can_be_checked(client: FlaskClient, kernel: Kernel) -> None:
    notice_id = _noticed(kernel)
    form = client.get(f"/public/notices/{notice_id}/object")
    assert form.status_code == 200 and "党员示范岗测评结果公示：李志强" in text(form)
    response = post(client, f"/public/notices/{notice_id}/object", {"text": OBJECTION}, token_from=BOARD)
    assert response.status_code == 302
    status = client.get(response.headers["Location"])
    receipt = response.headers["Location"].split("/public/objections/")[1].split("?")[0]
    assert receipt.startswith("YY20261125-") and receipt in text(status) and "待核查" in text(status)
    assert "您的异议已提交" in text(status)
    assert any(
        t.spec_id == "Task_review_objection" for t in inbox.tasks_for(kernel, actor(kernel, "secretary1"))
    )
    found = client.get(f"/public/objections?receipt_no={receipt}")
    assert found.headers["Location"] == f"/public/objections/{receipt}"
    assert client.get("/public/objections/YY00000000-NOPE").status_code == 404


def test_a_too_short_objection_comes_back_with_the_text(client: FlaskClient, kernel: Kernel) -> None:
    notice_id = _noticed(kernel)
    with nothing_stored(kernel):
        response = post(client, f"/public/notices/{notice_id}/object", {"text": "不同意"}, token_from=BOARD)
    assert response.status_code == 422
    assert "异议内容需 5 至 2000 个字" in text(response) and ">不同意</textarea>" in text(response)


def test_objections_are_limited_per_client_per_hour(client: FlaskClient, kernel: Kernel) -> None:
    notice_id = _noticed(kernel)
    path = f"/public/notices/{notice_id}/object"
    for _ in range(5):
        assert post(client, path, {"text": OBJECTION}, token_from=BOARD).status_code == 302
    with nothing_stored(kernel):
        refused = post(client, path, {"text": OBJECTION}, token_from=BOARD)
    assert refused.status_code == 429 and "每 60 分钟最多提交 5 条异议" in text(refused)
    kernel.clock.set(kernel.clock.now() + dt.timedelta(hours=1, seconds=1))  # type: ignore[attr-defined]
    assert post(client, path, {"text": OBJECTION}, token_from=BOARD).status_code == 302


def test_a_survey_link_shows_the_nominee_and_the_form_only(client: FlaskClient, kernel: Kernel) -> None:
    token = walk_to(kernel, "evaluation").public_tokens()[0]
    body = text(client.get(f"/s/{token}"))
    assert "群众测评" in body and "李志强 · 便民服务示范岗" in body
    assert 'name="political" value="5"' in body and "政治素质优，带头学习提高" in body
    assert "党员示范岗创建" not in body and "secretary1" not in body and "member_evaluators" not in body


def test_a_survey_answer_is_taken_once(client: FlaskClient, kernel: Kernel) -> None:
    token = walk_to(kernel, "evaluation").public_tokens()[0]
    with nothing_stored(kernel):
        partial = post(client, f"/s/{token}", {"political": "5", "work": "4"}, token_from=BOARD)
    assert partial.status_code == 422 and "党员评价优，带头服务群众：此项为必填项" in text(partial)
    assert 'name="work" value="4" checked' in text(partial)
    answer = {name: str(score) for name, score in GOOD.items()}
    done = post(client, f"/s/{token}", answer, token_from=BOARD)
    assert done.status_code == 302 and "感谢您的参与" in text(client.get(done.headers["Location"]))
    used = client.get(f"/s/{token}")
    assert used.status_code == 410 and "此链接已经使用过" in text(used)
    with nothing_stored(kernel):
        assert post(client, f"/s/{token}", answer, token_from=BOARD).status_code == 410


def test_unknown_and_expired_links_say_so_with_410(client: FlaskClient, kernel: Kernel) -> None:
    token = walk_to(kernel, "evaluation").public_tokens()[0]
    unknown = client.get("/s/no-such-token-here")
    assert unknown.status_code == 410 and "此链接无效" in text(unknown)
    kernel.clock.set(dt.datetime(2026, 12, 11, 9, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    expired = client.get(f"/s/{token}")
    assert expired.status_code == 410 and "此链接已过期" in text(expired)
    assert "This link has expired." in text(client.get(f"/s/{token}?lang=en"))
