"""Drivers for step_bench.py: a kernel on a temporary SQLite file, a creation-procedure driver that
times service calls, a SpiffWorkflow-alone floor, a history filler and a statement counter."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from xianfeng.engine.actor import Actor
from xianfeng.engine.clock import CHINA_TZ, ManualClock
from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database
from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import (
    ChainHead,
    Event,
    HumanTask,
    Member,
    ProcessInstance,
    PublicLink,
    TimerRow,
    User,
)
from xianfeng.engine.process import history
from xianfeng.engine.process.catalog import wire_loops
from xianfeng.engine.process.serialization import SnapshotSerializer
from xianfeng.engine.services import accounts, chain, demo, inbox, instances, setup, tasks, timers

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
GOOD = {"political": 5, "work": 5, "service": 4, "conduct": 5, "discipline": 5}
EXTRA_MEMBERS = 40


def new_kernel(path: Path) -> Kernel:
    url = f"sqlite:///{path}"
    settings = Settings(database_url=url, data_dir=path.parent, sqlite_synchronous="FULL")
    kernel = Kernel(settings=settings, db=Database(url, "FULL"), clock=ManualClock(START))
    setup.init(kernel)
    demo.load_demo(kernel)
    _add_members(kernel)
    return kernel


def _add_members(kernel: Kernel) -> None:
    """Branch 1 needs 30+ members for the longest realistic instance."""
    add_branch_members(kernel, EXTRA_MEMBERS, "bench", "测评党员", "bench members")


def add_branch_members(kernel: Kernel, count: int, key: str, name: str, action: str) -> None:
    """`count` more active members of branch 1, each with a member account (`{key}{n}`, member code
    `{KEY}-{n}`), recorded on the chain in one organisation event, as an administrator's change is."""
    password = accounts.hash_password("bench-password")
    with kernel.db.unit_of_work() as uow:
        for n in range(count):
            member = Member(code=f"{key.upper()}-{n}", branch_id=1, name=f"{name}{n}", status="active")
            uow.session.add(member)
            uow.session.flush()
            accounts.ensure_user(
                uow.session,
                f"{key}{n}",
                member.name,
                password,
                ("member",),
                kernel.clock.now(),
                branch_id=1,
                member_id=member.id,
            )
        chain.record(uow.session, kernel, None, "org", {"action": action})
        uow.commit()


class Driver:
    """Walks creation instances through the service layer; times only the service call itself."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.secretary = accounts.actor_for(kernel, "secretary1")
        self.committee = accounts.actor_for(kernel, "committee")
        self.auditor = accounts.actor_for(kernel, "auditor")
        with kernel.db.unit_of_work(write=False) as uow:
            rows = (
                uow.session.execute(
                    sa.select(User).where(User.branch_id == 1, User.member_id.is_not(None)).order_by(User.id)
                )
                .scalars()
                .all()
            )
            self.members = [accounts.actor_of(u) for u in rows if u.username != "secretary1"]
        self.instance_id = 0

    def start(self, evaluators: int, public: int) -> float:
        candidate, chosen = self.members[0], self.members[1 : 1 + evaluators]
        data = {
            "candidate_member_id": candidate.member_id,
            "post_title": "便民服务示范岗",
            "category": "key_post",
            "discussion_date": "2026-03-01",
            "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
            "member_evaluators": [m.member_id for m in chosen],
            "public_evaluator_count": public,
        }
        t0 = time.perf_counter()
        outcome = tasks.start(self.kernel, self.secretary, "model_post_creation", data)
        elapsed = time.perf_counter() - t0
        self.instance_id = outcome.instance_id
        return elapsed

    def _tasks(self, who: Actor, spec_id: str) -> list[Any]:
        return [
            t
            for t in inbox.tasks_for(self.kernel, who)
            if t.instance_id == self.instance_id and t.spec_id == spec_id
        ]

    def evaluate_timed(self) -> list[float]:
        timings = []
        for member in self.members:
            for task in self._tasks(member, "Task_member_evaluation"):
                t0 = time.perf_counter()
                tasks.complete(self.kernel, member, task.id, dict(GOOD), task.instance_version)
                timings.append(time.perf_counter() - t0)
        for link in instances.links(self.kernel, self.secretary, self.instance_id):
            t0 = time.perf_counter()
            tasks.complete_by_token(self.kernel, link["token"], dict(GOOD))
            timings.append(time.perf_counter() - t0)
        return timings

    def one(self, who: Actor, spec_id: str, data: dict[str, Any]) -> float:
        (task,) = self._tasks(who, spec_id)[:1]
        t0 = time.perf_counter()
        tasks.complete(self.kernel, who, task.id, data, task.instance_version)
        return time.perf_counter() - t0

    def pass_notice(self) -> None:
        view = instances.show(self.kernel, self.auditor, self.instance_id)
        self.kernel.clock.set(min(t["due_at"] for t in view["timers"]) + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
        timers.tick(self.kernel)
        self.kernel.clock.set(START)  # type: ignore[attr-defined]

    def to_decision(self, evaluators: int, public: int, returns: int) -> None:
        self.start(evaluators, public)
        self.evaluate_timed()
        self.pass_notice()
        self.one(
            self.members[0],
            "Task_consent",
            {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"},
        )
        for _ in range(returns):
            self.determine()
            self.one(
                self.committee,
                "Task_committee_decision",
                {"decision": "return", "opinion": "请补充", "return_reasons": "岗位职责不够具体"},
            )
        self.determine()

    def determine(self) -> float:
        return self.one(
            self.secretary,
            "Task_determine_list",
            {"include": True, "post_title": "便民服务示范岗", "responsibilities": "负责便民服务站日常工作。"},
        )

    def decision_step_timings(self, evaluators: int, public: int, returns: int, samples: int) -> list[float]:
        timings = []
        for _ in range(samples):
            self.to_decision(evaluators, public, returns)
            timings.append(
                self.one(
                    self.committee, "Task_committee_decision", {"decision": "approve", "opinion": "同意"}
                )
            )
        return timings

    def sample_steps(self, samples: int) -> list[float]:
        """One member evaluation in each of `samples` fresh instances."""
        timings = []
        for _ in range(samples):
            self.start(evaluators=3, public=5)
            timings.append(self.one(self.members[1], "Task_member_evaluation", dict(GOOD)))
        return timings


@contextmanager
def statements(kernel: Kernel) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    sa.event.listen(kernel.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(kernel.db.engine, "before_cursor_execute", record)


def _counted(kernel: Kernel, action: Any) -> int:
    with statements(kernel) as seen:
        action()
    return len(seen) + 1  # + COMMIT, which pysqlite issues without a cursor


def count_statements(driver: Driver) -> dict[str, int]:
    kernel = driver.kernel
    counts = {"start (nomination)": _counted(kernel, lambda: driver.start(3, 5))}
    member_tasks = [(m, t) for m in driver.members for t in driver._tasks(m, "Task_member_evaluation")]
    member, task = member_tasks[0]
    counts["member evaluation (typical)"] = _counted(
        kernel, lambda: tasks.complete(kernel, member, task.id, dict(GOOD), task.instance_version)
    )
    links = instances.links(kernel, driver.secretary, driver.instance_id)
    counts["public evaluation through a link"] = _counted(
        kernel, lambda: tasks.complete_by_token(kernel, links[0]["token"], dict(GOOD))
    )
    for member, task in member_tasks[1:]:
        tasks.complete(kernel, member, task.id, dict(GOOD))
    for link in links[1:-1]:
        tasks.complete_by_token(kernel, link["token"], dict(GOOD))
    counts["last evaluation (tally, DMN, publish notice)"] = _counted(
        kernel, lambda: tasks.complete_by_token(kernel, links[-1]["token"], dict(GOOD))
    )
    timers.tick(kernel)  # the schedules' first-round bookkeeping, which no step pays for again
    view = instances.show(kernel, driver.auditor, driver.instance_id)
    kernel.clock.set(min(t["due_at"] for t in view["timers"]) + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    counts["tick ending the notice"] = _counted(kernel, lambda: timers.tick(kernel))
    kernel.clock.set(START)  # type: ignore[attr-defined]
    counts["consent"] = _counted(
        kernel,
        lambda: driver.one(
            driver.members[0],
            "Task_consent",
            {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"},
        ),
    )
    counts["branch determines the list"] = _counted(kernel, driver.determine)
    counts["committee approves (post established)"] = _counted(
        kernel,
        lambda: driver.one(
            driver.committee, "Task_committee_decision", {"decision": "approve", "opinion": "同意"}
        ),
    )
    return counts


def clone_history(kernel: Kernel, target_events: int) -> None:
    """Fill the database with realistic rows: copies of real instances at several stages, with a
    valid hash chain, until the event table holds `target_events` rows.

    The copies are for size only: their rows are written behind the journal's back (the events
    copied still name the original instance's rows), so `verify` on such a database reports them.
    """
    driver = Driver(kernel)
    driver.start(3, 5)
    driver.evaluate_timed()
    driver.start(3, 5)
    template_ids = [driver.instance_id - 1, driver.instance_id]
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        templates = [_template(session, i) for i in template_ids]
        heads = {h.shard: (h.seq, h.hash) for h in session.execute(sa.select(ChainHead)).scalars()}
        seq = session.execute(sa.select(sa.func.max(Event.seq))).scalar_one()
        next_id = driver.instance_id + 1
        while seq < target_events:
            batch_events: list[dict[str, Any]] = []
            for _ in range(min(500, max(1, (target_events - seq) // 5))):
                instance, events, open_tasks = templates[next_id % len(templates)]
                seq = _clone(session, instance, events, open_tasks, next_id, seq, heads, batch_events)
                next_id += 1
                if seq >= target_events:
                    break
            session.execute(sa.insert(Event), batch_events)
        for shard, (number, digest) in heads.items():
            session.execute(
                sa.update(ChainHead).where(ChainHead.shard == shard).values(seq=number, hash=digest)
            )
        uow.commit()


def _behind(statement: Any) -> Any:
    """A bulk copy the journal lets through: these rows are on no event (see clone_history)."""
    return statement.execution_options(**{CHAINED_OPTION: True})


def _template(
    session: Any, instance_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    def as_dict(row: Any) -> dict[str, Any]:
        return {c.name: getattr(row, c.name) for c in row.__table__.columns}

    instance = as_dict(session.get(ProcessInstance, instance_id))
    events = [
        as_dict(e)
        for e in session.execute(
            sa.select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)
        ).scalars()
    ]
    open_tasks = [
        as_dict(t)
        for t in session.execute(sa.select(HumanTask).where(HumanTask.instance_id == instance_id)).scalars()
    ]
    return instance, events, open_tasks


def _clone(
    session: Any,
    instance: dict[str, Any],
    events: list[dict[str, Any]],
    open_tasks: list[dict[str, Any]],
    new_id: int,
    seq: int,
    heads: dict[int, tuple[int, str]],
    out: list[dict[str, Any]],
) -> int:
    shard = history.shard_of(new_id)
    number, digest = heads[shard]
    last_hash = digest
    for event in events:
        seq, number = seq + 1, number + 1
        fields = {name: event[name] for name in history.HASHED_FIELDS}
        fields.update(seq=seq, instance_id=new_id, shard=shard, shard_seq=number)
        last_hash = history.event_hash(fields, digest)
        out.append({**fields, "prev_hash": digest, "hash": last_hash})
        digest = last_hash
    heads[shard] = (number, digest)
    session.execute(_behind(sa.insert(ProcessInstance)), [{**instance, "id": new_id, "head_hash": last_hash}])
    rows = [{**t, "id": str(uuid.uuid4()), "instance_id": new_id} for t in open_tasks]
    if rows:
        session.execute(_behind(sa.insert(HumanTask)), rows)
        session.execute(
            _behind(sa.insert(TimerRow)),
            [
                {
                    "id": str(uuid.uuid4()),
                    "instance_id": new_id,
                    "spec_id": "Timer_evaluation_deadline",
                    "due_at": START + dt.timedelta(days=30),
                }
            ],
        )
        public = [r for r in rows if r["role"] == "public"]
        if public:
            session.execute(
                _behind(sa.insert(PublicLink)),
                [
                    {
                        "token": secrets.token_urlsafe(18),
                        "task_id": r["id"],
                        "instance_id": new_id,
                        "created_at": START,
                        "expires_at": r["due_at"],
                    }
                    for r in public
                ],
            )
    return seq


def raw_floor(path: Path, instances_count: int, evaluators: int, public: int) -> list[float]:
    """The same evaluation steps with SpiffWorkflow alone and plain sqlite3 (spec left out)."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for entry in resources.files("xianfeng.processes").iterdir():
        if entry.name.endswith(".bpmn"):
            parser.add_bpmn_str(entry.read_bytes(), filename=entry.name)
        elif entry.name.endswith(".dmn"):
            parser.add_dmn_str(entry.read_bytes(), filename=entry.name)
    spec = parser.get_spec("model_post_creation")
    subprocess_specs = parser.get_subprocess_specs("model_post_creation")
    for each in (spec, *subprocess_specs.values()):
        wire_loops(each)
    serializer = SnapshotSerializer(spec, subprocess_specs)
    helpers = {
        "now": START.isoformat,
        "today": START.date().isoformat,
        "add_working_days": _real_future_deadline,
    }
    engine = PythonScriptEngine(environment=_PlainEnvironment(helpers))
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE instance (id INTEGER PRIMARY KEY, state TEXT, seq INTEGER)")
    con.execute(
        "CREATE TABLE event (instance_id INTEGER, seq INTEGER, action TEXT, PRIMARY KEY (instance_id, seq))"
    )
    timings: list[float] = []
    for number in range(instances_count):
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
        workflow.task_tree.data.update(
            {
                "candidate_member_id": 1,
                "post_title": "便民服务示范岗",
                "category": "key_post",
                "member_evaluators": list(range(evaluators)),
                "public_evaluator_count": public,
            }
        )
        workflow.do_engine_steps()
        con.execute("INSERT INTO instance VALUES (?, ?, 0)", (number, serializer.dumps(workflow)))
        while (elapsed := _raw_step(con, serializer, engine, number)) is not None:
            timings.append(elapsed)
    con.close()
    return timings


def _raw_step(
    con: sqlite3.Connection, serializer: SnapshotSerializer, engine: Any, number: int
) -> float | None:
    t0 = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    state, seq = con.execute("SELECT state, seq FROM instance WHERE id = ?", (number,)).fetchone()
    workflow = serializer.loads(state)
    workflow.script_engine = engine
    ready = [
        t
        for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        if t.task_spec.bpmn_id in ("Task_member_evaluation", "Task_public_evaluation")
    ]
    if not ready:
        con.execute("ROLLBACK")
        return None
    task = ready[0]
    task.task_spec.add_data_from_form(task, dict(GOOD))
    task.run()
    workflow.do_engine_steps()
    con.execute(
        "UPDATE instance SET state = ?, seq = ? WHERE id = ?", (serializer.dumps(workflow), seq + 1, number)
    )
    con.execute("INSERT INTO event VALUES (?, ?, ?)", (number, seq + 1, json.dumps({"task": str(task.id)})))
    con.execute("COMMIT")
    return time.perf_counter() - t0


def _real_future_deadline(_start: str, days: int) -> str:
    """SpiffWorkflow alone compares timers with the real clock: deadlines must lie in the real future."""
    return (dt.datetime.now(CHINA_TZ) + dt.timedelta(days=days + 4)).isoformat()


class _PlainEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's own exec/eval environment, with canned service-task answers."""

    def call_service(
        self, context: dict[str, Any], operation_name: str, operation_params: dict[str, Any], **_kwargs: Any
    ) -> str:
        canned = {
            "describe_candidate": {
                "id": 1,
                "name": "李志强",
                "branch": "治安村党支部",
                "branch_id": 1,
                "village": "治安村",
                "village_id": 1,
            },
            "publish_notice": {"notice_id": 1},
        }
        return json.dumps(canned.get(operation_name, {}))
