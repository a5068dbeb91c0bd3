"""Shared test helpers: databases on both backends, a kernel with a manual clock, and a driver
that walks the creation procedure through the service layer like the people in it would."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa

from xianfeng.engine.actor import Actor
from xianfeng.engine.clock import CHINA_TZ, ManualClock
from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database
from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import (
    Base,
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
from xianfeng.engine.process.catalog import Catalog
from xianfeng.engine.services import accounts, demo, inbox, instances, setup, tasks, timers

POSTGRES_URL = os.environ.get(
    "XIANFENG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=CHINA_TZ)  # a Wednesday
GOOD = {"political": 5, "work": 5, "service": 4, "conduct": 5, "discipline": 5}
POOR = {"political": 3, "work": 2, "service": 3, "conduct": 3, "discipline": 3}


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({exc.__class__.__name__}: {str(exc)[:120]})"
    return None


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A private schema for one test session; dropped afterwards."""
    name = f"xf_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {name}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


def make_kernel(url: str, data_dir: str, start: dt.datetime = START) -> Kernel:
    settings = Settings(database_url=url, data_dir=data_dir, sqlite_synchronous="NORMAL")  # type: ignore[arg-type]
    return Kernel(settings=settings, db=Database(url, "NORMAL"), clock=ManualClock(start))


def empty_all_tables(kernel: Kernel) -> None:
    with kernel.db.engine.begin() as connection:
        if kernel.db.is_sqlite:
            for table in reversed(Base.metadata.sorted_tables):
                # Wiping everything, the chain included: nothing is left for the journal to record.
                connection.execute(table.delete().execution_options(**{CHAINED_OPTION: True}))
        else:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def table_contents(kernel: Kernel) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for 'nothing changed' assertions."""
    contents = {}
    with kernel.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            contents[table.name] = [tuple(row) for row in rows]
    return contents


def fresh_catalog(kernel: Kernel) -> None:
    """Forget parsed diagrams, as a new process would: catches state kept only in memory."""
    kernel.catalog = Catalog()


def actor(kernel: Kernel, username: str) -> Actor:
    return accounts.actor_for(kernel, username)


def member_id_of(kernel: Kernel, username: str) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        member_id = uow.session.execute(
            sa.select(User.member_id).where(User.username == username)
        ).scalar_one()
        assert member_id is not None
        return member_id


def branch_member_ids(kernel: Kernel, branch_id: int) -> list[int]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(Member.id).where(Member.branch_id == branch_id).order_by(Member.id)
            ).scalars()
        )


@dataclass
class CreationWalk:
    """Drives one model_post_creation instance through the service layer.

    After every step the parsed diagrams are forgotten, so each step loads its instance from the
    database exactly as a separate request (or process) would.
    """

    kernel: Kernel
    secretary: str = "secretary1"
    candidate: str = "member1"
    evaluators: tuple[str, ...] = ("member2", "member3", "member4")
    public_count: int = 5
    instance_id: int = 0
    outcomes: list[Any] = field(default_factory=list)

    def nomination(self, **overrides: Any) -> dict[str, Any]:
        data = {
            "candidate_member_id": member_id_of(self.kernel, self.candidate),
            "post_title": "便民服务示范岗",
            "category": "key_post",
            "discussion_date": "2026-11-20",
            "discussion_summary": "支部党员大会酝酿讨论，一致推荐该同志。",
            "member_evaluators": [member_id_of(self.kernel, u) for u in self.evaluators],
            "public_evaluator_count": self.public_count,
        }
        data.update(overrides)
        return data

    def _after(self, outcome: Any) -> Any:
        self.outcomes.append(outcome)
        fresh_catalog(self.kernel)
        return outcome

    def start(self, **overrides: Any) -> Any:
        outcome = tasks.start(
            self.kernel,
            actor(self.kernel, self.secretary),
            "model_post_creation",
            self.nomination(**overrides),
        )
        self.instance_id = outcome.instance_id
        return self._after(outcome)

    def task_of(self, username: str, spec_id: str | None = None) -> Any:
        rows = [
            t
            for t in inbox.tasks_for(self.kernel, actor(self.kernel, username))
            if t.instance_id == self.instance_id and (spec_id is None or t.spec_id == spec_id)
        ]
        assert rows, (
            f"{username} has no task{' ' + spec_id if spec_id else ''} in instance {self.instance_id}"
        )
        return rows[0]

    def complete(self, username: str, data: dict[str, Any], spec_id: str | None = None) -> Any:
        task = self.task_of(username, spec_id)
        return self._after(
            tasks.complete(
                self.kernel,
                actor(self.kernel, username),
                task.id,
                data,
                expected_version=task.instance_version,
            )
        )

    def public_tokens(self) -> list[str]:
        return [
            link["token"]
            for link in instances.links(self.kernel, actor(self.kernel, self.secretary), self.instance_id)
        ]

    def evaluate(self, member_scores: dict[str, int] = GOOD, public_scores: dict[str, int] = GOOD) -> None:
        for username in self.evaluators:
            self.complete(username, dict(member_scores), "Task_member_evaluation")
        for token in self.public_tokens():
            self._after(tasks.complete_by_token(self.kernel, token, dict(public_scores)))

    def pass_notice(self) -> Any:
        """Move the clock past the notice period and fire the timer."""
        view = self.show()
        due = min(t["due_at"] for t in view["timers"])
        self.kernel.clock.set(due + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
        return self._after(timers.tick(self.kernel))

    def consent(self, willing: bool = True) -> Any:
        data = (
            {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"}
            if willing
            else {"willing": False, "decline_reason": "身体原因"}
        )
        return self.complete(self.candidate, data, "Task_consent")

    def determine(self, include: bool = True) -> Any:
        data: dict[str, Any] = {
            "include": include,  # the post's title is the nomination's (read-only here, filled in)
            "responsibilities": "负责村便民服务站日常工作，每周两次入户走访。",
        }
        if not include:
            data["note"] = "支部研究决定暂不列入"
        return self.complete(self.secretary, data, "Task_determine_list")

    def decide(self, decision: str) -> Any:
        data = {"decision": decision, "opinion": "经党委会研究"}
        if decision == "return":
            data["return_reasons"] = "岗位职责不够具体，请补充"
        return self.complete("committee", data, "Task_committee_decision")

    def show(self) -> dict[str, Any]:
        return instances.show(self.kernel, actor(self.kernel, "auditor"), self.instance_id)


def started_at_one_deadline(
    kernel: Kernel, candidates: tuple[str, ...] = ("member1", "member5", "member9")
) -> tuple[list[CreationWalk], dt.datetime]:
    """Nominations of `candidates` started at one moment: the walks, and the one evaluation
    deadline they all wait at."""
    walks = []
    for candidate in candidates:
        walk = CreationWalk(kernel, candidate=candidate)
        walk.start()
        walks.append(walk)
    with kernel.db.unit_of_work(write=False) as uow:
        deadlines = set(uow.session.execute(sa.select(TimerRow.due_at)).scalars())
    assert len(deadlines) == 1, deadlines
    return walks, deadlines.pop()


def tick_events_per_case(kernel: Kernel) -> list[tuple[int, int]]:
    """(case, how many tick events it has), in case order."""
    with kernel.db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            sa.select(Event.instance_id, sa.func.count())
            .where(Event.kind == "tick")
            .group_by(Event.instance_id)
            .order_by(Event.instance_id)
        ).all()
    return [(instance_id, count) for instance_id, count in rows]


class Sent(NamedTuple):
    words: str  # the SQL's first three words, upper case
    rows: int  # how many rows it was sent for: an executemany's, or the keys of `key = ANY(:b_keys)`
    many: bool  # sent as an executemany (the server executes each row on its own)


@contextmanager
def statements_sent(kernel: Kernel) -> Iterator[list[Sent]]:
    """Every statement sent to the database meanwhile."""
    seen: list[Sent] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, many: bool) -> None:
        if isinstance(params, dict):  # one statement (a multi-row INSERT comes flagged as many)
            keys = params.get("b_keys")
            numbered = {name.rsplit("__", 1)[1] for name in params if many and "__" in name}
            rows, many = len(keys) if isinstance(keys, list) else max(len(numbered), 1), False
        else:
            rows = len(params) if many else 1
        seen.append(Sent(" ".join(sql.split()[:3]).upper(), rows, many))

    sa.event.listen(kernel.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(kernel.db.engine, "before_cursor_execute", record)


def open_links(kernel: Kernel) -> list[PublicLink]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(PublicLink).where(PublicLink.used_at.is_(None))).scalars())


def ready_rows(kernel: Kernel, instance_id: int) -> list[HumanTask]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(sa.select(HumanTask).where(HumanTask.instance_id == instance_id)).scalars()
        )


def load_everything(kernel: Kernel) -> None:
    setup.init(kernel)
    demo.load_demo(kernel)


def establish_post(
    kernel: Kernel,
    candidate: str = "member1",
    evaluators: tuple[str, ...] = ("member2", "member3", "member4"),
) -> int:
    """Walk a nomination to an established post; return the post id."""
    walk = CreationWalk(kernel, candidate=candidate, evaluators=evaluators)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    walk.determine()
    outcome = walk.decide("approve")
    assert outcome.outcome == "established", outcome
    return int(walk.show()["data"]["post"]["post_id"])


SATISFIED = {"overall": "satisfied"}
SCORES_HIGH = {
    "political": 95,
    "work": 92,
    "service": 96,
    "conduct": 94,
    "discipline": 93,
    "summary": "履职优秀，群众认可。",
}
SCORES_PASS = {
    "political": 80,
    "work": 78,
    "service": 82,
    "conduct": 80,
    "discipline": 80,
    "summary": "履职合格，继续努力。",
}
SCORES_RECTIFY = {
    "political": 65,
    "work": 62,
    "service": 60,
    "conduct": 70,
    "discipline": 68,
    "summary": "存在不足，需要整改。",
}
SCORES_FAIL = {
    "political": 50,
    "work": 45,
    "service": 40,
    "conduct": 55,
    "discipline": 50,
    "summary": "履职不到位，群众意见较大。",
}


@dataclass
class AssessmentWalk(CreationWalk):
    """Drives a periodic_assessment instance of one post."""

    post_id: int = 0
    member: str = "member1"

    def start_assessment(self) -> Any:
        outcome = tasks.start(
            self.kernel, actor(self.kernel, self.secretary), "periodic_assessment", {"post_id": self.post_id}
        )
        self.instance_id = outcome.instance_id
        return self._after(outcome)

    def survey_tokens(self) -> list[str]:
        return [
            link["token"]
            for link in instances.links(self.kernel, actor(self.kernel, self.secretary), self.instance_id)
            if link["kind"] == "survey"
        ]

    def answer_survey(self, answers: list[dict[str, str]]) -> None:
        tokens = self.survey_tokens()
        assert len(tokens) >= len(answers), (len(tokens), len(answers))
        for token, answer in zip(tokens, answers, strict=False):
            tasks.complete_by_token(self.kernel, token, dict(answer))

    def report_and_opinions(self) -> None:
        self.complete(
            self.member,
            {"summary": "本周期履行示范岗职责，带头服务群众，完成各项任务。", "services_count": 24},
            "Task_self_report",
        )
        self.complete(
            self.secretary,
            {"consulted_count": 15, "opinions": "群众普遍认可该同志的服务态度。"},
            "Task_public_opinions",
        )

    def close_survey(self) -> Any:
        return self.pass_notice()  # the only waiting timer is the survey's

    def score(self, scores: dict[str, Any]) -> Any:
        return self.complete(self.secretary, dict(scores), "Task_score")

    def through_survey(self, satisfied: int = 12, dissatisfied: int = 0) -> None:
        self.start_assessment()
        self.report_and_opinions()
        self.answer_survey([SATISFIED] * satisfied + [{"overall": "dissatisfied"}] * dissatisfied)
        self.close_survey()


def at_rectification_report(kernel: Kernel) -> tuple[AssessmentWalk, str]:
    """An assessment graded "rectify", its plan made: the member's rectification report waits (the
    task with file fields). The walk and that task's id."""
    walk = AssessmentWalk(kernel, post_id=establish_post(kernel))
    walk.through_survey(satisfied=8, dissatisfied=4)
    walk.score(SCORES_RECTIFY)
    walk.complete(
        walk.secretary,
        {"problems": "服务台账记录不全，入户走访偏少。", "rectify_days": 10},
        "Task_rectification_plan",
    )
    return walk, walk.task_of(walk.member, "Task_rectification_report").id


def behind_the_back(kernel: Kernel, statement: sa.Executable) -> None:
    """Change the database as someone holding the database file would: no event says so."""
    with kernel.db.engine.begin() as connection:
        connection.execute(statement.execution_options(**{CHAINED_OPTION: True}))


def rehash_chain_from(kernel: Kernel, seq: int, changed: dict[str, str]) -> None:
    """Forge consistently: give event `seq` the `changed` fields, then recompute its hash and every
    later one of its shard, the shard's head and the instances' heads, as a forger with the whole
    database would."""
    with kernel.db.unit_of_work(write=False) as uow:
        target = uow.session.get(Event, seq)
        assert target is not None
        events = list(
            uow.session.execute(
                sa.select(Event).where(Event.shard == target.shard).order_by(Event.seq)
            ).scalars()
        )
    prev = target.prev_hash
    heads: dict[int, str] = {}
    for event in (e for e in events if e.seq >= seq):
        fields = {name: getattr(event, name) for name in history.HASHED_FIELDS}
        if event.seq == seq:
            fields.update(changed)
        digest = history.event_hash(fields, prev)
        values = {**({k: fields[k] for k in changed} if event.seq == seq else {}), "prev_hash": prev}
        behind_the_back(kernel, sa.update(Event).where(Event.seq == event.seq).values(**values, hash=digest))
        prev = digest
        if event.instance_id is not None:
            heads[event.instance_id] = digest
    behind_the_back(kernel, sa.update(ChainHead).where(ChainHead.shard == target.shard).values(hash=prev))
    for instance_id, digest in heads.items():
        statement = sa.update(ProcessInstance).where(ProcessInstance.id == instance_id)
        behind_the_back(kernel, statement.values(head_hash=digest))
