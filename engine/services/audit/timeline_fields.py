"""A case's data as fields people read: labelled with the titles the pinned version's forms give
them (zh-CN and English), raw where no form names a value.

A task whose diagram sets `variableName` keeps its answers under that one key (the committee's
decision is `approval.decision`), so those are labelled from that task's form. Values of fields
backed by the organisation (`x-source`: member ids) are given the names the forms offer them by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...kernel import Kernel
from ...process.catalog import LoadedVersion
from ...process.moments import data_forms
from .. import options

_ABSENT = object()


@dataclass(frozen=True)
class DataField:
    key: str  # the top-level data key
    path: str  # "approval.decision" for an answer kept under a task's variable
    label: dict[str, str]  # {"zh_CN", "en"}; empty when no form names the value
    value: Any
    options: dict[str, dict[str, str]]  # value -> {"zh_CN", "en"}: choices and organisation names
    source: str  # the field's x-source, if any
    changed: bool  # by the event: not the same value just before it


def labelled_fields(
    kernel: Kernel,
    version: LoadedVersion,
    branch_id: int | None,
    data: dict[str, Any],
    before: dict[str, Any],
) -> list[DataField]:
    """Labelled fields first (in the data's order), then the raw ones."""
    top, nested = _form_fields(version)
    labelled: list[DataField] = []
    raw: list[DataField] = []
    names = _SourceNames(kernel, branch_id)
    for key, value in data.items():
        earlier = before.get(key, _ABSENT)
        if key in nested and isinstance(value, dict):
            earlier_items = earlier if isinstance(earlier, dict) else {}
            for sub, item in value.items():
                prop = nested[key].get(sub)
                changed = earlier_items.get(sub, _ABSENT) != item
                made = _field(key, f"{key}.{sub}", prop, item, changed, names)
                (labelled if prop else raw).append(made)
        else:
            prop = top.get(key)
            (labelled if prop else raw).append(_field(key, key, prop, value, earlier != value, names))
    return labelled + raw


def _form_fields(version: LoadedVersion) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Field schemas by top-level key, and by variable then key for answers kept under a variable."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for variable, name in data_forms(version):
        form = version.forms.get(name)
        if form is None:
            continue
        properties = form.schema.get("properties", {})
        target = nested.setdefault(variable, {}) if variable else top
        for key, prop in properties.items():
            if isinstance(prop, dict):
                target.setdefault(key, prop)
    return top, nested


def _field(key: str, path: str, prop: Any, value: Any, changed: bool, names: _SourceNames) -> DataField:
    if not isinstance(prop, dict):
        return DataField(key, path, {}, value, {}, "", changed)
    items: dict[str, Any] = prop["items"] if isinstance(prop.get("items"), dict) else {}
    source = str(prop.get("x-source") or items.get("x-source") or "")
    choices = prop.get("x-enum-labels") or items.get("x-enum-labels") or {}
    label = {"zh_CN": str(prop.get("title", key)), "en": str(prop.get("x-title-en", prop.get("title", key)))}
    return DataField(key, path, label, value, {**choices, **names.of(source, value)}, source, changed)


class _SourceNames:
    """Names of organisation values (member ids…) as the forms list them, read once per source."""

    def __init__(self, kernel: Kernel, branch_id: int | None) -> None:
        self.kernel, self.branch_id = kernel, branch_id
        self._read: dict[str, dict[str, str]] = {}

    def of(self, source: str, value: Any) -> dict[str, dict[str, str]]:
        if not source or source == "attachments":
            return {}
        if source not in self._read:
            choices = options.choices(self.kernel, source, self.branch_id)
            self._read[source] = {str(key): label for key, label in choices}
        wanted = value if isinstance(value, list) else [value]
        known = self._read[source]
        return {str(v): {"zh_CN": known[str(v)], "en": known[str(v)]} for v in wanted if str(v) in known}
