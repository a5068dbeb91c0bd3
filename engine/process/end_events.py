"""Names a person reads for a case, taken from its pinned diagrams: how each end event of a process
is called (a case's outcome: 测评逾期，推荐失效, 不予批准, 示范岗设立 …) and what each element is
called (what a waiting timer waits for).

The diagrams are the only place these names live, so that an administrator who renames an end
event renames the outcome on every page that lists cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent

from .catalog import LoadedVersion
from .task_properties import NAME_EN_PROPERTY, OUTCOME_PROPERTY, properties_of


@dataclass(frozen=True)
class EndEventName:
    """One end event of a process: its element id, the outcome code an instance ending there gets
    (its `outcome` property, or the element id, as `projection.end_of` records it), and its names."""

    element: str
    outcome: str
    name: str
    name_en: str


def end_events(version: LoadedVersion) -> list[EndEventName]:
    """The end events of the version's own process (not of the processes it calls), in diagram order:
    the outcomes an instance of it can end with."""
    ends = []
    for task_spec in version.spec.task_specs.values():
        element = getattr(task_spec, "bpmn_id", None)
        if isinstance(task_spec, EndEvent) and element:
            properties = properties_of(task_spec)
            ends.append(
                EndEventName(
                    element=element,
                    outcome=properties.get(OUTCOME_PROPERTY, element),
                    name=task_spec.bpmn_name or "",
                    name_en=properties.get(NAME_EN_PROPERTY, ""),
                )
            )
    return ends


def element_names(version: LoadedVersion) -> dict[str, tuple[str, str]]:
    """Element id → (name, English name) over the version's process and the processes it calls."""
    names: dict[str, tuple[str, str]] = {}
    for spec in (version.spec, *version.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            if element and element not in names:
                english = properties_of(task_spec).get(NAME_EN_PROPERTY, "")
                names[element] = (task_spec.bpmn_name or element, english)
    return names
