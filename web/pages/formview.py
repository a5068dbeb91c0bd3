"""Render a task's JSON Schema form on the server, and read a posted form back into JSON values.

The form file decides the fields, their order (`ui.order`), labels in both languages, widgets
(`x-widget`), option labels (`x-enum-labels`) and limits; this module only translates that into
HTML inputs and back. Validation, including the conditional requirements (if/then), is the
engine's: a posted value that cannot be read as its type is passed on as text, so that the
validator names the field and the problem instead of the page guessing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from xianfeng.engine.errors import FormInvalid
from xianfeng.engine.services.attachments import AttachmentInfo
from xianfeng.forms import FormDefinition
from xianfeng.forms.files import accepted, is_file_field

from . import labels

# Options for `x-source` fields, by source name: (value, text) pairs (`services.options.choices`).
# A field whose source has no options here is typed as a number instead.
Sources = Mapping[str, Sequence[tuple[Any, str]]]
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")
_LIMITS = {
    "minLength": "minlength",
    "maxLength": "maxlength",
    "minimum": "min",
    "maximum": "max",
}


@dataclass(frozen=True)
class Choice:
    value: str
    text: str
    chosen: bool


@dataclass(frozen=True)
class Field:
    """One input as the template draws it."""

    name: str
    label: str
    help: str
    widget: str  # text, textarea, number, date, select, radio, yesno, checkboxes, idlist, file
    required: bool
    value: str = ""
    choices: tuple[Choice, ...] = ()
    errors: tuple[str, ...] = ()
    limits: tuple[tuple[str, Any], ...] = ()
    files: tuple[tuple[AttachmentInfo, str], ...] = ()  # a file field's files so far, with their address
    accept: str = ""  # a file field's extensions, for the file chooser
    many: bool = False  # a file field that takes several files
    readonly: bool = False  # its form keeps the value an earlier step gave (`x-readonly`)
    display: str = ""  # a read-only field's value as people read it


def _properties(form: FormDefinition) -> dict[str, Any]:
    return form.schema.get("properties", {})


def _array_widget(prop: dict[str, Any], sources: Sources) -> str:
    items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
    if "enum" in items or items.get("x-source") in sources:
        return "checkboxes"
    return "idlist"


def _scalar_widget(prop: dict[str, Any]) -> str:
    if prop.get("type") in ("integer", "number"):
        return "number"
    if prop.get("x-widget") == "date" or prop.get("format") == "date":
        return "date"
    return "textarea" if prop.get("x-widget") == "textarea" else "text"


def widget_of(prop: dict[str, Any], sources: Sources) -> str:
    """Which input draws a field: the form's `x-widget` hint, refined by the field's type."""
    if is_file_field(prop):
        return "file"
    if prop.get("type") == "array":
        return _array_widget(prop, sources)
    if "x-source" in prop:
        return "select" if prop["x-source"] in sources else "number"
    if prop.get("type") == "boolean":
        return "yesno"
    if "enum" in prop:
        return "select" if prop.get("x-widget") == "select" else "radio"
    return _scalar_widget(prop)


def _options(prop: dict[str, Any], widget: str, sources: Sources) -> list[tuple[Any, str]]:
    target = prop.get("items") if widget == "checkboxes" and prop.get("type") == "array" else prop
    target = target if isinstance(target, dict) else {}
    if widget == "yesno":
        return [(True, labels.yes_no(True)), (False, labels.yes_no(False))]
    if "enum" in target:
        return [(v, labels.option_text(target, v)) for v in target["enum"]]
    return list(sources.get(str(target.get("x-source")), []))


def shown(value: Any) -> str:
    """How a JSON value sits in an HTML input's value attribute."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _chosen(value: Any) -> set[str]:
    return {shown(v) for v in value} if isinstance(value, list) else {shown(value)}


def _limits(prop: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    found = [(html, prop[key]) for key, html in _LIMITS.items() if key in prop]
    if prop.get("type") == "integer":
        found.append(("step", 1))
    elif prop.get("type") == "number":
        found.append(("step", "any"))
    return tuple(found)


def _help(prop: dict[str, Any]) -> str:
    if labels.lang() == "en":
        return str(prop.get("x-description-en", ""))
    return str(prop.get("description", ""))


def fields_of(
    form: FormDefinition,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
    sources: Sources | None = None,
    files: Mapping[str, AttachmentInfo] | None = None,
    file_url: Callable[[str], str] | None = None,
    readonly: frozenset[str] = frozenset(),
) -> list[Field]:
    """The form's fields in display order, filled with `values` and the messages in `errors`;
    `files` describes the files that file fields hold (`attachments.describe`); `readonly` names
    the fields shown but not changed (their value came from an earlier step)."""
    values, errors, sources, files = values or {}, errors or {}, sources or {}, files or {}
    required = set(form.schema.get("required", []))
    result = []
    for name in form.field_names():
        prop = _properties(form)[name]
        widget = widget_of(prop, sources)
        value = values.get(name)
        choices = tuple(
            Choice(shown(v), text, shown(v) in _chosen(value)) for v, text in _options(prop, widget, sources)
        )
        text = ", ".join(shown(v) for v in value) if isinstance(value, list) else shown(value)
        if widget == "file":
            text = ""  # files are listed by name with a tick box each, not typed
        result.append(
            Field(
                name=name,
                label=form.label(name, labels.lang()),
                help=_help(prop),
                widget=widget,
                required=name in required,
                value=text,
                choices=choices,
                errors=tuple(errors.get(name, ())),
                limits=_limits(prop),
                readonly=name in readonly,
                display=labels.joined([c.text for c in choices if c.chosen], enumeration=True)
                if choices
                else text,
                **(_file_parts(prop, value, files, file_url) if widget == "file" else {}),
            )
        )
    return result


def _file_parts(
    prop: dict[str, Any],
    value: Any,
    files: Mapping[str, AttachmentInfo],
    file_url: Callable[[str], str] | None,
) -> dict[str, Any]:
    held = [h for h in (value if isinstance(value, list) else [value]) if isinstance(h, str) and h in files]
    return {
        "files": tuple((files[h], file_url(h) if file_url else "") for h in held),
        "accept": ",".join(accepted(prop)),
        "many": prop.get("type") == "array",
    }


def file_hashes(form: FormDefinition, values: Mapping[str, Any]) -> list[str]:
    """The sha256 hashes the form's file fields hold in `values` (to describe them for display)."""
    found: list[str] = []
    for name, prop in _properties(form).items():
        if is_file_field(prop):
            value = values.get(name)
            found.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    return found


def _scalar(prop: dict[str, Any], raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    kind = prop.get("type")
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if re.fullmatch(r"[+-]?\d{1,15}", text) and kind in ("integer", "number"):
        return int(text)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    return text


def split_list(text: str) -> list[str]:
    """Several entries typed into one box, separated by commas, 、, semicolons or spaces."""
    return [part for part in _LIST_SPLIT.split(text) if part]


def _array(prop: dict[str, Any], raws: list[str]) -> list[Any] | None:
    items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
    if items.get("type") in ("integer", "number"):
        raws = [part for raw in raws for part in split_list(raw)]
    values = [_scalar(items, raw) for raw in raws]
    kept = [v for v in values if v is not None]
    return kept or None


def parse(
    form: FormDefinition, posted: MultiDict[str, str], uploaded: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """The posted fields as JSON values; an empty field is left out so that `required` speaks.

    A file field holds the files ticked to keep (their hashes, posted as the field's values) and
    then those just `uploaded`, once each.
    """
    data: dict[str, Any] = {}
    uploaded = uploaded or {}
    for name in form.field_names():
        prop = _properties(form)[name]
        if is_file_field(prop):
            value = _files_value(prop, [*posted.getlist(name), *uploaded.get(name, ())])
        elif prop.get("type") == "array":
            value = _array(prop, posted.getlist(name))
        else:
            value = _scalar(prop, posted.get(name, ""))
        if value is not None:
            data[name] = value
    return data


def _files_value(prop: dict[str, Any], hashes: list[str]) -> Any:
    kept = list(dict.fromkeys(h.strip() for h in hashes if h.strip()))
    if prop.get("type") == "array":
        return kept or None
    return kept[-1] if kept else None  # a single-file field keeps the newest


def messages_of(form: FormDefinition, error: FormInvalid) -> tuple[dict[str, list[str]], list[str]]:
    """The validator's messages per field ("member_evaluators/1" belongs to member_evaluators),
    and those that name no field of the form, in the page's language."""
    messages = error.errors if labels.lang() == "en" else error.errors_zh
    names = set(form.field_names())
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for path, message in messages.items():
        head = path.split("/", 1)[0]
        if head in names:
            by_field.setdefault(head, []).append(message)
        else:
            general.append(message)
    return by_field, general
