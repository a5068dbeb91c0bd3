"""Whatever the database holds, `verify` reports it and goes on: a broken snapshot, diagram file,
version or event is a problem naming the instance and the event, never an exception.

Each test breaks one stored thing with plain SQL (`tamper`), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from support import CreationWalk
from tamper_support import tamper

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Artifact, Event, ProcessInstance
from xianfeng.engine.services import audit
from xianfeng.engine.services.audit.parallel import replay_instances


@pytest.fixture
def walked(backend: Kernel) -> CreationWalk:
    """One nomination evaluated by its members and the public, its notice period over."""
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    return walk


def events_of(kernel: Kernel, instance_id: int) -> list[Event]:
    with kernel.db.unit_of_work(write=False) as uow:
        query = sa.select(Event).where(Event.instance_id == instance_id).order_by(Event.instance_version)
        return list(uow.session.execute(query).scalars())


def version_of(kernel: Kernel, instance_id: int) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        instance = uow.session.get(ProcessInstance, instance_id)
        assert instance is not None
        return instance.process_version_id


def sha_of(kernel: Kernel, name: str) -> str:
    with kernel.db.unit_of_work(write=False) as uow:
        return str(uow.session.execute(sa.select(Artifact.sha256).where(Artifact.name == name)).scalar_one())


def problems_after_verify(kernel: Kernel) -> list[str]:
    report = audit.verify(kernel)
    assert not report.ok
    return report.problems


def reported(problems: list[str], *parts: str) -> bool:
    return any(all(part in problem for part in parts) for problem in problems)


def test_a_snapshot_that_is_not_json_is_reported(walked: CreationWalk) -> None:
    kernel = walked.kernel
    tamper(
        kernel,
        "UPDATE process_instance SET state_json = '{\"tasks\": [' WHERE id = :id",
        id=walked.instance_id,
    )
    expected = (
        f"instance {walked.instance_id}: the stored snapshot is not JSON (nor the state its events replay to)"
    )
    assert expected in problems_after_verify(kernel)


def test_a_diagram_stored_as_text_is_reported_by_replay(kernel: Kernel) -> None:
    """SQLite keeps whatever type it is given; PostgreSQL's bytea cannot hold text. Asked of replay
    itself: `verify`'s rebuild of the artifact table meets the text first (see engine/journal)."""
    walk = CreationWalk(kernel)
    walk.start()
    tamper(
        kernel, "UPDATE artifact SET content = CAST(content AS TEXT) WHERE name = 'model_post_creation.bpmn'"
    )
    first = events_of(kernel, walk.instance_id)[0]
    problems = replay_instances(kernel, [walk.instance_id])[walk.instance_id]
    assert problems == [
        f"instance {walk.instance_id}, event {first.seq} (start v1): cannot be replayed: process version "
        f"{version_of(kernel, walk.instance_id)} (model_post_creation v1): file model_post_creation.bpmn "
        f"({sha_of(kernel, 'model_post_creation.bpmn')[:12]}…) is stored as text, not as the bytes of the "
        "file"
    ]


@pytest.mark.parametrize(
    "change",
    [
        "substr(content, 1, 300)",  # cut short
        "(SELECT other.content FROM artifact other WHERE other.name = 'approval.bpmn')",  # another diagram
    ],
    ids=["cut-short", "replaced"],
)
def test_a_diagram_whose_bytes_do_not_match_its_hash_is_reported(walked: CreationWalk, change: str) -> None:
    kernel = walked.kernel
    tamper(kernel, f"UPDATE artifact SET content = {change} WHERE name = 'model_post_creation.bpmn'")
    first = events_of(kernel, walked.instance_id)[0]
    problems = problems_after_verify(kernel)
    assert reported(
        problems,
        f"instance {walked.instance_id}, event {first.seq} (start v1)",
        "file model_post_creation.bpmn",
        "do not match its hash: changed or cut short",
    ), problems


def test_a_missing_form_of_the_version_is_reported(walked: CreationWalk) -> None:
    kernel = walked.kernel
    tamper(kernel, "DELETE FROM artifact WHERE name = 'evaluation.json'")
    problems = problems_after_verify(kernel)
    assert reported(
        problems, f"instance {walked.instance_id}, event", "file evaluation.json", "is missing"
    ), problems


def test_a_missing_process_version_is_reported(walked: CreationWalk) -> None:
    kernel = walked.kernel
    tamper(
        kernel, "UPDATE process_instance SET process_version_id = 9999 WHERE id = :id", id=walked.instance_id
    )
    first = events_of(kernel, walked.instance_id)[0]
    problems = problems_after_verify(kernel)
    assert reported(
        problems,
        f"instance {walked.instance_id}, event {first.seq} (start v1): cannot be replayed:",
        "its process version 9999 does not exist",
    ), problems


@pytest.mark.parametrize(
    ("column", "stored", "expected"),
    [
        ("payload", "{not json", "its payload is not JSON"),
        ("payload", "[1, 2]", "its payload is not a JSON object with the step's data"),
        ("effects", "oops", "its effects are not JSON"),
        ("effects", '{"op": "add_working_days"}', "its effects are not a JSON list of recorded effects"),
    ],
    ids=["payload-not-json", "payload-a-list", "effects-not-json", "effects-an-object"],
)
def test_an_event_that_is_not_what_a_step_logs_is_reported(
    walked: CreationWalk, column: str, stored: str, expected: str
) -> None:
    kernel = walked.kernel
    target = next(e for e in events_of(kernel, walked.instance_id) if e.kind == "complete")
    tamper(kernel, f"UPDATE event SET {column} = :stored WHERE seq = :seq", stored=stored, seq=target.seq)
    problems = problems_after_verify(kernel)
    assert reported(
        problems,
        f"instance {walked.instance_id}, event {target.seq} (complete v{target.instance_version})",
        expected,
    ), problems


def _nested(depth: int) -> str:
    return '{"data": {"deep": ' + "[" * depth + "]" * depth + "}}"


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (lambda original: {**original, "timers_at": 5}, "TypeError"),
        (lambda _original: _nested(100_000), "RecursionError"),
    ],
    ids=["timers-at-a-number", "nested-beyond-any-limit"],
)
def test_an_error_of_any_kind_in_a_replayed_step_is_reported_with_its_type(
    walked: CreationWalk, payload: Any, error: str
) -> None:
    kernel = walked.kernel
    target = next(e for e in events_of(kernel, walked.instance_id) if e.kind == "complete")
    forged = payload(json.loads(target.payload))
    text = forged if isinstance(forged, str) else json.dumps(forged, ensure_ascii=False)
    tamper(kernel, "UPDATE event SET payload = :payload WHERE seq = :seq", payload=text, seq=target.seq)
    problems = problems_after_verify(kernel)
    assert reported(
        problems, f"instance {walked.instance_id}, event {target.seq}", f"replay failed: {error}:"
    ), problems


def test_other_instances_are_still_replayed_after_a_broken_one(walked: CreationWalk) -> None:
    kernel = walked.kernel
    other = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    other.start()
    tamper(
        kernel, "UPDATE process_instance SET process_version_id = 9999 WHERE id = :id", id=walked.instance_id
    )
    tamper(kernel, "UPDATE process_instance SET state_json = 'x' WHERE id = :id", id=other.instance_id)
    problems = problems_after_verify(kernel)
    assert reported(problems, f"instance {walked.instance_id}, event", "process version 9999 does not exist")
    assert reported(problems, f"instance {other.instance_id}: the stored snapshot is not JSON"), problems
