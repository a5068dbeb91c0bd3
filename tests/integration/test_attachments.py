"""Attachments (佐证材料): uploaded for a task's file field, cited by hash, read by the case's readers."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from support import AssessmentWalk, actor, at_rectification_report, table_contents
from walks_support import divide

from xianfeng.engine.errors import FormInvalid, NotAllowed, NotFound
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import areas, attachments, instances
from xianfeng.engine.services.attachments import Upload

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
PDF = "%PDF-1.7\n% 整改佐证\n".encode() + b"0" * 100


@pytest.fixture
def report(backend: Kernel) -> tuple[AssessmentWalk, str]:
    return at_rectification_report(backend)


def _upload(walk: AssessmentWalk, task_id: str, *files: Upload, who: str = "member1") -> list[str]:
    stored = attachments.upload_for_task(
        walk.kernel, actor(walk.kernel, who), task_id, {"evidence_files": files}
    )
    return [info.sha256 for info in stored["evidence_files"]]


def test_files_are_stored_once_by_content_and_read_back_by_the_cases_readers(
    report: tuple[AssessmentWalk, str],
) -> None:
    walk, task_id = report
    kernel = walk.kernel
    photo, scan = _upload(walk, task_id, Upload("C:\\相册\\走访.JPG", JPEG), Upload("台账.pdf", PDF))
    assert photo == hashlib.sha256(JPEG).hexdigest()
    assert _upload(walk, task_id, Upload("again.jpg", JPEG)) == [photo]  # the same bytes: one row
    described = attachments.describe(kernel, [photo, scan, "f" * 64, "junk"])
    assert {sha: (i.name, i.media_type, i.size, i.shown_inline) for sha, i in described.items()} == {
        photo: ("走访.JPG", "image/jpeg", len(JPEG), True),
        scan: ("台账.pdf", "application/pdf", len(PDF), False),
    }
    # Before the report cites them, only the uploader reads them back.
    with pytest.raises(NotFound):
        attachments.fetch(kernel, actor(kernel, "secretary1"), walk.instance_id, photo)
    assert attachments.fetch(kernel, actor(kernel, "member1"), walk.instance_id, photo)[1] == JPEG
    walk.complete(
        walk.member, {"actions": "补齐服务台账，每周入户走访两次。", "evidence_files": [photo, scan]}
    )
    info, content = attachments.fetch(kernel, actor(kernel, "committee"), walk.instance_id, scan)
    assert (info.name, content) == ("台账.pdf", PDF)
    assert attachments.fetch(kernel, actor(kernel, "secretary1"), walk.instance_id, photo)[1] == JPEG
    with pytest.raises(NotAllowed):  # another branch may not read the case at all
        attachments.fetch(kernel, actor(kernel, "secretary2"), walk.instance_id, photo)
    history = instances.history(kernel, actor(kernel, "committee"), walk.instance_id)
    assert [
        e["payload"]["data"]["evidence_files"] for e in history if e["element"] == "Task_rectification_report"
    ] == [[photo, scan]]


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (
            Upload("名单.exe", b"MZ\x90\x00"),
            "名单.exe：只能上传 .jpg、.jpeg、.png、.pdf、.doc、.docx、.xls、.xlsx 文件",
        ),
        (Upload("photo.jpg", b"<html><script>alert(1)</script>"), "photo.jpg 的内容与其扩展名 .jpg 不符"),
        (Upload("empty.pdf", b""), "empty.pdf 是空文件"),
        (Upload("noext", PDF), "noext：只能上传"),
    ],
)
def test_a_refused_file_is_named_in_chinese_and_nothing_is_stored(
    report: tuple[AssessmentWalk, str], upload: Upload, words: str
) -> None:
    walk, task_id = report
    before = table_contents(walk.kernel)
    with pytest.raises(FormInvalid) as caught:
        _upload(walk, task_id, Upload("good.jpg", JPEG), upload)
    assert list(caught.value.errors_zh) == ["evidence_files"]
    assert caught.value.errors_zh["evidence_files"].startswith("佐证材料附件：") and words in str(
        caught.value.errors_zh
    )
    assert table_contents(walk.kernel) == before  # the good file of the same upload is not kept either


def test_no_more_files_than_the_field_takes_are_stored(report: tuple[AssessmentWalk, str]) -> None:
    walk, task_id = report
    before = table_contents(walk.kernel)
    photos = [Upload(f"{i}.jpg", JPEG + bytes([i])) for i in range(6)]
    with pytest.raises(FormInvalid) as caught:
        _upload(walk, task_id, *photos)
    assert caught.value.errors_zh == {"evidence_files": "佐证材料附件：最多 5 个文件，收到 6 个"}
    assert table_contents(walk.kernel) == before


def test_the_size_limit_comes_from_the_settings(report: tuple[AssessmentWalk, str]) -> None:
    walk, task_id = report
    small = dataclasses.replace(
        walk.kernel, settings=dataclasses.replace(walk.kernel.settings, max_attachment_bytes=100)
    )
    with pytest.raises(FormInvalid) as caught:
        attachments.upload_for_task(
            small, actor(small, "member1"), task_id, {"evidence_files": [Upload("a.jpg", JPEG)]}
        )
    assert "超过 9.53674e-05 MB" not in str(caught.value.errors_zh) and "a.jpg 超过" in str(
        caught.value.errors_zh
    )


def test_files_go_only_to_file_fields_of_tasks_one_may_act_on(report: tuple[AssessmentWalk, str]) -> None:
    walk, task_id = report
    kernel = walk.kernel
    before = table_contents(kernel)
    with pytest.raises(FormInvalid) as caught:
        attachments.upload_for_task(
            kernel, actor(kernel, "member1"), task_id, {"actions": [Upload("a.jpg", JPEG)]}
        )
    assert caught.value.errors_zh == {"actions": "actions 不是表单 rectification_report.json 的附件栏"}
    with pytest.raises(NotAllowed):
        _upload(walk, task_id, Upload("a.jpg", JPEG), who="member2")
    with pytest.raises(NotFound):
        _upload(walk, "no-such-task", Upload("a.jpg", JPEG))
    assert table_contents(kernel) == before


def test_a_report_citing_a_file_never_uploaded_is_refused(report: tuple[AssessmentWalk, str]) -> None:
    walk, _task_id = report
    before = table_contents(walk.kernel)
    with pytest.raises(FormInvalid) as caught:
        walk.complete(
            walk.member, {"actions": "补齐服务台账，每周入户走访两次。", "evidence_files": ["a" * 64]}
        )
    assert caught.value.errors_zh == {
        "evidence_files/0": f"佐证材料附件（第 1 项）：{'a' * 64} 不是已上传的文件"
    }
    assert table_contents(walk.kernel) == before


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\李\\照片.png", "照片.png"),
        ("a\x00b\n.pdf", "a_b_.pdf"),
        ("..", "file"),
    ],
)
def test_a_file_keeps_only_its_own_name(sent: str, kept: str) -> None:
    assert attachments.clean_name(sent) == kept


def test_a_work_record_keeps_its_files_for_the_areas_readers(backend: Kernel) -> None:
    _first, second = divide(backend)
    member = actor(backend, "member4")
    with pytest.raises(NotAllowed):  # member3 holds a place in the other area
        areas.upload_for_work_record(
            backend, actor(backend, "member3"), second, {"attachments": [Upload("a.jpg", JPEG)]}
        )
    stored = areas.upload_for_work_record(
        backend, member, second, {"attachments": [Upload("入户.jpg", JPEG)]}
    )
    sha = stored["attachments"][0].sha256
    record = {
        "kind": "service",
        "domain": "elderly_care",
        "happened_on": "2026-11-20",
        "what": "看望独居老人",
    }
    with pytest.raises(FormInvalid):  # a hash no one uploaded
        areas.record_work(backend, member, {**record, "attachments": ["b" * 64]}, second)
    areas.record_work(backend, member, {**record, "attachments": [sha]}, second)
    assert areas.work_record_file(backend, actor(backend, "committee"), second, sha)[1] == JPEG
    with pytest.raises(NotAllowed):
        areas.work_record_file(backend, actor(backend, "secretary2"), second, sha)
    with pytest.raises(NotFound):  # cited by a record of the other area only
        areas.work_record_file(backend, actor(backend, "secretary1"), _first, sha)
