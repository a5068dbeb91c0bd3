"""A task that came back after a 退回, told as such: the step that makes the task again writes its
新待办 in its own transaction, and the log holds the return's reason; as the ticker folds the log
(`stats_steps`), that notification becomes 被退回 with the reason given, so the person knows why
the task is back. (How a case ended is told by the diagrams themselves: `notify_case`.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..models import Notification


@dataclass
class News:
    returned: list[tuple[list[str], str]] = field(default_factory=list)  # (new task ids, reason)


def read(changes: list[dict[str, object]], kind: str, payload: str) -> News:
    """The news one event carries."""
    news = News()
    if kind == "return":
        tasks = [
            str(c.get("key")) for c in changes if c.get("table") == "human_task" and c.get("op") == "insert"
        ]
        reason = json.loads(payload or "{}").get("reason", "")
        news.returned.append((tasks, str(reason or "")))
    return news


def tell(session: Session, all_news: Iterable[News]) -> int:
    told = 0
    for news in all_news:
        for tasks, reason in news.returned:
            if tasks:
                statement = (
                    update(Notification)
                    .where(Notification.task_id.in_(tasks), Notification.kind == "task")
                    .values(kind="returned", body=reason[:2000])
                )
                told += int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
    return told
