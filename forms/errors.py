"""The two ways a form can be wrong: the file itself, or the data someone submitted against it.

They are kept apart because they reach different people: a broken file is the administrator's
problem (refuse the upload, say where), broken data is the task user's (show each message beside
its widget, in their language).
"""

from __future__ import annotations


class FormDefinitionError(Exception):
    """A form file cannot be used: `name` is the file, `message` says precisely what is wrong."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class FormValidationError(Exception):
    """Submitted data breaks form `form`.

    `errors` and `errors_zh` have the same keys: a field path ("pledge", "member_evaluators/2", or
    "" for the whole object) mapped to a message that names the field by its label, so the web can
    put each message next to its widget without parsing text.
    """

    def __init__(self, form: str, errors: dict[str, str], errors_zh: dict[str, str]) -> None:
        super().__init__(f"form {form} is invalid: " + "; ".join(errors.values()))
        self.form = form
        self.errors = errors
        self.errors_zh = errors_zh
