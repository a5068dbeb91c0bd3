"""The server's log: SpiffWorkflow's line per task state change is off by default, a setting brings it
back, and a step that reaches service tasks ahead of the write lock leaves no "State changed to
ERROR" line (it is computed once: its operations are tried, not stopped)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from support import CreationWalk

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.logs import WORKFLOW_LOGGER, configure_logging


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def workflow_lines(self) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name.split(".")[0] == WORKFLOW_LOGGER]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Records what reaches the root logger; the levels it changes are put back afterwards."""
    root, workflow = logging.getLogger(), logging.getLogger(WORKFLOW_LOGGER)
    levels = root.level, workflow.level
    handler = Recorder()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(levels[0])
    workflow.setLevel(levels[1])


def _at_the_committee(kernel: Kernel) -> CreationWalk:
    walk = CreationWalk(kernel)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    return walk


def test_a_step_writes_no_workflow_lines_to_the_server_log_by_default(
    kernel: Kernel, recorder: Recorder
) -> None:
    walk = _at_the_committee(kernel)
    configure_logging({})
    recorder.records.clear()
    outcome = walk.decide("approve")
    assert outcome.outcome == "established"
    assert recorder.workflow_lines() == []
    assert logging.getLogger().isEnabledFor(logging.INFO)  # our own lines still reach the log


def test_the_workflow_log_level_brings_back_a_line_per_task_state_change(
    kernel: Kernel, recorder: Recorder
) -> None:
    walk = _at_the_committee(kernel)
    configure_logging({"XIANFENG_WORKFLOW_LOG_LEVEL": "info"})
    recorder.records.clear()
    walk.decide("approve")
    changes = [r.getMessage() for r in recorder.workflow_lines()]
    assert len(changes) > 10
    assert "State changed to COMPLETED" in changes


def test_a_step_reaching_service_tasks_ahead_of_the_write_lock_logs_no_error_line(
    kernel: Kernel, recorder: Recorder
) -> None:
    """On SQLite the step is computed before the write lock; its service tasks are tried and done
    again under the lock, so no task of it is marked ERROR and each service task completes once."""
    walk = _at_the_committee(kernel)
    configure_logging({"XIANFENG_WORKFLOW_LOG_LEVEL": "INFO"})
    recorder.records.clear()
    outcome = walk.decide("approve")
    assert outcome.outcome == "established"
    lines = [
        (r.getMessage(), r.__dict__.get("task_spec"), r.__dict__.get("task_type")) for r in recorder.records
    ]
    assert [spec for message, spec, _kind in lines if message == "State changed to ERROR"] == []
    services = [spec for message, spec, kind in lines if kind == "ServiceTask" and "COMPLETED" in message]
    assert services and len(services) == len(set(services))


@pytest.mark.parametrize("name", ["XIANFENG_LOG_LEVEL", "XIANFENG_WORKFLOW_LOG_LEVEL"])
def test_a_misspelt_level_is_refused_naming_the_variable(name: str, recorder: Recorder) -> None:
    with pytest.raises(ValueError, match=f"{name} must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"):
        configure_logging({name: "loud"})
