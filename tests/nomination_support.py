"""Helpers for the tests of the model-post procedures' rules (this module holds no tests): partial
evaluations, paper ballots, the evaluation deadline, diagrams changed for one test."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from support import GOOD, CreationWalk, actor, table_contents

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Notification, ProcessInstance
from xianfeng.engine.process.catalog import builtin_files
from xianfeng.engine.services import attachments, audit, setup, tasks, timers
from xianfeng.engine.services.attachments import Upload

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(120))


def verified(kernel: Kernel) -> None:
    report = audit.verify(kernel)
    assert report.ok, report.problems


def members_answer(walk: CreationWalk, usernames: tuple[str, ...], scores: dict[str, int] = GOOD) -> None:
    for username in usernames:
        walk.complete(username, dict(scores), "Task_member_evaluation")


def villagers_answer(walk: CreationWalk, count: int, scores: dict[str, int] = GOOD) -> None:
    tokens = walk.public_tokens()
    assert len(tokens) >= count, (len(tokens), count)
    for token in tokens[:count]:
        walk._after(tasks.complete_by_token(walk.kernel, token, dict(scores)))


def evaluation_until(walk: CreationWalk) -> dt.datetime:
    return dt.datetime.fromisoformat(walk.show()["data"]["evaluation_until"])


def past_the_deadline(walk: CreationWalk) -> Any:
    """Move the clock past the evaluation's deadline and let the ticker fire it."""
    walk.kernel.clock.set(evaluation_until(walk) + dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    return walk._after(timers.tick(walk.kernel))


def photo_of_ballots(walk: CreationWalk, task_id: str, marker: bytes = b"1") -> str:
    stored = attachments.upload_for_task(
        walk.kernel,
        actor(walk.kernel, walk.secretary),
        task_id,
        {"photos": [Upload("测评票.jpg", JPEG + marker)]},
    )
    return stored["photos"][0].sha256


def enter_paper_ballots(walk: CreationWalk, ballots: str) -> Any:
    task = walk.task_of(walk.secretary, "Task_paper_ballots")
    photo = photo_of_ballots(walk, task.id, hashlib.sha256(ballots.encode()).digest())
    return walk.complete(walk.secretary, {"ballots": ballots, "photos": [photo]}, "Task_paper_ballots")


def extend(walk: CreationWalk, days: int = 5) -> Any:
    data = {"extend": True, "extension_days": days, "reason": "部分党员外出，延长测评"}
    return walk.complete(walk.secretary, data, "Task_extend_evaluation")


def let_lapse(walk: CreationWalk) -> Any:
    return walk.complete(
        walk.secretary, {"extend": False, "reason": "参加测评人数不足，不再延长"}, "Task_extend_evaluation"
    )


def notifications_of(kernel: Kernel, instance_id: int, kind: str = "outcome") -> list[Notification]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(Notification)
                .where(Notification.instance_id == instance_id, Notification.kind == kind)
                .order_by(Notification.id)
            ).scalars()
        )


def usernames_of(kernel: Kernel, user_ids: list[int]) -> set[str]:
    from xianfeng.engine.models import User

    with kernel.db.unit_of_work(write=False) as uow:
        return set(uow.session.execute(sa.select(User.username).where(User.id.in_(user_ids))).scalars())


def instance_count(kernel: Kernel) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(sa.select(sa.func.count()).select_from(ProcessInstance)).scalar_one())


def deploy_changed(kernel: Kernel, name: str, change: Callable[[str], str]) -> None:
    """Deploy the shipped files with one of them changed, as an administrator would."""
    files = builtin_files()
    text = files[name].decode()
    changed = change(text)
    assert changed != text, f"the change to {name} changed nothing"
    files[name] = changed.encode()
    setup.deploy(kernel, files, "admin")


def add_deputy(kernel: Kernel, username: str = "deputy1", branch_id: int = 1) -> None:
    """A second branch committee member (支委), so that a branch task has someone to go to; the
    account is recorded on the chain as an administrator's change would be."""
    from xianfeng.engine.models import User
    from xianfeng.engine.models.org import ROLE_BRANCH, ROLE_MEMBER
    from xianfeng.engine.services import chain
    from xianfeng.engine.services.accounts import ensure_user

    with kernel.db.unit_of_work() as uow:
        password_hash = uow.session.execute(
            sa.select(User.password_hash).where(User.username == "secretary1")
        ).scalar_one()
        roles = (ROLE_BRANCH, ROLE_MEMBER)
        now = kernel.clock.now()
        ensure_user(uow.session, username, f"{username}（支委）", password_hash, roles, now, branch_id)
        chain.record(uow.session, kernel, None, "account", {"username": username, "branch_id": branch_id})
        uow.commit()


def nothing_changed(kernel: Kernel, before: dict[str, Any]) -> None:
    assert table_contents(kernel) == before
