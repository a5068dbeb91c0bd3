"""Where a case stands, in sentences of the page's language: "测评结果公示中，2026-12-11 截止，剩余
5 个工作日", "党员测评：等待 张文明、刘秀英（1/3 已完成）". The names come from the diagrams (steps,
called processes) and the organisation (people); the sentence shapes are here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.process.standing import Call
from xianfeng.engine.services.standing import Deadline, Stage, WaitingEvent, WaitingStep

from . import labels

MOST_NAMES = 6  # a role-wide step names this many people, then says how many more


@dataclass(frozen=True)
class Line:
    text: str
    task_ids: list[str] = field(default_factory=list)
    overdue: bool = False
    assignees: dict[str, str] = field(default_factory=dict)  # task id -> the one person it waits for


@dataclass(frozen=True)
class StageText:
    heading: str  # "" for the case's own process
    overdue: bool
    lines: list[Line]


def _words(chinese: str, english: str) -> str:
    if labels.lang() == "en":
        return english or _(chinese)
    return chinese


def then(first: str, more: str) -> str:
    """Two clauses of one sentence: "，" in Chinese, ", " in English."""
    return f"{first}, {more}" if labels.lang() == "en" else f"{first}，{more}"


def day(value: dt.datetime) -> str:
    """A deadline as a reader says it: a period ending at 00:00 ends on the day before."""
    local = value.astimezone(CHINA_TZ)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{local - dt.timedelta(days=1):%Y-%m-%d}"
    return f"{local:%Y-%m-%d %H:%M}"


def deadline_words(deadline: Deadline) -> str:
    if deadline.overdue:
        return _("%(day)s 截止，已逾期", day=day(deadline.due_at))
    days = deadline.working_days_left
    left = _("剩余 1 个工作日") if days == 1 else _("剩余 %(num)s 个工作日", num=days)
    return _("%(day)s 截止，%(left)s", day=day(deadline.due_at), left=left)


def call_name(call: Call) -> str:
    return _words(call.name, call.name_en)


def people_words(names: list[str]) -> str:
    if len(names) <= MOST_NAMES:
        return labels.joined(names, enumeration=True)
    shown = labels.joined(names[:MOST_NAMES], enumeration=True)
    return _("%(names)s 等 %(count)s 人", names=shown, count=len(names))


def step_line(step: WaitingStep, stage_deadline: Deadline | None) -> Line:
    name = _words(step.name, step.name_en)
    if step.public:
        waiting = len(step.task_ids)
        text = _("%(step)s：待 %(count)s 位群众通过链接填写", step=name, count=waiting)
    elif step.delegated_by:
        text = _(
            "%(step)s：等待 %(people)s 办理（受 %(owner)s 委派）",
            step=name,
            people=people_words(step.people),
            owner=people_words(step.delegated_by),
        )
    else:
        text = _(
            "%(step)s：等待 %(people)s", step=name, people=people_words(step.people) or _("（无人可办理）")
        )
    if step.total:
        text += labels.paren(_("%(done)s/%(total)s 已完成", done=step.done, total=step.total))
    if step.signers:
        text = then(text, _("待 %(people)s 加签", people=people_words(step.signers)))
    if step.deadline and step.deadline != stage_deadline:
        text = then(text, deadline_words(step.deadline))
    return Line(text, step.task_ids, bool(step.deadline and step.deadline.overdue), step.assignees)


def event_line(event: WaitingEvent) -> Line:
    name = _words(event.name, event.name_en)
    text = _("等待%(event)s", event=name)
    if event.kind == "several" and event.alternatives:
        either = [_words(chinese, english) for chinese, english in event.alternatives]
        text = _("等待%(events)s", events=_(" 或 ").join(either))
    if event.deadline:
        text = then(text, deadline_words(event.deadline))
    return Line(text, [], bool(event.deadline and event.deadline.overdue))


def stage_text(stage: Stage) -> StageText:
    """A called process reads as "测评结果公示中": with its deadline, or its one timer's when nothing
    else waits in it."""
    lines = [step_line(step, stage.deadline) for step in stage.steps]
    deadline = stage.deadline
    events = list(stage.events)
    if stage.call is not None and not stage.steps and deadline is None:
        timed = [e for e in events if e.deadline is not None]
        if len(timed) == 1:  # the whole stage waits for its period to end (a notice)
            deadline = timed[0].deadline
            events.remove(timed[0])
    lines += [event_line(event) for event in events]
    if stage.call is None:
        return StageText("", False, lines)
    heading = _("%(stage)s中", stage=call_name(stage.call))
    if deadline is not None:
        heading = then(heading, deadline_words(deadline))
    return StageText(heading, bool(deadline and deadline.overdue), lines)


def standing_texts(stages: list[Stage]) -> list[StageText]:
    return [stage_text(stage) for stage in stages]


def summary(stages: list[StageText]) -> str:
    """One sentence for the case's header: the first stage's heading, or its first line."""
    for stage in stages:
        if stage.heading:
            return stage.heading
        if stage.lines:
            return stage.lines[0].text
    return ""


def as_json(stages: list[StageText]) -> list[dict[str, Any]]:
    return [
        {"heading": s.heading, "overdue": s.overdue, "lines": [line.text for line in s.lines]} for s in stages
    ]
