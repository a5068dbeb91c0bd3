"""`xianfeng cancel|suspend|resume|reassign|complete-for|retry|migrate`: an administrator's
interventions in running cases, each with a reason on the chain (exit 2, nothing stored, without)."""

from __future__ import annotations

from typing import Any

import click

from .actor import Actor
from .cli_support import OPERATOR, command, kernel_of, parse_data
from .output import emit
from .services.accounts import actor_for
from .services.admin import interventions, migration

_AS = click.option(
    "--as", "username", default=None, help="The administrator's account (default: the operator)."
)
_REASON = click.option("--reason", required=True, help="Why: recorded in the case's history.")


def _actor(ctx: click.Context, username: str | None) -> Actor:
    return actor_for(kernel_of(ctx), username) if username else OPERATOR


def _said(result: Any) -> str:
    return f"case {result.instance_id}: {result.kind} recorded as event {result.event_seq}"


@click.command("cancel")
@click.argument("instance_id", type=int)
@_REASON
@_AS
@command
def cancel_cmd(ctx: click.Context, instance_id: int, reason: str, username: str | None) -> None:
    """End a running case now: its open tasks end, its links close, its notice comes down."""
    emit(ctx, interventions.cancel(kernel_of(ctx), _actor(ctx, username), instance_id, reason), _said)


@click.command("suspend")
@click.argument("instance_id", type=int)
@_REASON
@_AS
@command
def suspend_cmd(ctx: click.Context, instance_id: int, reason: str, username: str | None) -> None:
    """Hold a case: nothing is done on it and its timers wait until it is resumed."""
    emit(ctx, interventions.suspend(kernel_of(ctx), _actor(ctx, username), instance_id, reason), _said)


@click.command("resume")
@click.argument("instance_id", type=int)
@_REASON
@_AS
@command
def resume_cmd(ctx: click.Context, instance_id: int, reason: str, username: str | None) -> None:
    """Let a suspended case move again."""
    emit(ctx, interventions.resume(kernel_of(ctx), _actor(ctx, username), instance_id, reason), _said)


@click.command("reassign")
@click.argument("task_id")
@click.option("--to", "to_username", required=True, help="The account that takes the task.")
@_REASON
@_AS
@command
def reassign_cmd(
    ctx: click.Context, task_id: str, to_username: str, reason: str, username: str | None
) -> None:
    """Give a task to one person who holds its role in the case's branch."""
    done = interventions.reassign(kernel_of(ctx), _actor(ctx, username), task_id, to_username, reason)
    emit(ctx, done, _said)


@click.command("complete-for")
@click.argument("task_id")
@click.option("--data", required=True, help="The form's data as a JSON object.")
@_REASON
@_AS
@command
def complete_for_cmd(ctx: click.Context, task_id: str, data: str, reason: str, username: str | None) -> None:
    """Complete a task on someone's behalf, with data its form accepts."""
    outcome = interventions.complete_on_behalf(
        kernel_of(ctx), _actor(ctx, username), task_id, parse_data(data), reason
    )
    emit(
        ctx,
        outcome,
        lambda o: f"case {o.instance_id}: completed on behalf, event {o.event_seq}, now {o.status}",
    )


@click.command("retry")
@click.argument("instance_id", type=int, required=False)
@click.option("--reason", default=None, help="Why: recorded in the case's history (needed to retry).")
@_AS
@command
def retry_cmd(ctx: click.Context, instance_id: int | None, reason: str | None, username: str | None) -> None:
    """Without a case: list cases whose due step keeps failing. With one: run its step again."""
    who = _actor(ctx, username)
    if instance_id is None:
        rows = interventions.stuck(kernel_of(ctx), who)
        emit(
            ctx,
            rows,
            lambda rs: (
                "\n".join(f"case {r.instance_id}: due {r.due_at:%Y-%m-%d %H:%M}  {r.title}" for r in rs)
                or "no case is stuck"
            ),
        )
        return
    emit(ctx, interventions.retry(kernel_of(ctx), who, instance_id, reason or ""), _said)


@click.command("migrate")
@click.argument("instance_id", type=int, required=False)
@click.option("--to-version", "to_version", type=int, required=True, help="The newer version to move to.")
@click.option("--process", "process_key", default=None, help="With --at: every case of this process …")
@click.option("--at", "element", default=None, help="… waiting at this step (a user task's id).")
@_REASON
@_AS
@command
def migrate_cmd(
    ctx: click.Context,
    instance_id: int | None,
    to_version: int,
    process_key: str | None,
    element: str | None,
    reason: str,
    username: str | None,
) -> None:
    """Move a running case (or every case waiting at one step) to a newer version of its process."""
    who = _actor(ctx, username)
    if instance_id is not None:
        emit(ctx, migration.migrate(kernel_of(ctx), who, instance_id, to_version, reason), _said)
        return
    if not (process_key and element):
        raise click.UsageError("give a case number, or --process KEY --at ELEMENT")
    report = migration.migrate_waiting_at(kernel_of(ctx), who, process_key, element, to_version, reason)
    emit(
        ctx,
        report,
        lambda r: "\n".join(
            [f"moved: {', '.join(map(str, r.moved)) or 'none'}"]
            + [f"refused {i}: {why}" for i, why in r.refused.items()]
        ),
    )


COMMANDS = (
    cancel_cmd,
    suspend_cmd,
    resume_cmd,
    reassign_cmd,
    complete_for_cmd,
    retry_cmd,
    migrate_cmd,
)


def register(group: click.Group) -> None:
    for each in COMMANDS:
        group.add_command(each)
