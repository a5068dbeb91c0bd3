"""Printed evidence from the pages: a post's dossier downloaded from the post page, the same as
Excel and JSON, a case's 审批表 from the case page, and refusals for those who may not print."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

import openpyxl
import sqlalchemy as sa
from flask.testing import FlaskClient
from pdf_support import flat, pdf_fonts, pdf_text, qr_codes
from support import establish_post
from test_pages_support import text
from walks_support import divide, name_of, year_of

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, ModelPost
from xianfeng.engine.process import history

Login = Callable[[str], FlaskClient]


def _post(kernel: Kernel, post_id: int) -> ModelPost:
    with kernel.db.unit_of_work(write=False) as uow:
        row = uow.session.get(ModelPost, post_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def _head(kernel: Kernel) -> str:
    with kernel.db.unit_of_work(write=False) as uow:
        last = uow.session.execute(sa.select(sa.func.max(Event.seq))).scalar_one()
        return f"{last}:{history.root_of(history.heads(uow.session))}"


def _link(page: str, pattern: str) -> str:
    found = re.search(rf'href="({pattern})"', page)
    assert found, f"no link matching {pattern}"
    return found.group(1)


def test_an_auditor_downloads_a_posts_dossier_from_the_post_page(kernel: Kernel, login: Login) -> None:
    post = _post(kernel, establish_post(kernel))
    auditor = login("auditor")
    page = text(auditor.get(f"/posts/{post.id}"))
    response = auditor.get(_link(page, rf"/dossiers/post/{post.id}\.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Chain-Head"] == _head(kernel)
    content = flat(pdf_text(response.data))
    head_seq, head_hash = response.headers["X-Chain-Head"].split(":")
    assert post.plate_no in content and name_of(kernel, "member1") in content
    assert "镇党委审批" in content and "审批决定：批准" in content and "审批意见：经党委会研究" in content
    assert head_hash in content and f"链头{head_seq}:{head_hash[:16]}" in content
    assert any("CJK" in font for font in pdf_fonts(response.data))


def test_the_same_dossier_downloads_as_excel_and_json(kernel: Kernel, login: Login) -> None:
    post = _post(kernel, establish_post(kernel))
    auditor = login("auditor")
    page = text(auditor.get(f"/posts/{post.id}"))
    book_file = auditor.get(_link(page, rf"/dossiers/post/{post.id}\.xlsx"))
    data = json.loads(auditor.get(_link(page, rf"/dossiers/post/{post.id}\.json")).data)
    book = openpyxl.load_workbook(io.BytesIO(book_file.data))
    assert [row[0] for row in book["案件"].iter_rows(min_row=2, values_only=True)] == [
        post.creation_instance_id
    ]
    assert [c["id"] for c in data["cases"]] == [post.creation_instance_id]
    assert [p["plate_no"] for p in data["records"]["posts"]] == [post.plate_no]


def test_a_branch_is_refused_another_branchs_dossier_and_a_member_is_offered_none(
    kernel: Kernel, login: Login
) -> None:
    post = _post(kernel, establish_post(kernel))
    refused = login("secretary2").get(f"/dossiers/post/{post.id}.pdf")
    assert refused.status_code == 403 and "您没有权限执行此操作" in text(refused)
    assert login("secretary1").get(f"/dossiers/post/{post.id}.json").status_code == 200
    member = login("member1")
    assert "/dossiers/" not in text(member.get(f"/posts/{post.id}"))
    assert "/dossiers/" in text(login("secretary1").get(f"/posts/{post.id}"))
    assert member.get(f"/dossiers/member/{post.member_id}.pdf").status_code == 403


def test_an_unknown_format_or_subject_is_not_found(kernel: Kernel, login: Login) -> None:
    auditor = login("auditor")
    assert auditor.get("/dossiers/post/1.docx").status_code == 404
    assert auditor.get("/dossiers/post/999.pdf").status_code == 404
    assert auditor.get("/dossiers/street/1.pdf").status_code == 404


def test_the_case_page_prints_its_approval_form_whose_qr_code_leads_back_to_the_case(
    kernel: Kernel, login: Login
) -> None:
    post = _post(kernel, establish_post(kernel))
    branch = login("secretary1")
    page = text(branch.get(f"/instances/{post.creation_instance_id}"))
    response = branch.get(_link(page, rf"/instances/{post.creation_instance_id}/approval-form\.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert qr_codes(response.data) == [f"http://localhost/instances/{post.creation_instance_id}"]
    content = flat(pdf_text(response.data))
    assert "党员示范岗创建审批表" in content and "审批意见：经党委会研究" in content
    assert response.headers["X-Chain-Head"].split(":")[1] in content


def test_the_area_and_ledger_pages_link_their_dossiers(kernel: Kernel, login: Login) -> None:
    area_id = divide(kernel)[0]
    committee = login("committee")
    area_page = text(committee.get(f"/areas/{area_id}"))
    ledger_page = text(committee.get("/ledger"))
    year = year_of(kernel)
    assert committee.get(_link(area_page, rf"/dossiers/area/{area_id}\.pdf")).status_code == 200
    made = json.loads(committee.get(_link(ledger_page, rf"/dossiers/year/{year}\.json")).data)
    assert made["kind"] == "year" and made["key"] == str(year) and made["cases"]
