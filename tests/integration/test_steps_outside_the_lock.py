"""No step is computed while SQLite's write lock is held, for every kind of step besides completions
and starts (issue 12): a timer's tick and the messages delivered with it, an objection's delivery,
the delivery of a message that waited for a completion, a return (退回), a withdrawal, an
administrator's cancel, completion on behalf and migration, and a villager's comment. Each case's
steps are computed ahead of the lock (`case_ahead`) and only written under it: another thread's
writer commits at every compute and, where the step runs scripts, while each runs. A case that moved
before its steps were written is computed again, and nothing fires twice."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from intervention_support import DETERMINE, DETERMINED, at_determine
from lock_support import WRITER_WAIT, another_writer_commits, watch_scripts
from support import CreationWalk, actor

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, PendingMessage
from xianfeng.engine.process.scripting import SandboxScriptEngine
from xianfeng.engine.services import audit, case_ahead, notices, timers, verbs, village_comments, withdraw
from xianfeng.engine.services.admin import interventions, migration, processes


def _watch_computes(kernel: Kernel, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """From now on each step computed first lets another writer commit: whether each one could."""
    seen: list[bool] = []
    real = case_ahead.compute

    def compute(*args: Any, **kwargs: Any) -> Any:
        seen.append(another_writer_commits(kernel, f"test:compute:{len(seen)}"))
        return real(*args, **kwargs)

    monkeypatch.setattr(case_ahead, "compute", compute)
    return seen


def _kinds_since(kernel: Kernel, instance_id: int, seq: int) -> list[str]:
    with kernel.db.unit_of_work(write=False) as uow:
        statement = sa.select(Event.kind).where(Event.instance_id == instance_id, Event.seq > seq)
        return list(uow.session.execute(statement.order_by(Event.seq)).scalars())


def _last_seq(kernel: Kernel) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(sa.select(sa.func.max(Event.seq))).scalar_one())


def _under_notice(kernel: Kernel) -> tuple[CreationWalk, int]:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    (notice,) = notices.active_notices(kernel)
    return walk, notice["id"]


def _at_decision(kernel: Kernel) -> CreationWalk:
    walk = at_determine(kernel)
    walk.determine()
    return walk


REVIEWED = {"upheld": False, "finding": "经核实，反映情况不属实。", "answer": "感谢监督，经核实情况不属实。"}


def test_a_timers_tick_runs_its_scripts_while_another_writer_commits(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notice period ends: its timer's tick runs the gateway's conditions and the next steps'
    scripts, each of which waits until another thread's write transaction has committed."""
    walk, _notice = _under_notice(kernel)
    before = _last_seq(kernel)
    computes = _watch_computes(kernel, monkeypatch)
    seen = watch_scripts(kernel, monkeypatch, "tick")
    walk.pass_notice()
    scripts = [through for kind, through in seen if kind == "script"]
    assert scripts and all(scripts) and computes == [True]
    assert _kinds_since(kernel, walk.instance_id, before) == ["tick"]
    assert walk.task_of(walk.candidate, "Task_consent")
    assert audit.verify(kernel).ok


def test_an_objection_and_the_one_waiting_behind_it_are_delivered_outside_the_lock(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first objection is delivered as it is filed. The second waits while the branch reviews
    the first; completing that review (its service task, the gateway's conditions) brings the case
    back to listen, and the same unit of work delivers the second: every step computed ahead."""
    walk, notice_id = _under_notice(kernel)
    computes = _watch_computes(kernel, monkeypatch)
    before = _last_seq(kernel)
    notices.file_objection(kernel, notice_id, "请核实该同志的服务记录。")
    notices.file_objection(kernel, notice_id, "该同志上月多次缺席值班。")
    assert _kinds_since(kernel, walk.instance_id, before) == ["objection", "message", "objection"]
    seen = watch_scripts(kernel, monkeypatch, "delivery")
    before = _last_seq(kernel)
    walk.complete("secretary1", dict(REVIEWED), "Task_review_objection")
    assert _kinds_since(kernel, walk.instance_id, before) == ["complete", "message"]
    scripts = [through for kind, through in seen if kind == "script"]
    assert scripts and all(scripts) and computes and all(computes)
    with kernel.db.unit_of_work(write=False) as uow:
        waiting = uow.session.execute(
            sa.select(PendingMessage.id).where(
                PendingMessage.instance_id == walk.instance_id, PendingMessage.delivered_at.is_(None)
            )
        ).all()
    assert waiting == []
    assert walk.task_of("secretary1", "Task_review_objection")  # the second objection's review
    assert audit.verify(kernel).ok


def _publish_longer_approval(kernel: Kernel) -> None:
    admin = actor(kernel, "admin")
    draft = processes.open_draft(kernel, admin, "approval")
    text = draft.files["approval.bpmn"]
    old = '<spiffworkflow:property name="dueInWorkingDays" value="10" />'
    assert old in text
    new = old.replace('"10"', '"15"')
    assert (
        processes.save_draft(kernel, admin, draft.id, {"approval.bpmn": text.replace(old, new, 1)}).problems
        == []
    )
    processes.publish(kernel, admin, draft.id, "审批期限延长至15个工作日")


def _return(kernel: Kernel) -> Callable[[], Any]:
    walk = _at_decision(kernel)
    walk.decide("return")
    task = walk.task_of("secretary1", "Task_determine_list")
    return lambda: verbs.return_to(
        kernel, actor(kernel, "secretary1"), task.id, "Task_consent", "请补充公开承诺"
    )


def _withdraw(kernel: Kernel) -> Callable[[], Any]:
    walk = CreationWalk(kernel)
    walk.start()
    return lambda: withdraw.withdraw(kernel, actor(kernel, "secretary1"), walk.instance_id, "支部重新研究")


def _cancel(kernel: Kernel) -> Callable[[], Any]:
    walk = CreationWalk(kernel)
    walk.start()
    return lambda: interventions.cancel(kernel, actor(kernel, "admin"), walk.instance_id, "候选人已调离本村")


def _on_behalf(kernel: Kernel) -> Callable[[], Any]:
    task = at_determine(kernel).task_of("secretary1", DETERMINE)
    admin = actor(kernel, "admin")
    return lambda: interventions.complete_on_behalf(kernel, admin, task.id, dict(DETERMINED), "代为录入")


def _migrate(kernel: Kernel) -> Callable[[], Any]:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    _publish_longer_approval(kernel)
    admin = actor(kernel, "admin")
    return lambda: migration.migrate(kernel, admin, walk.instance_id, 2, "按新规定给予15个工作日审批")


def _comment(kernel: Kernel) -> Callable[[], Any]:
    data = {"kind": "complaint", "text": "希望责任党员多入户走访。"}
    return lambda: village_comments.file_comment(kernel, 2, data)


@pytest.mark.parametrize(
    "act", [_return, _withdraw, _cancel, _on_behalf, _migrate], ids=lambda f: f.__name__.strip("_")
)
def test_each_kind_of_step_is_computed_while_another_writer_commits(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch, act: Callable[[Kernel], Callable[[], Any]]
) -> None:
    """At each compute of the step (a migration's rehearsal of the history too), and while each of
    its scripts runs, another thread's write transaction commits: nothing holds the write lock."""
    run = act(kernel)
    before = _last_seq(kernel)
    computes = _watch_computes(kernel, monkeypatch)
    seen = watch_scripts(kernel, monkeypatch, "act")
    run()
    assert computes and all(computes)
    assert all(through for kind, through in seen if kind == "script")
    assert _last_seq(kernel) > before
    assert audit.verify(kernel).ok


def test_a_villagers_comment_starts_its_case_while_another_writer_commits(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = watch_scripts(kernel, monkeypatch, "comment")
    receipt = _comment(kernel)()
    assert receipt["receipt_no"] and receipt["village_id"] == 2
    scripts = [through for kind, through in seen if kind == "script"]
    assert "service" in [kind for kind, _ in seen] and all(scripts)
    assert audit.verify(kernel).ok


def test_two_tickers_computing_the_same_due_tick_fire_it_once(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another ticker runs while the first has computed the case's tick and not yet written it. On
    SQLite both computed it: the other writes it, and the first finds the case moved, computes it
    again and finds nothing due. On PostgreSQL the first locked the case when it claimed it: the
    other passes it over. Either way: one tick event, no failure."""
    walk, _notice = _under_notice(backend)
    due = min(t["due_at"] for t in walk.show()["timers"])
    backend.clock.set(due + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    before = _last_seq(backend)
    real = timers._plan_fire
    others: list[timers.TickReport] = []
    spawned: list[bool] = []

    def another_ticker_meanwhile(*args: Any, **kwargs: Any) -> Any:
        planned = real(*args, **kwargs)
        if not spawned:  # the other ticker's own computing goes straight through
            spawned.append(True)
            thread = threading.Thread(target=lambda: others.append(timers.tick(backend)))
            thread.start()
            thread.join(WRITER_WAIT)
            assert others, "the other ticker did not finish"
        return planned

    monkeypatch.setattr(timers, "_plan_fire", another_ticker_meanwhile)
    report = timers.tick(backend)
    fired = [i for i, _ in report.fired] + [i for i, _ in others[0].fired]
    assert fired == [walk.instance_id]
    assert report.failed == [] and others[0].failed == []
    first = others[0] if backend.db.is_sqlite else report
    assert [i for i, _ in first.fired] == [walk.instance_id]
    assert _kinds_since(backend, walk.instance_id, before) == ["tick"]
    assert audit.verify(backend).ok


def test_on_postgresql_no_script_runs_while_a_shard_head_is_held(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's lock that other cases' steps need is a shard head of the chain, which a step
    takes when it appends its event. Three cases fire in one batch: while each script of each
    runs, another connection locks every shard head at once without waiting, so none is held."""
    if backend.db.is_sqlite:
        pytest.skip("SQLite's lock is the write turn: the other tests of this file watch it")
    walks = []
    for candidate in ("member1", "member5", "member9"):
        walk = CreationWalk(backend, candidate=candidate)
        walk.start()
        walk.evaluate()
        walks.append(walk)
    free: list[bool] = []
    main = threading.current_thread()

    def heads_free() -> bool:
        with backend.db.engine.connect() as connection, connection.begin() as transaction:
            try:
                connection.execute(sa.text("SELECT shard FROM chain_head FOR UPDATE NOWAIT")).all()
            except sa.exc.OperationalError:
                return False
            finally:
                transaction.rollback()
        return True

    def watching(run: Any) -> Any:
        def script(self: Any, *args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is main:
                free.append(heads_free())
            return run(self, *args, **kwargs)

        return script

    monkeypatch.setattr(SandboxScriptEngine, "execute", watching(SandboxScriptEngine.execute))
    monkeypatch.setattr(SandboxScriptEngine, "evaluate", watching(SandboxScriptEngine.evaluate))
    due = max(min(t["due_at"] for t in walk.show()["timers"]) for walk in walks)
    backend.clock.set(due + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    report = timers.tick(backend)
    assert sorted(i for i, _ in report.fired) == sorted(w.instance_id for w in walks)
    assert free and all(free), free
    assert audit.verify(backend).ok
