"""A decision table asked outside a running case, on facts a page has gathered: the ledger shows who
is eligible for commendation by the very table the listing procedure decides with, so that the two
never disagree and an administrator changes the rule in one place.

The table is the one a business-rule task of the given (current) version calls; it runs in the
same sandbox as in a step, on a copy of the facts.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from ..errors import NotFound, ServiceTaskError
from .catalog import LoadedVersion
from .scripting import SandboxEnvironment, SandboxScriptEngine


def _table(version: LoadedVersion, decision_id: str) -> Any:
    for spec in (version.spec, *version.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            called = (getattr(task_spec, "extensions", None) or {}).get("calledDecisionId")
            if isinstance(task_spec, BusinessRuleTask) and called == decision_id:
                return task_spec.dmnEngine
    raise NotFound(
        f"process {version.process_key} version {version.version} asks no decision table {decision_id!r}",
        decision_id=decision_id,
    )


def decide(version: LoadedVersion, decision_id: str, facts: dict[str, Any]) -> dict[str, Any]:
    """The outputs of the first matching rule (or, under COLLECT, of every one), as a step would
    merge them into the case's data; {} when no rule matches."""
    engine = _table(version, decision_id)
    task = SimpleNamespace(data=copy.deepcopy(facts))
    task.workflow = SimpleNamespace(script_engine=SandboxScriptEngine(SandboxEnvironment()))
    task.task_spec = SimpleNamespace(name=decision_id, bpmn_id=decision_id)
    try:
        return dict(engine.result(task))
    except SpiffWorkflowException as exc:
        raise ServiceTaskError(f"decision table {decision_id} failed: {exc}") from exc
