"""Fillers for scale_bench.py: open tasks by the thousand, and nominations sharing one deadline.

The open tasks are copies of a real nomination's instance row with inbox rows spread over the
branches and roles a town has (evaluations assigned to members, villagers' links, the branch's
own steps, the committee's approvals), due on days around now, some overdue. They are written
behind the journal's back for size only, as `bench_support.clone_history` does: such a database
does not verify. The shared deadline is made through the service layer (real nominations started
at the same moment), so the burst fires real steps and the result verifies.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_support import START, Driver, _add_members, _behind, add_branch_members

from xianfeng.engine.clock import ManualClock
from xianfeng.engine.config import Settings
from xianfeng.engine.db import Database
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import HumanTask, ProcessInstance, User
from xianfeng.engine.services import demo, setup, tasks

# (spec, process, name, English name, form) of the steps the copies wait at, as the diagrams name them
EVALUATION = (
    "Task_member_evaluation",
    "nominee_evaluation",
    "党员测评",
    "Evaluation by a member",
    "evaluation.json",
)
PUBLIC = (
    "Task_public_evaluation",
    "nominee_evaluation",
    "群众测评",
    "Evaluation by villagers",
    "evaluation.json",
)
LIST = (
    "Task_determine_list",
    "model_post_creation",
    "支部确定名单",
    "Branch decides the list",
    "determine_list.json",
)
APPROVAL = ("Task_committee_decision", "approval", "镇党委审批", "Committee decision", "approval.json")
TASKS_PER_CASE = 8  # 3 evaluations, 3 villagers' links, the branch's step, a committee's on every other


def fill_open_tasks(kernel: Kernel, target: int) -> int:
    """Open tasks until the inbox holds about `target`; how many it holds."""
    driver = Driver(kernel)
    driver.start(3, 5)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        template = session.get(ProcessInstance, driver.instance_id)
        assert template is not None
        columns = {c.name: getattr(template, c.name) for c in ProcessInstance.__table__.columns}
        members = _members_by_branch(session)
        next_id = int(session.execute(sa.select(sa.func.max(ProcessInstance.id))).scalar_one()) + 1
        held = int(session.execute(sa.select(sa.func.count()).select_from(HumanTask)).scalar_one())
        number = 0
        while held < target:
            cases, rows = [], []
            for _ in range(min(500, max(1, (target - held) // TASKS_PER_CASE))):
                branch = number % 3 + 1
                cases.append({**columns, "id": next_id, "branch_id": branch, "business_key": ""})
                rows += _tasks_of(next_id, number, branch, members[branch])
                next_id, number = next_id + 1, number + 1
            session.execute(_behind(sa.insert(ProcessInstance)), cases)
            session.execute(_behind(sa.insert(HumanTask)), rows)
            held += len(rows)
        uow.commit()
    return held


def _members_by_branch(session: Any) -> dict[int, list[int]]:
    rows = session.execute(
        sa.select(User.id, User.branch_id)
        .where(User.member_id.is_not(None), User.username.not_like("secretary%"))
        .order_by(User.id)
    ).all()
    found: dict[int, list[int]] = {1: [], 2: [], 3: []}
    for user_id, branch in rows:
        if branch in found:
            found[branch].append(user_id)
    return found


def _tasks_of(instance_id: int, number: int, branch: int, members: list[int]) -> list[dict[str, Any]]:
    """One case's open tasks: due on one of 40 days around now (some overdue), arrived within a day."""
    due = START.replace(hour=0, minute=0) + dt.timedelta(days=number % 40 - 10)
    created = START - dt.timedelta(minutes=number % 1440)
    shape: list[tuple[tuple[str, ...], str, int | None]] = [
        (EVALUATION, "member", members[(number + k) % len(members)]) for k in range(3)
    ]
    shape += [(PUBLIC, "public", None)] * 3
    shape.append((LIST, "branch", None))
    if number % 2:
        shape.append((APPROVAL, "committee", None))
    return [
        {
            "id": str(uuid.uuid4()),
            "instance_id": instance_id,
            "spec_id": spec,
            "process_id": process,
            "name": name,
            "name_en": name_en,
            "role": role,
            "form": form,
            "assignee_user_id": assignee,
            "owner_user_id": None,
            "delegation_state": "",
            "branch_id": branch,
            "village_id": None,
            "mi_index": None,
            "created_at": created,
            "due_at": due,
            # The branch's step reminds and escalates, as the diagrams' steps do; both happened
            # already, so an idle reminder check finds nothing among them.
            "remind_days": 2 if role == "branch" else None,
            "escalate_to": "committee" if role == "branch" else "",
            "reminded_at": created if role == "branch" else None,
            "escalated_at": created if role == "branch" else None,
        }
        for (spec, process, name, name_en, form), role, assignee in shape
    ]


def postgres_kernel(url: str, folder: Path) -> Kernel:
    """The bench's town (the demo and 40 more members) on PostgreSQL, on the bench's manual clock."""
    settings = Settings(database_url=url, data_dir=folder)
    kernel = Kernel(settings=settings, db=Database(url), clock=ManualClock(START))
    setup.init(kernel)
    demo.load_demo(kernel)
    _add_members(kernel)
    return kernel


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A private schema for the bench, dropped afterwards (as the tests do)."""
    name = f"xf_scale_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {name}"))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


def postgres_reachable(url: str) -> bool:
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except Exception:  # any failure to connect: the PostgreSQL parts are left out, and say so
        return False
    return True


def add_members(kernel: Kernel, count: int) -> None:
    """`count` more members of branch 1 with accounts, in one chained event: a member may be the
    nominee of one running nomination only, so 2,000 nominations need 2,000 nominees."""
    add_branch_members(kernel, count, "scale", "候选党员", "scale bench members")


def start_nominations(kernel: Kernel, count: int) -> list[int]:
    """`count` nominations started at the same moment through the service layer (each nominee once,
    three evaluators and five villagers each, nobody answering), so that their evaluation
    deadlines fall together; their instance ids."""
    driver = Driver(kernel)
    secretary, members = driver.secretary, driver.members
    assert len(members) > count + 3, "add_members first"
    started = []
    for n in range(count):
        candidate = members[n]
        chosen = [members[(n + k) % len(members)] for k in (1, 2, 3)]
        data = {
            "candidate_member_id": candidate.member_id,
            "post_title": "便民服务示范岗",
            "category": "key_post",
            "discussion_date": "2026-03-01",
            "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
            "member_evaluators": [m.member_id for m in chosen],
            "public_evaluator_count": 5,
        }
        started.append(tasks.start(kernel, secretary, "model_post_creation", data).instance_id)
    return started
