"""A list page restores each case's snapshot once, not on every load (issue: per-row work of the
inbox done once): the key facts of its rows come from views shared while the snapshot is unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from support import GOOD, CreationWalk, actor

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.process import inspection
from xianfeng.engine.services import inbox


@pytest.fixture
def restores(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The snapshots restored from now on (the shared views start empty)."""
    monkeypatch.setattr(inspection, "_VIEWS", type(inspection._VIEWS)())
    seen: list[str] = []
    restore = inspection.inspect

    def counted(version: Any, snapshot: str) -> Any:
        seen.append(snapshot)
        return restore(version, snapshot)

    monkeypatch.setattr(inspection, "inspect", counted)
    return seen


def test_the_key_facts_of_a_case_are_restored_once_until_the_case_moves(
    kernel: Kernel, restores: list[str]
) -> None:
    walk = CreationWalk(kernel)
    walk.start()
    committee = actor(kernel, "committee")
    first = inbox.key_facts(kernel, committee, [walk.instance_id])
    again = inbox.key_facts(kernel, committee, [walk.instance_id])
    assert len(restores) == 1 and first == again
    assert first[walk.instance_id], first  # the facts themselves, read from the shared view

    walk.complete("member2", dict(GOOD), "Task_member_evaluation")
    inbox.key_facts(kernel, committee, [walk.instance_id])
    assert len(restores) == 2 and restores[0] != restores[1]  # the case moved: its new state restored


def test_the_shared_views_are_bounded(
    kernel: Kernel, restores: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inspection, "VIEWS_KEPT", 1)
    walks = [
        CreationWalk(kernel, candidate=c, evaluators=e)
        for c, e in (
            ("member1", ("member2", "member3", "member4")),
            ("member5", ("member6", "member7", "member8")),
        )
    ]
    for walk in walks:
        walk.start()
    committee = actor(kernel, "committee")
    for walk in (*walks, walks[0]):
        inbox.key_facts(kernel, committee, [walk.instance_id])
    assert len(inspection._VIEWS) == 1 and len(restores) == 3  # the first was dropped for the second
