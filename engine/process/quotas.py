"""Limits a diagram sets on what people may do how often: how many objections one client may file
in a window (`objectionLimit` on the message event that takes them, "5/PT1H"), and how long after
an urge (催办) the same person may urge a task again (`urgeInterval`, "PT1H", on the task or on its
procedure's start event). Windows are ISO 8601 durations of days, hours and minutes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from .task_properties import properties_of

OBJECTION_LIMIT_PROPERTY = "objectionLimit"
COMMENT_LIMIT_PROPERTY = "commentLimit"  # villagers' comments per client, on the comment procedure's start
URGE_INTERVAL_PROPERTY = "urgeInterval"
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?")


@dataclass(frozen=True)
class Quota:
    limit: int
    window: dt.timedelta


def parse_window(text: str) -> dt.timedelta:
    """`P1D`, `PT1H`, `PT30M`, `P1DT12H`: a positive span of days, hours and minutes."""
    found = _DURATION.fullmatch(text.strip())
    if found is None or not any(found.groups()):
        raise ValueError(f"{text!r} is not a duration of days, hours and minutes such as PT1H")
    days, hours, minutes = (int(part or 0) for part in found.groups())
    window = dt.timedelta(days=days, hours=hours, minutes=minutes)
    if window <= dt.timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return window


def parse_quota(text: str) -> Quota:
    """`5/PT1H`: at most 5 in any window of an hour."""
    count, sep, window = text.partition("/")
    if not sep or not count.strip().isdigit() or int(count) < 1:
        raise ValueError(f"{text!r} is not a limit such as 5/PT1H (a count, then a duration)")
    return Quota(int(count), parse_window(window))


def element_property(specs: list[Any], name: str, where: Any) -> str | None:
    """The value of property `name` on the first element of `specs` that `where` accepts."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) and where(task_spec):
                value = properties_of(task_spec).get(name)
                if value:
                    return value
    return None


def start_property(spec: Any, name: str) -> str | None:
    return element_property([spec], name, lambda ts: isinstance(ts, StartEvent))
