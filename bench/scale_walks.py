"""Walked nominations for scale_bench.py's verify figure, as verify_bench.py fills its database (3
to 12 members and 5 to 30 villagers evaluating, some returned once or twice, then approved,
rejected, declined or left off the list), each of a different member: a member may hold one post
and have one nomination running, so the nominee of every walk is new.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_support import GOOD, START, new_kernel
from scale_support import add_members

from xianfeng.engine.actor import Actor
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, HumanTask, ProcessInstance, User
from xianfeng.engine.services import accounts, instances, tasks, timers

CONSENT = {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"}
LISTED = {"include": True, "post_title": "便民服务示范岗", "responsibilities": "负责便民服务站日常工作。"}
RETURN = {"decision": "return", "opinion": "请补充", "return_reasons": "岗位职责不够具体"}


class Walks:
    def __init__(self, kernel: Kernel, nominees: int) -> None:
        self.kernel = kernel
        add_members(kernel, nominees)
        self.secretary = accounts.actor_for(kernel, "secretary1")
        self.committee = accounts.actor_for(kernel, "committee")
        with kernel.db.unit_of_work(write=False) as uow:
            users = uow.session.execute(
                sa.select(User).where(User.branch_id == 1, User.member_id.is_not(None)).order_by(User.id)
            ).scalars()
            people = [accounts.actor_of(u) for u in users if u.username != "secretary1"]
        self.evaluators = [p for p in people if not p.username.startswith("scale")][:12]
        self.nominees = [p for p in people if p.username.startswith("scale")]

    def _task(self, who: Actor, instance_id: int, spec_id: str) -> tuple[str, int]:
        """The task `who` may take at that step of the case, and the case's version."""
        with self.kernel.db.unit_of_work(write=False) as uow:
            row = uow.session.execute(
                sa.select(HumanTask.id, ProcessInstance.state_version)
                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(
                    HumanTask.instance_id == instance_id,
                    HumanTask.spec_id == spec_id,
                    sa.or_(HumanTask.assignee_user_id == who.user_id, HumanTask.assignee_user_id.is_(None)),
                )
            ).first()
        assert row is not None, (instance_id, spec_id, who.username)
        return row[0], row[1]

    def act(self, who: Actor, instance_id: int, spec_id: str, data: dict[str, Any]) -> None:
        task_id, version = self._task(who, instance_id, spec_id)
        tasks.complete(self.kernel, who, task_id, data, version)

    def walk(self, rnd: random.Random) -> None:
        """One nomination from start to its end, its shape drawn at random."""
        nominee = self.nominees.pop()
        chosen = self.evaluators[: rnd.choice([3, 3, 3, 4, 5, 5, 8, 12])]
        public = rnd.choice([5, 5, 6, 8, 10, 15, 30])
        data = {
            "candidate_member_id": nominee.member_id,
            "post_title": "便民服务示范岗",
            "category": "key_post",
            "discussion_date": "2026-03-01",
            "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
            "member_evaluators": [m.member_id for m in chosen],
            "public_evaluator_count": public,
        }
        case = tasks.start(self.kernel, self.secretary, "model_post_creation", data).instance_id
        for member in chosen:
            self.act(member, case, "Task_member_evaluation", dict(GOOD))
        for link in instances.links(self.kernel, self.secretary, case):
            tasks.complete_by_token(self.kernel, link["token"], dict(GOOD))
        self._pass_notice(case)
        if rnd.random() < 0.1:
            self.act(nominee, case, "Task_consent", {"willing": False, "decline_reason": "身体原因"})
            return
        self.act(nominee, case, "Task_consent", dict(CONSENT))
        for _ in range(rnd.choice([0, 0, 0, 1, 1, 2])):
            self.act(self.secretary, case, "Task_determine_list", dict(LISTED))
            self.act(self.committee, case, "Task_committee_decision", dict(RETURN))
        if rnd.random() < 0.1:
            left_off = {**LISTED, "include": False, "note": "支部研究决定暂不列入"}
            self.act(self.secretary, case, "Task_determine_list", left_off)
            return
        self.act(self.secretary, case, "Task_determine_list", dict(LISTED))
        decision = "reject" if rnd.random() < 0.2 else "approve"
        self.act(
            self.committee, case, "Task_committee_decision", {"decision": decision, "opinion": "经党委会研究"}
        )

    def _pass_notice(self, case: int) -> None:
        view = instances.show(self.kernel, self.committee, case)
        self.kernel.clock.set(min(t["due_at"] for t in view["timers"]) + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
        timers.tick(self.kernel)
        self.kernel.clock.set(START)  # type: ignore[attr-defined]


def fill(path: Path, events: int) -> Kernel:
    """Walk nominations until the log holds `events` events."""
    kernel = new_kernel(path)
    walks, rnd = Walks(kernel, events // 20 + 10), random.Random(2026)
    while _events(kernel) < events:
        walks.walk(rnd)
    return kernel


def _events(kernel: Kernel) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one())
