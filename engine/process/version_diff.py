"""What changed between two versions of a process, as an administrator reads it: the diagram's
elements added, removed and changed (with each changed property, old and new), the decision
tables' rules, and the forms' fields. The picture of the change (coloured elements) is drawn in the
browser from the two diagrams; this is the list beside it, and what the CLI prints.

Elements are compared by id, on what runs: names, scripts, conditions, timers, the extension
properties (form, due days, reminders, roles…), instructions, flows in and out. Layout (BPMN DI) is
not a change of the procedure and is left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


@dataclass(frozen=True)
class Change:
    """One property of one element (or rule, or field) that differs: old and new as text."""

    name: str
    old: str | None
    new: str | None


@dataclass
class FileDiff:
    file: str
    kind: str  # bpmn / dmn / form
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[Change]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_files(old: dict[str, bytes], new: dict[str, bytes]) -> list[FileDiff]:
    """Every file that differs between two file sets (same name: compared; else added/removed)."""
    diffs = []
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        kind = name.rsplit(".", 1)[-1] if name.endswith((".bpmn", ".dmn")) else "form"
        items_before = _items(kind, before) if before is not None else {}
        items_after = _items(kind, after) if after is not None else {}
        diff = _compare(name, "bpmn" if kind == "bpmn" else kind, items_before, items_after)
        if not diff.empty or before is None or after is None:
            diffs.append(diff)
    return diffs


def _items(kind: str, raw: bytes) -> dict[str, dict[str, str]]:
    if kind == "form":
        return _form_fields(raw)
    root = etree.fromstring(raw, _PARSER)
    return _dmn_rules(root) if kind == "dmn" else _bpmn_elements(root)


def _compare(
    name: str, kind: str, old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]
) -> FileDiff:
    diff = FileDiff(name, kind)
    diff.added = sorted(new.keys() - old.keys())
    diff.removed = sorted(old.keys() - new.keys())
    for key in sorted(old.keys() & new.keys()):
        changes = [
            Change(prop, old[key].get(prop), new[key].get(prop))
            for prop in sorted(old[key].keys() | new[key].keys())
            if old[key].get(prop) != new[key].get(prop)
        ]
        if changes:
            diff.changed[key] = changes
    return diff


def _local(tag: Any) -> str:
    return str(tag).split("}", 1)[-1] if isinstance(tag, str) else ""


def _bpmn_elements(root: Any) -> dict[str, dict[str, str]]:
    """Each element with an id inside the processes (not the layout), as property → text."""
    found: dict[str, dict[str, str]] = {}
    for process in root.iter(f"{BPMN}process"):
        for element in process.iter():
            element_id = element.get("id") if isinstance(element.tag, str) else None
            if element_id and element is not process:
                found[element_id] = _element_properties(element)
    return found


def _element_properties(element: Any) -> dict[str, str]:
    props = {"type": _local(element.tag)}
    props.update({f"@{k}": v for k, v in element.attrib.items() if k != "id"})
    for child in element:
        tag = _local(child.tag)
        if tag == "extensionElements":
            props.update(_extensions(child))
        elif tag in ("incoming", "outgoing", "flowNodeRef"):
            props[tag] = ",".join(sorted(filter(None, [props.get(tag), (child.text or "").strip()])))
        elif tag and len(child) == 0 and (child.text or "").strip():
            props[tag] = (child.text or "").strip()
        elif tag and child.get("id") is None:
            props[tag] = etree.tostring(child, encoding="unicode", with_tail=False).strip()
    return props


def _extensions(extension: Any) -> dict[str, str]:
    props: dict[str, str] = {}
    for child in extension:
        tag = _local(child.tag)
        if tag == "properties":
            for prop in child:
                props[f"property {prop.get('name')}"] = prop.get("value") or ""
        elif tag == "serviceTaskOperator":
            props["operation"] = child.get("id") or ""
            for param in child.iter(f"{SPIFF}parameter"):
                props[f"parameter {param.get('id')}"] = param.get("value") or ""
        elif tag:
            props[tag] = (child.text or "").strip()
    return props


def _dmn_rules(root: Any) -> dict[str, dict[str, str]]:
    """Each rule (and each table's hit policy and columns) of a decision file."""
    found: dict[str, dict[str, str]] = {}
    for table in root.iter():
        if _local(table.tag) != "decisionTable":
            continue
        inputs = [
            (_text(i, "inputExpression") or i.get("label") or "") for i in table if _local(i.tag) == "input"
        ]
        outputs = [o.get("name") or o.get("label") or "" for o in table if _local(o.tag) == "output"]
        found[table.get("id") or "decisionTable"] = {
            "hitPolicy": table.get("hitPolicy", "UNIQUE"),
            "inputs": " | ".join(inputs),
            "outputs": " | ".join(outputs),
        }
        for rule in (r for r in table if _local(r.tag) == "rule"):
            entries = {}
            for index, cell in enumerate(c for c in rule if _local(c.tag) == "inputEntry"):
                entries[f"when {inputs[index] if index < len(inputs) else index}"] = _text(cell, "text")
            for index, cell in enumerate(c for c in rule if _local(c.tag) == "outputEntry"):
                entries[f"then {outputs[index] if index < len(outputs) else index}"] = _text(cell, "text")
            description = next((c.text or "" for c in rule if _local(c.tag) == "description"), "")
            if description:
                entries["description"] = description.strip()
            found[rule.get("id") or f"rule {len(found)}"] = entries
    return found


def _text(element: Any, child_tag: str) -> str:
    for child in element.iter():
        if _local(child.tag) == child_tag:
            return " ".join("".join(child.itertext()).split())
    return ""


def _form_fields(raw: bytes) -> dict[str, dict[str, str]]:
    """Each field of a form (and the form's title and required list), as property → JSON text."""
    try:
        form = json.loads(raw)
    except ValueError:
        return {"(form)": {"content": raw.decode("utf-8", "replace")}}
    schema = form.get("schema", {}) if isinstance(form, dict) else {}
    found = {
        "(form)": {
            "title": json.dumps(form.get("title"), ensure_ascii=False, sort_keys=True),
            "required": json.dumps(sorted(schema.get("required", [])), ensure_ascii=False),
            "ui": json.dumps(form.get("ui"), ensure_ascii=False, sort_keys=True),
        }
    }
    for name, prop in (schema.get("properties") or {}).items():
        found[name] = {
            key: json.dumps(value, ensure_ascii=False, sort_keys=True) for key, value in sorted(prop.items())
        }
    return found
