"""How long a what-if takes over 1,000 finished cases (target <= 60 s on this machine).

Fills a SQLite database with --cases (default 1,000) nominations walked to their end through the
service layer (3 members and 5 villagers evaluating, the notice running its 5 working days, then
declined by the member or rejected by the committee), then times `whatif.for_files` on two drafts:
  a) the notice lengthened from 5 to 7 working days: every finished case parts from the draft where
     the notice ended (the shortest run a change can make: the issue's example);
  b) a reworded instruction of the member's consent: every case runs on the draft to its end and
     comes out the same (the longest run: every recorded event is replayed).
Each line ends with OK or MISSED against the target. --profile prints where b)'s time goes.
Not a test: it measures and prints. --keep DIR keeps the database there and reuses it next time.

    python bench/whatif_bench.py [--cases 1000] [--keep DIR] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from bench_support import GOOD, START, Driver, new_kernel

from xianfeng.engine.clock import ManualClock
from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ProcessInstance, TimerRow
from xianfeng.engine.services import accounts, inbox, instances, setup, tasks, timers
from xianfeng.engine.services.admin import processes, whatif

TARGET_SECONDS = 60.0
CONSENT = {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"}
DECLINE = {"willing": False, "decline_reason": "身体原因，暂不承担"}
REJECT = {"decision": "reject", "opinion": "经党委会研究，暂不设立。"}


def walk_to_the_end(driver: Driver, rnd: random.Random) -> None:
    """One nomination from its start to its end: evaluated, noticed, then declined or rejected."""
    kernel = driver.kernel
    driver.start(evaluators=3, public=5)
    for member in driver.members[1:4]:
        for task in inbox.tasks_for(kernel, member):
            if task.instance_id == driver.instance_id and task.spec_id == "Task_member_evaluation":
                tasks.complete(kernel, member, task.id, dict(GOOD), task.instance_version)
    for link in instances.links(kernel, driver.secretary, driver.instance_id):
        tasks.complete_by_token(kernel, link["token"], dict(GOOD))
    with kernel.db.unit_of_work(write=False) as uow:
        due = uow.session.execute(
            sa.select(sa.func.min(TimerRow.due_at)).where(TimerRow.instance_id == driver.instance_id)
        ).scalar_one()
    now = kernel.clock.now()
    kernel.clock.set(due + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    timers.tick(kernel)
    kernel.clock.set(now)  # type: ignore[attr-defined]
    if rnd.random() < 0.15:
        driver.one(driver.members[0], "Task_consent", dict(DECLINE))
        return
    driver.one(driver.members[0], "Task_consent", dict(CONSENT))
    driver.determine()
    driver.one(driver.committee, "Task_committee_decision", dict(REJECT))


def finished_cases(kernel: Kernel) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(
            uow.session.execute(
                sa.select(sa.func.count())
                .select_from(ProcessInstance)
                .where(
                    ProcessInstance.status == "completed",
                    ProcessInstance.process_key == "model_post_creation",
                )
            ).scalar_one()
        )


def prepared(folder: Path, cases: int) -> Kernel:
    path = folder / "whatif-bench.sqlite3"
    if path.exists():
        url = f"sqlite:///{path}"
        settings = Settings(database_url=url, data_dir=folder, sqlite_synchronous="NORMAL")
        kernel = Kernel(settings=settings, db=Database(url, "NORMAL"), clock=ManualClock(START))
        setup.init(kernel)  # a database kept from an older schema is brought up to this code's
    else:
        kernel = new_kernel(path)
    have = finished_cases(kernel)
    if have < cases:
        driver, rnd = Driver(kernel), random.Random(10)
        began = time.perf_counter()
        for done in range(have, cases):
            walk_to_the_end(driver, rnd)
            if (done + 1) % 100 == 0:
                print(f"   … {done + 1} cases walked ({time.perf_counter() - began:.0f} s)", flush=True)
        print(f"   filled {cases - have} cases in {time.perf_counter() - began:.1f} s")
    return kernel


def drafts(kernel: Kernel) -> dict[str, dict[str, bytes]]:
    auditor = accounts.actor_for(kernel, "auditor")
    notice = processes.files_of(kernel, auditor, "public_notice")["public_notice.bpmn"]
    creation = processes.files_of(kernel, auditor, "model_post_creation")["model_post_creation.bpmn"]
    longer = notice.replace("notice_days = 5", "notice_days = 7", 1)
    anchor = "<spiffworkflow:instructionsForEndUser>"
    at = creation.index(anchor, creation.index('id="Task_consent"')) + len(anchor)
    reworded = creation[:at] + "（措辞调整）" + creation[at:]
    assert longer != notice and reworded != creation
    return {
        "a) notice 5 -> 7 working days": {"public_notice.bpmn": longer.encode()},
        "b) consent instructions reworded (every event replayed)": {
            "model_post_creation.bpmn": reworded.encode()
        },
    }


def timed(kernel: Kernel, files: dict[str, bytes]) -> tuple[float, whatif.WhatIfReport]:
    admin = accounts.actor_for(kernel, "admin")
    began = time.perf_counter()
    report = whatif.for_files(kernel, admin, files)
    return time.perf_counter() - began, report


def profile(kernel: Kernel, files: dict[str, bytes]) -> None:
    admin = accounts.actor_for(kernel, "admin")
    profiler = cProfile.Profile()
    profiler.enable()
    whatif.for_files(kernel, admin, files)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(
        r"(whatif|runtime|serialization|plain_snapshots|forms/definition|workflow\.py|scripting)"
    )
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    print("\n".join(lines[:40]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the database here and reuse it")
    parser.add_argument("--profile", action="store_true", help="print where b)'s time goes")
    args = parser.parse_args()
    machine = f"Python {platform.python_version()} on {platform.machine()}, SQLite"
    print(f"{machine}; target <= {TARGET_SECONDS:.0f} s")
    print("before: load average {:.2f} (1 min) {:.2f} (5 min)".format(*os.getloadavg()[:2]))
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        kernel = prepared(folder, args.cases)
        finished = finished_cases(kernel)
        print(f"   {finished} finished nominations in the database")
        for label, files in drafts(kernel).items():
            seconds, report = timed(kernel, files)
            cases = len(report.cases)
            verdict = "OK" if seconds <= TARGET_SECONDS else "MISSED"
            counts = ", ".join(f"{k} {v}" for k, v in report.counts().items() if v)
            print(f"{label}")
            print(
                f"   {cases} cases in {seconds:6.1f} s  ({1000 * seconds / max(cases, 1):.1f} ms a case)  "
                f"target <= {TARGET_SECONDS:.0f} s  {verdict}"
            )
            print(f"   verdicts: {counts}")
            print(f"   load average {os.getloadavg()[0]:.2f} (1 min)")
        if args.profile:
            print(
                "where b)'s time goes (cumulative, the what-if's own modules and SpiffWorkflow's workflow):"
            )
            profile(kernel, list(drafts(kernel).values())[1])
        kernel.db.dispose()


if __name__ == "__main__":
    sys.exit(main())
