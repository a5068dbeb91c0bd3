"""数据核验 through the Flask client: the auditor starts a run on the page, its progress is polled as
JSON, its page reports the post row edited behind the system's back, the report downloads as text
and JSON, and the API starts and reads runs; refusals say why and start nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from support import CreationWalk, establish_post, rehash_chain_from
from test_api_support import error_of
from test_pages_support import post, text

from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.journal.tables import CHAINED
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, ModelPost, User, VerifyRun
from xianfeng.engine.services.audit import verify_runs, verify_text
from xianfeng.web.pages import verify_view

Login = Callable[[str], FlaskClient]
Headers = Callable[[str], dict[str, str]]
FORGED = "伪造的示范岗名称"


def _tampered_post(kernel: Kernel) -> tuple[int, str]:
    """An established post whose title was then changed in the database: (post id, original title)."""
    post_id = establish_post(kernel)
    with kernel.db.engine.begin() as connection:
        title = connection.execute(sa.select(ModelPost.title).where(ModelPost.id == post_id)).scalar_one()
        connection.execute(
            sa.update(ModelPost)
            .where(ModelPost.id == post_id)
            .values(title=FORGED)
            .execution_options(**{CHAINED_OPTION: True})
        )
    return post_id, title


def _started(client: FlaskClient, **form: str) -> int:
    response = post(client, "/audit/verify", form, token_from="/audit/verify")
    assert response.status_code == 303, text(response)
    found = re.fullmatch(r"/audit/verify/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    run_id = int(found.group(1))
    assert verify_runs.wait(run_id, timeout=300)
    return run_id


def _running(kernel: Kernel, username: str, scope: list[int] | None, moved: dt.datetime) -> int:
    """A run row as a server process leaves it while it works: 30 of 120 events done."""
    with kernel.db.unit_of_work() as uow:
        user_id = uow.session.execute(sa.select(User.id).where(User.username == username)).scalar_one()
        row = VerifyRun(
            requested_by=user_id,
            scope=json.dumps(scope),
            status="running",
            events_total=120,
            events_done=30,
            started_at=moved,
            updated_at=moved,
            head_hash="",
            report=json.dumps({"progress": {"chain_events": 60, "seconds": 1.5}}),
            error="",
        )
        uow.session.add(row)
        uow.session.flush()
        run_id = row.id
        uow.commit()
    return run_id


def test_the_auditor_runs_verify_and_its_page_reports_the_edited_post_row(
    kernel: Kernel, login: Login
) -> None:
    post_id, title = _tampered_post(kernel)
    auditor = login("auditor")
    form = text(auditor.get("/audit/verify"))
    assert 'href="/audit/verify"' in form and "开始核验" in form and "还没有核验记录" in form

    run_id = _started(auditor, scope="whole")

    page = text(auditor.get(f"/audit/verify/{run_id}"))
    assert "✗ 发现问题" in page and "记录表差异（1）" in page
    (row,) = re.findall(r'<tr class="finding">(.*?)</tr>', page, re.S)
    assert "党员示范岗" in row and "model_post" in row and "<code>title</code>" in row
    assert title in row and FORGED in row and f"<code>{post_id}</code>" in row
    assert 'href="/instances/1"' in row and "第 17 号" in row
    assert "✓ 回放一致的案件（1 件）" in page and 'href="/instances/1/history"' in page
    assert f'href="/audit/verify/{run_id}/report.txt"' in page and "verify_run.js" not in page
    listed = text(auditor.get("/audit/verify"))
    assert (
        f'href="/audit/verify/{run_id}"' in listed and "发现问题" in listed and "全链（全部案件）" in listed
    )


def test_a_diverging_case_shows_its_first_event_and_what_differs(kernel: Kernel, login: Login) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    with kernel.db.engine.connect() as connection:
        seq, payload, number = connection.execute(
            sa.select(Event.seq, Event.payload, Event.instance_version).order_by(Event.seq.desc()).limit(1)
        ).one()
    rehash_chain_from(kernel, seq, {"payload": payload.replace("带头服务群众", "篡改的承诺")})
    auditor = login("auditor")

    page = text(auditor.get(f"/audit/verify/{_started(auditor, scope='whole')}"))

    (case,) = re.findall(r'<article class="divergence".*?</article>', page, re.S)
    assert "按日志重新执行该事件，得到的状态与日志记录的状态哈希不同" in case
    assert f"本案第 {number} 步（链上第 {seq} 号）" in case and "本人确认意愿" in case and "李志强" in case
    assert "与该步骤当时存储的状态比较：" in case and "公开承诺" in case and "篡改的承诺" in case
    assert f'href="/instances/{walk.instance_id}/history?at={number}"' in case


def test_the_progress_json_tells_the_page_what_to_show(kernel: Kernel, login: Login) -> None:
    running = _running(kernel, "auditor", None, kernel.clock.now())
    auditor = login("auditor")

    page = text(auditor.get(f"/audit/verify/{running}"))
    assert f'data-poll="/audit/verify/{running}.json"' in page and "js/verify_run.js" in page
    assert '<progress id="run-progress" max="120" value="30">' in page and "<script>" not in page
    response = auditor.get(f"/audit/verify/{running}.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    polled = response.get_json()
    assert (polled["status"], polled["finished"], polled["percent"]) == ("running", False, 25)
    assert polled["progress_text"] == "已处理 30 / 120" and polled["rate_text"] == "每秒 20 个事件"
    assert polled["phase_text"].startswith("正在核对哈希链")

    kernel.clock.advance(seconds=61)  # type: ignore[attr-defined]
    polled = auditor.get(f"/audit/verify/{running}.json").get_json()
    assert (polled["status"], polled["status_text"], polled["finished"]) == ("interrupted", "已中断", True)
    assert "该核验已中断" in text(auditor.get(f"/audit/verify/{running}"))


def test_the_report_downloads_as_chinese_text_and_as_json(kernel: Kernel, login: Login) -> None:
    post_id, title = _tampered_post(kernel)
    committee = login("committee")
    run_id = _started(committee, scope="whole")

    response = committee.get(f"/audit/verify/{run_id}/report.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E6%95%B0%E6%8D%AE%E6%A0%B8%E9%AA%8C" in response.headers["Content-Disposition"]
    report = response.get_data().decode("utf-8")
    assert report.startswith("先锋 · 数据核验报告\n") and "结论：发现问题" in report
    assert f"1. 党员示范岗（model_post），键 {post_id}，列 title" in report
    assert f"日志应为：{title}；表中实际：{FORGED}" in report

    response = committee.get(f"/audit/verify/{run_id}/report.json")
    assert response.mimetype == "application/json"
    document = json.loads(response.get_data().decode("utf-8"))
    assert document["run"]["id"] == run_id and document["ok"] is False
    assert [(f["table"], f["key"], f["column"]) for f in document["findings"]] == [
        ("model_post", post_id, "title")
    ]


def test_typed_case_numbers_are_read_and_bad_ones_refused_with_the_reason(
    kernel: Kernel, login: Login
) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    auditor = login("auditor")

    refused = post(
        auditor, "/audit/verify", {"scope": "cases", "cases": f"{walk.instance_id}, 三"}, "/audit/verify"
    )
    assert refused.status_code == 422 and "不是案件编号：三" in text(refused)
    refused = post(auditor, "/audit/verify", {"scope": "cases", "cases": "998 999"}, "/audit/verify")
    assert refused.status_code == 422 and "没有这些案件：998、999" in text(refused)
    assert 'value="998 999"' in text(refused)
    with kernel.db.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(VerifyRun)).scalar_one() == 0

    run_id = _started(auditor, scope="cases", cases=f" {walk.instance_id}，")
    page = text(auditor.get(f"/audit/verify/{run_id}"))
    assert f"案件 {walk.instance_id}（共 1 件）" in page and "✓ 通过" in page


def test_a_second_whole_chain_run_is_refused_naming_the_one_still_going(kernel: Kernel, login: Login) -> None:
    going = _running(kernel, "auditor", None, kernel.clock.now())
    committee = login("committee")

    refused = post(committee, "/audit/verify", {"scope": "whole"}, "/audit/verify")

    assert refused.status_code == 409
    assert f"核验 #{going} 仍在进行" in text(refused) and f'href="/audit/verify/{going}"' in text(refused)


def test_a_branch_is_told_it_reads_its_own_cases_and_a_member_is_refused(
    kernel: Kernel, login: Login
) -> None:
    secretary = login("secretary1")
    page = text(secretary.get("/audit/verify"))
    assert "党支部只能核验本支部的案件" in page and "本支部全部案件" in page
    run_id = _started(secretary, scope="whole")
    assert "本报告只列出本支部案件的详情" in text(secretary.get(f"/audit/verify/{run_id}"))
    assert login("secretary2").get(f"/audit/verify/{run_id}").status_code == 403

    member = login("member1")
    assert member.get("/audit/verify").status_code == 403
    assert post(member, "/audit/verify", {"scope": "whole"}, "/inbox").status_code == 403
    assert 'href="/audit/verify"' not in text(member.get("/inbox"))


def test_the_pages_speak_english_when_asked(kernel: Kernel, login: Login) -> None:
    auditor = login("auditor")
    with auditor.session_transaction() as session:
        session["lang"] = "en"
    run_id = _started(auditor, scope="whole")
    page = text(auditor.get(f"/audit/verify/{run_id}"))
    assert "Verify" in page and "Passed" in page and "数据核验" not in page
    assert "Whole chain (every case)" in text(auditor.get("/audit/verify"))


def test_the_api_starts_a_run_and_reads_its_report(
    kernel: Kernel, client: FlaskClient, token: Headers
) -> None:
    post_id, _title = _tampered_post(kernel)
    headers = token("auditor")

    response = client.post("/api/v1/verify-runs", headers=headers, json={})

    assert response.status_code == 202, response.get_json()
    started = response.get_json()
    assert response.headers["Location"] == f"/api/v1/verify-runs/{started['id']}"
    assert started["scope"] is None and started["status"] in ("queued", "running", "done")
    assert verify_runs.wait(started["id"], timeout=300)
    done = client.get(response.headers["Location"], headers=headers).get_json()
    assert (done["status"], done["ok"], done["percent"]) == ("done", False, 100)
    (finding,) = done["report"]["findings"]
    assert (finding["table"], finding["key"], finding["column"]) == ("model_post", post_id, "title")
    assert done["started_at"].endswith("+08:00")


def test_the_api_refuses_like_the_rest(kernel: Kernel, client: FlaskClient, token: Headers) -> None:
    refused = client.post("/api/v1/verify-runs", headers=token("auditor"), json={"instances": [999]})
    assert refused.status_code == 422 and error_of(refused)["errors"] == {"instances": "no such case: 999"}
    refused = client.post("/api/v1/verify-runs", headers=token("auditor"), json={"cases": [1]})
    assert refused.status_code == 422 and "cases" in error_of(refused)["errors"]["json"]
    refused = client.post("/api/v1/verify-runs", headers=token("member1"), json={})
    assert refused.status_code == 403 and error_of(refused)["code"] == "not_allowed"
    missing = client.get("/api/v1/verify-runs/77", headers=token("auditor"))
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    going = _running(kernel, "auditor", None, kernel.clock.now())
    busy = client.post("/api/v1/verify-runs", headers=token("committee"), json={})
    assert busy.status_code == 422 and error_of(busy)["code"] == "verify_run_busy"
    assert error_of(busy)["details"] == {"run_id": going}


def test_every_chained_table_is_named_in_chinese_and_english_where_verify_reports_it(app: Flask) -> None:
    """A finding names its register: a table added to the chain without a name would show its code."""
    assert [name for name in CHAINED if name not in verify_text.TABLES] == []
    for language in ("zh", "en"):
        with app.test_request_context(f"/?lang={language}"):
            unnamed = [name for name in CHAINED if verify_view.table(name) == name]
        assert unnamed == [], language
    with app.test_request_context("/?lang=en"):
        assert verify_view.table("village_comment") == "Villager's comment"


def test_a_second_run_says_how_many_events_the_first_ones_checkpoints_spared(
    kernel: Kernel, login: Login
) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    auditor = login("auditor")
    first = _started(auditor, scope="whole")
    assert "回放事件" not in text(auditor.get(f"/audit/verify/{first}"))  # nothing spared the first time
    with kernel.db.unit_of_work(write=False) as uow:
        logged = uow.session.execute(
            sa.select(sa.func.count()).select_from(Event).where(Event.instance_id == walk.instance_id)
        ).scalar_one()

    second = _started(auditor, scope="whole")
    page = text(auditor.get(f"/audit/verify/{second}"))
    assert f"0 个；其前 {logged} 个事件已由此前的核验回放" in page and "✓ 通过" in page
    report = auditor.get(f"/audit/verify/{second}/report.txt").get_data().decode("utf-8")
    assert f"回放事件 0 个；此前核验的检查点仍与哈希链一致，其前的 {logged} 个事件未重放" in report
    with auditor.session_transaction() as session:
        session["lang"] = "en"
    english = text(auditor.get(f"/audit/verify/{second}"))
    assert f"the {logged} events before them were replayed by an earlier verify" in english
    assert "回放" not in english
