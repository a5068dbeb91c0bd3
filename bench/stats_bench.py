"""How long the statistics take at scale: `stats.figures` for the committee (the whole town) and for
one branch, on a SQLite file holding 10,000 cases with their registers (target: 200 ms).

The database is filled quickly: one real case is walked through the services (its step timings
folded from the log, as the ticker does), then rows are bulk-copied behind the journal for size —
cases, open tasks with due times, posts, assessments over three cycles, step timings, areas, work
records, rewards and criticisms. Usage: `.venv/bin/python bench/stats_bench.py [--cases N] [--repeats N]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_support import START, Driver, new_kernel

from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import (
    AreaWorkRecord,
    AssessmentRecord,
    Criticism,
    HumanTask,
    Member,
    ModelPost,
    ProcessInstance,
    ResponsibilityArea,
    Reward,
    StepTiming,
    Village,
)
from xianfeng.engine.services import accounts, stats, stats_steps
from xianfeng.engine.services.stats import StatsQuery

TARGET_MS = 200.0
CATEGORIES = ("key_post", "key_area", "important_work", "major_activity")
OUTCOMES = ("excellent", "pass", "pass", "pass", "rectify", "fail")
DOMAINS = ("employment", "education", "medical_care", "travel", "housing", "elderly_care", "hardship_relief")
STEPS = (
    ("Task_member_evaluation", "党员测评", "member"),
    ("Task_consent", "本人确认意愿", "member"),
    ("Task_determine_list", "支部确定名单", "branch"),
    ("Task_committee_decision", "镇党委审批", "committee"),
    ("Task_self_report", "党员述职", "member"),
    ("Task_score", "支部考核评分", "branch"),
)


def _insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    """Rows for size only, written past the journal (they are on no event)."""
    for start in range(0, len(rows), 5000):
        statement = sa.insert(model).execution_options(**{CHAINED_OPTION: True})
        session.execute(statement, rows[start : start + 5000])


def _members(session: Any) -> dict[int, list[tuple[int, int | None]]]:
    by_branch: dict[int, list[tuple[int, int | None]]] = {}
    for member_id, branch_id, village_id in session.execute(
        sa.select(Member.id, Member.branch_id, Member.village_id)
    ):
        by_branch.setdefault(branch_id, []).append((member_id, village_id))
    return by_branch


def fill(kernel: Kernel, cases: int, rng: random.Random) -> None:
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        template = (
            session.execute(sa.select(ProcessInstance).order_by(ProcessInstance.id.desc())).scalars().first()
        )
        assert template is not None
        columns = {c.name: getattr(template, c.name) for c in ProcessInstance.__table__.columns}
        first = int(template.id) + 1
        members = _members(session)
        branches = sorted(members)
        ids = list(range(first, first + cases))
        branch_of = {i: branches[i % len(branches)] for i in ids}
        _insert(session, ProcessInstance, [{**columns, "id": i, "branch_id": branch_of[i]} for i in ids])
        _insert(session, HumanTask, _open_tasks(ids[: cases // 3], branch_of, rng))
        posts = _posts(ids[: cases // 3], branch_of, members, rng)
        _insert(session, ModelPost, posts)
        _insert(session, AssessmentRecord, _assessments(posts, ids[cases // 3 :], rng))
        _insert(session, StepTiming, _timings(ids, branch_of, rng))
        _areas_and_records(session, ids, members, rng)
        uow.commit()


def _open_tasks(ids: list[int], branch_of: dict[int, int], rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in ids:
        spec, name, role = STEPS[i % len(STEPS)]
        created = START + dt.timedelta(hours=rng.randrange(0, 24 * 60))
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "instance_id": i,
                "spec_id": spec,
                "process_id": "p",
                "name": name,
                "name_en": "",
                "role": role,
                "form": "",
                "branch_id": branch_of[i],
                "created_at": created,
                "due_at": created + dt.timedelta(days=rng.randrange(1, 20)),
                "delegation_state": "",
                "escalate_to": "",
            }
        )
    return rows


def _posts(
    ids: list[int], branch_of: dict[int, int], members: Any, rng: random.Random
) -> list[dict[str, Any]]:
    rows = []
    for n, i in enumerate(ids):
        member_id, village_id = rng.choice(members[branch_of[i]])
        rows.append(
            {
                "id": 10_000 + n,
                "plate_no": f"B-{n}",
                "badge_no": f"H-{n}",
                "member_id": member_id,
                "branch_id": branch_of[i],
                "village_id": village_id,
                "title": "便民服务示范岗",
                "category": rng.choice(CATEGORIES),
                "pledge": "",
                "status": "revoked" if n % 17 == 0 else "active",
                "established_on": START,
                "badge_issued_at": START,
                "creation_instance_id": i,
                "revoke_reason": "",
            }
        )
    return rows


def _assessments(posts: list[dict[str, Any]], ids: list[int], rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for n, instance_id in enumerate(ids):
        post = posts[n % len(posts)]
        rows.append(
            {
                "id": 10_000 + n,
                "post_id": post["id"],
                "instance_id": instance_id,
                "year": 2024 + n % 3,
                "score": rng.randrange(50, 100),
                "satisfaction": rng.randrange(40, 101),
                "responses": 12,
                "outcome": rng.choice(OUTCOMES),
                "recorded_at": START,
            }
        )
    return rows


def _timings(ids: list[int], branch_of: dict[int, int], rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in ids:
        for spec, name, role in STEPS[:4] if i % 2 else STEPS[4:]:
            created = START + dt.timedelta(days=rng.randrange(0, 700))
            days = rng.randrange(0, 9)
            rows.append(
                {
                    "task_id": str(uuid.uuid4()),
                    "instance_id": i,
                    "process_key": "model_post_creation",
                    "spec_id": spec,
                    "name": name,
                    "name_en": "",
                    "role": role,
                    "branch_id": branch_of[i],
                    "created_at": created,
                    "due_at": created + dt.timedelta(days=7),
                    "ended_at": created + dt.timedelta(days=days),
                    "ended_by": "complete",
                    "working_days": days,
                    "late": days > 7,
                }
            )
    return rows


def _areas_and_records(session: Any, ids: list[int], members: Any, rng: random.Random) -> None:
    villages = session.execute(sa.select(Village.id, Village.branch_id)).all()
    areas = [
        {
            "id": 10_000 + n,
            "branch_id": branch_id,
            "village_id": village_id,
            "name": f"责任区{n}",
            "description": "",
            "status": "active",
            "division_instance_id": ids[n],
            "activated_at": START,
        }
        for n, (village_id, branch_id) in enumerate(villages * 10)
    ]
    _insert(session, ResponsibilityArea, areas)
    records, rewards, criticisms = [], [], []
    for n in range(len(ids) * 2):
        area = areas[n % len(areas)]
        member_id, _village = rng.choice(members[area["branch_id"]])
        records.append(
            {
                "id": 10_000 + n,
                "area_id": area["id"],
                "member_id": member_id,
                "kind": "service",
                "domain": rng.choice(DOMAINS),
                "happened_on": (START + dt.timedelta(days=n % 700)).date(),
                "what": "入户走访",
                "for_whom": "",
                "outcome": "",
                "attachments": "[]",
                "recorded_at": START,
            }
        )
        if n % 10 == 0:
            rewards.append(
                {
                    "id": 10_000 + n,
                    "member_id": member_id,
                    "instance_id": ids[n % len(ids)],
                    "year": 2024 + n % 3,
                    "spiritual": "表扬",
                    "material": "",
                    "amount": 200,
                    "awarded_at": START,
                }
            )
        if n % 25 == 0:
            criticisms.append(
                {
                    "id": 10_000 + n,
                    "member_id": member_id,
                    "instance_id": ids[n % len(ids)],
                    "reason": "走访偏少",
                    "follow_up": "",
                    "recorded_at": START,
                }
            )
    _insert(session, AreaWorkRecord, records)
    _insert(session, Reward, rewards)
    _insert(session, Criticism, criticisms)


def timed(kernel: Kernel, username: str, query: StatsQuery, repeats: int) -> tuple[float, float]:
    who = accounts.actor_for(kernel, username)
    timings = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        stats.figures(kernel, who, query)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def page_timed(kernel: Kernel, path: str, repeats: int) -> tuple[float, float]:
    """The whole page (or workbook) through the Flask app, signed in as the committee."""
    import re

    from xianfeng.web import create_app

    client = create_app(kernel, testing=True).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token is not None
    form = {"username": "committee", "password": "demo12345", "csrf_token": token.group(1)}
    assert client.post("/login", data=form).status_code == 302
    timings = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        assert client.get(path).status_code == 200
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        kernel = new_kernel(Path(folder) / "bench.sqlite3")
        driver = Driver(kernel)
        driver.start(3, 5)
        driver.evaluate_timed()
        t0 = time.perf_counter()
        folded = stats_steps.catch_up(kernel)
        fold_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        fill(kernel, args.cases, random.Random(13))
        print(f"filled {args.cases:,} cases with their registers in {time.perf_counter() - t0:.1f} s")
        with kernel.db.unit_of_work(write=False) as uow:
            counts = {
                m.__tablename__: uow.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
                for m in (ProcessInstance, HumanTask, ModelPost, AssessmentRecord, StepTiming, AreaWorkRecord)
            }
        print("rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
        print(f"folding the real case's log into step timings: {folded} events in {fold_ms:.1f} ms")
        print(f"stats.figures (SQLite, median and p95 of {args.repeats}), target <= {TARGET_MS:.0f} ms:")
        for label, username, query in (
            ("committee, the whole town", "committee", StatsQuery()),
            ("committee, the whole town, one year", "committee", StatsQuery(year=2026)),
            ("a branch, its own", "secretary1", StatsQuery()),
        ):
            median, p95 = timed(kernel, username, query, args.repeats)
            verdict = "OK" if median <= TARGET_MS else "MISSED"
            print(f"   {label:<38}: {median:7.1f} ms  (p95 {p95:.1f})  {verdict}")
        print("the same through the web app (Flask test client, committee, the whole town):")
        for label, path in (("GET /stats", "/stats"), ("GET /stats.xlsx", "/stats.xlsx")):
            median, p95 = page_timed(kernel, path, args.repeats)
            verdict = "OK" if median <= TARGET_MS else "MISSED"
            print(f"   {label:<38}: {median:7.1f} ms  (p95 {p95:.1f})  {verdict}")


if __name__ == "__main__":
    main()
