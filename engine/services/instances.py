"""Reading instances: their state, their history and their open public links."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from ..actor import Actor
from ..errors import NotFound
from ..kernel import Kernel
from ..models import Event, HumanTask, ProcessInstance, ProcessVersion, PublicLink, TimerRow
from ..process.case_fields import case_fields
from ..process.end_events import end_events
from ..process.inspection import inspect
from ..process.task_verbs import allowed_verbs
from . import authz, surveys
from .disclosure import disclosure_of
from .standing import case_standing
from .taskview import display_names


def _instance(session: Any, actor: Actor, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"no instance {instance_id}", instance_id=instance_id)
    authz.check_may_read(actor, instance)
    return instance


def show(kernel: Kernel, actor: Actor, instance_id: int) -> dict[str, Any]:
    """Everything an approver or auditor needs to see of one instance now."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = _instance(session, actor, instance_id)
        version_row = session.get(ProcessVersion, instance.process_version_id)
        assert version_row is not None
        version = kernel.catalog.get(session, instance.process_version_id)
        view = inspect(version, instance.state_json)
        data = disclosure_of(version).data(actor, view.data)
        ended = next((e for e in end_events(version) if e.element == instance.end_event), None)
        ready = session.execute(select(HumanTask).where(HumanTask.instance_id == instance_id)).scalars().all()
        timers = session.execute(select(TimerRow).where(TimerRow.instance_id == instance_id)).scalars().all()
        return {
            "id": instance.id,
            "process_key": instance.process_key,
            "title": instance.title,
            "status": instance.status,
            "outcome": instance.outcome,
            "end_event": instance.end_event,
            "version": instance.state_version,
            "events": instance.version,
            "branch_id": instance.branch_id,
            "process_version": {
                "id": version_row.id,
                "version": version_row.version,
                "bundle_hash": version_row.bundle_hash,
                "files": version_row.files,
            },
            "started_at": instance.started_at,
            "updated_at": instance.updated_at,
            "ended_at": instance.ended_at,
            "task_count": instance.task_count,
            "max_depth": instance.max_depth,
            "head_hash": instance.head_hash,
            "ready_tasks": [
                {
                    "id": t.id,
                    "name": t.name,
                    "role": t.role,
                    "form": t.form,
                    "due_at": t.due_at,
                    "assignee_user_id": t.assignee_user_id,
                    # Whether the task's diagram lets it be urged (verbs): pages offer 催办 only then.
                    "urgeable": "urge" in allowed_verbs(version, t.process_id, t.spec_id),
                }
                for t in ready
            ],
            "timers": [{"id": t.id, "element": t.spec_id, "due_at": t.due_at} for t in timers],
            "completed_elements": view.completed_elements,
            "data": data,
            # What the procedure's page shows of the data, named by its diagram (caseFields).
            "fields": case_fields(version, data),
            # How the case ended, in the words of the end event it ended on.
            "outcome_name": ended.name if ended else "",
            "outcome_name_en": ended.name_en if ended else "",
            # Where it waits, grouped by the called process each step runs in, with people and deadlines.
            "standing": case_standing(session, kernel, instance),
            # The procedure's name ("中文 English") and who started the case, by name.
            "process_name": version.name or instance.process_key,
            "started_by_name": display_names(session, [instance.started_by]).get(instance.started_by, ""),
            # The ready tasks the reader may act on (the page links them, and offers them no 催办).
            "my_tasks": [t.id for t in ready if authz.may_act(actor, t, instance)],
        }


def history(kernel: Kernel, actor: Actor, instance_id: int) -> list[dict[str, Any]]:
    """The instance's events in order, as the chain stores them."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        instance = _instance(session, actor, instance_id)
        disclosure = disclosure_of(kernel.catalog.get(session, instance.process_version_id))
        events = (
            session.execute(
                select(Event).where(Event.instance_id == instance_id).order_by(Event.instance_version)
            )
            .scalars()
            .all()
        )
        names = display_names(session, list({e.actor_user_id for e in events}))
        views = [{**_event_view(event), "actor_name": names.get(event.actor_user_id, "")} for event in events]
        for view, event in zip(views, events, strict=True):
            view["payload"] = disclosure.payload(actor, event.spec_id, event.actor_user_id, view["payload"])
        return views


def _event_view(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "instance_version": event.instance_version,
        "kind": event.kind,
        "task_id": event.task_id,
        "element": event.spec_id,
        "actor": event.actor,
        "role": event.role,
        "business_time": event.business_time,
        "recorded_at": event.recorded_at,
        "payload": json.loads(event.payload),
        "effects": json.loads(event.effects),
        "bundle_hash": event.bundle_hash,
        "state_hash": event.state_hash,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }


def links(kernel: Kernel, actor: Actor, instance_id: int) -> list[dict[str, Any]]:
    """Open single-use links of the instance's public tasks (to print or hand out as QR codes)."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        authz.check_may_hand_out_links(actor, _instance(session, actor, instance_id))
        rows = session.execute(
            select(PublicLink, HumanTask.name, HumanTask.name_en)
            .join(HumanTask, HumanTask.id == PublicLink.task_id)
            .where(
                PublicLink.instance_id == instance_id,
                PublicLink.used_at.is_(None),
                PublicLink.closed_at.is_(None),
            )
            .order_by(HumanTask.mi_index, PublicLink.created_at)
        ).all()
        task_links = [
            {
                "token": link.token,
                "task_id": link.task_id,
                "task": name,
                "task_en": name_en,
                "expires_at": link.expires_at,
                "kind": "task",
            }
            for link, name, name_en in rows
        ]
        return task_links + surveys.open_links(session, instance_id)
