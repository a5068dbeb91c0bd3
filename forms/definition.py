"""One loaded form: its JSON Schema, labels and UI hints, and validation of submitted data.

A `FormDefinition` is only built by `load_form`, which has already checked the file's structure;
the methods here may therefore rely on every property having a title in both languages.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators

from xianfeng.forms.errors import FormValidationError
from xianfeng.forms.messages import ErrorReport, Path

SourceCheck = Callable[[str, Any], tuple[str, str] | None]
"""check_source(source_name, value) -> None if the value exists in that source, else the reason
as (English, Chinese): a villager-facing page must never fall back to English."""

LANGUAGES = ("zh_CN", "en")


def _strict_integer(_checker: object, instance: object) -> bool:
    """JSON Schema calls 5.0 an integer; a form does not: a member id sent as 5.0 would be stored as
    a float and compare equal to the member's id everywhere but in the log and in replay."""
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


@dataclass(frozen=True)
class FormDefinition:
    """A form as shipped or uploaded; `sha256` of the raw bytes pins which version a task used."""

    name: str
    id: str
    title: dict[str, str]
    description: dict[str, str]
    schema: dict[str, Any]
    ui: dict[str, Any]
    sha256: str

    @property
    def _properties(self) -> dict[str, Any]:
        return self.schema.get("properties", {})

    def field_names(self) -> list[str]:
        """Fields in display order: `ui.order` first, then any the order leaves out, as in the schema."""
        order = [f for f in self.ui.get("order", []) if f in self._properties]
        return order + [f for f in self._properties if f not in order]

    def label(self, field: str, lang: str = "zh_CN") -> str:
        """The field's label in `lang` ("zh_CN" or "en")."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
        try:
            prop = self._properties[field]
        except KeyError:
            raise KeyError(f"form {self.id} has no field {field!r}") from None
        return str(prop["title"] if lang == "zh_CN" else prop["x-title-en"])

    def batch(self) -> tuple[list[str], dict[str, list[Any]]] | None:
        """(fields, choices) when tasks of this form may be decided together (ui.batch), else None."""
        batch = self.ui.get("batch")
        if not batch:
            return None
        return list(batch["fields"]), {k: list(v) for k, v in batch.get("choices", {}).items()}

    def source_fields(self) -> dict[str, str]:
        """Fields whose values must exist in an organisation source, e.g. {"member_evaluators/*": ...}.

        "field/*" means each item of an array field; the runtime uses this to offer the options.
        """
        sources: dict[str, str] = {}
        for field, prop in self._properties.items():
            if "x-source" in prop:
                sources[field] = prop["x-source"]
            items = prop.get("items")
            if isinstance(items, dict) and "x-source" in items:
                sources[f"{field}/*"] = items["x-source"]
        return sources

    def validate(self, data: Any, check_source: SourceCheck | None = None) -> dict[str, Any]:
        """A deep copy of `data` if it satisfies the form; otherwise FormValidationError with every problem.

        All schema errors are collected, not just the first, so the user fixes the form in one go.
        `check_source` is asked only about values that passed the schema at their own path, so it
        never has to cope with a string where it expects a member id.
        """
        validator = StrictValidator(self.schema, format_checker=FormatChecker())
        report = ErrorReport(self.schema, self.title, self.field_names())
        for error in validator.iter_errors(data):
            report.add_schema_error(error)
        if check_source is not None and isinstance(data, dict):
            for path, source, value in self._sourced_values(data):
                if report.has(path):
                    continue
                problem = check_source(source, value)
                if problem is not None:
                    report.add(path, *problem)
        if report:
            errors, errors_zh = report.render()
            raise FormValidationError(self.id, errors, errors_zh)
        return copy.deepcopy(data)

    def _sourced_values(self, data: dict[str, Any]) -> Iterator[tuple[Path, str, Any]]:
        """(path, source, value) for every submitted value that comes from an organisation source."""
        for field, source in self.source_fields().items():
            if field.endswith("/*"):
                name = field[:-2]
                values = data.get(name)
                if isinstance(values, list):
                    yield from (((name, i), source, v) for i, v in enumerate(values))
            elif field in data:
                yield (field,), source, data[field]
