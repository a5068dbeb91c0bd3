"""Deployed diagram versions: validate, store by content hash, load once, pin instances.

A process version is a process key plus the closure of files it needs: its own diagram, the
diagrams of the processes it calls (transitively), the decision tables its business-rule tasks
use, and the forms of its user tasks. The version's `bundle_hash` is the hash of that closure, so
changing `approval.bpmn` makes a new version of `approval` and of every process that calls it,
and of nothing else. Running instances keep the version they started on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata, resources
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, ParallelMultiInstanceTask
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask, ServiceTask, UserTask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xianfeng.forms import FormDefinition, builtin_form_files

from ..errors import DiagramInvalid, NotFound
from ..models import Artifact, ProcessDefinition, ProcessInstance, ProcessVersion
from .bundle import ParsedBundle, file_kind, parse_bundle, sha256_hex
from .diagram_checks import check_bundle, service_form
from .sandbox_guards import SandboxViolation
from .serialization import SnapshotSerializer
from .structure_checks import MAX_INSTANCES
from .task_properties import CYCLE_PROPERTY, FORM_PROPERTY, START_FOR_PROPERTY, properties_of

ENGINE_VERSION = f"spiffworkflow=={metadata.version('SpiffWorkflow')}"


@dataclass(frozen=True)
class LoadedVersion:
    """A parsed, immutable process version: what a step runs on."""

    id: int
    process_key: str
    version: int
    bundle_hash: str
    name: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    forms: dict[str, FormDefinition]
    serializer: SnapshotSerializer
    start_role: str | None
    start_form: str | None
    start_for: str | None = None
    cycle: str | None = None

    def form(self, name: str) -> FormDefinition:
        try:
            return self.forms[name]
        except KeyError as exc:
            raise NotFound(f"form {name!r} is not part of {self.process_key} v{self.version}") from exc


@dataclass(frozen=True)
class DeployedVersion:
    process_key: str
    version: int
    bundle_hash: str
    new: bool


def builtin_files() -> dict[str, bytes]:
    """The shipped diagrams and forms: `processes/*.bpmn|dmn` and `forms/*.json`."""
    files: dict[str, bytes] = {}
    for entry in resources.files("xianfeng.processes").iterdir():
        if entry.name.endswith((".bpmn", ".dmn")):
            files[entry.name] = entry.read_bytes()
    files.update(builtin_form_files())
    return files


def validate_files(files: Mapping[str, bytes]) -> ParsedBundle:
    """Parse and check a bundle; raise DiagramInvalid with every problem, store nothing."""
    bundle = parse_bundle(files)
    problems = check_bundle(bundle)
    if problems:
        raise DiagramInvalid(problems)
    return bundle


def closure(bundle: ParsedBundle, process_key: str) -> dict[str, str]:
    """File name -> sha256 of everything `process_key` needs."""
    names = {bundle.file_of_process(process_key)}
    specs = [bundle.specs[process_key], *bundle.parser.get_subprocess_specs(process_key).values()]
    for spec in specs:
        names.add(spec.file)
        for task_spec in spec.task_specs.values():
            names.update(_needed_files(bundle, task_spec))
    return {name: sha256_hex(bundle.files[name]) for name in sorted(names)}


def _needed_files(bundle: ParsedBundle, task_spec: Any) -> set[str]:
    needed: set[str] = set()
    form = properties_of(task_spec).get(FORM_PROPERTY)
    if form and isinstance(task_spec, UserTask | StartEvent):
        needed.add(form)
    if isinstance(task_spec, ServiceTask):
        needed.update(form for form in (service_form(task_spec),) if form)
    if isinstance(task_spec, BusinessRuleTask):
        decision = (task_spec.extensions or {}).get("calledDecisionId", "")
        decision_file = bundle.file_of_decision(decision)
        if decision_file:
            needed.add(decision_file)
    return needed


def bundle_hash(files: Mapping[str, str]) -> str:
    text = "\n".join(f"{name}\0{sha}" for name, sha in sorted(files.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def deploy(
    session: Session, files: Mapping[str, bytes], deployed_by: str, now: dt.datetime, note: str = ""
) -> list[DeployedVersion]:
    """Store a validated bundle; each process key gets a new version only if its closure changed."""
    bundle = validate_files(files)
    for name, raw in files.items():
        _store_artifact(session, name, raw, now)
    results = []
    for process_key in sorted(bundle.specs):
        results.append(_store_version(session, bundle, process_key, deployed_by, now, note))
    session.flush()
    return results


def _store_artifact(session: Session, name: str, raw: bytes, now: dt.datetime) -> None:
    sha = sha256_hex(raw)
    if session.get(Artifact, sha) is None:
        session.add(Artifact(sha256=sha, name=name, kind=file_kind(name), content=raw, created_at=now))


def _store_version(
    session: Session, bundle: ParsedBundle, process_key: str, deployed_by: str, now: dt.datetime, note: str
) -> DeployedVersion:
    files = closure(bundle, process_key)
    digest = bundle_hash(files)
    existing = session.execute(
        select(ProcessVersion).where(
            ProcessVersion.process_key == process_key, ProcessVersion.bundle_hash == digest
        )
    ).scalar_one_or_none()
    new = existing is None
    if existing is None:
        latest = session.execute(
            select(func.max(ProcessVersion.version)).where(ProcessVersion.process_key == process_key)
        ).scalar()
        existing = ProcessVersion(
            process_key=process_key,
            version=(latest or 0) + 1,
            name=bundle.specs[process_key].description or "",
            bundle_hash=digest,
            files=[{"name": n, "sha256": s} for n, s in files.items()],
            engine_version=ENGINE_VERSION,
            deployed_at=now,
            deployed_by=deployed_by,
            note=note,
        )
        session.add(existing)
        session.flush()
    definition = session.get(ProcessDefinition, process_key)
    if definition is None:
        session.add(ProcessDefinition(process_key=process_key, current_version_id=existing.id))
    else:
        definition.current_version_id = existing.id
    return DeployedVersion(process_key, existing.version, digest, new)


class Catalog:
    """Parsed versions by id, cached for the life of the process (versions never change)."""

    def __init__(self) -> None:
        self._loaded: dict[int, LoadedVersion] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, version_id: int) -> LoadedVersion:
        loaded = self._loaded.get(version_id)
        if loaded is not None:
            return loaded
        with self._lock:
            loaded = self._loaded.get(version_id)
            if loaded is None:
                loaded = self._load(session, version_id)
                self._loaded[version_id] = loaded
        return loaded

    def warm(self, session: Session) -> int:
        """Parse, ahead of the first request, every current version and every version a running
        instance is pinned to; returns how many are loaded. A server does this before it forks its
        workers, so they share the parsed diagrams instead of each parsing them on a first step."""
        current = select(ProcessDefinition.current_version_id)
        pinned = select(ProcessInstance.process_version_id).where(ProcessInstance.status == "running")
        for version_id in session.execute(current.union(pinned)).scalars():
            self.get(session, version_id)
        return len(self._loaded)

    def current(self, session: Session, process_key: str) -> LoadedVersion:
        definition = session.get(ProcessDefinition, process_key)
        if definition is None:
            raise NotFound(f"no process {process_key!r} is deployed", process_key=process_key)
        return self.get(session, definition.current_version_id)

    def _load(self, session: Session, version_id: int) -> LoadedVersion:
        row = session.get(ProcessVersion, version_id)
        if row is None:
            raise NotFound(f"process version {version_id} does not exist")
        files = version_files(session, row)
        return load_version(
            parse_bundle(files), row.process_key, row.id, row.version, row.bundle_hash, row.name
        )


def version_files(session: Session, row: ProcessVersion) -> dict[str, bytes]:
    """The files of a stored version, by name."""
    shas = [f["sha256"] for f in row.files]
    artifacts = {
        a.sha256: a for a in session.execute(select(Artifact).where(Artifact.sha256.in_(shas))).scalars()
    }
    return {f["name"]: artifacts[f["sha256"]].content for f in row.files}


def load_version(
    bundle: ParsedBundle, process_key: str, version_id: int, version: int, digest: str, name: str
) -> LoadedVersion:
    """A runnable version from a parsed bundle: a stored one, or a draft being tried out (what-if)."""
    spec = bundle.specs[process_key]
    subprocess_specs = bundle.parser.get_subprocess_specs(process_key)
    for each in (spec, *subprocess_specs.values()):
        wire_loops(each)
    start_role, start_properties = _start_of(spec)
    return LoadedVersion(
        id=version_id,
        process_key=process_key,
        version=version,
        bundle_hash=digest,
        name=name,
        spec=spec,
        subprocess_specs=subprocess_specs,
        forms=bundle.forms,
        serializer=SnapshotSerializer(spec, subprocess_specs),
        start_role=start_role,
        start_form=start_properties.get(FORM_PROPERTY),
        start_for=start_properties.get(START_FOR_PROPERTY),
        cycle=start_properties.get(CYCLE_PROPERTY),
    )


def wire_loops(spec: BpmnProcessSpec) -> None:
    """Connect each loop/multi-instance task to its child spec's completion signal.

    SpiffWorkflow 3.2 makes this connection lazily, on the shared spec, when it creates the first
    child. A process that loads a snapshot whose children already exist never makes it, and the
    children's results are then silently never merged: the loop waits forever. Wiring at load time
    makes behaviour independent of which process created the children.
    """
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, LoopTask) and hasattr(task_spec, "merge_child"):
            child = spec.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)
        if isinstance(task_spec, ParallelMultiInstanceTask) and "create_children" not in vars(task_spec):
            task_spec.create_children = _bounded(task_spec, task_spec.create_children)


def _bounded(task_spec: Any, create_children: Any) -> Any:
    """A parallel multi-instance activity starts at most MAX_INSTANCES children: the count is taken
    from its input collection or cardinality before any child is made (deploy refuses a literal
    cardinality above it; this catches one that data or a script makes)."""

    def create(my_task: Any) -> Any:
        if task_spec.data_input is not None:
            count = len(task_spec.data_input.get(my_task))
        else:
            count = my_task.workflow.script_engine.evaluate(my_task, task_spec.cardinality)
        if not isinstance(count, int) or count > MAX_INSTANCES:
            raise SandboxViolation(
                f"{task_spec.bpmn_id} would start {count} instances at once; at most {MAX_INSTANCES} may run"
            )
        return create_children(my_task)

    return create


def _start_of(spec: BpmnProcessSpec) -> tuple[str | None, dict[str, str]]:
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent) and task_spec.bpmn_id:
            return task_spec.lane, properties_of(task_spec)
    return None, {}
