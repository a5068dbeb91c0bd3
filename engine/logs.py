"""The server's log: our own lines at XIANFENG_LOG_LEVEL (INFO), SpiffWorkflow's at
XIANFENG_WORKFLOW_LOG_LEVEL (WARNING).

SpiffWorkflow logs every task state change at INFO (`spiff.task`: "State changed to READY", then
"COMPLETED"…, with the task's spec, type and timing as extras), about 50 lines for one approval. Some
of them read "State changed to ERROR" on steps that succeeded: on SQLite a completion computes its
step before it takes the write lock, and when that step reaches a service task (which reads and
writes records, so it must run under the lock) the engine stops it by raising from the service
call; SpiffWorkflow's `TaskSpec._run` marks any task whose code raised as ERROR, logs it, and
re-raises. That attempt is discarded and the step runs again under the lock, where the service task
completes. Nothing failed; the line is SpiffWorkflow's account of the discarded attempt.

So SpiffWorkflow's loggers (`spiff`, `spiff.task`, `spiff.workflow`, `spiff.data`, `spiff.dmn`) keep
to warnings by default; `XIANFENG_WORKFLOW_LOG_LEVEL=INFO` brings every state change back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
WORKFLOW_LOGGER = "spiff"


def level_from(environ: Mapping[str, str], name: str, default: str) -> int:
    """The level a variable names; a misspelt one is refused rather than silently ignored."""
    raw = (environ.get(name) or default).strip().upper()
    if raw not in LEVELS:
        raise ValueError(f"{name} must be one of {', '.join(LEVELS)}, got {raw!r}")
    return int(logging.getLevelName(raw))


def configure_logging(environ: Mapping[str, str] | None = None) -> None:
    """Set up the server's log on standard error, before the workers are forked (they inherit it)."""
    environ = os.environ if environ is None else environ
    level = level_from(environ, "XIANFENG_LOG_LEVEL", "INFO")
    workflow = level_from(environ, "XIANFENG_WORKFLOW_LOG_LEVEL", "WARNING")
    logging.basicConfig(format=FORMAT)
    logging.getLogger().setLevel(level)
    logging.getLogger(WORKFLOW_LOGGER).setLevel(workflow)
