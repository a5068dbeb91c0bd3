"""Read a form file and refuse it, with one precise message, if any part of it cannot be trusted.

Administrators upload edited forms; a form that loads must render in both languages and validate
data without surprises. So the checks go beyond the draft 2020-12 metaschema: unknown fields must
be refused (additionalProperties false), every field and enum value needs a Chinese and an English
label, and the UI order may only name real fields.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from xianfeng.forms.definition import LANGUAGES, FormDefinition
from xianfeng.forms.errors import FormDefinitionError
from xianfeng.forms.files import ATTACHMENT_SOURCE, KINDS, SHA256_PATTERN, accepted
from xianfeng.forms.messages import json_type

REQUIRED_KEYS = ("id", "title", "description", "schema", "ui")
# Optional: the requirements (R1–R13) the form serves. For tracing only, never shown to people, so
# that codes like "（R3.1）" stay out of the texts they read.
OPTIONAL_KEYS = ("requirements",)
_REQUIREMENT = re.compile(r"R\d+(?:\.\d+)*")
RESERVED_NAME = "typename"  # SpiffWorkflow snapshots mark typed values with this key
WIDGETS = ("text", "textarea", "number", "date", "select", "radio", "checkbox", "multiselect", "file")
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_FORM_ID = re.compile(r"[a-z][a-z0-9_]*")
_DATA_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
PREFILL, READONLY, RETURN_REASON = "x-prefill", "x-readonly", "x-return-reason"


class _Broken(Exception):
    """Raised by the checks below; `load_form` adds the file name."""


def load_form(name: str, raw: bytes) -> FormDefinition:
    """Parse and check one form file; FormDefinitionError names the first problem found."""
    try:
        doc = _parse(raw)
        _check_document(doc)
    except _Broken as problem:
        raise FormDefinitionError(name, str(problem)) from None
    return FormDefinition(
        name=name,
        id=doc["id"],
        title=doc["title"],
        description=doc["description"],
        schema=doc["schema"],
        ui=doc["ui"],
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def builtin_form_files() -> dict[str, bytes]:
    """Every form shipped in this package, by file name; read through importlib so wheels work too."""
    package = resources.files("xianfeng.forms")
    entries = sorted((e for e in package.iterdir() if e.name.endswith(".json")), key=lambda e: e.name)
    return {entry.name: entry.read_bytes() for entry in entries if entry.is_file()}


def _parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Broken(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise _Broken(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json silently keeps the last of two equal keys; in a hand-edited form that hides a mistake."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Broken(f"duplicate key '{key}' in one JSON object")
        result[key] = value
    return result


def _check_document(doc: Any) -> None:
    if not isinstance(doc, dict):
        raise _Broken(f"the file must hold a JSON object, not {json_type(doc)}")
    for key in REQUIRED_KEYS:
        if key not in doc:
            raise _Broken(f"missing key '{key}'")
    for key in doc:
        if key not in REQUIRED_KEYS + OPTIONAL_KEYS:
            raise _Broken(f"unknown key '{key}'; expected only {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}")
    _check_requirements(doc.get("requirements", []))
    if not isinstance(doc["id"], str) or not _FORM_ID.fullmatch(doc["id"]):
        raise _Broken(
            f"id must be lower-case letters, digits and '_', starting with a letter, not {doc['id']!r}"
        )
    _check_texts("title", doc["title"])
    _check_texts("description", doc["description"])
    _check_schema(doc["schema"])
    _check_ui(doc["ui"], doc["schema"]["properties"])


def _check_requirements(codes: Any) -> None:
    valid = isinstance(codes, list) and all(isinstance(c, str) and _REQUIREMENT.fullmatch(c) for c in codes)
    if not valid:
        raise _Broken('requirements must be a list of requirement codes such as "R3.1"')


def _check_texts(where: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise _Broken(f"{where} must be an object with 'zh_CN' and 'en' texts")
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise _Broken(f"{where} lacks a non-empty '{lang}' text")


def _check_schema(schema: Any) -> None:
    if not isinstance(schema, dict):
        raise _Broken(f"schema must be a JSON object, not {json_type(schema)}")
    declared = schema.get("$schema", DRAFT_2020_12)
    if declared != DRAFT_2020_12:
        raise _Broken(f"schema declares $schema {declared!r}; only {DRAFT_2020_12} is supported")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "".join(f"/{step}" for step in exc.absolute_path)
        raise _Broken(
            f"schema is not valid JSON Schema draft 2020-12 at 'schema{where}': {exc.message}"
        ) from None
    if schema.get("type") != "object":
        raise _Broken('schema.type must be "object"')
    if schema.get("additionalProperties") is not False:
        raise _Broken("schema.additionalProperties must be false, so that unknown fields are refused")
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        raise _Broken("schema.properties must define at least one field")
    _check_field_names("schema.required", schema.get("required", []), properties)
    _check_conditionals(schema, properties)
    for field, prop in properties.items():
        _check_property(field, prop)
    _refuse_reserved_names("schema", schema)


def _refuse_reserved_names(where: str, schema: Any) -> None:
    """A field named `typename`, at any depth, would make every snapshot holding its value
    impossible to restore: SpiffWorkflow reads a dict with that key as a typed value."""
    if isinstance(schema, list):
        for index, part in enumerate(schema):
            _refuse_reserved_names(f"{where}/{index}", part)
        return
    if not isinstance(schema, dict):
        return
    properties = schema.get("properties")
    if isinstance(properties, dict) and RESERVED_NAME in properties:
        raise _Broken(f"{where}.properties names the field '{RESERVED_NAME}', which snapshots reserve")
    for key, part in schema.items():
        if isinstance(part, dict | list):
            _refuse_reserved_names(f"{where}.{key}", part)


def _check_field_names(where: str, names: list[str], properties: dict[str, Any]) -> None:
    for name in names:
        if name not in properties:
            raise _Broken(f"{where} names unknown field '{name}'")


def _check_conditionals(schema: dict[str, Any], properties: dict[str, Any]) -> None:
    """Field names inside top-level if/then/else (also under allOf) must exist: a typo there would
    silently switch a conditional requirement off."""
    branches = [("schema", schema)] + [
        (f"schema.allOf/{i}", s) for i, s in enumerate(schema.get("allOf", []))
    ]
    for where, branch in branches:
        for key in ("if", "then", "else"):
            part = branch.get(key) if isinstance(branch, dict) else None
            if isinstance(part, dict):
                _check_field_names(f"{where}.{key}.required", part.get("required", []), properties)
                _check_field_names(f"{where}.{key}.properties", list(part.get("properties", {})), properties)


def _check_property(field: str, prop: Any) -> None:
    where = f"property '{field}'"
    if not isinstance(prop, dict):
        raise _Broken(f"{where} must be a JSON object")
    for key in ("title", "x-title-en"):
        if not isinstance(prop.get(key), str) or not prop[key].strip():
            raise _Broken(f'{where} lacks "{key}"')
    if ("description" in prop) != ("x-description-en" in prop):
        raise _Broken(
            f'{where} has help text in one language only: give "description" and "x-description-en"'
        )
    widget = prop.get("x-widget")
    if widget is not None and widget not in WIDGETS:
        raise _Broken(f"{where} has unknown x-widget {widget!r}; expected one of {', '.join(WIDGETS)}")
    _check_value_schema(where, prop)
    if isinstance(prop.get("items"), dict):
        _check_value_schema(f"{where} items", prop["items"])
    if widget == "file" or "x-accept" in prop:
        _check_file_field(where, prop)
    _check_hints(where, prop)


def _check_hints(where: str, prop: dict[str, Any]) -> None:
    """`x-prefill`: the case data path the field opens with (an earlier form's answer);
    `x-readonly`: that value cannot be changed (needs x-prefill); `x-return-reason`: the field's
    answer is why a case goes back (shown to whoever gets the task again)."""
    prefill = prop.get(PREFILL)
    if prefill is not None and (not isinstance(prefill, str) or not _DATA_PATH.fullmatch(prefill)):
        raise _Broken(f'{where} has an x-prefill that is not a data path such as "post.title"')
    for hint in (READONLY, RETURN_REASON):
        if hint in prop and not isinstance(prop[hint], bool):
            raise _Broken(f"{where} has {hint} {prop[hint]!r}; it is true or false")
    if prop.get(READONLY) is True and prefill is None:
        raise _Broken(f"{where} is x-readonly without x-prefill: nothing would fill it")
    if prop.get(RETURN_REASON) is True and prop.get("type") != "string":
        raise _Broken(f"{where} is an x-return-reason but not a text field")


def _check_file_field(where: str, prop: dict[str, Any]) -> None:
    """A file field holds sha256 hashes of uploaded files: one (a string) or several (an array)."""
    if prop.get("x-widget") != "file":
        raise _Broken(f'{where} has x-accept but is not a file field (x-widget "file")')
    holder = prop.get("items") if prop.get("type") == "array" else prop
    if (
        not isinstance(holder, dict)
        or holder.get("type") != "string"
        or holder.get("x-source") != ATTACHMENT_SOURCE
    ):
        raise _Broken(
            f"{where} is a file field: it must be a string, or an array of strings, "
            f'with x-source "{ATTACHMENT_SOURCE}"'
        )
    if holder.get("pattern") != SHA256_PATTERN:
        raise _Broken(f'{where} is a file field: its values need "pattern": "{SHA256_PATTERN}"')
    unknown = [ext for ext in accepted(prop) if ext not in KINDS]
    if unknown:
        raise _Broken(f"{where} accepts unknown file kinds {', '.join(unknown)}; known: {', '.join(KINDS)}")


def _check_value_schema(where: str, schema: dict[str, Any]) -> None:
    """x-source and x-enum-labels may sit on a field or on its array items."""
    source = schema.get("x-source")
    if source is not None and (not isinstance(source, str) or not source):
        raise _Broken(f"{where} has an x-source that is not a non-empty name")
    labels = schema.get("x-enum-labels")
    if "enum" not in schema:
        if labels is not None:
            raise _Broken(f"{where} has x-enum-labels but no enum")
        return
    if not isinstance(labels, dict):
        raise _Broken(f"{where} has an enum but no x-enum-labels")
    values = [str(v) for v in schema["enum"]]
    for value in values:
        if value not in labels:
            raise _Broken(f"{where}: x-enum-labels lacks a label for enum value '{value}'")
        _check_texts(f"{where}: x-enum-labels['{value}']", labels[value])
    for key in labels:
        if key not in values:
            raise _Broken(f"{where}: x-enum-labels has a label for '{key}', which is not in the enum")


def _check_ui(ui: Any, properties: dict[str, Any]) -> None:
    if not isinstance(ui, dict):
        raise _Broken(f"ui must be a JSON object, not {json_type(ui)}")
    order = ui.get("order", [])
    if not isinstance(order, list) or not all(isinstance(f, str) for f in order):
        raise _Broken("ui.order must be a list of field names")
    _check_field_names("ui.order", order, properties)
    for i, field in enumerate(order):
        if field in order[:i]:
            raise _Broken(f"ui.order names field '{field}' twice")
    if "batch" in ui:
        _check_batch(ui["batch"], properties)


def _check_batch(batch: Any, properties: dict[str, Any]) -> None:
    """ui.batch = {"fields": [...], "choices": {field: [values]}}: tasks of this form may be decided
    together (批量审批), asking only these fields, each choice field limited to the values listed."""
    if not isinstance(batch, dict) or set(batch) - {"fields", "choices"}:
        raise _Broken("ui.batch must be an object with 'fields' and optionally 'choices'")
    fields = batch.get("fields")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise _Broken("ui.batch.fields must be a non-empty list of field names")
    _check_field_names("ui.batch.fields", fields, properties)
    choices = batch.get("choices", {})
    if not isinstance(choices, dict):
        raise _Broken(f"ui.batch.choices must be a JSON object, not {json_type(choices)}")
    for field, values in choices.items():
        if field not in fields:
            raise _Broken(f"ui.batch.choices names field '{field}', which is not in ui.batch.fields")
        allowed = properties[field].get("enum", [])
        if not isinstance(values, list) or not values or any(v not in allowed for v in values):
            raise _Broken(f"ui.batch.choices.{field} must list values of the field's enum {allowed}")
