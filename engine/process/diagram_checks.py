"""Deploy-time checks that SpiffWorkflow's own parser does not make.

Every expression a diagram carries (scripts, pre/post scripts, gateway conditions, timer
expressions, multi-instance conditions, service-task parameters, decision-table cells, and our task
properties) must compile in the sandbox; every user task must sit in a lane that names a role and
reference a form that exists; every service task must call a whitelisted operation; every called
process must exist. Problems are collected, not raised one at a time, so an administrator sees
them all at once.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask, ServiceTask, UserTask

from ..errors import DiagramLocation
from ..models.org import LANE_ROLES
from .bundle import ParsedBundle
from .cycles import parse_cycle
from .decision_checks import table_problems
from .operations.creation import number_format_problem
from .quotas import (
    COMMENT_LIMIT_PROPERTY,
    OBJECTION_LIMIT_PROPERTY,
    URGE_INTERVAL_PROPERTY,
    parse_quota,
    parse_window,
)
from .scripting import ScriptCompileError, compile_expression, compile_script
from .service_tasks import SERVICE_TASKS
from .task_properties import (
    CYCLE_PROPERTY,
    ESCALATE_PROPERTY,
    EXPRESSION_PROPERTIES,
    FORM_PROPERTY,
    REMIND_PROPERTY,
    RETURN_TARGETS_PROPERTY,
    START_FOR_PROPERTY,
    STARTER_ROLES,
    SUBJECTS,
    properties_of,
)
from .task_verbs import VERBS, VERBS_PROPERTY, declared_verbs

Problem = tuple[DiagramLocation, str]
_DMN_INPUT = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def check_bundle(bundle: ParsedBundle) -> list[Problem]:
    problems: list[Problem] = []
    for process_id, spec in sorted(bundle.specs.items()):
        file_name = bundle.file_of_process(process_id)
        for task_spec in spec.task_specs.values():
            problems.extend(_check_task_spec(bundle, file_name, task_spec))
        problems.extend(_check_start(bundle, file_name, spec))
    # A decision table used by several tasks is reported once.
    return list({(str(where), message): (where, message) for where, message in problems}.values())


def _check_task_spec(bundle: ParsedBundle, file_name: str, task_spec: Any) -> Iterable[Problem]:
    element = getattr(task_spec, "bpmn_id", None)
    if element is None:
        return []
    where = bundle.lines.locate(file_name, element)
    problems: list[Problem] = []
    problems.extend(_check_scripts(where, task_spec))
    problems.extend(_check_conditions(bundle, file_name, task_spec))
    problems.extend(_check_limits(where, task_spec))
    if isinstance(task_spec, UserTask):
        problems.extend(_check_user_task(bundle, where, task_spec))
    if isinstance(task_spec, ServiceTask):
        problems.extend(_check_service_task(where, task_spec, bundle.forms))
    if isinstance(task_spec, BusinessRuleTask):
        problems.extend(_check_decision(bundle, task_spec))
    if isinstance(task_spec, CallActivity) and task_spec.spec not in bundle.specs:
        problems.append((where, f"calls process {task_spec.spec!r}, which no deployed diagram defines"))
    return problems


def _check_scripts(where: DiagramLocation, task_spec: Any) -> Iterable[Problem]:
    for label, source in (
        ("script", getattr(task_spec, "script", None)),
        ("pre-script", getattr(task_spec, "prescript", None)),
        ("post-script", getattr(task_spec, "postscript", None)),
    ):
        if source:
            yield from _compiles(where, label, source, compile_script)


def _check_conditions(bundle: ParsedBundle, file_name: str, task_spec: Any) -> Iterable[Problem]:
    where = bundle.lines.locate(file_name, task_spec.bpmn_id)
    for condition, target in getattr(task_spec, "cond_task_specs", []) or []:
        source = getattr(condition, "args", [None])[0] if condition is not None else None
        if source is not None:
            yield from _compiles(where, f"condition of the flow to {target}", source, compile_expression)
    event_definition = getattr(task_spec, "event_definition", None)
    if isinstance(event_definition, TimerEventDefinition):
        yield from _compiles(where, "timer expression", event_definition.expression, compile_expression)
    if isinstance(task_spec, MultiInstanceTask | LoopTask) and getattr(task_spec, "condition", None):
        yield from _compiles(where, "loop/completion condition", task_spec.condition, compile_expression)
    if isinstance(task_spec, MultiInstanceTask) and getattr(task_spec, "cardinality", None):
        yield from _compiles(where, "loop cardinality", task_spec.cardinality, compile_expression)


def _check_user_task(bundle: ParsedBundle, where: DiagramLocation, task_spec: Any) -> Iterable[Problem]:
    if task_spec.lane not in LANE_ROLES:
        yield (
            where,
            f"user task is in lane {task_spec.lane!r}; lanes must be one of {', '.join(LANE_ROLES)}",
        )
    properties = (task_spec.extensions or {}).get("properties", {})
    form = properties.get(FORM_PROPERTY)
    if not form:
        yield (where, f"user task names no form (spiffworkflow property {FORM_PROPERTY})")
    elif form not in bundle.forms:
        yield (where, f"user task names form {form!r}, which is not among the deployed forms")
    for name in EXPRESSION_PROPERTIES:
        if properties.get(name):
            yield from _compiles(where, f"property {name}", properties[name], compile_expression)
    if properties.get(REMIND_PROPERTY) and not properties[REMIND_PROPERTY].isdigit():
        yield (where, f"{REMIND_PROPERTY} must be a whole number of working days")
    if properties.get(ESCALATE_PROPERTY, "") not in ("", "branch", "committee"):
        yield (where, f"{ESCALATE_PROPERTY} must be branch or committee")
    yield from _check_verbs(where, task_spec)
    for target in [t.strip() for t in properties.get(RETURN_TARGETS_PROPERTY, "").split(",") if t.strip()]:
        target_spec = task_spec._wf_spec.task_specs.get(target)
        if not isinstance(target_spec, UserTask):
            yield (where, f"returnTargets names {target!r}, which is not a user task of the same process")


def _check_limits(where: DiagramLocation, task_spec: Any) -> Iterable[Problem]:
    """The limits a diagram sets on objections, comments and urging must read as a count and a duration."""
    properties = properties_of(task_spec)
    limits = (
        (OBJECTION_LIMIT_PROPERTY, parse_quota),
        (COMMENT_LIMIT_PROPERTY, parse_quota),
        (URGE_INTERVAL_PROPERTY, parse_window),
    )
    for name, parse in limits:
        if name in properties:
            try:
                parse(properties[name])
            except ValueError as exc:
                yield (where, f"{name}: {exc}")


def _check_verbs(where: DiagramLocation, task_spec: Any) -> Iterable[Problem]:
    unknown = [verb for verb in declared_verbs(task_spec) or [] if verb not in VERBS]
    if unknown:
        yield (where, f"{VERBS_PROPERTY} names {', '.join(unknown)}; a task may allow {', '.join(VERBS)}")


def service_form(task_spec: Any) -> str | None:
    """The form a service task names in a `form` parameter (a survey's), which must be a literal."""
    param = (task_spec.operation_params or {}).get("form")
    if param is None:
        return None
    try:
        value = ast.literal_eval(param["value"])
    except (ValueError, SyntaxError):
        return ""
    return value if isinstance(value, str) else ""


def _check_service_task(where: DiagramLocation, task_spec: Any, forms: Iterable[str]) -> Iterable[Problem]:
    form = service_form(task_spec)
    if form == "":
        yield (where, 'the form parameter must be a quoted file name, e.g. "satisfaction.json"')
    elif form is not None and form not in forms:
        yield (where, f"service task names form {form!r}, which is not among the deployed forms")
    if task_spec.operation_name not in SERVICE_TASKS:
        known = ", ".join(sorted(SERVICE_TASKS))
        yield (
            where,
            f"service task calls {task_spec.operation_name!r}, not a whitelisted operation ({known})",
        )
    for name, param in (task_spec.operation_params or {}).items():
        yield from _compiles(where, f"parameter {name}", param["value"], compile_expression)
        if name.endswith("_format"):
            yield from _check_number_format(where, name, param["value"])


def _check_number_format(where: DiagramLocation, name: str, source: str) -> Iterable[Problem]:
    """A plate or badge number format is a quoted literal the deployment can check now."""
    try:
        template = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        template = None
    if not isinstance(template, str):
        yield (where, f'parameter {name} must be a quoted format, e.g. "{{town}}-SFG-{{year}}-{{n:04}}"')
        return
    problem = number_format_problem(template)
    if problem:
        yield (where, f"parameter {name}: {problem}")


def _check_decision(bundle: ParsedBundle, task_spec: Any) -> Iterable[Problem]:
    table = task_spec.dmnEngine.decision_table
    decision_id = (task_spec.extensions or {}).get("calledDecisionId", "")
    file_name = bundle.file_of_decision(decision_id) or "?"
    for column in table.inputs:
        where = bundle.lines.locate(file_name, column.id)
        yield from _compiles(where, "input expression", column.expression or "", compile_expression)
    for rule in table.rules:
        where = bundle.lines.locate(file_name, rule.id)
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                if lhs:
                    yield from _compiles(
                        where, "input entry", _dmn_match(entry.input.expression, lhs), compile_expression
                    )
        for output in rule.outputEntries:
            if output.text:
                yield from _compiles(where, "output entry", output.text, compile_expression)
    for element, message in table_problems(decision_id, table):
        yield (bundle.lines.locate(file_name, element), message)


def _dmn_match(input_expression: str, entry: str) -> str:
    """The expression SpiffWorkflow's DMN engine will evaluate for this cell (see DMNEngine.evaluate)."""
    if _DMN_INPUT.search(entry):
        return _DMN_INPUT.sub("dmninputexpr", entry)
    try:
        compile_expression(entry)
        return f"({input_expression}) == ({entry})"
    except ScriptCompileError:
        return f"{input_expression} {entry}"


def _check_start(bundle: ParsedBundle, file_name: str, spec: Any) -> Iterable[Problem]:
    starts = [ts for ts in spec.task_specs.values() if isinstance(ts, StartEvent) and ts.bpmn_id]
    for start in starts:
        where = bundle.lines.locate(file_name, start.bpmn_id)
        if start.lane is not None and start.lane not in STARTER_ROLES:
            yield (
                where,
                f"start event in lane {start.lane!r}; processes are started by {', '.join(STARTER_ROLES)}",
            )
        properties = (start.extensions or {}).get("properties", {})
        form = properties.get(FORM_PROPERTY)
        if form and form not in bundle.forms:
            yield (where, f"start event names form {form!r}, which is not among the deployed forms")
        if properties.get(CYCLE_PROPERTY):
            try:
                parse_cycle(properties[CYCLE_PROPERTY])
            except ValueError as exc:
                yield (where, f"cycle: {exc}")
        subject = properties.get(START_FOR_PROPERTY)
        if subject and subject not in SUBJECTS:
            yield (where, f"startFor names {subject!r}; known subjects are {', '.join(SUBJECTS)}")


def _compiles(where: DiagramLocation, label: str, source: str, compiler: Any) -> Iterable[Problem]:
    try:
        compiler(source)
    except ScriptCompileError as exc:
        line = f" (line {exc.line} of the {label})" if exc.line else ""
        yield (where, f"{label} is refused by the sandbox{line}: {exc.message}")
