"""`xianfeng posts`, `areas`, `ledger YEAR`: the registers and the commendation ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .cli_support import OPERATOR, command, kernel_of
from .output import emit
from .services import areas, ledger, registers


@click.command("posts")
@click.option("--branch", "branch_id", type=int, default=None, help="Only this branch.")
@click.option("--status", type=click.Choice(["active", "revoked"]), default=None)
@command
def posts(ctx: click.Context, branch_id: int | None, status: str | None) -> None:
    """The model-post register: plate, member, branch, status, dates."""
    rows = registers.posts(kernel_of(ctx), OPERATOR, branch_id=branch_id, status=status)
    emit(
        ctx,
        rows,
        lambda rs: (
            "\n".join(
                f"{r['plate_no']}  {r['member']:<6} {r['branch']:<10} {r['title']}  {r['status']}"
                f"  设立 {r['established_on']:%Y-%m-%d}"
                + (f"  撤销 {r['revoked_at']:%Y-%m-%d}" if r["revoked_at"] else "")
                for r in rs
            )
            or "no posts"
        ),
    )


@click.command("areas")
@click.option("--status", type=click.Choice(["active", "retired", "draft", "discarded"]), default="active")
@command
def areas_cmd(ctx: click.Context, status: str) -> None:
    """Responsibility areas: village, members, lead."""
    rows = areas.list_areas(kernel_of(ctx), OPERATOR, status)
    emit(
        ctx,
        rows,
        lambda rs: (
            "\n".join(
                f"[{r['id']}] {r['branch']} · {r['village']} · {r['name']}: "
                + "、".join(m["name"] + ("（牵头）" if m["lead"] else "") for m in r["members"])
                for r in rs
            )
            or "no areas"
        ),
    )


@click.command("ledger")
@click.argument("year", type=int)
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the ledger as an Excel file.",
)
@command
def ledger_cmd(ctx: click.Context, year: int, xlsx_path: Path | None) -> None:
    """Who is eligible for the year's commendation (评先选优) and who is blocked, with reasons."""
    kernel = kernel_of(ctx)
    rows = ledger.ledger(kernel, OPERATOR, year)
    if xlsx_path is not None:
        xlsx_path.write_bytes(ledger.export_xlsx(kernel, OPERATOR, year))
    emit(ctx, rows, _describe_ledger)


def _describe_ledger(rows: list[Any]) -> str:
    lines = []
    for entry in rows:
        state = "符合" if entry.eligible else "不符合"
        lines.append(
            f"{entry.member}（{entry.branch}）: {state}" + ("，已列入表彰对象" if entry.listed else "")
        )
        lines += [f"    + {m['reason']}  [实例 {m['instance_id']}]" for m in entry.merits]
        lines += [f"    - {b['reason']}  [实例 {b['instance_id']}]" for b in entry.blocks]
    return "\n".join(lines) or "no marks that year"
