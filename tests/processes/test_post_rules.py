"""Rules of the posts that live in the diagrams where administrators see them (R4, R12, R3.3): the
plate and badge number formats, the limits on objections and urging; a post keeps its service
domains (in the seed's words), duties and pledge; the people a case concerns are told how it ended."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from nomination_support import deploy_changed, let_lapse, notifications_of, past_the_deadline, usernames_of
from support import CreationWalk, actor

from xianfeng.engine.errors import DiagramInvalid, RuleViolation
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ModelPost
from xianfeng.engine.process.catalog import builtin_files
from xianfeng.engine.process.quotas import Quota
from xianfeng.engine.services import notices, registers, setup, verbs
from xianfeng.forms import builtin_form_files, load_form


def _to_the_committee(kernel: Kernel, **nomination: object) -> CreationWalk:
    walk = CreationWalk(kernel)
    walk.start(**nomination)
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    return walk


def _posts(kernel: Kernel) -> list[ModelPost]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(ModelPost).order_by(ModelPost.id)).scalars())


def test_a_post_keeps_its_service_domains_duties_and_pledge(kernel: Kernel) -> None:
    walk = _to_the_committee(kernel, service_domains=["hardship_relief", "industry_support"])
    walk.decide("approve")
    (post,) = _posts(kernel)
    assert post.service_domains == ["hardship_relief", "industry_support"]
    assert post.duties == "负责村便民服务站日常工作，每周两次入户走访。"
    assert post.pledge == "我愿意承担示范岗职责，带头服务群众。"
    shown = registers.post(kernel, actor(kernel, "auditor"), post.id)
    assert (shown["service_domains"], shown["duties"]) == (post.service_domains, post.duties)


def test_categories_and_domains_are_worded_as_the_seed_words_them() -> None:
    form = load_form("nomination.json", builtin_form_files()["nomination.json"])
    props = form.schema["properties"]
    categories = {code: words["zh_CN"] for code, words in props["category"]["x-enum-labels"].items()}
    assert categories == {
        "key_post": "关键岗位",
        "key_area": "重点区域",
        "important_work": "重要工作",
        "major_activity": "重大活动",
    }
    domains = [words["zh_CN"] for words in props["service_domains"]["items"]["x-enum-labels"].values()]
    assert (
        "、".join(domains) == "就业、教育、医疗、出行、住房、养老、信访矛盾、困难救助、产业扶持、人居环境整治"
    )


def test_plate_and_badge_numbers_follow_the_formats_in_the_diagram(kernel: Kernel) -> None:
    deploy_changed(
        kernel,
        "model_post_creation.bpmn",
        lambda text: text.replace("{town}-SFG-{year}-{n:04}", "SFG{year}{n:03}").replace(
            "{town}-HZ-{year}-{n:04}", "{town}/{n}"
        ),
    )
    _to_the_committee(kernel).decide("approve")
    (post,) = _posts(kernel)
    assert (post.plate_no, post.badge_no) == ("SFG2026001", "ZA/1")


@pytest.mark.parametrize(
    ("changed", "problem"),
    [
        ("{town}-SFG-{year}", "lacks the running number {n}"),
        ("{town}-{member}-{n}", "names member; a number format may use {town}, {year}, {n}, {n:04}"),
        ("{town}-SFG-{year}-{n:04", "unbalanced braces"),
    ],
)
def test_a_number_format_the_register_cannot_use_is_refused_at_deployment(
    kernel: Kernel, changed: str, problem: str
) -> None:
    files = builtin_files()
    text = files["model_post_creation.bpmn"].decode()
    files["model_post_creation.bpmn"] = text.replace("{town}-SFG-{year}-{n:04}", changed).encode()
    with pytest.raises(DiagramInvalid) as refused:
        setup.deploy(kernel, files, "admin")
    ((where, message),) = refused.value.problems
    assert where.element == "Service_establish_post" and problem in message


def test_the_objection_limit_is_the_notice_diagrams(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    (notice,) = notices.active_notices(kernel)
    assert notices.objection_quota(kernel, notice["id"]) == Quota(5, dt.timedelta(hours=1))
    deploy_changed(
        kernel, "public_notice.bpmn", lambda text: text.replace('value="5/PT1H"', 'value="2/PT30M"')
    )
    later = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    later.start()
    later.evaluate()
    newer = [n for n in notices.active_notices(kernel) if n["instance_id"] == later.instance_id]
    assert notices.objection_quota(kernel, newer[0]["id"]) == Quota(2, dt.timedelta(minutes=30))
    assert notices.objection_quota(kernel, notice["id"]) == Quota(5, dt.timedelta(hours=1)), "pinned"


def test_urging_waits_the_interval_the_diagram_sets(kernel: Kernel) -> None:
    deploy_changed(
        kernel, "model_post_creation.bpmn", lambda text: text.replace('value="PT1H"', 'value="PT3H"')
    )
    walk = _to_the_committee(kernel)
    task = walk.task_of("committee", "Task_committee_decision")  # in the called approval
    secretary = actor(kernel, "secretary1")
    verbs.urge(kernel, secretary, task.id, "请尽快审批")
    kernel.clock.set(kernel.clock.now() + dt.timedelta(hours=2))  # type: ignore[attr-defined]
    with pytest.raises(RuleViolation, match="urge again after"):
        verbs.urge(kernel, secretary, task.id)
    kernel.clock.set(kernel.clock.now() + dt.timedelta(hours=1, minutes=1))  # type: ignore[attr-defined]
    verbs.urge(kernel, secretary, task.id)


def test_a_limit_that_does_not_read_is_refused_at_deployment(kernel: Kernel) -> None:
    files = builtin_files()
    files["public_notice.bpmn"] = (
        files["public_notice.bpmn"].decode().replace("5/PT1H", "five an hour").encode()
    )
    with pytest.raises(DiagramInvalid) as refused:
        setup.deploy(kernel, files, "admin")
    ((where, message),) = refused.value.problems
    assert where.element == "Message_objection" and message.startswith("objectionLimit: 'five an hour'")


def _told(kernel: Kernel, walk: CreationWalk) -> tuple[set[str], list[str]]:
    told = notifications_of(kernel, walk.instance_id)
    assert {n.title for n in told} == {walk.show()["title"]}, "each names the case"
    return usernames_of(kernel, [n.user_id for n in told]), [n.body for n in told]


def test_the_starter_and_the_nominee_are_told_of_a_return_and_an_approval(kernel: Kernel) -> None:
    walk = _to_the_committee(kernel)
    walk.decide("return")
    walk.determine()
    walk.decide("approve")
    people, bodies = _told(kernel, walk)
    assert people == {"secretary1", "member1"}
    assert sorted(b[:6] for b in bodies) == ["镇党委已批准"] * 2 + ["镇党委退回修"] * 2


def test_the_starter_and_the_nominee_are_told_of_a_rejection(kernel: Kernel) -> None:
    walk = _to_the_committee(kernel)
    walk.decide("reject")
    people, bodies = _told(kernel, walk)
    assert people == {"secretary1", "member1"} and all(b.startswith("镇党委不予批准") for b in bodies)


def test_the_starter_and_the_nominee_are_told_of_a_lapse(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    past_the_deadline(walk)
    let_lapse(walk)
    people, bodies = _told(kernel, walk)
    assert people == {"secretary1", "member1"} and all(b.startswith("测评人数不足，推荐失效") for b in bodies)
