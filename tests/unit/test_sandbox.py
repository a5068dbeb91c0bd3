"""The diagram-script sandbox: escape probes, resource bombs and the scripts diagrams really contain.

Every probe asserts the precise exception and that its side effect did not happen (a marker file
in tmp_path stays absent, the variable it would set is missing). Timeout probes use a 0.2 s limit
and assert that the refusal came within half a second of it.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from xianfeng.engine.process import sandbox_guards
from xianfeng.engine.process.sandbox_guards import Guards, Run
from xianfeng.engine.process.scripting import (
    SandboxEnvironment,
    SandboxScriptEngine,
    SandboxViolation,
    ScriptCompileError,
    ScriptTimeout,
    compile_expression,
    compile_script,
)

LIMIT = 0.2
NOW = "2025-03-01T09:00:00+08:00"
SANDBOX_ERRORS = (ScriptCompileError, SandboxViolation, ScriptTimeout)


@pytest.fixture
def env() -> SandboxEnvironment:
    return SandboxEnvironment(helpers={"now": lambda: NOW}, time_limit=LIMIT)


def run(env: SandboxEnvironment, source: str, **data: Any) -> dict[str, Any]:
    context = dict(data)
    env.execute(source, context)
    return context


def touch(marker: Path) -> str:
    return f"touch {marker}"


def assert_times_out(env: SandboxEnvironment, source: str) -> dict[str, Any]:
    context: dict[str, Any] = {}
    started = time.monotonic()
    with pytest.raises(ScriptTimeout, match=r"longer than its limit of 0\.2 s"):
        env.execute(source, context)
    assert time.monotonic() - started < LIMIT + 0.5
    return context


# --- real SpiffWorkflow runs ---------------------------------------------------------------------

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
    '20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" '
    'targetNamespace="x"><bpmn:process id="p" isExecutable="true">'
    '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
)
TAIL = "</bpmn:process></bpmn:definitions>"
LINE = (
    '<bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
)


def script_bpmn(script: str) -> str:
    task = "<bpmn:scriptTask id='t'><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
    return f"{HEAD}{task}<bpmn:script><![CDATA[{script}]]></bpmn:script></bpmn:scriptTask>{LINE}{TAIL}"


def gateway_bpmn(condition: str) -> str:
    return (
        f'{HEAD}<bpmn:exclusiveGateway id="t" default="f3"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>"
        '<bpmn:endEvent id="yes"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:endEvent id="no"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="yes">'
        f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="no"/>'
        f"{TAIL}"
    )


def service_bpmn(value: str) -> str:
    operator = (
        '<spiffworkflow:serviceTaskOperator id="op" resultVariable="r"><spiffworkflow:parameters>'
        f'<spiffworkflow:parameter id="a" type="int" value="{escape(value)}"/>'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
    )
    return (
        f'{HEAD}<bpmn:serviceTask id="t"><bpmn:extensionElements>{operator}</bpmn:extensionElements>'
        f"<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>{LINE}{TAIL}"
    )


def run_workflow(bpmn: str, env: SandboxEnvironment, **data: Any) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(bpmn.encode())
    workflow = BpmnWorkflow(parser.get_spec("p"), script_engine=SandboxScriptEngine(env))
    workflow.task_tree.data.update(data)
    workflow.do_engine_steps()
    return workflow


def sandbox_cause(error: BaseException) -> BaseException:
    """The sandbox's own error behind a SpiffWorkflow exception (raised `from` it or while handling it)."""
    seen: BaseException | None = error
    while seen is not None and not isinstance(seen, SANDBOX_ERRORS):
        seen = seen.__cause__ or seen.__context__
    assert seen is not None, f"no sandbox error behind {error!r}"
    return seen


# --- escape probes: imports, files, introspection ----------------------------------------------


def test_import_os_is_refused_when_compiling(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptCompileError, match="Line 1: import statements are not allowed") as caught:
        run(env, "import os\nx = os.getcwd()")
    assert caught.value.line == 1


def test_dunder_import_is_refused(env: SandboxEnvironment, tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    with pytest.raises(ScriptCompileError, match='"__import__" is an invalid variable name'):
        run(env, f"__import__('os').system('{touch(marker)}')")
    assert not marker.exists()


def test_open_for_reading_is_not_a_builtin(env: SandboxEnvironment, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    context: dict[str, Any] = {}
    with pytest.raises(NameError, match="name 'open' is not defined"):
        env.execute(f"x = open({str(secret)!r}).read()", context)
    assert "x" not in context


def test_open_for_writing_is_not_a_builtin(env: SandboxEnvironment, tmp_path: Path) -> None:
    target = tmp_path / "written"
    with pytest.raises(NameError, match="name 'open' is not defined"):
        run(env, f"open({str(target)!r}, 'w').write('x')")
    assert not target.exists()


def test_subclasses_walk_to_os_system_is_refused(env: SandboxEnvironment, tmp_path: Path) -> None:
    marker = tmp_path / "escaped"
    walk = (
        "w = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]\n"
        f"x = w.__init__.__globals__['system']('{touch(marker)}')"
    )
    with pytest.raises(ScriptCompileError, match='"__class__" is an invalid attribute name'):
        run(env, walk)
    assert not marker.exists()


def gen() -> Any:
    yield 1


@pytest.mark.parametrize(
    ("obj", "name"),
    [
        ((), "__class__"),
        (lambda: 0, "__globals__"),
        (lambda: 0, "func_name"),
        (gen(), "gi_frame"),
        ("{0.__class__}", "format"),
        ("{0.__class__}", "format_map"),
        (str, "format"),
        (1, "to_bytes"),
        (ValueError("x"), "args"),
        (dt.datetime(2025, 1, 1), "now"),
        (dt.date(2025, 1, 1), "today"),
    ],
)
def test_runtime_attribute_guard_is_an_allowlist(obj: Any, name: str) -> None:
    """Even if the compiler let a name through, the `_getattr_` guard refuses it on its own."""
    with pytest.raises(SandboxViolation, match="not accessible to scripts"):
        Guards(Run(1.0)).getattr(obj, name)


def test_getattr_builtin_is_missing(env: SandboxEnvironment) -> None:
    context: dict[str, Any] = {}
    with pytest.raises(NameError, match="name 'getattr' is not defined"):
        env.execute("x = getattr(1, '__class__')", context)
    assert "x" not in context


def test_builtins_subscript_is_refused(env: SandboxEnvironment, tmp_path: Path) -> None:
    marker = tmp_path / "builtins"
    with pytest.raises(ScriptCompileError, match='"__builtins__" is an invalid variable name'):
        run(env, f"__builtins__['__import__']('os').system('{touch(marker)}')")
    assert not marker.exists()


@pytest.mark.parametrize(
    "source",
    ["f = lambda: 0\nx = f.__globals__", "def f():\n    return 0\nx = f.__globals__['__builtins__']"],
)
def test_function_globals_are_unreachable(env: SandboxEnvironment, source: str) -> None:
    with pytest.raises(ScriptCompileError, match='"__globals__" is an invalid attribute name'):
        run(env, source)


def test_function_attributes_are_refused_at_run_time(env: SandboxEnvironment) -> None:
    with pytest.raises(SandboxViolation, match="attributes of function objects are not accessible"):
        run(env, "def f():\n    return 0\nx = f.func_globals")


def test_generator_frame_walk_is_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptCompileError, match='"gi_frame" is a restricted name'):
        run(env, "g = (i for i in [1])\nx = g.gi_frame.f_back.f_globals")
    with pytest.raises(SandboxViolation, match="attributes of generator objects are not accessible"):
        run(env, "g = (i for i in [1])\nx = g.send")


@pytest.mark.parametrize("method", ["format", "format_map"])
def test_str_format_attribute_walk_is_refused(env: SandboxEnvironment, method: str) -> None:
    argument = "1" if method == "format" else "[1]"
    context: dict[str, Any] = {}
    with pytest.raises(SandboxViolation, match=f"attribute '{method}' is not accessible"):
        env.execute(f"x = '{{0.__class__}}'.{method}({argument})", context)
    assert "x" not in context


def test_str_format_through_the_class_is_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(SandboxViolation, match="attributes of function objects are not accessible"):
        run(env, "x = str.format('{0.__class__.__mro__}', 1)")


@pytest.mark.parametrize("source", ["x = type(1)", "x = object", "x = super()", "x = dir()", "x = help"])
def test_type_object_super_and_dir_are_missing(env: SandboxEnvironment, source: str) -> None:
    with pytest.raises(NameError, match="is not defined"):
        run(env, source)


@pytest.mark.parametrize("name", ["vars", "globals", "locals"])
def test_namespace_introspection_is_missing(env: SandboxEnvironment, name: str) -> None:
    with pytest.raises(NameError, match=f"name '{name}' is not defined"):
        run(env, f"x = {name}()['__builtins__']")


def test_exception_traceback_walk_is_refused(env: SandboxEnvironment) -> None:
    fail = "try:\n    1 / 0\nexcept Exception as e:\n    x = e."
    with pytest.raises(ScriptCompileError, match='"__traceback__" is an invalid attribute name'):
        run(env, fail + "__traceback__.tb_frame.f_globals")
    for attribute in ("with_traceback", "args"):
        with pytest.raises(SandboxViolation, match="attributes of ZeroDivisionError objects"):
            run(env, fail + attribute)


def test_helper_attributes_are_not_accessible(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptCompileError, match='"__globals__" is an invalid attribute name'):
        run(env, "x = now.__globals__")
    with pytest.raises(SandboxViolation, match="attributes of function objects"):
        run(env, "x = now.func_globals")


def test_dunder_keys_and_writes_to_immutable_objects_are_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(SandboxViolation, match="key '__class__' is not accessible"):
        run(env, "x = d['__class__']", d={"__class__": 1})
    with pytest.raises(SandboxViolation, match="may change dicts and lists only, not tuple"):
        run(env, "t = (1, 2)\nt[0] = 5")


def test_class_definitions_and_print_are_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptCompileError, match="class definitions are not allowed"):
        run(env, "class A(object):\n    pass")
    with pytest.raises(ScriptCompileError, match='"print" is not available'):
        run(env, "print('x')")


# --- time ----------------------------------------------------------------------------------------


def test_endless_loop_times_out(env: SandboxEnvironment) -> None:
    assert_times_out(env, "while True:\n    pass")


def test_swallowing_the_timeout_with_bare_except_still_times_out(env: SandboxEnvironment) -> None:
    assert_times_out(
        env, "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass"
    )


def test_timeout_swallowed_outside_any_loop_still_fails_the_run(env: SandboxEnvironment) -> None:
    assert_times_out(env, "try:\n    while True:\n        pass\nexcept:\n    pass\ndone = True")


def test_except_exception_does_not_catch_the_timeout(env: SandboxEnvironment) -> None:
    context = assert_times_out(
        env, "try:\n    while True:\n        pass\nexcept Exception:\n    caught = True"
    )
    assert "caught" not in context


def test_timeout_swallowed_by_return_in_finally_still_fails_the_run(env: SandboxEnvironment) -> None:
    assert_times_out(
        env,
        "def f():\n    try:\n        while True:\n            pass\n    finally:\n        return 1\nx = f()",
    )


def test_exponential_recursion_through_a_lambda_times_out(env: SandboxEnvironment) -> None:
    assert_times_out(env, "f = lambda n: 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(60)")


def test_nested_comprehension_of_a_trillion_iterations_times_out(env: SandboxEnvironment) -> None:
    assert_times_out(env, "x = sum(1 for a in range(10**6) for b in range(10**6))")


def test_c_level_loop_over_a_growing_list_times_out(env: SandboxEnvironment) -> None:
    assert_times_out(env, "x = [1]\ny = any(map(x.append, x))")


def test_nested_evaluate_keeps_the_outer_deadline(env: SandboxEnvironment) -> None:
    inner: list[str] = []

    def slow_lookup() -> int:
        busy_until = time.thread_time() + LIMIT + 0.05
        while time.thread_time() < busy_until:  # the limit counts the thread's CPU time
            pass
        try:
            return int(env.evaluate("1 + 1", {}))
        except ScriptTimeout:
            inner.append("timed out")
            raise

    env.helpers["slow_lookup"] = slow_lookup
    assert_times_out(env, "x = slow_lookup()")
    assert inner == ["timed out"]  # a fresh deadline for the inner call would have let it pass


def test_the_limit_counts_cpu_time_and_the_wall_clock_bounds_a_helper_that_waits(
    env: SandboxEnvironment,
) -> None:
    """A thread kept waiting by a loaded machine is not a script at work: the limit is CPU time.
    What spends none, a helper waiting on something, is still bounded by the wall clock."""
    waited: list[float] = []

    def waiting(seconds: float) -> int:
        time.sleep(seconds)
        waited.append(seconds)
        return 1

    env.helpers["waiting"] = waiting
    context: dict[str, Any] = {}
    env.execute(f"x = waiting({LIMIT * 2})", context)  # twice the limit on the clock, no CPU: runs
    assert context["x"] == 1
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.execute(f"x = waiting({LIMIT * sandbox_guards.WALL_FACTOR + 0.05})\ny = 2", {})
    assert time.monotonic() - started >= LIMIT * sandbox_guards.WALL_FACTOR


def test_a_garbage_collection_during_a_script_is_not_charged_to_it(env: SandboxEnvironment) -> None:
    """A full collection walks every object of the process: in a long-running worker with a large
    heap it can take longer than a script's whole limit. A script during which the collector runs
    that long (here through a helper, as an allocation would trigger it) still runs to its end."""
    heap = [[index] for index in range(1_500_000)]  # the worker's long-lived objects
    spent: list[float] = []

    def collected() -> int:
        started = time.thread_time()
        for _pass in range(3):
            gc.collect()
        spent.append(time.thread_time() - started)
        return 1

    env.helpers["collected"] = collected
    context: dict[str, Any] = {}
    env.execute("x = collected()\ny = 2", context)
    assert spent[0] > LIMIT  # the collection alone took more than the whole limit
    assert context["y"] == 2
    assert len(heap) == 1_500_000


# --- size ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 'a' * 10**9", "1,000,000,000 items"),
        ("x = 2 ** 10**9", "2,000,000,000-bit integer"),
        ("x = pow(2, 10**9)", "2,000,000,000-bit integer"),
        ("x = 1 << 10**9", "1,000,000,001-bit integer"),
        ("x = 'x'.ljust(10**9)", "1,000,000,000 items"),
        ("x = list(range(10**12))", "1,000,000,000,000 items"),
        ("x = [0]\nx *= 10**9", "1,000,000,000 items"),
        ("x = 'ab'.replace('', 'x' * 10**6)", "items or more"),
        ("x = round(5, -10**7)", "-bit integer"),
        ("x = f'{1:>1000000000}'", "items or more"),
        ("x = '%1000000000d' % 1", "items or more"),
    ],
)
def test_one_shot_size_bombs_are_refused_before_allocating(
    env: SandboxEnvironment, source: str, message: str
) -> None:
    context: dict[str, Any] = {}
    started = time.monotonic()
    with pytest.raises(SandboxViolation, match=message):
        env.execute(source, context)
    assert time.monotonic() - started < 0.1
    assert "x" not in context or context["x"] in ([0],)


@pytest.mark.parametrize(
    ("start", "doubling"),
    [
        ("[0] * 10**6", "x = [*x, *x]"),
        ("[0] * 10**6", "x.extend(x)"),
        ("[0] * 10**6", "x = sum([x, x], [])"),
        ("'a' * 10**6", "x = f'{x}{x}'"),
        ("'a' * 10**6", "x = '-'.join([x, x])"),
    ],
)
def test_doubling_without_guarded_operators_is_refused(
    env: SandboxEnvironment, start: str, doubling: str
) -> None:
    """Each doubling would reach 2**30 million items in 30 rounds; the first one is refused."""
    with pytest.raises(SandboxViolation, match=r"result would have 2,00[01],00[01] items"):
        run(env, f"x = {start}\nfor i in range(30):\n    {doubling}")


def test_slice_assignment_is_refused_when_compiling(env: SandboxEnvironment) -> None:
    with pytest.raises(ScriptCompileError, match="slice assignment is not allowed"):
        run(env, "x = [0] * 10**6\nx[len(x):] = x")


def test_str_of_shared_references_is_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(SandboxViolation, match="items or more"):
        run(env, "s = 'a' * 10**6\nx = str([s] * 1000)")
    with pytest.raises(SandboxViolation, match="'\\*' widths"):
        run(env, "x = '%*d' % (10**9, 1)")


def test_allocation_budget_stops_a_loop_of_big_strings(env: SandboxEnvironment) -> None:
    context: dict[str, Any] = {}
    with pytest.raises(SandboxViolation, match="allocated more than 20,000,000 items"):
        env.execute("kept = []\nwhile True:\n    kept.append('x' * 10**6)", context)
    assert "kept" not in context or len(context["kept"]) <= 20


# --- task data -----------------------------------------------------------------------------------


def test_a_set_left_in_data_is_refused_and_dropped(env: SandboxEnvironment) -> None:
    context = {"keep": 1}
    with pytest.raises(SandboxViolation, match="task data must stay JSON: variable 'x' holds a set"):
        env.execute("x = {1, 2}\ny = [1, (2, 3)]", context)
    assert context == {"keep": 1}  # y held a tuple: dropped as well


def test_cycles_and_exponential_sharing_are_refused_as_data(env: SandboxEnvironment) -> None:
    with pytest.raises(SandboxViolation, match="variable 'x' holds a reference cycle"):
        run(env, "x = []\nx.append(x)")
    with pytest.raises(SandboxViolation, match="variable 'a' holds more than 20,000,000 characters"):
        run(env, "a = [0]\nfor i in range(60):\n    a = [a, a]")


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("x = float('nan')", "a non-finite float"),
        ("x = {1: 'a'}", "a dict with a key that is not a string"),
        ("x = [{'typename': 'datetime'}]", "a dict with the key 'typename', which snapshots reserve"),
        ("x = 7 ** 6000", "an integer too big to store"),
        ("x = []\nfor i in range(150):\n    x = [x]", "lists/dicts nested over 100 deep"),
        ("x = (i for i in [1])", "a generator"),
    ],
)
def test_data_that_json_could_not_store_faithfully_is_refused(
    env: SandboxEnvironment, source: str, problem: str
) -> None:
    context: dict[str, Any] = {}
    with pytest.raises(SandboxViolation, match=f"variable 'x' holds {problem}"):
        env.execute(source, context)
    assert "x" not in context


def test_a_variable_named_typename_is_refused_and_dropped(env: SandboxEnvironment) -> None:
    """Snapshots read any dict with a `typename` key as a typed value: the instance could not be
    restored again."""
    context: dict[str, Any] = {"keep": 1}
    with pytest.raises(SandboxViolation, match="variable 'typename' holds a name that snapshots reserve"):
        env.execute("typename = 'Task'", context)
    assert context == {"keep": 1}


def test_functions_defined_by_a_script_are_removed(env: SandboxEnvironment) -> None:
    data = run(env, "def double(v):\n    return v * 2\nf = lambda v: v + 1\nx = f(double(2))")
    assert data == {"x": 5}


def test_task_data_may_not_shadow_a_helper(env: SandboxEnvironment) -> None:
    context = {"now": "yesterday"}
    with pytest.raises(SandboxViolation, match="task data holds 'now', the name of a helper function"):
        env.execute("x = 1", context)
    assert context == {"now": "yesterday"}


def test_evaluate_results_are_not_checked(env: SandboxEnvironment) -> None:
    assert env.evaluate("{a, 2}", {"a": 1}) == {1, 2}


# --- gateway expressions and real workflows ------------------------------------------------------


def test_gateway_expression_cannot_import(env: SandboxEnvironment, tmp_path: Path) -> None:
    marker = tmp_path / "from-condition"
    with pytest.raises(ScriptCompileError, match='"__import__" is an invalid variable name'):
        env.evaluate(f"__import__('os').system('{touch(marker)}') == 0", {})
    assert not marker.exists()


def test_script_task_escape_fails_in_a_real_workflow(env: SandboxEnvironment, tmp_path: Path) -> None:
    marker = tmp_path / "escaped"
    escape_walk = f"x = ().__class__.__base__.__subclasses__()\ny = '{touch(marker)}'"
    with pytest.raises(WorkflowTaskException) as caught:
        run_workflow(script_bpmn(escape_walk), env)
    assert isinstance(sandbox_cause(caught.value), ScriptCompileError)
    assert caught.value.line_number == 1
    assert not marker.exists()


def test_gateway_condition_escape_fails_in_a_real_workflow(env: SandboxEnvironment, tmp_path: Path) -> None:
    marker = tmp_path / "from-condition"
    with pytest.raises(WorkflowTaskException) as caught:
        run_workflow(gateway_bpmn(f"__import__('os').system('{touch(marker)}') == 0"), env)
    assert isinstance(sandbox_cause(caught.value), ScriptCompileError)
    assert not marker.exists()


def test_script_task_timeout_in_a_real_workflow_is_a_task_error(env: SandboxEnvironment) -> None:
    with pytest.raises(WorkflowTaskException, match="ScriptTimeout") as caught:
        run_workflow(script_bpmn("while True:\n    pass"), env)
    assert isinstance(caught.value.__cause__, ScriptTimeout)


def test_normal_scripts_and_conditions_run_in_a_real_workflow(env: SandboxEnvironment) -> None:
    scores = [{"score": 90}, {"score": 80}]
    average = script_bpmn("avg = sum(e['score'] for e in evaluations) / len(evaluations)")
    workflow = run_workflow(average, env, evaluations=scores)
    assert workflow.is_completed()
    assert workflow.data["avg"] == 85.0
    chosen = run_workflow(gateway_bpmn("score >= 80 and now().startswith('2025')"), env, score=85)
    assert [t.task_spec.bpmn_id for t in chosen.get_tasks() if t.task_spec.bpmn_id in ("yes", "no")] == [
        "yes"
    ]


def test_call_service_round_trips_json_through_a_service_task() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def handler(operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, params))
        return {"doubled": params["a"] * 2, "tags": ["a", "b"], "none": None}

    env = SandboxEnvironment(time_limit=LIMIT, service_handler=handler)
    workflow = run_workflow(service_bpmn("1+1"), env)
    assert calls == [("op", {"a": 2})]
    assert workflow.data["r"] == {"doubled": 4, "tags": ["a", "b"], "none": None}


def test_call_service_without_a_handler_is_a_task_error() -> None:
    with pytest.raises(WorkflowTaskException, match="no service handler is configured") as caught:
        run_workflow(service_bpmn("1"), SandboxEnvironment(time_limit=LIMIT))
    assert isinstance(caught.value.__cause__, SandboxViolation)


def test_service_parameter_expressions_are_sandboxed(tmp_path: Path) -> None:
    marker = tmp_path / "from-parameter"
    env = SandboxEnvironment(time_limit=LIMIT, service_handler=lambda op, params: pytest.fail("called"))
    with pytest.raises(WorkflowTaskException) as caught:
        run_workflow(service_bpmn(f"__import__('os').system('{touch(marker)}')"), env)
    assert isinstance(sandbox_cause(caught.value), ScriptCompileError)
    assert not marker.exists()


# --- everyday scripts ----------------------------------------------------------------------------


def test_average_of_scores(env: SandboxEnvironment) -> None:
    data = run(
        env, "x = sum(e['score'] for e in evaluations) / len(evaluations)", evaluations=[{"score": 9}] * 4
    )
    assert data["x"] == 9.0


def test_building_dicts_and_lists(env: SandboxEnvironment) -> None:
    source = (
        "rows = []\nfor i, name in enumerate(names):\n    rows.append({'n': i, 'name': name})\n"
        "by_name = {r['name']: r for r in rows}\nby_name['b']['seen'] = True\nfirst, *rest = names\n"
        "total = 0\nfor r in rows:\n    total += r['n']\n"
    )
    data = run(env, source, names=["a", "b", "c"])
    assert data["rows"][1] == {"n": 1, "name": "b", "seen": True}
    assert (data["first"], data["rest"], data["total"]) == ("a", ["b", "c"], 3)


def test_string_concatenation_and_fstrings(env: SandboxEnvironment) -> None:
    source = "x = '先锋' + name + '!'\ny = f'{name}: {score:.1f} ({score!r})'\nz = '%s-%03d' % (name, 7)"
    data = run(env, source, name="张三", score=91.25)
    assert data["x"] == "先锋张三!"
    assert data["y"] == "张三: 91.2 (91.25)"
    assert data["z"] == "张三-007"


def test_round_sorted_and_string_methods(env: SandboxEnvironment) -> None:
    source = (
        "ranked = sorted(people, key=lambda p: (-p['score'], p['name']))\nbest = ranked[0]['name'].upper()\n"
        "r = round(2 / 3, 2)\nlabel = ', '.join(p['name'] for p in ranked).replace('a', 'A').ljust(12, '.')\n"
        "ok = isinstance(people, list) and isinstance(r, (int, float))"
    )
    data = run(env, source, people=[{"name": "bo", "score": 5}, {"name": "al", "score": 7}])
    assert data["best"] == "AL"
    assert (data["r"], data["label"], data["ok"]) == (0.67, "Al, bo......", True)


def test_local_def_helpers_work_and_vanish(env: SandboxEnvironment) -> None:
    data = run(
        env,
        "def clamp(v, lo=0, hi=100):\n    return max(lo, min(hi, v))\nx = [clamp(v) for v in [-5, 50, 500]]",
    )
    assert data == {"x": [0, 50, 100]}


def test_name_error_default_idiom(env: SandboxEnvironment) -> None:
    idiom = "try:\n    notice_days\nexcept NameError:\n    notice_days = 5"
    assert run(env, idiom) == {"notice_days": 5}
    assert run(env, idiom, notice_days=7) == {"notice_days": 7}


def test_helper_calls_and_replacing_helpers(env: SandboxEnvironment) -> None:
    assert run(env, "stamp = now()") == {"stamp": NOW}
    env.helpers["now"] = lambda: "2030-01-01T00:00:00+08:00"
    assert run(env, "stamp = now()")["stamp"].startswith("2030")
    assert env.evaluate("now() > '2029'", {}) is True


def test_exceptions_can_be_raised_and_caught(env: SandboxEnvironment) -> None:
    data = run(env, "try:\n    d = {}\n    d['missing']\nexcept KeyError:\n    ok = True\n")
    assert data == {"d": {}, "ok": True}
    with pytest.raises(ValueError, match="score out of range"):
        run(env, "raise ValueError('score out of range')")


def test_compile_errors_carry_the_line_and_compiling_is_cached() -> None:
    with pytest.raises(ScriptCompileError) as caught:
        compile_script("x = 1\ny = _secret\n")
    assert caught.value.line == 2
    assert caught.value.message == 'Line 2: "_secret" is an invalid variable name because it starts with "_"'
    assert compile_script("x = 1") is compile_script("x = 1")
    assert compile_expression(" a > 1\n") is compile_expression(" a > 1\n")
