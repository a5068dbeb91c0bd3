"""Small pieces of the kernel that the rest relies on: deterministic steps, spec-less snapshots,
effect replay and event hashing."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import SpiffWorkflow.task as spiff_task
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from xianfeng.engine.errors import ReplayMismatch
from xianfeng.engine.process import determinism, history
from xianfeng.engine.process.bundle import parse_bundle
from xianfeng.engine.process.catalog import builtin_files
from xianfeng.engine.process.effects import LiveEffects, ReplayedEffects, canonical_copy
from xianfeng.engine.process.serialization import SnapshotSerializer

AT = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)


def _ids(seed: str, count: int = 3) -> list[uuid.UUID]:
    determinism.install()
    with determinism.step_scope(AT, seed):
        return [spiff_task.uuid4() for _ in range(count)]


def test_task_ids_are_a_function_of_the_step_seed() -> None:
    assert _ids("7:3") == _ids("7:3")
    assert _ids("7:3") != _ids("7:4")
    assert len(set(_ids("7:3"))) == 3


def test_outside_a_step_ids_stay_random() -> None:
    determinism.install()
    assert spiff_task.uuid4() != spiff_task.uuid4()


def test_task_timestamps_are_the_business_time() -> None:
    determinism.install()
    with determinism.step_scope(AT, "1:1"):
        assert spiff_task.time.time() == AT.timestamp()


def test_timers_are_held_at_the_earliest_pending_message() -> None:
    held = AT - dt.timedelta(hours=5)
    with determinism.step_scope(AT, "1:1", timers_at=held):
        assert determinism.timers_now() == held
        assert determinism.business_now() == AT
    with determinism.step_scope(AT, "1:1", timers_at=AT + dt.timedelta(days=1)):
        assert determinism.timers_now() == AT


def test_a_naive_business_time_is_refused() -> None:
    with (
        pytest.raises(ValueError, match="timezone-aware"),
        determinism.step_scope(AT.replace(tzinfo=None), "x"),
    ):
        pass


def _approval_workflow() -> tuple[BpmnWorkflow, SnapshotSerializer]:
    bundle = parse_bundle(builtin_files())
    spec = bundle.specs["model_post_creation"]
    subprocesses = bundle.parser.get_subprocess_specs("model_post_creation")
    workflow = BpmnWorkflow(spec, subprocesses)
    return workflow, SnapshotSerializer(spec, subprocesses)


def test_snapshots_leave_the_diagram_out_and_round_trip() -> None:
    workflow, serializer = _approval_workflow()
    snapshot = serializer.dumps(workflow)
    embedded = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)).serialize_json(workflow)
    assert len(snapshot) < len(embedded) / 3
    assert "spec_ref" in json.loads(snapshot) and "spec" not in json.loads(snapshot)
    assert serializer.dumps(serializer.loads(snapshot)) == snapshot


def test_a_snapshot_of_another_process_is_refused() -> None:
    workflow, serializer = _approval_workflow()
    snapshot = json.loads(serializer.dumps(workflow))
    snapshot["spec_ref"] = "approval"
    with pytest.raises(ValueError, match="not 'model_post_creation'"):
        serializer.loads(json.dumps(snapshot))


def test_live_effects_record_canonical_arguments_and_results() -> None:
    effects = LiveEffects()
    result = effects.call("establish_post", {"b": 1, "a": 2}, lambda: {"z": 1, "plate_no": "ZA-1"})
    assert list(result) == ["plate_no", "z"]
    assert effects.recorded == [
        {"op": "establish_post", "args": {"a": 2, "b": 1}, "result": {"plate_no": "ZA-1", "z": 1}}
    ]


def test_replayed_effects_return_the_record_without_running() -> None:
    replay = ReplayedEffects([{"op": "establish_post", "args": {"a": 1}, "result": {"plate_no": "ZA-9"}}])
    assert replay.call("establish_post", {"a": 1}, lambda: pytest.fail("ran the effect")) == {
        "plate_no": "ZA-9"
    }
    replay.assert_consumed()


@pytest.mark.parametrize(
    ("op", "args", "message"),
    [
        ("close_notice", {"a": 1}, "where the log recorded establish_post"),
        ("establish_post", {"a": 2}, "where the log recorded establish_post({'a': 1})"),
    ],
)
def test_replay_refuses_a_different_effect(op: str, args: dict[str, int], message: str) -> None:
    replay = ReplayedEffects([{"op": "establish_post", "args": {"a": 1}, "result": {}}])
    with pytest.raises(ReplayMismatch) as refused:
        replay.call(op, args, lambda: None)
    assert message in refused.value.message


def test_replay_refuses_leftover_or_missing_effects() -> None:
    with pytest.raises(ReplayMismatch, match="1 recorded effect"):
        ReplayedEffects([{"op": "x", "args": {}, "result": 1}]).assert_consumed()
    with pytest.raises(ReplayMismatch, match="no further effect"):
        ReplayedEffects([]).call("x", {}, lambda: None)


def test_canonical_copy_sorts_keys_at_every_level() -> None:
    value = canonical_copy({"b": {"d": 1, "c": 2}, "a": [{"y": 1, "x": 2}]})
    assert list(value) == ["a", "b"] and list(value["b"]) == ["c", "d"] and list(value["a"][0]) == ["x", "y"]


def _fields() -> dict[str, object]:
    return {
        "seq": 1,
        "instance_id": 1,
        "instance_version": 1,
        "kind": "start",
        "task_id": "",
        "spec_id": "",
        "actor_user_id": 4,
        "actor": "secretary1",
        "role": "branch",
        "payload": "{}",
        "effects": "[]",
        "business_time": AT,
        "recorded_at": AT,
        "bundle_hash": "b" * 64,
        "state_hash": "s" * 64,
        "changes": "[]",
        "shard": 1,
        "shard_seq": 1,
    }


@pytest.mark.parametrize("name", list(history.HASHED_FIELDS))
def test_every_field_of_an_event_is_covered_by_its_hash(name: str) -> None:
    fields = _fields()
    original = history.event_hash(fields, history.GENESIS_HASH)
    changed = dict(fields)
    value = changed[name]
    changed[name] = (
        value + dt.timedelta(seconds=1)
        if isinstance(value, dt.datetime)
        else value + 1
        if isinstance(value, int)
        else f"{value}x"
    )
    assert history.event_hash(changed, history.GENESIS_HASH) != original


def test_an_event_from_before_the_shards_hashes_as_it_was_published() -> None:
    old = {name: value for name, value in _fields().items() if name not in ("shard", "shard_seq")}
    unsharded = {**_fields(), "shard": 0, "shard_seq": None}
    assert history.event_hash(unsharded, history.GENESIS_HASH) == history.event_hash(
        old, history.GENESIS_HASH
    )
    assert history.event_hash(_fields(), history.GENESIS_HASH) != history.event_hash(
        old, history.GENESIS_HASH
    )


def test_an_event_that_wrote_no_rows_hashes_as_events_did_before_rows_were_recorded() -> None:
    without = {name: value for name, value in _fields().items() if name != "changes"}
    assert history.event_hash(_fields(), history.GENESIS_HASH) == history.event_hash(
        without, history.GENESIS_HASH
    )


def test_the_hash_depends_on_the_previous_hash() -> None:
    assert history.event_hash(_fields(), "0" * 64) != history.event_hash(_fields(), "1" * 64)
