"""Typed errors: each says precisely what was wrong, so the CLI and the web can map it to a
status and a message without parsing text.

Every error carries a stable `code` (used in JSON error bodies) and a human message. Messages are
English in code; the web translates by `code` and `params`.
"""

from __future__ import annotations

from typing import Any


class XianfengError(Exception):
    """Base of every error the services raise on purpose."""

    code = "error"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.params:
            body["params"] = self.params
        return body


class DiagramLocation:
    """Where in which diagram file a problem is: file, line and element id."""

    def __init__(self, file: str, line: int | None = None, element: str | None = None) -> None:
        self.file = file
        self.line = line
        self.element = element

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.element:
            where += f" (element {self.element})"
        return where


class DiagramInvalid(XianfengError):
    """A BPMN/DMN file (or a set of them) cannot be deployed; nothing was stored."""

    code = "diagram_invalid"

    def __init__(self, problems: list[tuple[DiagramLocation, str]]) -> None:
        self.problems = problems
        lines = [f"{loc}: {msg}" for loc, msg in problems]
        super().__init__(
            "diagram refused:\n  " + "\n  ".join(lines),
            problems=[
                {"file": loc.file, "line": loc.line, "element": loc.element, "message": msg}
                for loc, msg in problems
            ],
        )


class FormInvalid(XianfengError):
    """Submitted data breaks the task's form schema; `errors` maps field path to message."""

    code = "form_invalid"

    def __init__(self, form: str, errors: dict[str, str], errors_zh: dict[str, str] | None = None) -> None:
        self.form = form
        self.errors = errors
        self.errors_zh = errors_zh or dict(errors)
        detail = "; ".join(f"{field}: {msg}" for field, msg in errors.items())
        super().__init__(f"form {form} is invalid: {detail}", form=form, errors=errors)


class NotFound(XianfengError):
    code = "not_found"


class NotAllowed(XianfengError):
    """The actor's role or branch/village scope does not permit this action."""

    code = "not_allowed"


class NotAuthenticated(XianfengError):
    code = "not_authenticated"


class TooManyAttempts(XianfengError):
    """Refused before it was tried: too many failures (or hits) of this account or address lately;
    `retry_after` says in how many seconds it may be tried again."""

    code = "too_many_attempts"


class StaleSubmission(XianfengError):
    """The instance moved on since the submitter loaded it (or the submission was already made)."""

    code = "stale_submission"


class StepContended(XianfengError):
    """A step computed ahead of the write lock found, each time it came to write, that other steps
    had changed what it read (its case, a service operation's result): nothing was written, and
    the same request may simply be made again."""

    code = "step_contended"


class TaskNotReady(XianfengError):
    code = "task_not_ready"


class TokenInvalid(XianfengError):
    """A public single-use link is unknown, already used or expired."""

    code = "token_invalid"


class InstanceTooDeep(XianfengError):
    """The instance's task tree approaches SpiffWorkflow's silent depth-1000 cut-off.

    SpiffWorkflow would stop seeing tasks past depth 1000 and report the workflow completed; we refuse
    the step long before that instead, so nothing is lost silently.
    """

    code = "instance_too_deep"


class ScriptError(XianfengError):
    """A diagram script, condition or decision cell failed or broke the sandbox's rules."""

    code = "script_error"


class ServiceTaskError(XianfengError):
    code = "service_task_error"


class RuleViolation(XianfengError):
    """A domain rule refuses the step (e.g. a member blocked from commendation that year)."""

    code = "rule_violation"


class ReplayMismatch(XianfengError):
    code = "replay_mismatch"


class DatabaseNotReady(XianfengError):
    """The database is not at the schema this code needs: never initialised, or not yet upgraded."""

    code = "database_not_ready"


class MigrationRefused(RuleViolation):
    """A case cannot move to a newer version: something it did or waits at would change under it."""

    code = "migration_refused"
