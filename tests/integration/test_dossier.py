"""Printed evidence: a dossier of a post, a member, an area or a year holds every case about it
with its trail, the registers' rows and the chain head it was made at; a 审批表 prints one case's
approval trail with a QR code leading to it. Collection runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from pdf_support import flat, pdf_fonts, pdf_text, qr_codes
from support import SATISFIED, CreationWalk, actor, establish_post, member_id_of
from walks_support import RENAMED_OUTCOMES, divide, excellent_post, name_of, publish_outcomes

from xianfeng.engine.errors import NotAllowed, NotFound
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, ModelPost, User
from xianfeng.engine.process import history
from xianfeng.engine.services import instances, tasks
from xianfeng.engine.services.audit import dossier, printing
from xianfeng.engine.services.audit.dossier_model import Answer, Case, Dossier

APPROVAL = [Answer("审批决定", "批准"), Answer("审批意见", "经党委会研究")]
WEAK = "入户走访次数少，群众反映较少见到。"


def _head(kernel: Kernel) -> tuple[int, str]:
    with kernel.db.unit_of_work(write=False) as uow:
        last = uow.session.execute(sa.select(sa.func.max(Event.seq))).scalar_one()
        return last, history.root_of(history.heads(uow.session))


def _post(kernel: Kernel, post_id: int) -> ModelPost:
    with kernel.db.unit_of_work(write=False) as uow:
        row = uow.session.get(ModelPost, post_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def _display_name(kernel: Kernel, username: str) -> str:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.execute(sa.select(User.display_name).where(User.username == username)).scalar_one()


def _case(made: Dossier, outcome: str) -> Case:
    (case,) = [c for c in made.cases if c.outcome == outcome]
    return case


def _post_dossier(kernel: Kernel, who: str = "auditor") -> tuple[Dossier, ModelPost]:
    walk = excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    return dossier.dossier(kernel, actor(kernel, who), "post", str(walk.post_id)), _post(kernel, walk.post_id)


def test_a_posts_dossier_holds_its_creation_with_the_committees_approval_and_its_assessment(
    backend: Kernel,
) -> None:
    made, post = _post_dossier(backend)
    creation, assessment = _case(made, "established"), _case(made, "excellent")
    assert {c.id for c in made.cases} == {post.creation_instance_id, assessment.id}
    (decision,) = [s for s in creation.steps if s.role == "committee"]
    assert (decision.actor, decision.role_text, decision.step) == (
        _display_name(backend, "committee"),
        "镇党委",
        "镇党委审批",
    )
    assert decision.answers == APPROVAL
    assert (
        creation.outcome_text == "示范岗设立" and assessment.outcome_text == "考核优秀"
    )  # the end events' names
    assert creation.concerning == [name_of(backend, "member1")]
    (record,) = made.records.assessments
    assert (record.plate_no, record.outcome_text, record.score) == (post.plate_no, "优秀", 94.0)
    assert [(r.member, r.amount, r.case_id) for r in made.records.rewards] == [
        (name_of(backend, "member1"), 500.0, assessment.id)
    ]
    (survey,) = made.surveys
    assert (survey.case_id, survey.responses) == (assessment.id, 12)
    assert [(o.label, o.count) for o in survey.questions[0].options] == [
        ("满意", 12),
        ("基本满意", 0),
        ("不满意", 0),
    ]
    assert (made.seal.head_seq, made.seal.head_hash) == _head(backend) and made.seal.ok


def test_an_assessments_outcome_is_printed_as_the_published_diagram_now_names_it(kernel: Kernel) -> None:
    walk = excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    publish_outcomes(kernel, RENAMED_OUTCOMES)  # 优秀 renamed 特优
    made = dossier.dossier(kernel, actor(kernel, "auditor"), "post", str(walk.post_id))
    (record,) = made.records.assessments
    assert (record.outcome, record.outcome_text) == ("excellent", "特优")


def test_villagers_answers_are_counted_not_printed_one_by_one(kernel: Kernel) -> None:
    made, _post_row = _post_dossier(kernel)
    (public,) = [s for s in _case(made, "established").steps if s.role == "public"]
    assert (public.actor, public.step, public.count, public.answers) == ("群众", "群众测评", 5, [])


def test_a_post_is_found_by_its_plate_number_too(kernel: Kernel) -> None:
    post = _post(kernel, establish_post(kernel))
    made = dossier.dossier(kernel, actor(kernel, "committee"), "post", post.plate_no)
    assert made.key == str(post.id) and [c.id for c in made.cases] == [post.creation_instance_id]


def test_every_step_printed_lies_under_the_head_it_is_sealed_with(kernel: Kernel) -> None:
    made, _post_row = _post_dossier(kernel)
    assert made.seal.head_seq == max(s.seq for c in made.cases for s in c.steps)
    CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8")).start()
    later = dossier.dossier(kernel, actor(kernel, "auditor"), "branch", "1")
    assert later.seal.head_seq > made.seal.head_seq


def test_a_member_is_the_subject_of_their_nomination_not_of_the_nominations_they_evaluate(
    backend: Kernel,
) -> None:
    own = establish_post(backend, "member1", ("member2", "member3", "member4"))
    theirs = CreationWalk(backend, candidate="member2", evaluators=("member1", "member3", "member4"))
    theirs.start()
    auditor = actor(backend, "auditor")
    first = dossier.dossier(backend, auditor, "member", str(member_id_of(backend, "member1")))
    second = dossier.dossier(backend, auditor, "member", "ZA-M02")  # by 党员编号
    assert [c.id for c in first.cases] == [_post(backend, own).creation_instance_id]
    assert [c.id for c in second.cases] == [theirs.instance_id]
    assert [p.id for p in first.records.posts] == [own] and not second.records.posts


def test_a_branch_prints_its_own_subjects_and_is_refused_another_branchs(kernel: Kernel) -> None:
    post_id = establish_post(kernel)
    creation = _post(kernel, post_id).creation_instance_id
    assert dossier.dossier(kernel, actor(kernel, "secretary1"), "post", str(post_id)).cases
    with pytest.raises(NotAllowed, match=f"model post {post_id} belongs to another branch"):
        dossier.dossier(kernel, actor(kernel, "secretary2"), "post", str(post_id))
    member = member_id_of(kernel, "member1")
    with pytest.raises(NotAllowed, match=f"member {member} belongs to another branch"):
        dossier.dossier(kernel, actor(kernel, "secretary2"), "member", str(member))
    with pytest.raises(NotAllowed, match=f"instance {creation} belongs to another branch"):
        dossier.approval_form(kernel, actor(kernel, "secretary2"), creation, "http://x/instances/1")
    for who in ("member1", "admin"):
        with pytest.raises(NotAllowed, match=f"{who} may not print evidence"):
            dossier.dossier(kernel, actor(kernel, who), "post", str(post_id))


@pytest.mark.parametrize(
    ("kind", "key", "message"),
    [
        ("post", "999", "no model post '999'"),
        ("post", "ZA-SFG-1999-0001", "no model post 'ZA-SFG-1999-0001'"),
        ("member", "nobody", "no member 'nobody'"),
        ("area", "east", r"no responsibility area 'east' \(give its number\)"),
        ("branch", "77", "no branch '77'"),
        ("year", "20x6", r"no year '20x6' \(give a year from 2000 to 2100\)"),
        ("village", "1", "no dossier of kind 'village'; kinds: member, post, area, branch, year"),
    ],
)
def test_an_unknown_subject_is_not_found_with_what_to_give(
    kernel: Kernel, kind: str, key: str, message: str
) -> None:
    with pytest.raises(NotFound, match=message):
        dossier.dossier(kernel, actor(kernel, "auditor"), kind, key)


def test_a_branch_reading_a_year_reads_its_own_part_of_it(kernel: Kernel) -> None:
    post = _post(kernel, establish_post(kernel))
    year = str(post.established_on.year)
    town = dossier.dossier(kernel, actor(kernel, "auditor"), "year", year)
    other = dossier.dossier(kernel, actor(kernel, "secretary2"), "year", year)
    assert [c.id for c in town.cases] == [post.creation_instance_id] and town.scope == "全镇"
    assert other.cases == [] and other.records.posts == [] and other.scope == "红星嘎查党支部"


def _reviewed_area(kernel: Kernel) -> tuple[int, int]:
    """东风村牧业组 reviewed: member1 graded weak (a criticism), member4 excellent (a reward)."""
    area_id = divide(kernel)[1]
    review = CreationWalk(kernel)
    review.instance_id = tasks.start(
        kernel, actor(kernel, "secretary1"), "responsibility_area_review", {"area_id": area_id}
    ).instance_id
    review.complete(
        "secretary1", {"consulted_count": 12, "opinions": "群众认可牵头党员的工作。"}, "Task_area_opinions"
    )
    for link in instances.links(kernel, actor(kernel, "secretary1"), review.instance_id)[:10]:
        tasks.complete_by_token(kernel, link["token"], dict(SATISFIED))
    review.pass_notice()
    review.complete("secretary1", {"grade": "weak", "comment": WEAK}, "Task_grade_member")
    review.complete(
        "secretary1",
        {
            "grade": "excellent",
            "reward_spiritual": "通报表扬",
            "reward_material": "慰问品",
            "reward_amount": 200,
        },
        "Task_grade_member",
    )
    review.pass_notice()
    review.complete(
        "secretary1", {"follow_up": "支部书记谈心谈话，明确每周入户两次。"}, "Task_criticism_follow_up"
    )
    return area_id, review.instance_id


def test_an_areas_dossier_holds_its_division_its_review_and_what_the_review_gave(kernel: Kernel) -> None:
    area_id, review = _reviewed_area(kernel)
    made = dossier.dossier(kernel, actor(kernel, "auditor"), "area", str(area_id))
    assert [c.procedure for c in made.cases] == ["党员责任区划分", "党员责任区考评与公开"]
    assert [(c.member, c.reason, c.case_id) for c in made.records.criticisms] == [
        (name_of(kernel, "member1"), WEAK, review)
    ]
    assert [(r.member, r.amount) for r in made.records.rewards] == [(name_of(kernel, "member4"), 200.0)]
    assert made.surveys[0].responses == 10
    grades = [s for s in made.cases[1].steps if s.step == "评定责任区党员"]
    assert Answer("评定等次", "较差") in grades[0].answers


def test_a_case_edited_behind_the_systems_back_is_sealed_as_not_verifying(kernel: Kernel) -> None:
    post = _post(kernel, establish_post(kernel))
    with kernel.db.engine.begin() as connection:
        connection.execute(
            sa.update(Event)
            .where(Event.instance_id == post.creation_instance_id, Event.spec_id == "Task_committee_decision")
            .values(payload=json.dumps({"data": {"decision": "approve", "opinion": "事后改写"}}))
        )
    made = dossier.dossier(kernel, actor(kernel, "auditor"), "post", str(post.id))
    assert not made.seal.ok and any("row edited" in p for p in made.seal.problems)


def test_a_posts_dossier_pdf_holds_plate_member_approval_and_chain_head_in_a_cjk_font(kernel: Kernel) -> None:
    walk = excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    printed = printing.dossier_file(kernel, actor(kernel, "auditor"), "post", str(walk.post_id), "pdf")
    text, post = flat(pdf_text(printed.content)), _post(kernel, walk.post_id)
    assert post.plate_no in text and name_of(kernel, "member1") in text
    assert "镇党委审批" in text and "审批意见：经党委会研究" in text
    assert printed.head_hash in text  # in full on the cover
    assert f"链头{printed.head_seq}:{printed.head_hash[:16]}" in text  # in every page's footer
    assert "第1页/共" in text
    assert any("NotoSansCJK" in font.replace("-", "") for font in pdf_fonts(printed.content))


def test_the_dossiers_excel_and_json_hold_the_same_cases_and_rows(kernel: Kernel) -> None:
    walk = excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    files = {
        fmt: printing.dossier_file(kernel, actor(kernel, "auditor"), "post", str(walk.post_id), fmt)
        for fmt in printing.DOSSIER_FORMATS
    }
    data: dict[str, Any] = json.loads(files["json"].content)
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"].content))
    json_cases = [c["id"] for c in data["cases"]]
    assert data["format"] == "xianfeng.dossier/1" and len(json_cases) == 2
    assert [row[0] for row in book["案件"].iter_rows(min_row=2, values_only=True)] == json_cases
    steps = list(book["办理记录"].iter_rows(min_row=2, values_only=True))
    assert len(steps) == sum(len(c["steps"]) for c in data["cases"])
    assert any(row[5] == "镇党委审批" and "审批意见：经党委会研究" in row[8] for row in steps)
    assert [r["amount"] for r in data["records"]["rewards"]] == [500.0]
    assert [row[6] for row in book["奖励"].iter_rows(min_row=2, values_only=True)] == [500]
    pdf = flat(pdf_text(files["pdf"].content))
    assert all(
        f"案件{case_id}{case['title']}" in pdf
        for case_id, case in zip(json_cases, data["cases"], strict=True)
    )
    assert {f.head_hash for f in files.values()} == {data["seal"]["head_hash"]}


def test_an_approval_form_lists_each_step_with_name_role_and_opinion_and_its_qr_leads_to_the_case(
    kernel: Kernel,
) -> None:
    creation = _post(kernel, establish_post(kernel)).creation_instance_id
    url = printing.case_url("https://xianfeng.example/", creation)
    assert url == f"https://xianfeng.example/instances/{creation}"
    printed = printing.approval_form_file(kernel, actor(kernel, "secretary1"), creation, url)
    text = flat(pdf_text(printed.content))
    expected = [
        (_display_name(kernel, "secretary1"), "党支部", "候选党员：" + name_of(kernel, "member1")),
        # A branch prints the democratic evaluation's tally, not each member's scores (民主测评).
        (name_of(kernel, "member2"), "党员", "内容：个人测评内容，仅审计、镇党委可见"),
        (name_of(kernel, "member1"), "党员", "公开承诺：我愿意承担示范岗职责，带头服务群众。"),
        (_display_name(kernel, "secretary1"), "党支部", "列入示范岗名单：是"),
        (_display_name(kernel, "committee"), "镇党委", "审批意见：经党委会研究"),
    ]
    position = text.index("审批记录")
    for who, role, opinion in expected:  # in this order, each with its role and opinion
        position = text.index(flat(opinion), text.index(role, text.index(flat(who), position)))
    assert "党员示范岗创建审批表" in text and "示范岗设立" in text and printed.head_hash in text
    assert qr_codes(printed.content) == [url]
