"""村务公开 (R4, R10): each village's public page without sign-in, with its posts, areas and the
archive of disclosures; villagers' comments with receipts that reach the branch as a task; the
limit the comment diagram sets; and a post's nameplate and certificate with the QR code to its
public page."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from area_support import EXCELLENT, WEAK, ReviewWalk, areas_with, divide
from flask.testing import FlaskClient
from pdf_support import flat, pdf_fonts, pdf_text, qr_codes
from pypdf import PdfReader
from support import CreationWalk, actor, establish_post, table_contents
from test_pages_support import nothing_stored, post, text
from walks_support import name_of, revoke

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ModelPost
from xianfeng.engine.services import audit, inbox

Login = Callable[[str], FlaskClient]
EAST = 2  # 东风村: member1's village, and the second area's
COMMENT = {"kind": "complaint", "text": "责任党员很少入户，希望多来看看。", "contact": "13800000000"}


def _post(kernel: Kernel, post_id: int) -> ModelPost:
    with kernel.db.unit_of_work(write=False) as uow:
        found = uow.session.get(ModelPost, post_id)
        assert found is not None
        return found


def _receipt(response: object) -> str:
    location = response.headers["Location"]  # type: ignore[attr-defined]
    found = re.fullmatch(r"/public/comments/(JD\d{8}-[0-9A-F]{6})\?new=1", location)
    assert found, location
    return found.group(1)


def test_every_village_has_a_public_page_with_its_posts_areas_and_disclosures(
    kernel: Kernel, client: FlaskClient
) -> None:
    post_id = establish_post(kernel)  # member1's post, in 东风村
    divide(kernel).decide("approve")
    review = ReviewWalk(kernel).begin(areas_with(kernel)[1].id)
    review.hear_and_survey()
    review.grade(WEAK, EXCELLENT)
    listing = text(client.get("/public/villages"))
    assert 'href="/public/villages/2">东风村</a>' in listing and "治安村党支部" in listing
    page = text(client.get(f"/public/villages/{EAST}"))
    plate = _post(kernel, post_id).plate_no
    assert "<h1>东风村</h1>" in page and plate in page and "便民服务示范岗" in page
    assert name_of(kernel, "member1") in page and "负责村便民服务站日常工作" in page  # duties
    assert "我愿意承担示范岗职责" in page  # the pledge
    assert "东风村牧业组" in page and "东风村牧业组：member4 联系的农牧户" in page and "牵头" in page
    assert "责任区履职公开档案" in page and "公示中" in page and "较差" in page and "优秀" in page
    assert "100.0%" in page and 'name="text"' in page and 'name="kind"' in page
    assert 'name="member_id"' not in page and "/instances/" not in page  # nothing of the cases
    review.pass_notice()
    assert "已公开" in text(client.get(f"/public/villages/{EAST}"))
    assert client.get("/public/villages/999").status_code == 404
    english = text(client.get(f"/public/villages/{EAST}?lang=en"))
    assert "Archive of the areas" in english and "Complaint" in english
    assert "Weak" in english and "Excellent" in english and " to 20" in english  # the grades and the period


def test_a_villagers_comment_reaches_the_branch_and_the_receipt_shows_the_answer(
    kernel: Kernel, client: FlaskClient
) -> None:
    response = post(client, f"/public/villages/{EAST}/comments", COMMENT, f"/public/villages/{EAST}")
    assert response.status_code == 302
    receipt = _receipt(response)
    page = text(client.get(response.headers["Location"]))
    assert receipt in page and "您的意见已提交" in page and "待答复" in page and "投诉" in page
    assert "很少入户" in page and "13800000000" not in page  # the contact is for the branch only
    (task,) = [
        t for t in inbox.tasks_for(kernel, actor(kernel, "secretary1")) if t.spec_id == "Task_answer_comment"
    ]
    assert receipt in task.instance_title and "东风村" in task.instance_title
    assert not [
        t for t in inbox.tasks_for(kernel, actor(kernel, "secretary2")) if t.spec_id == "Task_answer_comment"
    ]
    walk = CreationWalk(kernel)
    walk.instance_id = task.instance_id
    walk.complete(
        "secretary1", {"finding": "属实", "answer": "已要求责任党员每周入户两次。"}, "Task_answer_comment"
    )
    answered = text(client.get(f"/public/comments/{receipt}"))
    assert "已答复" in answered and "已要求责任党员每周入户两次。" in answered and "属实" not in answered
    assert (
        client.get(f"/public/comments?receipt_no={receipt}").headers["Location"]
        == f"/public/comments/{receipt}"
    )
    assert client.get("/public/comments/JD20261125-000000").status_code == 404
    assert audit.verify(kernel).ok


def test_a_bad_comment_is_refused_with_the_field_and_stores_nothing(
    kernel: Kernel, client: FlaskClient
) -> None:
    with nothing_stored(kernel):
        refused = post(
            client,
            f"/public/villages/{EAST}/comments",
            {"kind": "complaint", "text": "短"},
            "/public/villages",
        )
    assert (
        refused.status_code == 422 and 'id="err-text"' in text(refused) and ">短</textarea>" in text(refused)
    )
    with nothing_stored(kernel):
        assert post(client, "/public/villages/999/comments", COMMENT, "/public/villages").status_code == 404


def test_comments_per_client_are_limited_as_the_diagram_says(kernel: Kernel, client: FlaskClient) -> None:
    for _ in range(5):  # commentLimit 5/PT1H on the comment procedure's start event
        assert (
            post(client, f"/public/villages/{EAST}/comments", COMMENT, "/public/villages").status_code == 302
        )
    before = table_contents(kernel)
    sixth = post(client, f"/public/villages/{EAST}/comments", COMMENT, "/public/villages")
    assert sixth.status_code == 429 and int(sixth.headers["Retry-After"]) > 0
    assert "每 60 分钟最多提交 5 条意见" in text(sixth)
    assert {k: v for k, v in table_contents(kernel).items() if k != "rate_limit"} == {
        k: v for k, v in before.items() if k != "rate_limit"
    }


def test_a_posts_public_page_is_where_its_plate_leads_and_comments_there_name_the_post(
    kernel: Kernel, client: FlaskClient
) -> None:
    post_id = establish_post(kernel)
    plate = _post(kernel, post_id).plate_no
    page = text(client.get(f"/public/posts/{post_id}"))
    assert "<h1>便民服务示范岗</h1>" in page and plate in page and name_of(kernel, "member1") in page
    assert f'action="/public/posts/{post_id}/comments"' in page
    response = post(client, f"/public/posts/{post_id}/comments", COMMENT, f"/public/posts/{post_id}")
    receipt_page = text(client.get(response.headers["Location"]))
    assert plate in receipt_page and "东风村" in receipt_page
    revoke(kernel, post_id)
    revoked = text(client.get(f"/public/posts/{post_id}"))
    assert "该示范岗已撤销" in revoked and 'name="text"' not in revoked
    assert client.get("/public/posts/999").status_code == 404


@pytest.mark.parametrize("kind", ["nameplate", "certificate"])
def test_a_posts_nameplate_and_certificate_print_its_facts_with_a_qr_code_to_its_public_page(
    kernel: Kernel, login: Login, kind: str
) -> None:
    post_id = establish_post(kernel)
    plate = _post(kernel, post_id).plate_no
    client = login("secretary1")
    assert f'href="/posts/{post_id}/{kind}.pdf"' in text(client.get(f"/posts/{post_id}"))
    response = client.get(f"/posts/{post_id}/{kind}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    content = response.data
    words = flat(pdf_text(content))
    assert "党员示范岗" in words and plate in words and "便民服务示范岗" in words
    assert name_of(kernel, "member1") in words and "中共治安镇委员会" in words
    assert qr_codes(content) == [f"http://localhost/public/posts/{post_id}"]
    assert any("CJK" in font for font in pdf_fonts(content))
    (page,) = PdfReader(io.BytesIO(content)).pages
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    if kind == "nameplate":
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (90, 55)
    else:
        assert width > height and round(width / 72 * 25.4) == 297  # A4 landscape
        assert "负责村便民服务站日常工作" in words and "特发此证" in words
    assert login("secretary2").get(f"/posts/{post_id}/{kind}.pdf").status_code == 403
    assert login("auditor").get(f"/posts/{post_id}/{kind}.pdf").status_code == 200
    revoke(kernel, post_id)
    assert client.get(f"/posts/{post_id}/{kind}.pdf").status_code == 404  # the plate is taken back
