"""SQLite's read-first unit of work: its reads hold no lock and no transaction, so another writer
can commit meanwhile; `begin_write` waits for the writer turn and begins the write transaction on
the same connection; leaving without a commit leaves nothing behind."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from xianfeng.engine.db import Database
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import ChainHead

HEAD = sa.select(ChainHead.seq).where(ChainHead.shard == 0)


def _seq(db: Database) -> int:
    with db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(HEAD).scalar_one())


def _bump(db: Database) -> None:
    with db.unit_of_work() as uow:
        uow.session.execute(sa.update(ChainHead).where(ChainHead.shard == 0).values(seq=ChainHead.seq + 1))
        uow.commit()


def test_while_it_reads_another_writer_commits_and_it_sees_the_commit(kernel: Kernel) -> None:
    db = kernel.db
    before = _seq(db)
    with db.unit_of_work_reading_first() as uow:
        assert uow.session.execute(HEAD).scalar_one() == before
        writer = threading.Thread(target=_bump, args=(db,))
        writer.start()
        writer.join(timeout=10)
        assert not writer.is_alive(), "the other writer waited for a lock the reads should not hold"
        assert uow.session.execute(HEAD).scalar_one() == before + 1  # each read sees the latest commit
        uow.begin_write()
        uow.session.execute(sa.update(ChainHead).where(ChainHead.shard == 0).values(seq=ChainHead.seq + 10))
        uow.commit()
    assert _seq(db) == before + 11


def test_once_writing_it_holds_the_turn_until_it_ends(kernel: Kernel) -> None:
    db = kernel.db
    before = _seq(db)
    order: list[str] = []
    with db.unit_of_work_reading_first() as uow:
        uow.begin_write()
        writer = threading.Thread(target=lambda: (_bump(db), order.append("other")))
        writer.start()
        writer.join(timeout=0.3)
        assert writer.is_alive(), "another writer went ahead while the write transaction was open"
        uow.session.execute(sa.update(ChainHead).where(ChainHead.shard == 0).values(seq=ChainHead.seq + 10))
        order.append("mine")
        uow.commit()
    writer.join(timeout=10)
    assert order == ["mine", "other"]
    assert _seq(db) == before + 11


def test_leaving_without_a_commit_writes_nothing(kernel: Kernel) -> None:
    db = kernel.db
    before = _seq(db)
    with pytest.raises(RuntimeError, match="refused"), db.unit_of_work_reading_first() as uow:
        uow.begin_write()
        uow.session.execute(sa.update(ChainHead).where(ChainHead.shard == 0).values(seq=ChainHead.seq + 10))
        raise RuntimeError("refused")
    assert _seq(db) == before
    _bump(db)  # and the turn was given back
    assert _seq(db) == before + 1


def test_it_commits_only_what_it_began_to_write(kernel: Kernel) -> None:
    with kernel.db.unit_of_work_reading_first() as uow:
        with pytest.raises(RuntimeError, match="begin_write"):
            uow.commit()
        uow.begin_write()
        with pytest.raises(RuntimeError, match="begun already"):
            uow.begin_write()


def test_postgresql_locks_the_rows_it_reads_instead(postgres_kernel: Kernel) -> None:
    with (
        pytest.raises(RuntimeError, match="PostgreSQL locks the rows"),
        postgres_kernel.db.unit_of_work_reading_first(),
    ):
        pass
