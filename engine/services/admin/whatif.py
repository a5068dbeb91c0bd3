"""What-if before publishing: run the recorded inputs of existing cases on a draft, in memory,
writing nothing, and say per case what the draft would have changed.

Each case's events are fed to the draft in order, with their own business times and seeds, as
replay feeds them to the pinned version. A recorded completion goes to the task of the same
diagram element the draft has waiting (its id may differ when the diagram changed), after its data
is checked against the draft's form. What a step takes from outside comes from the log where the
draft asks for the same thing (the same service call, the same working-day count); where it asks
for something else, working days are counted on today's holiday table and services that only read
run read-only, while services that would write (a post, a notice, a reward) return a simulated
result and are named in the verdict.

Verdicts, the first that applies: inputs that no longer fit (which field of which form); a
different path (the first element where the draft is not where the case went); a different
outcome (ending, or the records the case made: a post established or not, a reward, a
revocation); different deadlines (a timer or due date moved); the same.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormValidationError

from ...actor import Actor
from ...clock import CHINA_TZ, parse_instant
from ...errors import NotFound
from ...kernel import Kernel
from ...models import (
    Event,
    HumanTask,
    ProcessDefinition,
    ProcessDraft,
    ProcessInstance,
    ProcessVersion,
    TimerRow,
)
from ...process import catalog
from ...process.bundle import parse_bundle
from ...process.catalog import LoadedVersion
from ...process.effects import canonical_copy
from ...process.helpers import StepHelpers
from ...process.history import STEPPED_AT
from ...process.operations.context import ServiceContext
from ...process.projection import ReadyTask
from ...process.runtime import StepInput, StepResult, release, run_step
from ...process.service_tasks import run_operation
from ..audit.replay import VERB_KINDS
from ..calendar_admin import load_calendar
from . import processes

READ_ONLY_OPERATIONS = frozenset(
    {"describe_candidate", "describe_post", "describe_area", "check_division_coverage"}
)
VERDICTS = ("inputs_no_longer_fit", "different_path", "different_outcome", "different_deadlines", "same")


@dataclass
class CaseVerdict:
    instance_id: int
    process_key: str
    title: str
    status: str
    verdict: str
    detail: str = ""
    simulated: list[str] = field(default_factory=list)


@dataclass
class WhatIfReport:
    affected: list[str]
    cases: list[CaseVerdict]

    def counts(self) -> dict[str, int]:
        found = Counter(case.verdict for case in self.cases)
        return {verdict: found.get(verdict, 0) for verdict in VERDICTS}


Progress = Callable[[int, int], None]  # (cases done, cases in all): a background run reports it


def for_draft(
    kernel: Kernel,
    actor: Actor,
    draft_id: int,
    finished_since: dt.datetime | None = None,
    progress: Progress | None = None,
) -> WhatIfReport:
    """The what-if of a draft: running cases of every process it changes, and finished ones since
    `finished_since` (all of them when None)."""
    processes.check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        row = uow.session.get(ProcessDraft, draft_id)
        if row is None:
            raise NotFound(f"no draft {draft_id}", draft_id=draft_id)
        files = processes.draft_files(uow.session, row)
    return for_files(kernel, actor, files, finished_since, progress)


def for_files(
    kernel: Kernel,
    actor: Actor,
    files: dict[str, bytes],
    finished_since: dt.datetime | None = None,
    progress: Progress | None = None,
) -> WhatIfReport:
    """The what-if of a set of files laid over what is published (`xianfeng processes whatif`)."""
    processes.check_reader(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        merged = processes.published_files(session)
        merged.update(files)
        bundle = catalog.validate_files(merged)
        drafts = _changed_versions(session, bundle)
        rows = _cases(session, sorted(drafts), finished_since)
        cases = []
        for done, row in enumerate(rows):
            if progress is not None:
                progress(done, len(rows))
            cases.append(rehearse(session, kernel, drafts[row.process_key], row))
        if progress is not None:
            progress(len(rows), len(rows))
    return WhatIfReport(sorted(drafts), cases)


def _changed_versions(session: Session, bundle: Any) -> dict[str, LoadedVersion]:
    """A runnable draft version of each process whose closure the files change."""
    current = {
        row.process_key: row.bundle_hash
        for row in session.execute(
            select(ProcessVersion).join(
                ProcessDefinition,
                ProcessDefinition.current_version_id == ProcessVersion.id,
            )
        ).scalars()
    }
    changed = {}
    parsed = None  # one fresh parse serves every changed process (parsing costs ~0.6 s)
    for key in bundle.specs:
        digest = catalog.bundle_hash(catalog.closure(bundle, key))
        if current.get(key) != digest:
            parsed = parsed or parse_bundle(bundle.files)
            changed[key] = catalog.load_version(parsed, key, 0, 0, digest, f"{key} (draft)")
    return changed


def _cases(session: Session, keys: list[str], finished_since: dt.datetime | None) -> list[ProcessInstance]:
    statement = (
        select(ProcessInstance).where(ProcessInstance.process_key.in_(keys)).order_by(ProcessInstance.id)
    )
    rows = list(session.execute(statement).scalars())
    return [
        r
        for r in rows
        if r.status != "completed"
        or finished_since is None
        or (r.ended_at is not None and r.ended_at >= finished_since)
    ]


class _WhatIfEffects:
    """Recorded answers where the draft asks the same; otherwise the live (read-only) answer."""

    def __init__(self, recorded: list[dict[str, Any]], simulated: list[str]) -> None:
        self._recorded = list(recorded)
        self.recorded: list[dict[str, Any]] = []
        self.simulated = simulated

    def call(self, op: str, args: dict[str, Any], run: Callable[[], Any]) -> Any:
        args = canonical_copy(args)
        for index, entry in enumerate(self._recorded):
            if entry.get("op") == op and entry.get("args") == args:
                self._recorded.pop(index)
                self.recorded.append(entry)
                return entry.get("result")
        result = canonical_copy(run())
        self.recorded.append({"op": op, "args": args, "result": result})
        return result


def _services(session: Session, instance: ProcessInstance, at: dt.datetime, simulated: list[str]) -> Any:
    context = ServiceContext(session, instance.id, instance.branch_id, instance.village_id, at)

    def call(op: str, params: dict[str, Any]) -> Any:
        if op in READ_ONLY_OPERATIONS:
            return run_operation(context, op, params)
        simulated.append(op)
        return simulate(op, params)

    return call


def simulate(op: str, params: dict[str, Any]) -> dict[str, Any]:
    """What a writing service task is taken to answer when the draft calls it anew (nothing is
    written): the shape its diagrams read, with ids of 0 and numbers marked as simulated."""
    answers: dict[str, dict[str, Any]] = {
        "publish_notice": {"notice_id": 0},
        "close_notice": {"notice_id": params.get("notice_id"), "outcome": params.get("outcome")},
        "answer_objection": {"receipt_no": "", "status": "upheld" if params.get("upheld") else "dismissed"},
        "establish_post": {"post_id": 0, "plate_no": "（试算）", "badge_no": "（试算）"},
        "open_survey": {"survey_id": 0, "links": params.get("links", 0)},
        "close_survey": {"survey_id": params.get("survey_id"), "responses": 0, "links": 0, "counts": {}},
    }
    return answers.get(op, {"simulated": True})


@dataclass
class _Run:
    """Where the draft run of one case is."""

    snapshot: str | None = None
    live: Any = None
    result: StepResult | None = None
    ops: list[str] = field(default_factory=list)
    waiting: dict[str, ReadyTask] = field(default_factory=dict)  # the draft's inbox, kept as steps go

    def took(self, result: StepResult) -> None:
        self.snapshot, self.live, self.result = result.snapshot, result.workflow, result
        self.waiting = {key: task for key, task in self.waiting.items() if key in result.ready_ids}
        self.waiting.update((task.id, task) for task in result.ready)


def rehearse(
    session: Session, kernel: Kernel, version: LoadedVersion, instance: ProcessInstance
) -> CaseVerdict:
    """Run one case's recorded inputs on `version` in memory and say what differs."""
    verdict = CaseVerdict(instance.id, instance.process_key, instance.title, instance.status, "same")
    events = list(
        session.execute(
            select(Event).where(Event.instance_id == instance.id).order_by(Event.instance_version)
        ).scalars()
    )
    run = _Run()
    try:
        for event in events:
            if event.kind in VERB_KINDS or event.kind == "migrate":
                continue
            stop = _apply(session, kernel, version, instance, event, run, verdict)
            if stop:
                verdict.verdict, verdict.detail = stop
                return verdict
    except Exception as exc:  # a draft that fails on a recorded input: that is the answer
        verdict.verdict = "different_path"
        verdict.detail = f"第 {instance.id} 号案件在草稿上运行出错：{type(exc).__name__}: {exc}"[:500]
        return verdict
    finally:
        if run.live is not None:
            release(run.live)
    verdict.verdict, verdict.detail = _compare(session, instance, events, run)
    return verdict


def _apply(
    session: Session,
    kernel: Kernel,
    version: LoadedVersion,
    instance: ProcessInstance,
    event: Event,
    run: _Run,
    verdict: CaseVerdict,
) -> tuple[str, str] | None:
    payload = json.loads(event.payload)
    task_id = event.task_id
    if event.kind in ("complete", "return"):
        waiting = list(run.waiting.values())
        same = [t for t in waiting if t.spec_id == event.spec_id]
        if not same:
            there = "、".join(sorted({t.name for t in waiting})) or "没有待办"
            return (
                "different_path",
                f"草稿在此处不等待“{payload.get('task') or event.spec_id}”（{event.spec_id}），而是：{there}",
            )
        chosen = next((t for t in same if t.id == event.task_id), same[0])
        task_id = chosen.id
        if event.kind == "complete":
            misfit = _misfit(version, chosen.form, payload.get("data") or {})
            if misfit:
                return "inputs_no_longer_fit", misfit
    stepped = payload.get(STEPPED_AT)
    at = parse_instant(stepped) if stepped else event.business_time
    step = StepInput(
        kind=event.kind,
        at=at,
        seed=f"{instance.id}:{event.instance_version}",
        task_id=task_id,
        data=payload.get("data") or {},
        message=str(payload.get("name", "")),
        timers_at=parse_instant(payload["timers_at"]) if payload.get("timers_at") else None,
    )
    effects = _WhatIfEffects(json.loads(event.effects), verdict.simulated)
    result = run_step(
        version,
        run.snapshot,
        step,
        effects,
        services=_services(session, instance, at, verdict.simulated),
        helpers=StepHelpers(at, lambda: load_calendar(session)),
        time_limit=kernel.settings.script_time_limit,
        resume=run.live,
        keep=True,
        dump=False,  # the workflow is kept and no state hash is compared: no snapshot needed
    )
    if not result.caught:
        return "different_path", f"草稿此时不接收消息“{payload.get('name', '')}”"
    run.took(result)
    run.ops.extend(
        e["op"] for e in effects.recorded if e["op"] not in ("add_working_days", "working_days_between")
    )
    return None


def _misfit(version: LoadedVersion, form_name: str, data: dict[str, Any]) -> str:
    if not form_name:
        return ""
    try:
        version.form(form_name).validate(data, check_source=lambda *_: None)
    except FormValidationError as exc:
        fields = "；".join(f"{name}：{message}" for name, message in exc.errors_zh.items())
        return f"表单 {form_name} 不再接受当时提交的内容：{fields}"
    except Exception as exc:  # a form the draft lost (NotFound) is the same answer
        return f"表单 {form_name}：{exc}"
    return ""


def _compare(session: Session, instance: ProcessInstance, events: list[Event], run: _Run) -> tuple[str, str]:
    result = run.result
    if result is None:
        return "same", ""
    ended = ("completed", result.end_event, result.outcome) if result.completed else ("running", "", "")
    stored = (instance.status, instance.end_event, instance.outcome)
    if ended != stored:
        return "different_outcome", f"结果由“{_ending(stored)}”变为“{_ending(ended)}”"
    logged_ops = Counter(
        e["op"]
        for ev in events
        for e in json.loads(ev.effects)
        if e["op"] not in ("add_working_days", "working_days_between")
    )
    if Counter(run.ops) != logged_ops:
        gained = sorted((Counter(run.ops) - logged_ops).elements())
        lost = sorted((logged_ops - Counter(run.ops)).elements())
        return "different_outcome", f"记录变化：新增 {gained or '无'}，不再有 {lost or '无'}"
    if instance.status == "running":
        moved = _moved_deadlines(session, instance.id, run)
        if moved:
            return "different_deadlines", moved
    return "same", ""


def _ending(state: tuple[str, str, str]) -> str:
    status, end_event, outcome = state
    return "进行中" if status == "running" else (outcome or end_event or status)


def _moved_deadlines(session: Session, instance_id: int, run: _Run) -> str:
    assert run.result is not None
    result = run.result
    stored_timers = {
        spec: due
        for spec, due in session.execute(
            select(TimerRow.spec_id, TimerRow.due_at).where(TimerRow.instance_id == instance_id)
        )
    }
    stored_tasks = {
        spec: due
        for spec, due in session.execute(
            select(HumanTask.spec_id, HumanTask.due_at).where(HumanTask.instance_id == instance_id)
        )
    }
    moved = [
        f"{timer.spec_id}：{_day(stored_timers[timer.spec_id])} → {_day(timer.due_at)}"
        for timer in result.timers
        if timer.spec_id in stored_timers and stored_timers[timer.spec_id] != timer.due_at
    ]
    moved += [
        f"{task.name}：{_day(stored_tasks[task.spec_id])} → {_day(task.due_at)}"
        for task in run.waiting.values()
        if task.spec_id in stored_tasks and stored_tasks[task.spec_id] != task.due_at
    ]
    return "；".join(sorted(set(moved)))


def _day(value: dt.datetime | None) -> str:
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else "无"
