"""Upgrading a database: what an older version left off the chain is put on it once by
`xianfeng init`, rows and new columns alike, so that verify can catch later tampering with them."""

from __future__ import annotations

import json

import sqlalchemy as sa
from support import behind_the_back, rehash_chain_from

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event, Member
from xianfeng.engine.process import history
from xianfeng.engine.services import adoption, audit, setup


def _forget_column(kernel: Kernel, table: str, column: str) -> None:
    """Make the log look as a version before `column` existed left it: no image names it."""
    with kernel.db.unit_of_work(write=False) as uow:
        events = list(
            uow.session.execute(sa.select(Event).where(Event.changes.contains(f'"{table}"'))).scalars()
        )
    for event in events:
        changes = json.loads(event.changes)
        for change in changes:
            if change["table"] == table:
                change.get("values", {}).pop(column, None)
        rehash_chain_from(kernel, event.seq, {"changes": history.canonical_json(changes)})


def test_a_column_added_by_a_migration_is_adopted_once_and_then_guarded(backend: Kernel) -> None:
    _forget_column(backend, "member", "phone")
    assert audit.verify(backend, replay=False).ok  # the log says nothing of the column: nothing to see
    behind_the_back(backend, sa.update(Member).where(Member.id == 4).values(phone="13800000000"))
    assert audit.verify(backend, replay=False).ok  # …so a change to it goes unseen until adopted
    behind_the_back(backend, sa.update(Member).where(Member.id == 4).values(phone=""))

    setup.init(backend)  # the upgrade adopts what the log lacks
    assert adoption.adopt_new_columns(backend) is None  # once only
    with backend.db.unit_of_work(write=False) as uow:
        adopted = uow.session.execute(sa.select(Event).where(Event.kind == "adopt")).scalars().all()
    assert len(adopted) == 1 and '"phone"' in adopted[0].changes
    assert audit.verify(backend, replay=False).ok

    behind_the_back(backend, sa.update(Member).where(Member.id == 4).values(phone="13800000000"))
    found = audit.verify(backend, replay=False).findings
    assert [(f.table, f.key, f.column) for f in found] == [("member", 4, "phone")]
