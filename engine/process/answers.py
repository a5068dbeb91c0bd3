"""Which user tasks hold personal answers, who reads them, and where those answers live in a case's
data: read from the diagrams (`answersReadBy` on a user task, roles comma-separated).

A democratic evaluation's scores (民主测评) and paper ballots are such answers; what a reader may
see of them is decided in `services.disclosure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.spiff.specs.defaults import UserTask

from .catalog import LoadedVersion
from .task_properties import properties_of

ANSWERS_READ_BY = "answersReadBy"


@dataclass(frozen=True)
class PersonalAnswers:
    """By element id: the roles that read its answers, and the data keys those answers live under
    while the case runs (the task's variable, a multi-instance activity's output)."""

    readers: dict[str, frozenset[str]]
    keys: dict[str, frozenset[str]]


def personal_answers(version: LoadedVersion) -> PersonalAnswers:
    readers: dict[str, frozenset[str]] = {}
    keys: dict[str, frozenset[str]] = {}
    for spec in (version.spec, *version.subprocess_specs.values()):
        wrappers = {ts.task_spec: ts for ts in spec.task_specs.values() if isinstance(ts, MultiInstanceTask)}
        for task_spec in spec.task_specs.values():
            raw = properties_of(task_spec).get(ANSWERS_READ_BY)
            if raw is None or not isinstance(task_spec, UserTask):
                continue
            readers[task_spec.bpmn_id] = frozenset(r.strip() for r in raw.split(",") if r.strip())
            keys[task_spec.bpmn_id] = frozenset(_answer_keys(task_spec, wrappers.get(task_spec.name)))
    return PersonalAnswers(readers, keys)


def _answer_keys(task_spec: Any, wrapper: Any | None) -> list[str]:
    found = [str((task_spec.extensions or {}).get("variableName") or "")]
    if wrapper is not None:
        for item in (wrapper.data_output, wrapper.output_item):
            found.append(str(getattr(item, "bpmn_id", "") or ""))
    return [key for key in found if key]
