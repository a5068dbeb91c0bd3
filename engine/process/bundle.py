"""Parse a set of diagram files (BPMN, DMN) and forms into SpiffWorkflow specs.

A *bundle* is what one deployment holds. Parsing and validation happen here, before anything is
stored, so that a broken file is refused with its file, line and element id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from xianfeng.forms import FormDefinition, FormDefinitionError, load_form

from ..errors import DiagramInvalid, DiagramLocation
from .structure_checks import check_diagram, check_patterns

BPMN_SUFFIX = ".bpmn"
DMN_SUFFIX = ".dmn"
FORM_SUFFIX = ".json"


def sha256_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def file_kind(name: str) -> str:
    if name.endswith(BPMN_SUFFIX):
        return "bpmn"
    if name.endswith(DMN_SUFFIX):
        return "dmn"
    if name.endswith(FORM_SUFFIX):
        return "form"
    raise DiagramInvalid([(DiagramLocation(name), "unknown file type: expected .bpmn, .dmn or .json")])


@dataclass
class ElementLines:
    """Line numbers of elements by id, per file, for precise messages."""

    lines: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, name: str, root: Any) -> None:
        table = self.lines.setdefault(name, {})
        for element in root.iter():
            element_id = element.get("id") if isinstance(element.tag, str) else None
            if element_id and element_id not in table:
                table[element_id] = element.sourceline

    def locate(self, name: str, element_id: str | None) -> DiagramLocation:
        line = self.lines.get(name, {}).get(element_id or "")
        return DiagramLocation(name, line, element_id)


@dataclass
class ParsedBundle:
    """Every process spec, decision file and form of one deployment."""

    files: dict[str, bytes]
    parser: SpiffBpmnParser
    forms: dict[str, FormDefinition]
    lines: ElementLines
    specs: dict[str, BpmnProcessSpec]

    def file_of_process(self, process_id: str) -> str:
        return self.specs[process_id].file

    def file_of_decision(self, decision_id: str) -> str | None:
        dmn_parser = self.parser.dmn_parsers.get(decision_id)
        return getattr(dmn_parser, "filename", None) if dmn_parser is not None else None


def parse_bundle(files: Mapping[str, bytes]) -> ParsedBundle:
    """Parse everything; raise DiagramInvalid listing every problem found at this stage."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    lines = ElementLines()
    problems: list[tuple[DiagramLocation, str]] = []
    forms: dict[str, FormDefinition] = {}
    for name in sorted(files):
        raw = files[name]
        kind = file_kind(name)
        if kind == "form":
            _add_form(name, raw, forms, problems)
        else:
            _add_diagram(parser, lines, name, raw, kind, problems)
    if problems:
        raise DiagramInvalid(problems)
    specs = _build_specs(parser, lines, problems)
    if problems:
        raise DiagramInvalid(problems)
    return ParsedBundle(dict(files), parser, forms, lines, specs)


def _add_form(
    name: str, raw: bytes, forms: dict[str, FormDefinition], problems: list[tuple[DiagramLocation, str]]
) -> None:
    try:
        forms[name] = load_form(name, raw)
    except FormDefinitionError as exc:
        problems.append((DiagramLocation(name), exc.message))
        return
    problems.extend(check_patterns(name, forms[name].schema))


def _add_diagram(
    parser: SpiffBpmnParser,
    lines: ElementLines,
    name: str,
    raw: bytes,
    kind: str,
    problems: list[tuple[DiagramLocation, str]],
) -> None:
    try:
        root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        problems.append((DiagramLocation(name, line), f"not well-formed XML: {exc.msg}"))
        return
    lines.add(name, root)
    structural = check_diagram(name, root) if kind == "bpmn" else []
    if structural:  # SpiffWorkflow would only say something confusing about the same fault
        problems.extend(structural)
        return
    try:
        if kind == "bpmn":
            parser.add_bpmn_xml(root, filename=name)
        else:
            parser.add_dmn_xml(root, filename=name)
    except ValidationException as exc:
        problems.append((_validation_location(exc, name, lines), _first_line(exc)))
    except (SpiffWorkflowException, etree.LxmlError, ValueError, KeyError) as exc:
        problems.append((DiagramLocation(name), f"cannot be parsed: {_first_line(exc)}"))


def _build_specs(
    parser: SpiffBpmnParser, lines: ElementLines, problems: list[tuple[DiagramLocation, str]]
) -> dict[str, BpmnProcessSpec]:
    specs: dict[str, BpmnProcessSpec] = {}
    for process_id in parser.get_process_ids():
        try:
            specs[process_id] = parser.get_spec(process_id)
            parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            file_name = exc.file_name or _process_file(parser, process_id)
            problems.append((_validation_location(exc, file_name, lines), _first_line(exc)))
        except (SpiffWorkflowException, KeyError, ValueError) as exc:
            location = lines.locate(_process_file(parser, process_id), process_id)
            problems.append((location, f"process {process_id} cannot be built: {_first_line(exc)}"))
    return specs


def _process_file(parser: SpiffBpmnParser, process_id: str) -> str:
    process_parser = parser.process_parsers.get(process_id)
    return getattr(process_parser, "filename", "") or "?"


def _validation_location(exc: ValidationException, fallback: str, lines: ElementLines) -> DiagramLocation:
    file_name = exc.file_name or fallback
    element = getattr(exc, "id", "") or None
    line = getattr(exc, "line_number", "") or None
    location = lines.locate(file_name, element)
    if isinstance(line, int):
        location.line = line
    return location


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]
