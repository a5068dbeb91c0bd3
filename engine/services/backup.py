"""Backup and restore of the whole database, with the published chain heads beside it.

A backup is one file: a SQLite database made with SQLite's online backup API (a consistent copy
while the server keeps writing), or a `pg_dump` archive in its custom format. The anchors file
(the chain heads the server published, see `audit.anchors`) is copied beside it as
`FILE.anchors.jsonl`, before the database, so every head in the copy lies within the backup.

A restore replaces the configured database with the backup (refusing one that holds data unless
forced, and writing nothing then) and runs `verify` on what it restored, checking the heads copied
with it: every register is rebuilt from the log and every case replayed, so a backup changed behind
the log's back, or a chain rewritten to hide it, does not verify.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..kernel import Kernel
from ..models import Event
from . import backup_postgres, setup
from .audit import anchors as published
from .audit.verify import VerifyReport, verify
from .backup_postgres import BackupFailed

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
ANCHORS_SUFFIX = ".anchors.jsonl"


@dataclass
class BackupReport:
    file: str
    database: str
    kind: str
    bytes: int
    events: int
    last_seq: int
    anchors_file: str | None
    anchors: int


@dataclass
class RestoreReport:
    file: str
    database: str
    kind: str
    replaced: list[str]
    anchors_checked: str | None
    anchors_put_back: str | None
    verify: VerifyReport = field(default_factory=VerifyReport)

    @property
    def ok(self) -> bool:
        return self.verify.ok


def safe_url(url: str) -> str:
    """The database's URL without its password, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def anchors_beside(file: Path) -> Path:
    return file.with_name(file.name + ANCHORS_SUFFIX)


def backup(kernel: Kernel, file: Path) -> BackupReport:
    """Copy the anchors file, then the database, each to a temporary name renamed when complete."""
    file = file.expanduser().resolve()
    if file.is_dir():
        raise BackupFailed(f"{file} is a folder: name the backup file", file=str(file))
    file.parent.mkdir(parents=True, exist_ok=True)
    heads = _copy_anchors(Path(kernel.settings.resolved_anchors_file), anchors_beside(file))
    part = file.with_name(file.name + ".part")
    if kernel.db.is_sqlite:
        kind = "sqlite"
        _sqlite_backup(_sqlite_path(kernel), part)
        events, last_seq = _sqlite_event_count(part)
    else:
        kind = "postgresql"
        events, last_seq = backup_postgres.dump(kernel.db.engine, part)
    os.replace(part, file)
    return BackupReport(
        file=str(file),
        database=safe_url(kernel.db.url),
        kind=kind,
        bytes=file.stat().st_size,
        events=events,
        last_seq=last_seq,
        anchors_file=str(anchors_beside(file)) if heads is not None else None,
        anchors=heads or 0,
    )


def _copy_anchors(source: Path, target: Path) -> int | None:
    """The published heads as complete lines (the server may be appending one); None when there
    is no anchors file yet, and then no stale copy of an earlier backup is left beside this one."""
    if not source.exists():
        target.unlink(missing_ok=True)
        return None
    text = source.read_bytes()
    complete = text[: text.rfind(b"\n") + 1]
    part = target.with_name(target.name + ".part")
    part.write_bytes(complete)
    os.replace(part, target)
    return complete.count(b"\n")


def _sqlite_path(kernel: Kernel) -> Path:
    name = kernel.db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupFailed(f"cannot back up the SQLite database {kernel.db.url!r}: it is not a file")
    return Path(name).expanduser()


def _sqlite_backup(source: Path, target: Path) -> None:
    """SQLite's online backup: one read transaction copies every page, so writers go on (WAL) and
    the copy is consistent. The copy leaves WAL mode: a backup is one self-contained file."""
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")


def _sqlite_event_count(file: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)) as db:
        count, last = db.execute(
            f"SELECT count(*), coalesce(max(seq), 0) FROM {Event.__tablename__}"
        ).fetchone()
    return int(count), int(last)


def kind_of(file: Path) -> str:
    with file.open("rb") as stream:
        start = stream.read(len(SQLITE_MAGIC))
    if start == SQLITE_MAGIC:
        return "sqlite"
    if start.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupFailed(
        f"{file} is neither a SQLite database nor a pg_dump archive: not a backup made by `xianfeng backup`",
        file=str(file),
    )


def restore(kernel: Kernel, file: Path, force: bool = False) -> RestoreReport:
    """Replace the configured database with the backup, then verify what was restored."""
    file = file.expanduser().resolve()
    kind = kind_of(file)
    target = "sqlite" if kernel.db.is_sqlite else "postgresql"
    database = safe_url(kernel.db.url)
    if kind != target:
        raise BackupFailed(
            f"{file.name} is a {kind} backup, but the configured database is {target} ({database}): "
            "restore it where DATABASE_URL names a database of its kind",
            file=str(file),
        )
    holding = tables_holding_rows(kernel.db.engine)
    if holding and not force:
        raise BackupFailed(
            f"the database {database} already holds data (in {', '.join(holding[:5])}"
            f"{' …' if len(holding) > 5 else ''}): restoring would replace it; add --force to replace it",
            tables=holding,
        )
    kernel.db.engine.dispose()
    if kind == "sqlite":
        _sqlite_restore(file, _sqlite_path(kernel))
    else:
        backup_postgres.restore(kernel.db.engine, file, replace=bool(holding))
    kernel.db.engine.dispose()
    return _verified(kernel, file, kind, database, holding)


def _verified(kernel: Kernel, file: Path, kind: str, database: str, replaced: list[str]) -> RestoreReport:
    setup.check_ready(kernel)
    copy = anchors_beside(file)
    heads = published.read(copy) if copy.exists() else None
    report = RestoreReport(
        file=str(file),
        database=database,
        kind=kind,
        replaced=replaced,
        anchors_checked=str(copy) if heads else None,
        anchors_put_back=_put_back_anchors(kernel, copy),
    )
    # Every case replayed from its first event: checkpoints the file carries vouch for nothing here.
    report.verify = verify(kernel, anchors=heads.anchors if heads else None, checkpointed=False)
    if heads:
        report.verify.problems.extend(heads.unreadable)
    return report


def _put_back_anchors(kernel: Kernel, copy: Path) -> str | None:
    """A data folder without an anchors file gets the backup's, so the ticker appends to the
    history it continues; an existing one is never overwritten (it may hold later heads)."""
    live = Path(kernel.settings.resolved_anchors_file)
    if not copy.exists() or live.exists():
        return None
    live.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(copy, live)
    return str(live)


def _sqlite_restore(file: Path, target: Path) -> None:
    """Copy every page of the backup over the target with the backup API (in one transaction on
    the target: a failure leaves it as it was)."""
    with closing(sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)) as src:
        if not src.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (Event.__tablename__,)
        ).fetchone():
            raise BackupFailed(f"{file} holds no Xianfeng event log: not a backup made by `xianfeng backup`")
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(target, timeout=30)) as dst:
            src.backup(dst)


def tables_holding_rows(engine: sa.Engine) -> list[str]:
    """The tables of the configured database (its current schema) that hold at least one row."""
    with engine.connect() as connection:
        names = sorted(sa.inspect(connection).get_table_names())
        return [
            name
            for name in names
            if connection.execute(sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)).first()
        ]
