"""Verify from the browser, the service side: a run in the background reports exactly the row edited
behind the system's back, a clean database verifies with every case consistent, a branch verifies and
reads only its own cases, and a run whose process died reads as interrupted (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from support import CreationWalk, actor, behind_the_back, establish_post, rehash_chain_from

from xianfeng.engine.errors import FormInvalid, NotAllowed, NotFound
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import (
    Event,
    ModelPost,
    ProcessInstance,
    PublicNotice,
    User,
    VerifyRun,
)
from xianfeng.engine.services.audit import verify_job, verify_runs
from xianfeng.engine.services.audit.verify_runs import RunView, VerifyRunBusy

FORGED_TITLE = "伪造的示范岗名称"


def run(kernel: Kernel, username: str, cases: list[int] | None = None) -> RunView:
    """Start a run as `username`, wait for its thread, and read it back as the same person."""
    who = actor(kernel, username)
    run_id = verify_runs.start(kernel, who, cases)
    assert verify_runs.wait(run_id, timeout=300), f"verify run {run_id} did not end"
    return verify_runs.get(kernel, who, run_id)


def post_row(kernel: Kernel, post_id: int) -> dict[str, Any]:
    with kernel.db.engine.connect() as connection:
        return dict(connection.execute(sa.select(ModelPost).where(ModelPost.id == post_id)).mappings().one())


def chain_events(kernel: Kernel) -> tuple[int, int]:
    """(events on the chain, events of existing cases): the two passes a run goes through."""
    with kernel.db.engine.connect() as connection:
        total = connection.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one()
        of_cases = connection.execute(
            sa.select(sa.func.count()).where(Event.instance_id.in_(sa.select(ProcessInstance.id)))
        ).scalar_one()
    return total, of_cases


def second_branch_case(kernel: Kernel) -> CreationWalk:
    walk = CreationWalk(kernel, "secretary2", "member11", ("member12", "member13", "member14"))
    walk.start()
    walk.evaluate()
    return walk


def test_a_post_row_edited_behind_the_back_is_reported_exactly_as_that_row(backend: Kernel) -> None:
    post_id = establish_post(backend)
    original = post_row(backend, post_id)
    behind_the_back(backend, sa.update(ModelPost).where(ModelPost.id == post_id).values(title=FORGED_TITLE))

    done = run(backend, "auditor")

    assert (done.status, done.ok) == ("done", False)
    report = done.report
    assert report is not None
    (finding,) = report["findings"]
    assert (finding["table"], finding["key"], finding["column"]) == ("model_post", post_id, "title")
    assert (finding["expected"], finding["stored"]) == (original["title"], FORGED_TITLE)
    assert finding["kind"] == "changed" and finding["seq"] is not None
    assert finding["case"] == original["creation_instance_id"]
    assert report["chain"] == []
    assert [case["ok"] for case in report["cases"]] == [True]
    assert report["summary"]["findings"] == 1 and report["head"]["seq"] == done.head_seq


def test_a_clean_database_verifies_with_every_case_consistent(backend: Kernel) -> None:
    establish_post(backend)
    second_branch_case(backend)

    done = run(backend, "committee")

    assert (done.status, done.ok, done.error) == ("done", True, "")
    assert done.report is not None
    cases = done.report["cases"]
    assert len(cases) == 2 and all(case["ok"] for case in cases)
    assert {case["branch_id"] for case in cases} == {1, 2}
    assert all(case["title"] and case["procedure"].startswith("党员示范岗创建") for case in cases)
    assert done.report["findings"] == [] and done.report["chain"] == []
    text = verify_runs.report_text(backend, actor(backend, "committee"), done.id)
    assert "结论：通过" in text and "二、案件回放（2 件）" in text


def test_progress_counts_every_event_of_the_chain_and_of_the_replay_up_to_the_total(backend: Kernel) -> None:
    establish_post(backend)
    total, of_cases = chain_events(backend)

    done = run(backend, "auditor")

    assert done.events_total == total + of_cases
    assert done.events_done == done.events_total and done.percent == 100
    assert done.report is not None and done.report["summary"]["events"] == total
    assert done.seconds is not None and done.seconds > 0 and done.events_per_second


def test_progress_is_written_to_the_row_every_server_process_reads(kernel: Kernel) -> None:
    run_id = _row(kernel, "auditor", None, kernel.clock.now())
    progress = verify_job.Progress(kernel, run_id, total=10, chain_events=6)
    auditor = actor(kernel, "auditor")

    progress.advance(4)
    progress.flush()
    seen = verify_runs.get(kernel, auditor, run_id)
    assert (seen.status, seen.events_done, seen.percent, seen.phase) == ("running", 4, 40, "chain")
    assert seen.seconds is not None and seen.seconds >= 0

    progress.advance(3)
    progress.flush()
    assert verify_runs.get(kernel, auditor, run_id).phase == "replay"  # past the chain's 6 events

    progress.advance(5)
    progress.flush()
    seen = verify_runs.get(kernel, auditor, run_id)
    assert (seen.events_done, seen.events_total) == (12, 12)  # the total grows, never lags

    behind_the_back(kernel, sa.update(VerifyRun).where(VerifyRun.id == run_id).values(status="done"))
    progress.advance(1)
    progress.flush()  # a late write never touches a run that has ended
    assert verify_runs.get(kernel, auditor, run_id).events_done == 12


def test_a_branch_verifies_its_own_cases_and_reads_nothing_of_the_others(backend: Kernel) -> None:
    post_id = establish_post(backend)
    other = second_branch_case(backend)
    behind_the_back(backend, sa.update(ModelPost).where(ModelPost.id == post_id).values(title=FORGED_TITLE))
    behind_the_back(
        backend,
        sa.update(PublicNotice)
        .where(PublicNotice.instance_id == other.instance_id)
        .values(title="伪造的公示"),
    )

    mine = run(backend, "secretary1")

    assert mine.scope == [post_row(backend, post_id)["creation_instance_id"]]
    assert mine.report is not None and mine.branch_only == 1
    assert [f["table"] for f in mine.report["findings"]] == ["model_post"]
    assert {case["branch_id"] for case in mine.report["cases"]} == {1}
    assert mine.report["hidden"]["findings"] >= 1
    assert "伪造的公示" not in json.dumps(mine.report, ensure_ascii=False)
    with pytest.raises(NotAllowed, match=f"cases {other.instance_id} belong to another branch"):
        verify_runs.start(backend, actor(backend, "secretary1"), [other.instance_id])
    with pytest.raises(NotAllowed):
        verify_runs.get(backend, actor(backend, "secretary2"), mine.id)
    whole = verify_runs.get(backend, actor(backend, "auditor"), mine.id).report
    assert whole is not None and {f["table"] for f in whole["findings"]} == {"model_post", "public_notice"}


def test_a_member_and_an_administrator_may_not_verify(kernel: Kernel) -> None:
    for username in ("member1", "admin"):
        with pytest.raises(NotAllowed, match="auditors, the town committee and branches"):
            verify_runs.start(kernel, actor(kernel, username), None)
        with pytest.raises(NotAllowed):
            verify_runs.list_runs(kernel, actor(kernel, username))
    assert _runs(kernel) == []


def test_unknown_case_numbers_are_refused_naming_them_and_nothing_starts(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    with pytest.raises(FormInvalid) as refused:
        verify_runs.start(kernel, actor(kernel, "auditor"), [walk.instance_id, 998, 999])
    assert refused.value.errors == {"instances": "no such case: 998, 999"}
    assert refused.value.errors_zh == {"instances": "没有这些案件：998、999"}
    with pytest.raises(FormInvalid, match="at least one case"):
        verify_runs.start(kernel, actor(kernel, "auditor"), [])
    assert _runs(kernel) == []


def test_chosen_cases_are_replayed_alone_while_the_chain_is_checked_whole(kernel: Kernel) -> None:
    post_id = establish_post(kernel)
    other = second_branch_case(kernel)
    behind_the_back(kernel, sa.update(ModelPost).where(ModelPost.id == post_id).values(title=FORGED_TITLE))

    done = run(kernel, "auditor", [other.instance_id])

    assert done.report is not None
    assert [case["id"] for case in done.report["cases"]] == [other.instance_id]
    assert [f["table"] for f in done.report["findings"]] == ["model_post"]


def test_a_run_left_running_with_an_old_update_reads_as_interrupted(kernel: Kernel) -> None:
    stale = _row(kernel, "auditor", None, kernel.clock.now() - dt.timedelta(seconds=61))

    seen = verify_runs.get(kernel, actor(kernel, "auditor"), stale)

    assert seen.status == "interrupted" and seen.finished
    assert [r.status for r in verify_runs.list_runs(kernel, actor(kernel, "committee"))] == ["interrupted"]
    with pytest.raises(NotFound, match="it is interrupted"):
        verify_runs.report_text(kernel, actor(kernel, "auditor"), stale)
    done = run(kernel, "auditor")  # an interrupted run holds nothing up
    assert done.status == "done"


def test_only_one_whole_chain_run_at_a_time_and_one_run_per_person(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    going = _row(kernel, "auditor", None, kernel.clock.now())

    with pytest.raises(VerifyRunBusy, match=f"verify run {going} of the whole chain .* is still running"):
        verify_runs.start(kernel, actor(kernel, "committee"), None)
    with pytest.raises(VerifyRunBusy, match=f"your verify run {going} is still running"):
        verify_runs.start(kernel, actor(kernel, "auditor"), [walk.instance_id])
    assert len(_runs(kernel)) == 1


def test_a_rehashed_forgery_names_the_event_its_task_and_the_data_that_differs(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    _forge_last_payload(kernel, walk.instance_id, "pledge", "篡改后的承诺")

    done = run(kernel, "auditor")

    assert done.report is not None
    (case,) = done.report["cases"]
    found = case["divergence"]
    assert case["ok"] is False and found["reason"] == "state"
    event = found["event"]
    assert (event["kind"], event["task"], event["actor_name"]) == ("complete", "本人确认意愿", "李志强")
    assert event["data"]["pledge"] == "篡改后的承诺" and found["event_edited"] is False
    assert found["compared_with"] == "stored_by_the_step"
    (difference,) = found["differences"]
    assert (difference["what"], difference["name"], difference["label"]["zh_CN"]) == (
        "data",
        "pledge",
        "公开承诺",
    )
    assert (difference["stored"], difference["replayed"]) == (
        "我愿意承担示范岗职责，带头服务群众。",
        "篡改后的承诺",
    )
    text = verify_runs.report_text(kernel, actor(kernel, "auditor"), done.id)
    assert (
        "数据「公开承诺（pledge）」：存储为 我愿意承担示范岗职责，带头服务群众。，回放为 篡改后的承诺" in text
    )
    assert (
        f"首个不一致的事件：第 {event['seq']} 号事件（本案第 {event['number']} 步，办理，任务：本人确认意愿"
        in text
    )


def test_an_edited_snapshot_shows_the_data_it_changed(kernel: Kernel) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    with kernel.db.engine.connect() as connection:
        state = connection.execute(
            sa.select(ProcessInstance.state_json).where(ProcessInstance.id == walk.instance_id)
        ).scalar_one()
    behind_the_back(
        kernel,
        sa.update(ProcessInstance)
        .where(ProcessInstance.id == walk.instance_id)
        .values(state_json=state.replace("便民服务示范岗", "别的岗位")),
    )

    done = run(kernel, "auditor")

    assert done.report is not None
    found = done.report["cases"][0]["divergence"]
    assert (found["reason"], found["stored_matches_last"], found["compared_with"]) == (
        "stored",
        False,
        "stored_now",
    )
    changed = {entry["name"]: (entry["stored"], entry["replayed"]) for entry in found["differences"]}
    assert changed["post_title"] == ("别的岗位", "便民服务示范岗")


def _row(kernel: Kernel, username: str, scope: list[int] | None, updated: dt.datetime) -> int:
    """A run row as a server process left it: running, last moved at `updated`."""
    with kernel.db.unit_of_work() as uow:
        user_id = uow.session.execute(sa.select(User.id).where(User.username == username)).scalar_one()
        row = VerifyRun(
            requested_by=user_id,
            scope=json.dumps(scope),
            status="running",
            events_total=10,
            events_done=3,
            started_at=updated,
            updated_at=updated,
            head_hash="",
            report="",
            error="",
        )
        uow.session.add(row)
        uow.session.flush()
        run_id = row.id
        uow.commit()
    return run_id


def _runs(kernel: Kernel) -> list[int]:
    with kernel.db.engine.connect() as connection:
        return list(connection.execute(sa.select(VerifyRun.id)).scalars())


def _forge_last_payload(kernel: Kernel, instance_id: int, name: str, value: str) -> None:
    """Rewrite one input of the case's last event and recompute every hash after it: the chain
    verifies, only replay can tell."""
    with kernel.db.engine.connect() as connection:
        seq, payload = connection.execute(
            sa.select(Event.seq, Event.payload)
            .where(Event.instance_id == instance_id)
            .order_by(Event.seq.desc())
            .limit(1)
        ).one()
    forged = json.loads(payload)
    forged["data"][name] = value
    rehash_chain_from(kernel, seq, {"payload": json.dumps(forged, ensure_ascii=False)})
