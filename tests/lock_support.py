"""Watching that no script runs under the write lock: each diagram script and condition of a step
waits until another thread's write transaction has committed, as a slow script would; a script
under the lock would keep that writer out (issue 12's scripts outside the lock)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models.limits import RateCounter
from xianfeng.engine.process.scripting import SandboxScriptEngine

WRITER_WAIT = 10.0  # seconds another writer is given: far more than a commit takes when not blocked


def another_writer_commits(kernel: Kernel, key: str) -> bool:
    """Whether a plain write transaction of another thread commits while this one waits for it."""

    def write() -> None:
        now = dt.datetime.now(dt.UTC)
        with kernel.db.unit_of_work() as uow:
            uow.session.add(RateCounter(key=key, hits=1, window_ends=now, last_at=now))
            uow.commit()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(WRITER_WAIT)
    return not writer.is_alive()


def watch_scripts(kernel: Kernel, monkeypatch: pytest.MonkeyPatch, label: str) -> list[tuple[str, bool]]:
    """From now on each script and condition of this thread first lets another writer commit (the
    first one it keeps out stops the watching: the others would wait as long); the list records
    ("script", whether the writer got through) and ("service", True) in the order they ran."""
    seen: list[tuple[str, bool]] = []
    blocked = threading.Event()
    main = threading.current_thread()

    def while_writing(run: Any) -> Any:
        def script(self: Any, *args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is main and not blocked.is_set():
                through = another_writer_commits(kernel, f"test:{label}:{len(seen)}")
                seen.append(("script", through))
                if not through:
                    blocked.set()
            return run(self, *args, **kwargs)

        return script

    real_service = SandboxScriptEngine.call_service

    def service(self: Any, task: Any, **kwargs: Any) -> Any:
        seen.append(("service", True))
        return real_service(self, task, **kwargs)

    monkeypatch.setattr(SandboxScriptEngine, "execute", while_writing(SandboxScriptEngine.execute))
    monkeypatch.setattr(SandboxScriptEngine, "evaluate", while_writing(SandboxScriptEngine.evaluate))
    monkeypatch.setattr(SandboxScriptEngine, "call_service", service)
    return seen


def assert_no_script_kept_a_writer_out(kernel: Kernel, seen: list[tuple[str, bool]]) -> None:
    """Scripts ran before and after a service task, and every one let its writer commit."""
    kinds = [kind for kind, _through in seen]
    assert "service" in kinds and "script" in kinds[kinds.index("service") :]  # scripts after one too
    assert [through for kind, through in seen if kind == "script"] == [True] * kinds.count("script")
    with kernel.db.unit_of_work(write=False) as uow:
        written = uow.session.execute(sa.select(sa.func.count()).select_from(RateCounter)).scalar_one()
    assert written == kinds.count("script")
