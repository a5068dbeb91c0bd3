"""The history verify_bench.py replays: nominations walked through the service layer, each of a
member never nominated before (a member holds one post and one running nomination at most), with
3 to 12 members and 5 to 30 villagers evaluating, some returned once or twice, then approved,
rejected, declined or left off the list."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_support import GOOD, Driver, add_branch_members, new_kernel

from xianfeng.engine.actor import Actor
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event
from xianfeng.engine.services import instances, tasks

CONSENT = {"willing": True, "pledge": "我愿意承担示范岗职责，带头服务群众。"}
RETURN = {"decision": "return", "opinion": "请补充", "return_reasons": "岗位职责不够具体"}
LEFT_OFF = {
    "include": False,
    "post_title": "便民服务示范岗",
    "responsibilities": "负责便民服务站日常工作。",
    "note": "支部研究决定暂不列入",
}
EVENTS_PER_NOMINATION = 15  # fewer than any walk makes: enough candidates for the events asked


def count_events(kernel: Kernel, of_instances: bool = False) -> int:
    query = sa.select(sa.func.count()).select_from(Event)
    if of_instances:
        query = query.where(Event.instance_id.is_not(None))
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(query).scalar_one())


def fill(path: Path, events: int) -> Kernel:
    kernel = new_kernel(path)
    add_candidates(kernel, events // EVENTS_PER_NOMINATION)
    walker = Walker(Driver(kernel), random.Random(2026))
    t0 = time.perf_counter()
    while count_events(kernel) < events:
        walker.walk()
    print(f"filled {count_events(kernel):,} events in {time.perf_counter() - t0:.1f} s")
    return kernel


def add_candidates(kernel: Kernel, count: int) -> None:
    """Members of the first branch, recorded on the chain as the organisation's change."""
    add_branch_members(kernel, count, "verify", "候选党员", "verify bench members")


def add_events(kernel: Kernel, events: int) -> None:
    """About `events` more events: nominations of members added for them (codes AGAIN-n), as a
    day's work adds to a history already verified."""
    add_branch_members(kernel, events // EVENTS_PER_NOMINATION + 1, "again", "新候选党员", "more members")
    driver = Driver(kernel)
    walker = Walker(driver, random.Random(7))
    walker.candidates = [m for m in reversed(driver.members) if m.username.startswith("again")]
    target = count_events(kernel) + events
    while count_events(kernel) < target:
        walker.walk()


class Walker:
    def __init__(self, driver: Driver, rnd: random.Random) -> None:
        self.driver, self.rnd = driver, rnd
        self.candidates = list(reversed(driver.members))  # each nominated once

    def walk(self) -> None:
        """One nomination from its start to its end, its shape drawn at random."""
        driver, rnd = self.driver, self.rnd
        candidate = self.nominate(rnd.choice([3, 3, 3, 4, 5, 5, 8, 12]), rnd.choice([5, 5, 6, 8, 10, 15, 30]))
        driver.pass_notice()
        if rnd.random() < 0.1:
            driver.one(candidate, "Task_consent", {"willing": False, "decline_reason": "身体原因"})
            return
        driver.one(candidate, "Task_consent", dict(CONSENT))
        for _ in range(rnd.choice([0, 0, 0, 1, 1, 2])):
            driver.determine()
            driver.one(driver.committee, "Task_committee_decision", dict(RETURN))
        if rnd.random() < 0.1:
            driver.one(driver.secretary, "Task_determine_list", dict(LEFT_OFF))
            return
        driver.determine()
        decision = "reject" if rnd.random() < 0.2 else "approve"
        driver.one(
            driver.committee, "Task_committee_decision", {"decision": decision, "opinion": "经党委会研究"}
        )

    def nominate(self, evaluators: int, public: int) -> Actor:
        """Start a nomination and let every chosen member and villager evaluate it."""
        driver = self.driver
        candidate = self.candidates.pop()
        chosen = self.rnd.sample([m for m in driver.members if m is not candidate], evaluators)
        data: dict[str, Any] = {
            "candidate_member_id": candidate.member_id,
            "post_title": "便民服务示范岗",
            "category": "key_post",
            "discussion_date": "2026-03-01",
            "discussion_summary": "支部党员大会酝酿讨论，一致推荐。",
            "member_evaluators": [m.member_id for m in chosen],
            "public_evaluator_count": public,
        }
        driver.instance_id = tasks.start(
            driver.kernel, driver.secretary, "model_post_creation", data
        ).instance_id
        for member in chosen:
            driver.one(member, "Task_member_evaluation", dict(GOOD))
        for link in instances.links(driver.kernel, driver.secretary, driver.instance_id):
            tasks.complete_by_token(driver.kernel, link["token"], dict(GOOD))
        return candidate
