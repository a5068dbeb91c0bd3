"""`xianfeng processes list|deploy|diff|whatif`: the procedures' versions from the command line.

`deploy` lays the given files (diagrams, decision tables, forms, named by their file names) over
what is published, checks everything as the editor's save does, and publishes with a reason as a
chained event; `whatif` runs existing cases on such files without storing anything. Any problem
exits with status 2, naming file, line and element, and stores nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from .actor import Actor
from .cli_support import OPERATOR, command, kernel_of
from .clock import CHINA_TZ
from .errors import DiagramInvalid, DiagramLocation
from .output import emit
from .process.version_diff import FileDiff
from .services.admin import process_editing, processes, whatif
from .services.admin.processes import ProcessEntry

_FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


@click.group("processes")
def processes_cmd() -> None:
    """Procedures: versions, deploy with a reason, the difference of two versions, what-if."""


def _read(paths: tuple[Path, ...]) -> dict[str, bytes]:
    """The files by name; two files of one name, or a file that is not UTF-8 text, are refused."""
    files: dict[str, bytes] = {}
    for path in paths:
        if path.name in files:
            raise DiagramInvalid([(DiagramLocation(path.name), "given twice: one file per name")])
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DiagramInvalid(
                [(DiagramLocation(path.name), f"not UTF-8 text (bad byte at offset {exc.start})")]
            ) from None
        files[path.name] = raw
    return files


@processes_cmd.command("list")
@command
def list_cmd(ctx: click.Context) -> None:
    """Every process with its versions (hash, published by, when, reason) and cases on each."""
    emit(ctx, processes.catalogue(kernel_of(ctx), OPERATOR), _describe_catalogue)


def _describe_catalogue(entries: list[ProcessEntry]) -> str:
    lines = []
    for entry in entries:
        drafts = f"  open drafts: {', '.join(map(str, entry.open_drafts))}" if entry.open_drafts else ""
        lines.append(f"{entry.process_key}  {entry.name}  (current v{entry.current_version}){drafts}")
        for v in entry.versions:
            mark = "*" if v.current else " "
            lines.append(
                f"  {mark} v{v.version:<3} {v.bundle_hash[:12]}  {v.deployed_by:<10} "
                f"{v.deployed_at:%Y-%m-%d %H:%M}  running {v.running:<4} ended {v.ended:<4} {v.reason}"
            )
    return "\n".join(lines) or "no processes deployed"


@processes_cmd.command("deploy")
@_FILES
@click.option("--reason", required=True, help="Why (recorded in the log; at least 4 characters).")
@click.option("--by", "by", default="operator", show_default=True, help="Who deploys (for the log).")
@command
def deploy_cmd(ctx: click.Context, files: tuple[Path, ...], reason: str, by: str) -> None:
    """Check FILES laid over what is published, then publish them with --reason."""
    actor = Actor(user_id=None, username=by, roles=OPERATOR.roles)
    deployed = process_editing.deploy_files(kernel_of(ctx), actor, _read(files), reason)
    new = [d for d in deployed if d.new]
    emit(
        ctx,
        new,
        lambda rows: "\n".join(f"deployed {d.process_key} v{d.version} ({d.bundle_hash[:12]})" for d in rows),
    )


@processes_cmd.command("diff")
@click.argument("process_key")
@click.argument("old", type=int)
@click.argument("new", type=int)
@command
def diff_cmd(ctx: click.Context, process_key: str, old: int, new: int) -> None:
    """What changed in PROCESS_KEY from version OLD to version NEW: elements, rules, fields."""
    emit(ctx, processes.diff(kernel_of(ctx), OPERATOR, process_key, old, new), _describe_diff)


def _describe_diff(files: list[FileDiff]) -> str:
    lines = []
    for item in files:
        lines.append(f"{item.file} ({item.kind})")
        lines += [f"  + {element}" for element in item.added]
        lines += [f"  - {element}" for element in item.removed]
        for element, changes in item.changed.items():
            lines.append(f"  ~ {element}")
            for change in changes:
                lines.append(f"      {change.name}: {_one_line(change.old)} -> {_one_line(change.new)}")
    return "\n".join(lines) or "no difference"


def _one_line(text: str | None) -> str:
    return "(none)" if text is None else " ⏎ ".join(line.strip() for line in text.splitlines())


@processes_cmd.command("whatif")
@_FILES
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only cases finished since this day (YYYY-MM-DD); running cases are always included.",
)
@command
def whatif_cmd(ctx: click.Context, files: tuple[Path, ...], since: dt.datetime | None) -> None:
    """Run the recorded inputs of existing cases on FILES laid over what is published; store nothing."""
    since_at = since.replace(tzinfo=CHINA_TZ) if since else None
    report = whatif.for_files(kernel_of(ctx), OPERATOR, _read(files), since_at)
    emit(
        ctx, {"affected": report.affected, "counts": report.counts(), "cases": report.cases}, _describe_whatif
    )


def _describe_whatif(report: dict[str, Any]) -> str:
    lines = [f"processes changed: {', '.join(report['affected']) or 'none'}"]
    lines += [
        f"  {case.instance_id:>6} {case.process_key:<28} {case.status:<10} {case.verdict:<22} {case.detail}"
        for case in report["cases"]
    ]
    lines.append("  ".join(f"{verdict} {count}" for verdict, count in report["counts"].items()))
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    cli.add_command(processes_cmd)
