"""What the history page shows of a replayed case, worded in the page's language: the events as a
timeline, and for the chosen one who acted, what waited, who held each open task, and the data."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from xianfeng.engine.models.org import ROLE_PUBLIC
from xianfeng.engine.services.audit.timeline import CaseHistory, CaseMoment, TimelineEvent
from xianfeng.engine.services.audit.timeline_fields import DataField
from xianfeng.engine.services.audit.timeline_people import OpenTask

from . import labels, presenters
from .case_text import outcome_words
from .layout import deadline


def named(name: str, name_en: str) -> str:
    return name_en if labels.lang() == "en" and name_en else name


def page(case: CaseHistory) -> dict[str, Any]:
    entries = [_entry(case, event) for event in case.events]
    before, after = case.neighbours()
    moment = case.moment
    return {
        "entries": entries,
        "chosen": next(entry for entry in entries if entry["current"]),
        "previous": _url(case, before) if before is not None else None,
        "next": _url(case, after) if after is not None else None,
        "count": len(entries),
        "index": [e["number"] for e in entries].index(case.position) + 1,
        "failed": failed_number(case),
        **(_moment(moment) if moment is not None else {}),
    }


def _url(case: CaseHistory, position: int) -> str:
    return url_for("history.show", instance_id=case.instance_id, at=position)


def _entry(case: CaseHistory, event: TimelineEvent) -> dict[str, Any]:
    logged = {
        "business_time": event.business_time,
        "actor": event.actor,
        "actor_name": event.actor_name,
        "role": event.role,
        "kind": event.kind,
        "payload": event.payload if isinstance(event.payload, dict) else {},
        "element": event.element,
    }
    row = presenters.history_rows([logged])[0]
    return {
        **row,
        "number": event.instance_version,
        "seq": event.seq,
        "role": labels.role(event.role),  # villagers act in the public role, which the history names too
        "step": named(event.task_name, event.task_name_en),
        "url": _url(case, event.instance_version),
        "current": event.instance_version == case.position,
        "replay": event.replay,
        "problem": event.problem,
        "changes_state": event.changes_state,
        "version": event.process_version,
        "bundle_hash": event.bundle_hash,
    }


def _moment(moment: CaseMoment) -> dict[str, Any]:
    people = [task for task in moment.open_tasks if task.role != ROLE_PUBLIC]
    public = [task for task in moment.open_tasks if task.role == ROLE_PUBLIC]
    counted = Counter(named(t.name, t.name_en) for t in public)
    due = {named(t.name, t.name_en): t.due_at for t in public}
    return {
        "open_rows": [_open_row(task) for task in people],
        "public_rows": [(name, count, due[name]) for name, count in sorted(counted.items())],
        "waiting_rows": [_waiting_text(event) for event in moment.waiting],
        "called_rows": [_called_row(moment, called) for called in moment.called],
        # Raw values the event did not change are many and rarely what an auditor looks for.
        "field_rows": [_field_row(f) for f in moment.fields if f.label or f.changed],
        "other_rows": [_field_row(f) for f in moment.fields if not (f.label or f.changed)],
        "raw_data": presenters.raw_json(moment.data),
        "marks": json.dumps({"completed": moment.completed, "current": moment.current}),
        "ended": _ended(moment),
    }


def _ended(moment: Any) -> str:
    """How the case ended at this moment, in the words of its end event."""
    return outcome_words(moment.outcome, moment.end_name, moment.end_name_en) if moment.finished else ""


def failed_number(case: CaseHistory) -> int | None:
    """The first event that failed to replay: nothing after it can be shown."""
    return next((e.instance_version for e in case.events if e.replay == "failed"), None)


def _open_row(task: OpenTask) -> dict[str, Any]:
    role = labels.role(task.role)
    if task.assignee_name and task.delegation_state == "pending" and task.owner_name:
        who = _("%(delegate)s（受 %(owner)s 委派）", delegate=task.assignee_name, owner=task.owner_name)
    elif task.assignee_name:
        who = task.assignee_name
    else:
        who = f"{role}{labels.paren(task.scope)}" if task.scope else role
    return {"name": named(task.name, task.name_en), "role": role, "who": who, "due_at": task.due_at}


def _waiting_text(event: Any) -> str:
    if event.kind == "timer":
        return _("%(name)s：定时，%(due)s 到期", name=event.name, due=deadline(event.due_at))
    if event.kind == "message":
        return _("%(name)s：等待消息", name=event.name)
    first = labels.joined(list(event.alternatives), enumeration=True)
    if event.due_at is not None:
        return _(
            "%(name)s：等待%(events)s之一，%(due)s 到期",
            name=event.name,
            events=first,
            due=deadline(event.due_at),
        )
    return _("%(name)s：等待%(events)s之一", name=event.name, events=first)


def _called_row(moment: CaseMoment, called: Any) -> dict[str, Any]:
    inside = [named(t.name, t.name_en) for t in moment.open_tasks if t.process_id == called.process_id]
    inside += [event.name for event in moment.waiting if event.process_id == called.process_id]
    return {
        "name": called.call_name,
        "state": _("进行中") if called.running else _("已取消"),
        "waiting": labels.joined(list(dict.fromkeys(inside)), enumeration=True),
        "data": presenters.raw_json(called.data) if called.data else "",
    }


def _field_row(field: DataField) -> dict[str, Any]:
    labelled = bool(field.label)
    return {
        "label": field.label.get(labels.lang(), field.path) if labelled else field.path,
        "value": _value_text(field) if labelled else _raw(field.value),
        "raw": not labelled,
        "changed": field.changed,
        "path": field.path,
    }


def _value_text(field: DataField) -> str:
    prop = {"x-enum-labels": field.options}
    if isinstance(field.value, list):
        return labels.joined([labels.option_text(prop, item) for item in field.value], enumeration=True)
    if isinstance(field.value, dict):
        return _raw(field.value)
    return labels.option_text(prop, field.value)


def _raw(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
