"""What a case's history needs of its diagrams besides names: the form each user task is done
with (its answers are labelled by that form), and which timer event a waiting event-based
gateway's timer row stands for (the gateway is what the row names)."""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.specs.defaults import UserTask

from .catalog import LoadedVersion
from .task_properties import FORM_PROPERTY, properties_of


def forms_by_element(version: LoadedVersion) -> dict[str, str]:
    """The form of each user task, by element id, across the version's processes."""
    forms: dict[str, str] = {}
    for spec in (version.spec, *version.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            form = properties_of(task_spec).get(FORM_PROPERTY)
            if isinstance(task_spec, UserTask) and form and getattr(task_spec, "bpmn_id", None):
                forms.setdefault(task_spec.bpmn_id, form)
    return forms


def gateway_timers(version: LoadedVersion) -> dict[str, str]:
    """Event-based gateway id -> the id of the timer event among those it waits for."""
    found: dict[str, str] = {}
    for spec in (version.spec, *version.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if not isinstance(definition, MultipleEventDefinition):
                continue
            # The gateway holds its events' definitions; a timer's is named as its catch event.
            timers = {d.name for d in definition.event_definitions if isinstance(d, TimerEventDefinition)}
            for output in task_spec.outputs:
                if getattr(output, "bpmn_name", None) in timers:
                    found[task_spec.bpmn_id] = output.bpmn_id
    return found
