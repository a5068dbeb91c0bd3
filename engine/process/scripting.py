"""The restricted environment that diagram scripts, conditions, timer expressions and DMN cells run in.

SpiffWorkflow's own `PythonScriptEngine` runs them with plain exec/eval: a diagram could `import os`.
Here every piece of diagram code is compiled by RestrictedPython with `SandboxPolicy`, which also
plants deadline checks in loops and function bodies and routes size-changing operators through
guards, and runs with the globals from `sandbox_guards` only. Task data must stay JSON: the
event log, replay and the snapshot store all assume it.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import math
import re
import types
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .sandbox_guards import (
    GUARD_NAMES,
    RUN_BUDGET,
    Guards,
    Run,
    SandboxViolation,
    ScriptTimeout,
    render_weight,
)

__all__ = [
    "SandboxEnvironment",
    "SandboxPolicy",
    "SandboxScriptEngine",
    "SandboxViolation",
    "ScriptCompileError",
    "ScriptTimeout",
    "compile_expression",
    "compile_script",
]


class ScriptCompileError(Exception):
    """Source refused by the sandbox compiler."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# --- compiling ---------------------------------------------------------------------------------

_GUARDED_OPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
_LINE = re.compile(r"^Line (\d+):")


def _call(name: str, args: list[ast.expr], where: ast.expr | ast.stmt) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(node, where)
    return node


def _tick(where: ast.stmt) -> ast.Expr:
    statement = ast.Expr(_call("_tick_", [], where))
    copy_locations(statement, where)
    return statement


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus what it leaves open: time, size, imports and classes.

    Loops, function bodies and lambdas call `_tick_()` so that no code path can run without
    meeting the deadline; `+ * ** << %` go through `_binop_`, starred arguments through `_starred_`
    and f-string fields through `_format_`, each of which refuses results that would be too big.
    """

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        node.body.insert(0, _tick(node))
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        loop: ast.For = self.guard_iter(node)  # type: ignore[assignment]
        loop.body.insert(0, _tick(loop))
        return loop

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        function: ast.FunctionDef = super().visit_FunctionDef(node)  # type: ignore[assignment]
        function.body.insert(0, _tick(function))
        return function

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        function: ast.Lambda = super().visit_Lambda(node)  # type: ignore[assignment]
        pair = ast.Tuple([_call("_tick_", [], function.body), function.body], ast.Load())
        function.body = ast.Subscript(pair, ast.Constant(1), ast.Load())
        copy_locations(function.body, node)
        return function

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_OPS.get(type(node.op))
        return (
            node if symbol is None else _call("_binop_", [ast.Constant(symbol), node.left, node.right], node)
        )

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        """Operands of `== != < <= > >= in not in` go through `_compare_`: comparing two big or
        deeply shared structures runs inside C, where no deadline can reach it, so it is refused
        before it starts (`is` compares identities and costs nothing)."""
        node = self.node_contents_visit(node)
        if all(isinstance(op, ast.Is | ast.IsNot) for op in node.ops):
            return node
        node.left = _call("_compare_", [node.left], node)
        node.comparators = [_call("_compare_", [c], node) for c in node.comparators]
        return node

    def visit_Starred(self, node: ast.Starred) -> ast.AST:
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            node.value = _call("_starred_", [node.value], node)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        node.value = _call("_format_", [node.value, ast.Constant(node.conversion), spec], node)
        node.conversion, node.format_spec = -1, None
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.ctx, ast.Store) and isinstance(node.slice, ast.Slice):
            self.error(node, "slice assignment is not allowed; build a new list instead")
        return super().visit_Subscript(node)  # type: ignore[return-value]

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import statements are not allowed; ask for a helper function instead")
        return node

    visit_ImportFrom = visit_Import  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed")
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("print", "printed"):
            self.error(node, f'"{node.id}" is not available: scripts have no output')
        return super().visit_Name(node)  # type: ignore[return-value]


def _compile(source: str, mode: str) -> types.CodeType:
    compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    try:
        result = compiler(source, filename="<string>", policy=SandboxPolicy)
    except (ValueError, TypeError, RecursionError, MemoryError) as err:  # e.g. NUL bytes, absurd nesting
        raise ScriptCompileError(f"{type(err).__name__}: {err}") from err
    if result.errors or result.code is None:
        message = "; ".join(result.errors) or "the source did not compile"
        match = _LINE.match(message)
        raise ScriptCompileError(message, int(match.group(1)) if match else None)
    return result.code


@functools.lru_cache(maxsize=4096)
def compile_expression(source: str) -> types.CodeType:
    """Compile a condition/expression. Surrounding whitespace is dropped, as eval() would."""
    return _compile(source.strip(), "eval")


@functools.lru_cache(maxsize=4096)
def compile_script(source: str) -> types.CodeType:
    return _compile(source, "exec")


# --- running -----------------------------------------------------------------------------------

_active_run: ContextVar[Run | None] = ContextVar("xianfeng_sandbox_run", default=None)


@contextlib.contextmanager
def _run_scope(time_limit: float) -> Iterator[Run]:
    """One deadline per outermost call: a helper that evaluates again must not win more time."""
    outer = _active_run.get()
    run = outer if outer is not None else Run(time_limit)
    token = _active_run.set(run)
    try:
        yield run
        run.finish()
    except Exception as err:
        if run.timed_out():
            raise ScriptTimeout(f"script ran longer than its limit of {run.time_limit:g} s") from err
        raise
    finally:
        _active_run.reset(token)


# SpiffWorkflow's snapshots mark a typed value (a datetime, an event) with this key, and read any
# dict that has it as one: data holding it would make the instance impossible to restore.
RESERVED_KEY = "typename"
_MAX_DEPTH = 100  # json.dumps and SpiffWorkflow's deepcopy recurse; keep far from the recursion limit
_MAX_INT_BITS = 14_000  # str() of an int past 4,300 digits raises, and json.dumps uses it


def _scalar_problem(value: Any) -> str | None:
    kind = type(value)
    if kind is float:
        return None if math.isfinite(value) else "a non-finite float"
    if kind is int:
        return None if value.bit_length() <= _MAX_INT_BITS else "an integer too big to store"
    return None if kind in (str, bool, type(None)) else f"a {kind.__name__}"


def json_problem(root: Any) -> str | None:
    """What keeps `root` from being JSON data, or None. Shared parts are fine; cycles are not."""
    finished: set[int] = set()
    open_: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 1)]  # depth 0 marks leaving a container
    while stack:
        value, depth = stack.pop()
        if depth == 0:
            open_.discard(id(value))
            finished.add(id(value))
        elif type(value) not in (list, dict):
            if problem := _scalar_problem(value):
                return problem
        elif id(value) in open_ or depth > _MAX_DEPTH:
            return "a reference cycle" if id(value) in open_ else f"lists/dicts nested over {_MAX_DEPTH} deep"
        elif type(value) is dict and any(type(key) is not str for key in value):
            return "a dict with a key that is not a string"
        elif type(value) is dict and RESERVED_KEY in value:
            return f"a dict with the key {RESERVED_KEY!r}, which snapshots reserve for typed values"
        elif id(value) not in finished:
            open_.add(id(value))
            stack.append((value, 0))
            stack.extend((part, depth + 1) for part in (value.values() if type(value) is dict else value))
    if render_weight(root, RUN_BUDGET) > RUN_BUDGET:
        return f"more than {RUN_BUDGET:,} characters of data"
    return None


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Runs diagram code under the sandbox. `helpers` is live: the engine may swap functions per step."""

    def __init__(
        self,
        helpers: Mapping[str, Callable[..., Any]] | None = None,
        time_limit: float = 1.0,
        service_handler: Callable[[str, dict[str, Any]], Any] | None = None,
    ) -> None:
        super().__init__({})
        self.helpers: dict[str, Callable[..., Any]] = dict(helpers or {})
        self.time_limit = time_limit
        self.service_handler = service_handler

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        code = compile_expression(expression)
        with _run_scope(self.time_limit) as run:
            scope = {**self.helpers, **(external_context or {}), **context, **Guards(run).hooks()}
            return eval(code, scope)

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        code = compile_script(script)
        external = external_context or {}
        self._refuse_shadowing(context, external)
        with _run_scope(self.time_limit) as run:
            context.update(external)
            context.update(self.helpers)
            context.update(Guards(run).hooks())
            try:
                exec(code, context)
            finally:
                self._clean(context, external)
        self._require_json(context)
        return True

    def call_service(
        self, context: dict[str, Any], operation_name: str, operation_params: dict[str, Any], **kwargs: Any
    ) -> str:
        """Hand a service task to the application's handler; SpiffWorkflow json.loads what we return."""
        if self.service_handler is None:
            raise SandboxViolation(f"no service handler is configured: cannot call {operation_name!r}")
        params = {name: spec["value"] for name, spec in operation_params.items()}
        return json.dumps(self.service_handler(operation_name, params), allow_nan=False)

    def _refuse_shadowing(self, context: dict[str, Any], external: dict[str, Any]) -> None:
        """Data named like a helper would make the helper uncallable with a baffling error; fail clearly."""
        clashes = sorted(
            set(context) & (self.helpers.keys() | external.keys() | GUARD_NAMES | {"__builtins__"})
        )
        if clashes:
            raise SandboxViolation(
                f"task data holds {', '.join(map(repr, clashes))}, the name of a helper function; "
                "rename the variable or form field"
            )

    def _clean(self, context: dict[str, Any], external: dict[str, Any]) -> None:
        reserved = (
            GUARD_NAMES | self.helpers.keys() | external.keys() | {"__builtins__", "__warningregistry__"}
        )
        for key in [k for k, v in context.items() if k in reserved or callable(v)]:
            del context[key]

    @staticmethod
    def _require_json(context: dict[str, Any]) -> None:
        """Refuse, and drop, values the event log and snapshots could not store faithfully."""
        problems = {key: problem for key, value in context.items() if (problem := json_problem(value))}
        if RESERVED_KEY in context:
            problems[RESERVED_KEY] = "a name that snapshots reserve for typed values"
        for key in problems:
            del context[key]
        if problems:
            detail = "; ".join(f"variable {key!r} holds {problem}" for key, problem in problems.items())
            raise SandboxViolation(f"task data must stay JSON: {detail}")


class SandboxScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's engine with the sandbox environment, and failures reported as task errors.

    ScriptTimeout is a BaseException so scripts cannot swallow it; at this boundary it becomes a
    WorkflowTaskException like any other script failure, so SpiffWorkflow marks the task and the
    caller's `except SpiffWorkflowException` sees it (the timeout is the `__cause__`).
    """

    environment: SandboxEnvironment

    def __init__(self, environment: SandboxEnvironment) -> None:
        super().__init__(environment=environment)

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().evaluate(task, expression, external_context)
        except ScriptTimeout as err:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {err}", task=task
            ) from err

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> bool:
        try:
            return bool(super().execute(task, script, external_context))
        except ScriptTimeout as err:
            raise self.create_task_exec_exception(task, script, err) from err

    def call_service(self, task: Any, **kwargs: Any) -> str:
        """Upstream's version names an undefined `script` in its except branch (a NameError)."""
        try:
            return self.environment.call_service(task.data, **kwargs)
        except SpiffWorkflowException as err:
            err.add_note(f"Error in service task operation {kwargs.get('operation_name')!r}")
            raise
        except Exception as err:
            message = f"service task operation {kwargs.get('operation_name')!r} failed: {err}"
            raise WorkflowTaskException(message, task=task, exception=err) from err

    def create_task_exec_exception(self, task: Any, script: str, err: BaseException) -> Exception:
        """Upstream concatenates `err.args[0]` to a str, which fails for KeyError(3) and the like."""
        line_number, error_line = self.get_error_line_number_and_content(script, err)
        if isinstance(err, SpiffWorkflowException):
            err.line_number, err.error_line = line_number, error_line
            err.add_note(f"Python script error on line {line_number}: '{error_line}'")
            return err
        detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        return WorkflowTaskException(
            detail, task=task, exception=err, line_number=line_number, error_line=error_line
        )

    def get_error_line_number_and_content(self, script: str, err: BaseException) -> tuple[int, str]:
        if isinstance(err, ScriptCompileError) and err.line:
            lines = script.splitlines()
            return err.line, lines[err.line - 1] if err.line <= len(lines) else ""
        line_number, error_line = super().get_error_line_number_and_content(script, err)
        return line_number, error_line
