"""No script, condition or decision of a start runs while a lock other cases need is held (issue
12): a start is computed ahead, its case row and service operations tried and rolled back, and
under the lock only the row and the operations are done again, the row with the id it was tried
with. A start whose id or operation results moved meanwhile is computed again."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from lock_support import WRITER_WAIT, assert_no_script_kept_a_writer_out, watch_scripts
from nomination_support import instance_count
from support import CreationWalk

from xianfeng.engine.errors import RuleViolation, StepContended
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.services import audit, service_calls, starts_ahead
from xianfeng.engine.services.starts_ahead import StartsAhead


def test_another_writer_commits_while_a_starts_scripts_run(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nomination's start checks the nominee's standing (service tasks), then runs
    Script_nomination_rules, the gateway's conditions and the evaluation's scripts. Each waits, as
    a slow script would, until another thread's write transaction has committed: none holds the
    write lock (on a SQLite file, the write turn)."""
    assert kernel.db.writer_turns is not None
    seen = watch_scripts(kernel, monkeypatch, "start-script")
    walk = CreationWalk(kernel)
    outcome = walk.start()
    assert outcome.status == "running"
    assert_no_script_kept_a_writer_out(kernel, seen)
    assert audit.verify(kernel).ok


def _spy_compute(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, Any]]:
    """Each start's compute: the case id it was computed with, and its calls ahead (None: none)."""
    computed: list[tuple[int, Any]] = []
    real = starts_ahead.compute

    def spy(*args: Any, **kwargs: Any) -> Any:
        computed.append((args[2].id, kwargs.get("ahead")))
        return real(*args, **kwargs)

    monkeypatch.setattr(starts_ahead, "compute", spy)
    return computed


def _interleave_before_writing(monkeypatch: pytest.MonkeyPatch, other: Any) -> list[Any]:
    """Before the first start computed is written, another thread runs `other` to its end."""
    real = StartsAhead.write
    interleaved: list[Any] = []

    def interleave_then_write(self: StartsAhead) -> Any:
        if not interleaved:
            interleaved.append(None)  # the interleaved start writes too: only once

            def run() -> None:
                try:
                    interleaved.append(other())
                except Exception as exc:  # handed to the assertions
                    interleaved.append(exc)

            thread = threading.Thread(target=run)
            thread.start()
            thread.join(WRITER_WAIT)
            assert not thread.is_alive(), "the other start waited for this start's locks"
        return real(self)

    monkeypatch.setattr(StartsAhead, "write", interleave_then_write)
    return interleaved


def test_a_start_whose_case_id_was_taken_meanwhile_is_computed_again(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another nomination starts between this one's compute and its write: on SQLite it takes the
    id this one was tried with (the highest plus one), so this one's row cannot be inserted with it
    and the start is computed again with the next id (task ids come from the case id). On
    PostgreSQL ids are never handed out twice. Either way both cases stand and verify."""
    kernel = backend
    first = CreationWalk(kernel)
    second = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    computed = _spy_compute(monkeypatch)
    interleaved = _interleave_before_writing(monkeypatch, second.start)
    outcome = first.start()
    assert outcome.status == "running" and interleaved[1].status == "running"
    assert None not in [ahead for _id, ahead in computed], "a start computed under the lock"
    ids = [case_id for case_id, _ahead in computed]
    if kernel.db.is_sqlite:
        assert ids == [ids[0], ids[0], ids[0] + 1]  # the other took it: computed again with the next
        assert (second.instance_id, first.instance_id) == (ids[0], ids[0] + 1)
    else:
        assert len(ids) == 2 and first.instance_id == ids[0] != second.instance_id
    assert len({first.task_of("member2").id, second.task_of("member6").id}) == 2
    assert audit.verify(kernel).ok


def test_a_nomination_of_the_same_member_started_meanwhile_refuses_this_one(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Double submission: two nominations of one member computed at once both find no running
    nomination of theirs. The first written stands; the other's standing, looked up again before
    it is written, has moved: it is computed again and refused, naming the case that started."""
    kernel = backend
    first = CreationWalk(kernel)
    again = CreationWalk(kernel, evaluators=("member5", "member6", "member7"))
    computed = _spy_compute(monkeypatch)
    interleaved = _interleave_before_writing(monkeypatch, lambda: again.start(post_title="政策宣讲示范岗"))
    before = instance_count(kernel)
    with pytest.raises(RuleViolation) as refused:
        first.start()
    assert interleaved[1].status == "running"
    assert f"正在进行的示范岗提名（案件 {again.instance_id}：" in str(refused.value)
    assert len(computed) == 3 and None not in [ahead for _id, ahead in computed]
    assert instance_count(kernel) == before + 1
    assert audit.verify(kernel).ok


def test_a_start_whose_service_results_keep_moving_is_refused_to_be_tried_again(
    backend: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounded: when every attempt finds another result, nothing is written and the asker is told
    to try again (never is the start run with its operations done as reached instead)."""
    kernel = backend
    before = instance_count(kernel)
    monkeypatch.setattr(service_calls.CallsAhead, "done_again", lambda self, session, *span: False)
    with pytest.raises(StepContended):
        CreationWalk(kernel).start()
    assert instance_count(kernel) == before
    assert audit.verify(kernel).ok
