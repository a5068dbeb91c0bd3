"""`xianfeng backup` and `xianfeng restore` on SQLite and PostgreSQL: a restored backup holds every
row and verifies; a backup changed after it was made, or whose chain was rewritten to hide it, does
not; a database holding data is replaced only when forced."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from support import CreationWalk, make_kernel, postgres_schema, rehash_chain_from, table_contents
from tamper_support import tamper

from xianfeng.engine.cli import cli
from xianfeng.engine.db import Database
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Event
from xianfeng.engine.services import audit
from xianfeng.engine.services.backup import BackupFailed, anchors_beside, backup, restore

FORGED_NAME = "张伪造"
Fresh = Callable[[], Kernel]


@pytest.fixture
def fresh(backend: Kernel, tmp_path: Path) -> Iterator[Fresh]:
    """Empty databases of the backend's kind, each with its own data folder: a SQLite file, or a
    new PostgreSQL schema."""
    made: list[Kernel] = []
    with ExitStack() as schemas:

        def make() -> Kernel:
            folder = tmp_path / f"fresh{len(made)}"
            folder.mkdir()
            url = f"sqlite:///{folder / 'xianfeng.sqlite3'}" if backend.db.is_sqlite else None
            made.append(make_kernel(url or schemas.enter_context(postgres_schema()), str(folder)))
            return made[-1]

        yield make
        for kernel in made:
            kernel.db.dispose()


@pytest.fixture
def backed_up(backend: Kernel, tmp_path: Path) -> Path:
    """A nomination evaluated by its members and villagers, its chain head published, backed up."""
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    assert audit.anchors.publish(backend, "test") is not None
    file = tmp_path / "backup" / "xianfeng.backup"
    report = backup(backend, file)
    assert report.events > 0 and report.anchors == 1
    return file


def _forged(file: Path, fresh: Fresh, change: Callable[[Kernel], None]) -> Path:
    """The backup restored elsewhere, changed there behind the log's back, and backed up again
    (with the heads that were published before it): a backup someone altered."""
    scratch = fresh()
    assert restore(scratch, file).ok
    change(scratch)
    forged = file.with_name("forged.backup")
    backup(scratch, forged)
    return forged


def _rename_a_member(kernel: Kernel) -> None:
    tamper(kernel, f"UPDATE member SET name = '{FORGED_NAME}' WHERE id = (SELECT min(id) FROM member)")


def _another_case(kernel: Kernel) -> None:
    """A nomination begun after the backup, of another member."""
    CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8")).start()


def _first_event(kernel: Kernel) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(sa.select(sa.func.min(Event.seq))).scalar_one())


def _event_count(kernel: Kernel) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one())


def _without(tables: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {name: rows for name, rows in tables.items() if name not in names}


def test_a_restored_backup_holds_every_row_and_verifies_against_its_published_heads(
    backend: Kernel, backed_up: Path, fresh: Fresh
) -> None:
    target = fresh()
    report = restore(target, backed_up)
    assert report.ok, report.verify.problems
    assert report.verify.instances == 1 and report.replaced == []
    assert report.anchors_checked == str(anchors_beside(backed_up))
    assert report.verify.checkpointed_events == 0  # the restored history replayed whole
    kept = {"replay_checkpoint"}  # what the restore's own verify keeps for the next one
    assert _without(table_contents(target), kept) == _without(table_contents(backend), kept)
    assert report.anchors_put_back == str(target.settings.resolved_anchors_file)
    assert target.settings.resolved_anchors_file.read_text() == anchors_beside(backed_up).read_text()


def test_a_backup_changed_after_it_was_made_fails_verify_after_restore(backed_up: Path, fresh: Fresh) -> None:
    forged = _forged(backed_up, fresh, _rename_a_member)
    report = restore(fresh(), forged)
    assert not report.ok
    assert any(p.startswith("member ") and FORGED_NAME in p for p in report.verify.problems), report.verify


def test_a_backup_whose_chain_was_rewritten_is_caught_by_the_heads_copied_beside_it(
    backed_up: Path, fresh: Fresh
) -> None:
    """Every hash recomputed after the change: only the heads published before the backup show it."""

    def rewrite(kernel: Kernel) -> None:
        rehash_chain_from(kernel, _first_event(kernel), {"actor": "forger"})
        assert audit.verify(kernel).ok  # a consistent forgery: the chain alone cannot tell

    report = restore(fresh(), _forged(backed_up, fresh, rewrite))
    assert not report.ok
    assert any(p.startswith("published head ") and "now has hash" in p for p in report.verify.problems)


def test_a_sqlite_backup_file_edited_by_hand_fails_verify_after_restore(
    kernel: Kernel, tmp_path: Path
) -> None:
    file = tmp_path / "xianfeng.backup"
    backup(kernel, file)
    with closing(sqlite3.connect(file)) as edited:
        edited.execute("UPDATE member SET name = ? WHERE id = (SELECT min(id) FROM member)", (FORGED_NAME,))
        edited.commit()
    target = make_kernel(f"sqlite:///{tmp_path / 'restored.sqlite3'}", str(tmp_path / "restored"))
    report = restore(target, file)
    assert not report.ok
    assert any(FORGED_NAME in p for p in report.verify.problems)


def test_restore_refuses_a_database_holding_data_and_replaces_it_only_when_forced(
    backend: Kernel, backed_up: Path, fresh: Fresh
) -> None:
    _another_case(backend)
    before = table_contents(backend)
    with pytest.raises(
        BackupFailed, match=r"already holds data \(in .*\): restoring would replace it; add --force"
    ):
        restore(backend, backed_up)
    assert table_contents(backend) == before
    report = restore(backend, backed_up, force=True)
    assert report.ok, report.verify.problems
    assert report.replaced and report.verify.instances == 1  # the case begun after the backup is gone
    reference = fresh()
    restore(reference, backed_up)
    kept = {"replay_checkpoint"}  # sealed with each data folder's own key
    assert _without(table_contents(backend), kept) == _without(table_contents(reference), kept)


def test_restore_refuses_a_file_that_is_not_a_backup_or_of_the_other_database(
    kernel: Kernel, tmp_path: Path
) -> None:
    other = tmp_path / "pg.backup"
    other.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
    with pytest.raises(BackupFailed, match="is a postgresql backup, but the configured database is sqlite"):
        restore(kernel, other)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a backup")
    with pytest.raises(BackupFailed, match="neither a SQLite database nor a pg_dump archive"):
        restore(kernel, notes)


def test_backing_up_postgresql_without_pg_dump_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no program found anywhere
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none"
    kernel = Kernel(settings=make_kernel(url, str(tmp_path)).settings, db=Database(url))
    with pytest.raises(BackupFailed, match=r"pg_dump is not installed or not on PATH: .*postgresql-client"):
        backup(kernel, tmp_path / "x.backup")
    assert not (tmp_path / "x.backup").exists()


def _cli(kernel: Kernel, *args: str) -> tuple[int, dict[str, object]]:
    env = {"XIANFENG_DATA_DIR": str(kernel.settings.data_dir), "DATABASE_URL": kernel.db.url}
    result = CliRunner().invoke(cli, [*args, "--json"], env=env, obj={}, catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def test_the_commands_back_up_and_restore_with_json_and_exit_one_when_verify_fails(
    kernel: Kernel, tmp_path: Path
) -> None:
    CreationWalk(kernel).start()
    file = tmp_path / "cli.backup"
    status, made = _cli(kernel, "backup", str(file))
    assert status == 0 and made["file"] == str(file) and made["events"] == _event_count(kernel)
    elsewhere = make_kernel(f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}", str(tmp_path / "elsewhere"))
    status, restored = _cli(elsewhere, "restore", str(file))
    assert status == 0 and restored["ok"] is True and restored["verify"]["problems"] == []
    status, refused = _cli(kernel, "restore", str(file))
    assert status == 2 and refused["code"] == "backup_failed" and "--force" in str(refused["message"])
    _rename_a_member(elsewhere)
    assert _cli(elsewhere, "backup", str(file))[0] == 0
    status, failed = _cli(kernel, "restore", str(file), "--force")
    assert status == 1 and failed["ok"] is False and failed["verify"]["problems"]
