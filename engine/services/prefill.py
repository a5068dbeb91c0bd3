"""A form that respects people's time: what it opens with, and why a task came back.

- A field whose form says `"x-prefill": "<path>"` opens with that value of the case's data (the
  nomination's post title, say), so nobody types twice what an earlier form already answered; with
  `"x-readonly": true` it cannot be changed (the completion is refused if it differs).
- A task that runs again in its case (sent back by 退回, or by a decision such as 退回修改) opens with
  what was submitted the last time, and with the reason it came back: a 退回's reason, or the answer
  of a later form's field marked `"x-return-reason": true`.

What of an earlier submission the reader may see is `disclosure`'s decision, as everywhere.
The hints are the forms'; nothing here knows a procedure.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition

from ..actor import Actor
from ..errors import FormInvalid
from ..models import Event, HumanTask, ProcessInstance, User
from ..process.catalog import LoadedVersion
from ..process.inspection import task_details
from ..process.moments import element_names
from ..process.step_forms import forms_by_element
from .disclosure import disclosure_of

PREFILL = "x-prefill"
READONLY = "x-readonly"
RETURN_REASON = "x-return-reason"


@dataclass(frozen=True)
class Returned:
    """Why a task is back: who sent it back, from which step, when, and what they wrote."""

    by: str
    step: str
    step_en: str
    at: dt.datetime
    reason: str


@dataclass(frozen=True)
class Prefill:
    values: dict[str, Any] = field(default_factory=dict)
    readonly: frozenset[str] = frozenset()
    returned: Returned | None = None
    previous: bool = False  # the values include what was submitted the last time


def value_at(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def hinted(form: FormDefinition, data: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """The values a form's `x-prefill` fields take from the data, and its read-only fields."""
    values, readonly = {}, set()
    for name, prop in form.schema.get("properties", {}).items():
        if not isinstance(prop, dict) or not prop.get(PREFILL):
            continue
        found = value_at(data, str(prop[PREFILL]))
        if found not in (None, "", []):
            values[name] = found
            if prop.get(READONLY) is True:
                readonly.add(name)
    return values, frozenset(readonly)


def prefill_for(
    session: Session,
    actor: Actor,
    version: LoadedVersion,
    task: HumanTask,
    form: FormDefinition,
    data: dict[str, Any],
) -> Prefill:
    """What the task's form opens with for the actor: the hints, then the last submission."""
    values, readonly = hinted(form, data)
    events = list(
        session.execute(
            select(Event).where(Event.instance_id == task.instance_id).order_by(Event.instance_version)
        ).scalars()
    )
    last = _last_submission(events, task)
    if last is None:
        return Prefill(values, readonly)
    payload = disclosure_of(version).payload(
        actor, last.spec_id, last.actor_user_id, json.loads(last.payload)
    )
    earlier: dict[str, Any] = (
        payload["data"] if isinstance(payload, dict) and isinstance(payload.get("data"), dict) else {}
    )
    fields = form.schema.get("properties", {})
    again = {k: v for k, v in earlier.items() if k in fields and k not in readonly}
    after = events[events.index(last) + 1 :]
    return Prefill({**values, **again}, readonly, _why_back(session, version, task, after), bool(again))


def _last_submission(events: list[Event], task: HumanTask) -> Event | None:
    """The last completion of the same step in the case (for one of several instances, by the
    same person: an evaluator's own earlier answer)."""
    for event in reversed(events):
        if event.kind != "complete" or event.spec_id != task.spec_id:
            continue
        if task.assignee_user_id is None or event.actor_user_id == task.assignee_user_id:
            return event
    return None


def _why_back(
    session: Session, version: LoadedVersion, task: HumanTask, after: list[Event]
) -> Returned | None:
    forms = forms_by_element(version)
    names = element_names(version)
    for event in reversed(after):
        payload = json.loads(event.payload)
        if not isinstance(payload, dict):
            continue
        reason = ""
        if event.kind == "return" and (payload.get("data") or {}).get("target") == task.spec_id:
            reason = str(payload.get("reason") or "")
        elif event.kind == "complete":
            reason = _return_reason(version, forms.get(event.spec_id or ""), payload.get("data"))
        if reason:
            name, name_en = names.get(event.spec_id or "", (str(payload.get("task") or ""), ""))
            return Returned(
                _name(session, event.actor_user_id), name, name_en or name, event.business_time, reason
            )
    return None


def _return_reason(version: LoadedVersion, form_name: str | None, data: Any) -> str:
    form = version.forms.get(form_name) if form_name else None
    if form is None or not isinstance(data, dict):
        return ""
    for name, prop in form.schema.get("properties", {}).items():
        if isinstance(prop, dict) and prop.get(RETURN_REASON) is True and data.get(name):
            return str(data[name])
    return ""


def _name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    row = session.execute(select(User.display_name, User.username).where(User.id == user_id)).first()
    return (row[0] or row[1]) if row else ""


def hold_readonly(
    version: LoadedVersion, instance: ProcessInstance, task: HumanTask, form: FormDefinition, data: Any
) -> Any:
    """A completion keeps the values its form marks read-only: a missing one is filled in, a
    different one is refused naming the field. Forms without such fields cost nothing."""
    marked = [
        name
        for name, prop in form.schema.get("properties", {}).items()
        if isinstance(prop, dict) and prop.get(READONLY) is True and prop.get(PREFILL)
    ]
    if not marked or not isinstance(data, dict):
        return data
    values, readonly = hinted(form, task_details(version, instance.state_json, task.id).data)
    held = dict(data)
    wrong: dict[str, tuple[str, str]] = {}
    properties = form.schema["properties"]
    for name in readonly:
        if name not in held:
            held[name] = values[name]
        elif held[name] != values[name]:
            title, title_en = properties[name]["title"], properties[name]["x-title-en"]
            wrong[name] = (
                f"{title_en}: read-only here, it keeps {values[name]!r} as an earlier step gave it",
                f"{title}：此处不可修改，应为之前填写的“{values[name]}”",
            )
    if wrong:
        raise FormInvalid(form.name, {k: v[0] for k, v in wrong.items()}, {k: v[1] for k, v in wrong.items()})
    return held
