"""Writers of one SQLite file take turns on a lock file: across processes and across threads, one
at a time; a writer kept waiting too long goes ahead (SQLite's own lock still guards the data)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from xianfeng.engine.db import WriterTurns

HOLDER = """
import sys, time
from pathlib import Path
from xianfeng.engine.db import WriterTurns
lock, held, released, seconds = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
with WriterTurns(Path(lock)).turn():
    held.write_text("held")
    time.sleep(seconds)
    released.write_text(repr(time.time()))
"""


def _hold_in_another_process(tmp_path: Path, seconds: float) -> tuple[subprocess.Popen[bytes], Path]:
    held, released = tmp_path / "held", tmp_path / "released"
    args = [str(tmp_path / "db.writer-turn"), str(held), str(released), str(seconds)]
    child = subprocess.Popen([sys.executable, "-c", HOLDER, *args])
    deadline = time.monotonic() + 30
    while not held.exists():
        assert child.poll() is None, "the holding process exited early"
        assert time.monotonic() < deadline, "the holding process never took its turn"
        time.sleep(0.01)
    return child, released


def test_a_writer_waits_for_another_process_to_finish_its_turn(tmp_path: Path) -> None:
    child, released = _hold_in_another_process(tmp_path, 0.5)
    with WriterTurns(tmp_path / "db.writer-turn").turn():
        started = time.time()
        assert released.exists(), "had the turn while the other process still held it"
    child.wait(timeout=30)
    assert started >= float(released.read_text())


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    turns = WriterTurns(tmp_path / "db.writer-turn")
    inside = 0
    most = 0
    guard = threading.Lock()

    def write() -> None:
        nonlocal inside, most
        for _ in range(20):
            with turns.turn():
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.001)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert most == 1


def test_a_writer_kept_waiting_too_long_goes_ahead_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    child, released = _hold_in_another_process(tmp_path, 5.0)
    try:
        turns = WriterTurns(tmp_path / "db.writer-turn", timeout=0.3)
        began = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="xianfeng.db"), turns.turn():
            waited = time.monotonic() - began
            assert not released.exists()  # went ahead while the other still held its turn
        assert 0.3 <= waited < 4.0
        assert "writing without one" in caplog.text
    finally:
        child.kill()
        child.wait()
