"""Names of the `spiffworkflow:property` entries the engine reads from a diagram.

These are how a diagram says who acts and by when, so that none of it lives in Python:
- `formJsonSchemaFilename` — the form (in `forms/`) of a user task or start event (SpiffArena's name);
- `assignee` — an expression giving the member id who must act (e.g. the nominee's consent);
- `dueInWorkingDays` — an expression giving the working days allowed from the moment the task is ready;
- `dueAt` — an expression giving an absolute ISO time (e.g. the end of an evaluation period);
- `nameEn` — the English name of the element (the diagram's `name` is Chinese);
- `outcome` (on end events) — a stable code for how the instance ended (e.g. `established`);
- `returnTargets` — comma-separated ids of earlier user tasks of the same process that an approver
  may send the case back to (退回);
- `remindBeforeWorkingDays` — remind whoever must act when this many working days are left;
- `escalateTo` — the role (`branch`, `committee`) told when the task is overdue;
- `cycle` (on a start event) — an ISO 8601 repeating interval (`R/2027-01-04T09:00:00+08:00/P6M`):
  the scheduler starts the process at each occurrence;
- `startFor` (on a start event) — whom one instance is for (`active_posts`, `active_areas`): a
  scheduled or bulk start makes one instance per subject.
"""

from __future__ import annotations

from ..models.org import ROLE_BRANCH, ROLE_COMMITTEE, ROLE_MEMBER, ROLE_PUBLIC

FORM_PROPERTY = "formJsonSchemaFilename"
ASSIGNEE_PROPERTY = "assignee"
DUE_IN_WORKING_DAYS_PROPERTY = "dueInWorkingDays"
DUE_AT_PROPERTY = "dueAt"
NAME_EN_PROPERTY = "nameEn"
OUTCOME_PROPERTY = "outcome"
RETURN_TARGETS_PROPERTY = "returnTargets"
CYCLE_PROPERTY = "cycle"
REMIND_PROPERTY = "remindBeforeWorkingDays"
ESCALATE_PROPERTY = "escalateTo"
START_FOR_PROPERTY = "startFor"
SUBJECTS = ("active_posts", "active_areas")  # what `startFor` may name (services.subjects runs them)

EXPRESSION_PROPERTIES = (ASSIGNEE_PROPERTY, DUE_IN_WORKING_DAYS_PROPERTY, DUE_AT_PROPERTY)

# The lane of a process's start event names the role that may start it; the public starts a
# villager's comment from a public page (no account).
STARTER_ROLES = (ROLE_BRANCH, ROLE_COMMITTEE, ROLE_MEMBER, ROLE_PUBLIC)


def properties_of(task_spec: object) -> dict[str, str]:
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties", {}))
