"""Which approver verbs a user task allows: a property of the task in its diagram.

`verbs` lists them, comma-separated, from VERBS: 退回 return, 转办 transfer, 委派 delegate, 加签
add_signer, 抄送 copy, 催办 urge. Without the property a task allows every verb, except a task
that belongs to one person (it has an `assignee`: an evaluator's score, the nominee's consent),
which may only be copied and urged: handing it on would let someone else answer in that person's
name. The services refuse a verb the task does not allow; the pages offer only those it allows.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.spiff.specs.defaults import UserTask

from .task_properties import ASSIGNEE_PROPERTY, properties_of

VERBS_PROPERTY = "verbs"
VERBS = ("return", "transfer", "delegate", "add_signer", "copy", "urge")
PERSONAL_VERBS = frozenset({"copy", "urge"})


def declared_verbs(task_spec: Any) -> list[str] | None:
    """The verbs the diagram lists for this task, as written (None: the property is absent)."""
    raw = properties_of(task_spec).get(VERBS_PROPERTY)
    if raw is None:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def verbs_of(task_spec: Any) -> frozenset[str]:
    declared = declared_verbs(task_spec)
    if declared is not None:
        return frozenset(declared) & frozenset(VERBS)
    if properties_of(task_spec).get(ASSIGNEE_PROPERTY):
        return PERSONAL_VERBS
    return frozenset(VERBS)


def user_task_spec(specs: list[Any], process_id: str, spec_id: str) -> Any | None:
    """The user task `spec_id` of the (called) process `process_id` among the version's specs; for
    a multi-instance task, its child (which carries the properties), not the wrapper."""
    for spec in specs:
        if spec.name != process_id:
            continue
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, UserTask) and task_spec.bpmn_id == spec_id:
                return task_spec
    return None


def allowed_verbs(version: Any, process_id: str, spec_id: str) -> frozenset[str]:
    """The verbs a ready task of `version` allows (none when its spec cannot be found)."""
    task_spec = user_task_spec([version.spec, *version.subprocess_specs.values()], process_id, spec_id)
    return verbs_of(task_spec) if task_spec is not None else frozenset()
