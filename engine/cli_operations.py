"""`xianfeng backup FILE` and `xianfeng restore FILE [--force]`: the operator's copy of everything,
and getting it back with proof that nothing in it was changed behind the log's back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .cli_support import command, kernel_of
from .output import emit, to_jsonable
from .services import backup as backups


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@command
def backup_cmd(ctx: click.Context, file: Path) -> None:
    """Back up the database into FILE (SQLite's online backup, or pg_dump's custom format on
    PostgreSQL) while the server runs, and copy the published chain heads beside it as
    FILE.anchors.jsonl."""
    report = backups.backup(kernel_of(ctx, ready=False), file)
    emit(ctx, report, _describe_backup)


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the configured database even though it holds data.")
@command
def restore_cmd(ctx: click.Context, file: Path, force: bool) -> None:
    """Restore FILE (made by `xianfeng backup`) into the configured database, then verify it: the
    chain, every register rebuilt from the log, every case replayed, and the heads published before
    the backup. Exit 1 when verify finds a problem. Stop the server first."""
    report = backups.restore(kernel_of(ctx, ready=False), file, force=force)
    emit(ctx, {**to_jsonable(report), "ok": report.ok}, lambda _: _describe_restore(report))
    if not report.ok:
        sys.exit(1)


def _describe_backup(r: backups.BackupReport) -> str:
    lines = [f"backed up {r.database} ({r.kind}) to {r.file}: {r.bytes:,} bytes, {r.events} events"]
    if r.anchors_file:
        lines.append(f"published chain heads: {r.anchors} copied to {r.anchors_file}")
    else:
        lines.append("no published chain heads yet (the server's ticker publishes them)")
    lines.append("keep a copy of the anchors file away from this machine: see README, Operations")
    return "\n".join(lines)


def _describe_restore(r: backups.RestoreReport) -> str:
    v: Any = r.verify
    lines = [f"restored {r.file} into {r.database} ({r.kind})"]
    if r.replaced:
        lines.append(f"  replaced what it held ({len(r.replaced)} tables with rows)")
    if r.anchors_put_back:
        lines.append(f"  published chain heads put back at {r.anchors_put_back}")
    checked = f", checked against the heads in {r.anchors_checked}" if r.anchors_checked else ""
    if v.ok:
        lines.append(f"verify OK: {v.events} events, {v.instances} instances replayed{checked}")
    else:
        lines += [f"verify FAILED: {len(v.problems)} problem(s){checked}", *(f"  {p}" for p in v.problems)]
    lines.append(f"chain head: {v.head_seq}:{v.head_hash}")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    for each in (backup_cmd, restore_cmd):
        group.add_command(each)
