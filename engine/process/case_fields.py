"""Which of a case's data its page shows, under which names: a property of the procedure's start
event, so that no page knows one procedure's variables.

- `caseFields`: the data paths to show, in order, comma-separated; `approval.decision` is a key of
  the answers a task keeps under its variable (`spiffworkflow:variableName`);
- `label.<path>`: "中文|English" for a value no form names (a tally, a deadline);
- `values.<path>`: "code=中文|English;…" for the codes such a value takes (a decision table's output).

A path that a form names takes that form's label and option wording (the pinned version's forms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from .catalog import LoadedVersion
from .moments import data_forms
from .task_properties import properties_of

CASE_FIELDS_PROPERTY = "caseFields"
LABEL_PREFIX = "label."
VALUES_PREFIX = "values."

Words = dict[str, str]  # {"zh_CN": …, "en": …}


@dataclass(frozen=True)
class CaseField:
    path: str
    label: Words
    value: Any
    options: dict[str, Words]  # a value's wording by the value (as text)


def _words(raw: str) -> Words:
    chinese, _sep, english = raw.partition("|")
    return {"zh_CN": chinese.strip(), "en": (english or chinese).strip()}


def _values(raw: str) -> dict[str, Words]:
    found: dict[str, Words] = {}
    for part in raw.split(";"):
        code, sep, words = part.partition("=")
        if sep and code.strip():
            found[code.strip()] = _words(words)
    return found


def start_properties(version: LoadedVersion) -> dict[str, str]:
    for task_spec in version.spec.task_specs.values():
        if isinstance(task_spec, StartEvent) and getattr(task_spec, "bpmn_id", None):
            return properties_of(task_spec)
    return {}


def declared_values(version: LoadedVersion, path: str) -> dict[str, Words]:
    """The codes `values.<path>` on the start event declares, in the diagram's order, with their
    words: what the procedure says the value may be, for pages that list every code (a table's
    columns) rather than word the one a case holds."""
    return _values(start_properties(version).get(VALUES_PREFIX + path, "")) if path else {}


# Field schemas by (version id, bundle hash): a version's forms never change, and a list page asks
# for the same version's on every row. Bounded: emptied when more versions than this were asked for.
_FORM_FIELDS: dict[tuple[int, str], dict[str, dict[str, Any]]] = {}
_FORM_FIELDS_KEPT = 256


def _form_fields(version: LoadedVersion) -> dict[str, dict[str, Any]]:
    """Field schemas by path: top-level keys, and `variable.key` for answers kept under a variable
    (shared between callers: read them, never change them)."""
    key = (version.id, version.bundle_hash)
    found = _FORM_FIELDS.get(key)
    if found is None:
        if len(_FORM_FIELDS) >= _FORM_FIELDS_KEPT:
            _FORM_FIELDS.clear()
        found = _FORM_FIELDS[key] = _fields_of_forms(version)
    return found


def _fields_of_forms(version: LoadedVersion) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for variable, name in data_forms(version):
        form = version.forms.get(name)
        if form is None:
            continue
        for key, prop in form.schema.get("properties", {}).items():
            if isinstance(prop, dict):
                found.setdefault(f"{variable}.{key}" if variable else key, prop)
    return found


def _value_at(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _form_words(prop: dict[str, Any]) -> tuple[Words, dict[str, Words]]:
    label = {"zh_CN": str(prop.get("title", "")), "en": str(prop.get("x-title-en", prop.get("title", "")))}
    items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
    labels = prop.get("x-enum-labels") or (items or {}).get("x-enum-labels") or {}
    options = {str(code): dict(words) for code, words in labels.items() if isinstance(words, dict)}
    return label, options


def case_fields(version: LoadedVersion, data: dict[str, Any]) -> list[CaseField]:
    """The fields the procedure's page shows of `data`, those without a value left out."""
    properties = start_properties(version)
    paths = [p.strip() for p in properties.get(CASE_FIELDS_PROPERTY, "").split(",") if p.strip()]
    forms = _form_fields(version)
    fields = []
    for path in paths:
        value = _value_at(data, path)
        if value in (None, "", []):
            continue
        label, options = _form_words(forms[path]) if path in forms else ({}, {})
        if properties.get(LABEL_PREFIX + path):
            label = _words(properties[LABEL_PREFIX + path])
        options = {**options, **_values(properties.get(VALUES_PREFIX + path, ""))}
        fields.append(CaseField(path, label or {"zh_CN": path, "en": path}, value, options))
    return fields
