"""Turning a step's result into what services return."""

from __future__ import annotations

from ..models import ProcessInstance
from ..process.projection import ReadyTask
from ..process.runtime import StepResult
from .results import StepOutcome, TaskSummary


def outcome_of(instance: ProcessInstance, result: StepResult, seq: int, delivered: int) -> StepOutcome:
    new = result.new_ready
    return StepOutcome(
        instance_id=instance.id,
        version=instance.state_version,
        status=instance.status,
        outcome=instance.outcome,
        event_seq=seq,
        next_tasks=[summary_of(task, instance) for task in new],
        messages_delivered=delivered,
    )


def summary_of(task: ReadyTask, instance: ProcessInstance) -> TaskSummary:
    return TaskSummary(
        id=task.id,
        instance_id=instance.id,
        name=task.name,
        name_en=task.name_en,
        role=task.role,
        form=task.form,
        due_at=task.due_at,
        spec_id=task.spec_id,
        instance_title=instance.title,
        instance_version=instance.state_version,
    )
