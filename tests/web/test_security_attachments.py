"""Attachments under attack (issue 12, findings 2 and 8): a file is read only through a file field
of a readable case that cites it, and cited only by its uploader or in a case that cites it
already; a file left uncited for a day (a refused form's) is removed, by a chained event. A file
cited only among withheld answers (a paper ballot's photo, issue 11) is withheld as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from nomination_support import enter_paper_ballots, members_answer, villagers_answer
from support import AssessmentWalk, CreationWalk, actor, at_rectification_report, branch_member_ids
from walks_support import divide

from xianfeng.engine.errors import FormInvalid, NotFound
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Attachment, Event, ProcessInstance
from xianfeng.engine.services import areas, attachments, audit, citations, tasks, timers
from xianfeng.engine.services.attachments import Upload

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
PDF = "%PDF-1.7\n% 整改佐证\n".encode() + b"1" * 100
Token = Callable[[str], dict[str, str]]
ACTIONS = "补齐服务台账，每周入户走访两次。"


def _cited_report(kernel: Kernel) -> tuple[AssessmentWalk, str]:
    """Branch 1's rectification report citing a photo in its file field; the walk and the photo."""
    walk, task_id = at_rectification_report(kernel)
    stored = attachments.upload_for_task(
        kernel, actor(kernel, walk.member), task_id, {"evidence_files": [Upload("走访.jpg", JPEG)]}
    )
    photo = stored["evidence_files"][0].sha256
    walk.complete(walk.member, {"actions": ACTIONS, "evidence_files": [photo]})
    return walk, photo


def _branch_two_case(kernel: Kernel, summary: str) -> int:
    """A nomination of branch 2 whose discussion summary (a text field) says whatever it is told."""
    members = branch_member_ids(kernel, 2)
    data = {
        "candidate_member_id": members[1],
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "discussion_date": "2026-11-20",
        "discussion_summary": summary,
        "member_evaluators": members[2:5],
        "public_evaluator_count": 5,
    }
    return tasks.start(kernel, actor(kernel, "secretary2"), "model_post_creation", data).instance_id


def test_another_branchs_file_is_not_read_through_a_hash_written_into_a_text_field(
    kernel: Kernel, client: FlaskClient, token: Token
) -> None:
    _walk, photo = _cited_report(kernel)
    own = _branch_two_case(kernel, f"支部讨论记录见附件 {photo}")
    refused = client.get(f"/api/v1/instances/{own}/attachments/{photo}", headers=token("secretary2"))
    assert refused.status_code == 404 and refused.get_json()["code"] == "not_found"
    with pytest.raises(NotFound):
        attachments.fetch(kernel, actor(kernel, "committee"), own, photo)  # not even town-wide readers
    assert attachments.describe_readable(kernel, actor(kernel, "secretary2"), own, [photo]) == {}


def test_the_case_that_cites_a_file_in_its_file_field_still_opens_it(
    kernel: Kernel, client: FlaskClient, token: Token
) -> None:
    walk, photo = _cited_report(kernel)
    path = f"/api/v1/instances/{walk.instance_id}/attachments/{photo}"
    opened = client.get(path, headers=token("committee"))
    assert opened.status_code == 200 and opened.data == JPEG


def test_a_paper_ballots_photo_opens_only_for_those_who_read_the_ballots(
    kernel: Kernel, client: FlaskClient, token: Token, login: Callable[[str], FlaskClient]
) -> None:
    walk = CreationWalk(kernel)  # member1 nominated, member2 to member4 evaluate, secretary1 runs it
    walk.start(public_evaluator_count=2, paper_ballot_count=2)
    members_answer(walk, walk.evaluators)
    villagers_answer(walk, 2)
    enter_paper_ballots(walk, "5 5 5 5 5\n4 4 4 4 4")
    (photo,) = walk.show()["data"]["paper_photos"]  # every reader of the case sees the tally's data
    path = f"/instances/{walk.instance_id}/attachments/{photo}"
    for reader in ("committee", "auditor", "secretary1"):  # answersReadBy, and who entered them
        assert client.get(f"/api/v1{path}", headers=token(reader)).status_code == 200
        assert login(reader).get(path).status_code == 200
    for other in ("member1", "member2"):  # the nominee and an evaluator: the tally only
        refused = client.get(f"/api/v1{path}", headers=token(other))
        assert refused.status_code == 404 and refused.get_json()["code"] == "not_found"
        member = login(other)
        assert member.get(path).status_code == 404
        assert path not in member.get(f"/instances/{walk.instance_id}").get_data(as_text=True)
    assert path in login("committee").get(f"/instances/{walk.instance_id}").get_data(as_text=True)

    # Nor may they cite it in a file field of their own in the case, which would make it theirs to read.
    with kernel.db.unit_of_work(write=False) as uow:
        case = uow.session.get(ProcessInstance, walk.instance_id)
        assert case is not None
        for who, offered in (("member1", set()), ("member2", set()), ("committee", {photo})):
            assert tasks._citer(uow.session, kernel, actor(kernel, who), case)({photo}) == offered


def test_a_file_is_cited_only_by_its_uploader_or_where_it_is_cited_already(kernel: Kernel) -> None:
    walk, photo = _cited_report(kernel)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        case = session.get(ProcessInstance, walk.instance_id)
        assert case is not None

        def in_this_case(rest: set[str]) -> set[str]:
            return citations.cited_in_case(session, kernel, case, rest)

        def in_a_new_case(rest: set[str]) -> set[str]:
            return set()

        assert citations.may_cite(session, actor(kernel, walk.member), {photo}, in_a_new_case) == {photo}
        assert citations.may_cite(session, actor(kernel, "secretary1"), {photo}, in_this_case) == {photo}
        assert citations.may_cite(session, actor(kernel, "secretary2"), {photo}, in_a_new_case) == set()


def test_a_work_record_may_not_cite_a_file_its_member_did_not_upload(kernel: Kernel) -> None:
    _walk, photo = _cited_report(kernel)  # branch 1's member1 uploaded it for the report
    _first, second = divide(kernel)
    record = {
        "kind": "service",
        "domain": "elderly_care",
        "happened_on": "2026-11-20",
        "what": "看望独居老人，了解生活困难",
    }
    with pytest.raises(FormInvalid) as refused:
        areas.record_work(kernel, actor(kernel, "member4"), {**record, "attachments": [photo]}, second)
    assert list(refused.value.errors) == ["attachments/0"]
    member = actor(kernel, "member4")
    own = areas.upload_for_work_record(kernel, member, second, {"attachments": [Upload("a.pdf", PDF)]})
    areas.record_work(kernel, member, {**record, "attachments": [own["attachments"][0].sha256]}, second)


def _stored(kernel: Kernel, sha: str) -> bool:
    with kernel.db.unit_of_work(write=False) as uow:
        return uow.session.get(Attachment, sha) is not None


def test_the_files_of_a_refused_form_are_removed_a_day_after_upload_on_the_chain(kernel: Kernel) -> None:
    walk, task_id = at_rectification_report(kernel)
    member = actor(kernel, walk.member)
    stored = attachments.upload_for_task(
        kernel, member, task_id, {"evidence_files": [Upload("留底.jpg", JPEG), Upload("台账.pdf", PDF)]}
    )
    photo, scan = (info.sha256 for info in stored["evidence_files"])
    with pytest.raises(FormInvalid):  # no actions: refused, and the files stay for the next try
        walk.complete(walk.member, {"actions": "", "evidence_files": [photo, scan]})
    walk.complete(walk.member, {"actions": ACTIONS, "evidence_files": [scan]})  # only the scan is cited
    kernel.clock.set(kernel.clock.now() + dt.timedelta(hours=23))  # type: ignore[attr-defined]
    assert timers.tick(kernel).removed_files == []
    kernel.clock.set(kernel.clock.now() + dt.timedelta(hours=1, seconds=1))  # type: ignore[attr-defined]
    assert timers.tick(kernel).removed_files == [photo]
    assert not _stored(kernel, photo) and _stored(kernel, scan)
    with kernel.db.unit_of_work(write=False) as uow:
        removed = sa.select(Event).where(Event.kind == "attachments_removed")
        removal = uow.session.execute(removed).scalar_one()
    assert removal.actor == "system" and photo in removal.changes
    assert audit.verify(kernel).ok
    assert timers.tick(kernel).removed_files == []
