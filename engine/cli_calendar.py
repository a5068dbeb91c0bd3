"""`xianfeng holidays`: the administrator's holiday table for years the packaged calendar lacks."""

from __future__ import annotations

import datetime as dt

import click

from .actor import Actor
from .cli_support import OPERATOR, command, kernel_of
from .output import emit
from .services import calendar_admin


def operator_as(name: str) -> Actor:
    """The command-line operator, recorded under the name given with `--by`."""
    return Actor(user_id=None, username=name, roles=OPERATOR.roles)


@click.group("holidays")
def holidays() -> None:
    """Public holidays and make-up workdays (调休) recorded by an administrator."""


@holidays.command("add")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--kind", type=click.Choice(["holiday", "workday"]), required=True)
@click.option("--name", default="", help="e.g. 春节, 国庆节")
@click.option("--by", "recorded_by", default="admin", help="Who records it.")
@command
def add(ctx: click.Context, day: dt.datetime, kind: str, name: str, recorded_by: str) -> None:
    kernel = kernel_of(ctx)
    row = calendar_admin.add_holiday(kernel, operator_as(recorded_by), day.date(), kind, name)
    result = {"day": row.day, "kind": row.kind, "name": row.name}
    emit(ctx, result, lambda r: f"{r['day']} recorded as {r['kind']} {r['name']}".rstrip())


@holidays.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@command
def remove(ctx: click.Context, day: dt.datetime) -> None:
    removed = calendar_admin.remove_holiday(kernel_of(ctx), OPERATOR, day.date())
    emit(
        ctx,
        {"day": day.date(), "removed": removed},
        lambda r: f"{r['day']} removed" if r["removed"] else f"{r['day']} was not recorded",
    )


@holidays.command("list")
@click.argument("year", type=int, required=False)
@command
def list_days(ctx: click.Context, year: int | None) -> None:
    kernel = kernel_of(ctx)
    with kernel.db.unit_of_work(write=False) as uow:
        rows = [
            {"day": r.day, "kind": r.kind, "name": r.name, "recorded_by": r.recorded_by}
            for r in calendar_admin.list_days(uow.session, year)
        ]
    emit(
        ctx,
        rows,
        lambda rs: (
            "\n".join(f"{r['day']}  {r['kind']:<8} {r['name']}  (by {r['recorded_by']})" for r in rs)
            or "no days recorded"
        ),
    )
