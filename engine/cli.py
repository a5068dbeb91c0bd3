"""`xianfeng`: the operator's command line. Every command takes `--json`.

Role and scope checks apply to `--as` exactly as they do on the web: the commands call the same
services. Exit status: 0 success, 1 verification found problems, 2 refused or failed (the message
says why).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from . import cli_admin, cli_audit, cli_interventions, cli_operations, cli_processes, cli_registers
from .cli_calendar import holidays
from .cli_progress import VerifyProgress
from .cli_support import OPERATOR, command, kernel_of, parse_data
from .clock import ManualClock, parse_instant
from .errors import NotFound
from .output import emit, to_jsonable
from .services import accounts, audit, demo, inbox, instances, notices, setup, starting, tasks, timers


@click.group()
def cli() -> None:
    """先锋 Xianfeng — Party member model posts and responsibility areas."""


@cli.command("init")
@command
def init_cmd(ctx: click.Context) -> None:
    """Create or upgrade the database and deploy the shipped diagrams."""
    report = setup.init(kernel_of(ctx, ready=False))
    emit(
        ctx,
        report,
        lambda r: "\n".join(
            [f"database ready: {r.database}"]
            + [f"  {d.process_key} v{d.version} {'(new)' if d.new else '(unchanged)'}" for d in r.deployed]
        ),
    )


@cli.command("demo")
@command
def demo_cmd(ctx: click.Context) -> None:
    """Load the demo organisation of 治安镇 (idempotent). Every demo password is demo12345."""
    report = demo.load_demo(kernel_of(ctx))
    emit(
        ctx,
        report,
        lambda r: (
            f"治安镇: {r.branches} branches, {r.villages} villages, {r.members} members; "
            f"accounts: {', '.join(r.accounts[:6])} … (password {demo.DEMO_PASSWORD})"
        ),
    )


@cli.command("start")
@click.argument("process_key")
@click.option("--as", "username", required=True, help="The account that starts the instance.")
@click.option("--data", default=None, help="The start form's data as a JSON object.")
@command
def start_cmd(ctx: click.Context, process_key: str, username: str, data: str | None) -> None:
    """Start an instance of PROCESS_KEY.

    A process started per subject (e.g. periodic_assessment, one per model post) started without
    --data is started for every current subject within the account's scope that has no instance
    in the current cycle yet.
    """
    kernel = kernel_of(ctx)
    actor = accounts.actor_for(kernel, username)
    if data is None and starting.is_per_subject(kernel, process_key):
        report = starting.start_for_all(kernel, actor, process_key)
        skipped = f"skipped (already started this cycle): {report.skipped}" if report.skipped else ""
        emit(
            ctx,
            report.started,
            lambda rows: (
                "\n".join([*(_describe_outcome(o) for o in rows), skipped]).strip() or "no current subjects"
            ),
        )
        return
    emit(ctx, starting.start(kernel, actor, process_key, parse_data(data)), _describe_outcome)


@cli.command("tasks")
@click.option("--as", "username", default=None, help="List the tasks this account may act on.")
@click.option("--all", "everything", is_flag=True, help="List every ready task with who may act on it.")
@command
def tasks_cmd(ctx: click.Context, username: str | None, everything: bool) -> None:
    """Ready tasks, with id, name, instance, due time and form schema."""
    kernel = kernel_of(ctx)
    if everything == (username is not None):
        raise click.UsageError("give exactly one of --as USER or --all")
    rows = (
        inbox.all_tasks(kernel)
        if everything
        else inbox.tasks_for(kernel, accounts.actor_for(kernel, username or ""), with_schema=True)
    )
    emit(ctx, rows, _describe_tasks)


@cli.command("complete")
@click.argument("task_id", required=False)
@click.option("--as", "username", default=None, help="The account completing the task.")
@click.option("--token", default=None, help="A public single-use link token instead of an account.")
@click.option("--data", default=None, help="The form's data as a JSON object.")
@click.option("--expected-version", type=int, default=None, help="Refuse if the instance moved on.")
@command
def complete_cmd(
    ctx: click.Context,
    task_id: str | None,
    username: str | None,
    token: str | None,
    data: str | None,
    expected_version: int | None,
) -> None:
    """Complete TASK_ID as an account, or a public task through --token."""
    kernel = kernel_of(ctx)
    if token:
        if task_id or username:
            raise click.UsageError("--token stands alone: give neither TASK_ID nor --as")
        outcome = tasks.complete_by_token(kernel, token, parse_data(data))
    else:
        if not task_id or not username:
            raise click.UsageError("give TASK_ID and --as USER (or --token TOKEN)")
        actor = accounts.actor_for(kernel, username)
        outcome = tasks.complete(kernel, actor, task_id, parse_data(data), expected_version)
    emit(ctx, outcome, _describe_outcome)


@cli.command("links")
@click.argument("instance_id", type=int)
@command
def links_cmd(ctx: click.Context, instance_id: int) -> None:
    """Open single-use links of the instance's public tasks."""
    rows = instances.links(kernel_of(ctx), OPERATOR, instance_id)
    emit(
        ctx,
        rows,
        lambda rs: (
            "\n".join(f"{r['token']}  {r['task']}  expires {r['expires_at']}" for r in rs) or "no open links"
        ),
    )


@cli.command("show")
@click.argument("instance_id", type=int)
@command
def show_cmd(ctx: click.Context, instance_id: int) -> None:
    """An instance's state: status, pinned version, ready tasks, timers, data."""
    emit(ctx, instances.show(kernel_of(ctx), OPERATOR, instance_id), _describe_instance)


@cli.command("history")
@click.argument("instance_id", type=int)
@command
def history_cmd(ctx: click.Context, instance_id: int) -> None:
    """The instance's events from the hash-chained log."""
    rows = instances.history(kernel_of(ctx), OPERATOR, instance_id)
    emit(
        ctx,
        rows,
        lambda rs: "\n".join(
            f"#{r['seq']:>5} v{r['instance_version']:<3} {r['business_time']:%Y-%m-%d %H:%M} {r['kind']:<8} "
            f"{r['element'] or '-':<28} {r['actor']:<12} {r['hash'][:12]}"
            for r in rs
        ),
    )


@cli.command("tick")
@click.option("--now", "now_text", default=None, help="Fire what is due at this ISO time (default: now).")
@command
def tick_cmd(ctx: click.Context, now_text: str | None) -> None:
    """Fire due timers and deliver waiting messages."""
    kernel = kernel_of(ctx)
    if now_text:
        kernel.clock = ManualClock(parse_instant(now_text))
    report = timers.tick(kernel)
    emit(
        ctx,
        report,
        lambda r: (
            f"at {r.now.isoformat()}: {len(r.fired)} timer step(s), "
            f"{sum(n for _i, n in r.delivered)} message(s) delivered, {len(r.failed)} failed"
            + "".join(f"\n  instance {i}: {m}" for i, m in r.failed)
        ),
    )


@cli.command("verify")
@click.option("--anchor", default=None, help="SEQ:HASH of a previously published chain head to check.")
@click.option(
    "--anchors",
    "anchors_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A file of published chain heads (the server's anchors.jsonl): check every one.",
)
@click.option("--no-replay", is_flag=True, help="Only check the hash chain.")
@click.option(
    "--since-head",
    is_flag=True,
    help="Replay only the cases with events after the last published head (of --anchors FILE, else "
    "the server's anchors file); the chain and the tables are still checked whole, and that head too.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Replay every case from its first event, trusting none of an earlier verify's checkpoints.",
)
@command
def verify_cmd(
    ctx: click.Context,
    anchor: str | None,
    anchors_file: str | None,
    no_replay: bool,
    since_head: bool,
    full: bool,
) -> None:
    """Check the hash chain and replay every instance; exit 1 on any mismatch."""
    kernel = kernel_of(ctx)
    parsed = _parse_anchor(anchor) if anchor else None
    published = audit.anchors.read(Path(anchors_file)) if anchors_file else None
    since = None
    if since_head:
        published = published or audit.anchors.read(kernel.settings.resolved_anchors_file)
        if not published.anchors:
            raise NotFound(
                "no published head to start from: the server's ticker publishes one daily "
                "(or give --anchors FILE)"
            )
        since = published.anchors[-1]
    as_json = ctx.obj.get("json")
    with kernel.db.unit_of_work(write=False) as uow:
        total = audit.count_events(uow.session)
    with VerifyProgress(total, replay=not no_replay, hidden=as_json or total < 500) as bar:
        report = audit.verify(
            kernel,
            progress=bar.update,
            anchor=parsed,
            replay=not no_replay,
            anchors=published.anchors if published else None,
            since=since,
            checkpointed=not full,
        )
    rate = bar.events_per_second()
    if published:
        report.problems.extend(published.unreadable)
    emit(
        ctx,
        {**to_jsonable(report), "events_per_second": round(rate, 1)},
        lambda _: f"{_describe_verify(report)}\n{report.events} events verified: {rate:,.0f} events/second",
    )
    if not report.ok:
        sys.exit(1)


@cli.command("notices")
@command
def notices_cmd(ctx: click.Context) -> None:
    """Active public notices (公示)."""
    rows = notices.active_notices(kernel_of(ctx))
    emit(
        ctx,
        rows,
        lambda rs: (
            "\n".join(f"[{r['id']}] {r['title']} — until {r['ends_at']}" for r in rs) or "no active notices"
        ),
    )


@cli.command("object")
@click.argument("notice_id", type=int)
@click.option("--text", required=True, help="The objection, as the public would type it.")
@click.option("--contact", default="", help="Optional contact of the objector.")
@command
def object_cmd(ctx: click.Context, notice_id: int, text: str, contact: str) -> None:
    """Raise an objection against a notice, as a member of the public."""
    receipt = notices.file_objection(kernel_of(ctx), notice_id, text, contact)
    emit(ctx, receipt, lambda r: f"objection recorded, receipt number {r['receipt_no']}")


cli.add_command(holidays)
for _registry_command in (cli_registers.posts, cli_registers.areas_cmd, cli_registers.ledger_cmd):
    cli.add_command(_registry_command)
cli_audit.register(cli)
cli_admin.register(cli)
cli_interventions.register(cli)
cli_processes.register(cli)
cli_operations.register(cli)


def _parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise click.BadParameter("--anchor takes SEQ:HASH, e.g. 120:3f…(64 hex digits)")
    return int(seq), digest


def _describe_outcome(o: Any) -> str:
    lines = [f"instance {o.instance_id} v{o.version} {o.status}" + (f" ({o.outcome})" if o.outcome else "")]
    lines += [
        f"  next: {t.id}  {t.name} [{t.role}]" + (f" due {t.due_at:%Y-%m-%d %H:%M}" if t.due_at else "")
        for t in o.next_tasks
    ]
    return "\n".join(lines)


def _describe_tasks(rows: list[Any]) -> str:
    if not rows:
        return "no tasks"
    lines = []
    for t in rows:
        due = f" due {t.due_at:%Y-%m-%d %H:%M}" + (" OVERDUE" if t.overdue else "") if t.due_at else ""
        who = f" [{', '.join(t.eligible_users)}]" if t.eligible_users else ""
        lines.append(
            f"{t.id}  #{t.instance_id} v{t.instance_version}  {t.name} ({t.role}){due}  "
            f"{t.instance_title}{who}"
        )
    return "\n".join(lines)


def _describe_instance(r: dict[str, Any]) -> str:
    lines = [
        f"#{r['id']} {r['title']}",
        f"  {r['process_key']} v{r['process_version']['version']} "
        f"({r['process_version']['bundle_hash'][:12]}…), {r['status']}"
        + (f" ({r['outcome']})" if r["outcome"] else "")
        + f", state version {r['version']}",
    ]
    lines += [f"  ready: {t['id']} {t['name']} [{t['role']}]" for t in r["ready_tasks"]]
    lines += [f"  timer: {t['element']} due {t['due_at']}" for t in r["timers"]]
    return "\n".join(lines)


def _describe_verify(r: Any) -> str:
    head = f"chain head: {r.head_seq}:{r.head_hash}"
    if r.since:
        head = f"{head}\nreplayed the {r.instances} case(s) with events after published head {r.since}; "
        head += f"{r.not_replayed} without are proven by the chain up to it"
    if r.checkpointed_events or r.checkpoints_refused:
        head += (
            f"\nreplayed {r.replayed_events} event(s); {r.checkpointed_events} before the checkpoints of "
            f"an earlier clean verify, which still match the chain, were not replayed again"
        )
        if r.checkpoints_refused:
            head += f" ({r.checkpoints_refused} checkpoint(s) not trusted: those cases replayed whole)"
    if r.ok:
        return f"OK: {r.events} events, {r.instances} instances replayed\n{head}"
    return "\n".join([f"FAILED: {len(r.problems)} problem(s)", *(f"  {p}" for p in r.problems), head])


def main() -> None:
    cli(obj={})
