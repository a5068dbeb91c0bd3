"""`xianfeng org export|import` and `xianfeng users list|add|passwd|disable|enable`: the
administrators' room from the command line (how the first administrator's account is made).

The operator acts (recorded under `--by`, default "operator"); a refusal changes nothing and exits
with status 2 and the reason. A temporary password is printed once and must be changed at the
first sign-in; no command prints or takes a password anyone chose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .actor import Actor
from .cli_support import OPERATOR, command, kernel_of, refuse
from .models.org import ACCOUNT_ROLES
from .output import emit
from .services.admin import accounts_admin, roster, roster_export
from .services.admin.accounts_admin import AccountRow, AccountSpec, Issued

_BY = click.option("--by", "by", default="operator", show_default=True, help="Who does it (for the log).")
_REASON = "Why (recorded in the log; required)."


def _operator(name: str) -> Actor:
    return Actor(user_id=None, username=name, roles=OPERATOR.roles)


@click.group("org")
def org() -> None:
    """The member roster (党员花名册) as an Excel workbook."""


@org.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@command
def export_cmd(ctx: click.Context, path: Path) -> None:
    """Write every member to PATH (.xlsx), in the layout `org import` reads."""
    content = roster_export.export_xlsx(kernel_of(ctx), OPERATOR)
    path.write_bytes(content)
    emit(ctx, {"path": str(path), "bytes": len(content)}, lambda r: f"wrote {r['path']} ({r['bytes']} bytes)")


@org.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only say what would be created, changed or refused.")
@click.option("--reason", default="", help="A note for the log (optional: the file is its own reason).")
@_BY
@command
def import_cmd(ctx: click.Context, path: Path, dry_run: bool, reason: str, by: str) -> None:
    """Import the roster in PATH: members matched by 党员编号; all rows or none."""
    kernel = kernel_of(ctx)
    content = path.read_bytes()
    if dry_run:
        emit(ctx, _plan_json(roster.preview(kernel, OPERATOR, content, path.name)), _describe_plan)
        return
    try:
        plan = roster.import_roster(kernel, _operator(by), content, path.name, reason=reason)
    except roster.RosterRefused as refused:
        if not ctx.obj.get("json"):
            click.echo(_describe_plan(_plan_json(refused.plan)), err=True)
        refuse(refused, ctx.obj.get("json", False))
    emit(ctx, _plan_json(plan), lambda p: _describe_plan(p) + "\nimported")


def _plan_json(plan: roster.RosterPlan) -> dict[str, Any]:
    return {
        "file": plan.filename,
        "sha256": plan.sha256,
        "ok": plan.ok,
        "counts": plan.counts,
        "file_problems": plan.file_problems,
        "ignored_columns": plan.ignored,
        "rows": [{k: v for k, v in row.__dict__.items() if k != "values"} for row in plan.rows],
    }


_ACTION = {"create": "新增", "change": "修改", "same": "无变化", "refuse": "拒绝"}


def _describe_plan(plan: dict[str, Any]) -> str:
    lines = [f"{plan['file']} (sha256 {plan['sha256'][:16]}…)"]
    lines += [f"  文件问题：{p.zh}" for p in plan["file_problems"]]
    for row in plan["rows"]:
        if row["action"] == "same":
            continue
        lines.append(f"  第 {row['row']} 行 {row['code']} {row['name']}：{_ACTION[row['action']]}")
        lines += [f"      {c.label}：{c.old or '（空）'} → {c.new or '（空）'}" for c in row["changes"]]
        lines += [f"      ✗ {p.zh}" for p in row["problems"]]
        lines += [f"      · {n.zh}" for n in row["notes"]]
    counts = plan["counts"]
    lines.append(
        f"新增 {counts['create']}，修改 {counts['change']}，无变化 {counts['same']}，拒绝 {counts['refuse']}"
    )
    return "\n".join(lines)


@click.group("users")
def users() -> None:
    """Accounts: list, add (with a one-time password), reset a password, disable, enable."""


@users.command("list")
@click.option("--role", type=click.Choice(ACCOUNT_ROLES), default=None, help="Only accounts with this role.")
@command
def list_cmd(ctx: click.Context, role: str | None) -> None:
    """Every account: roles, branch, member, active or disabled."""
    rows = accounts_admin.list_accounts(kernel_of(ctx), OPERATOR, role=role)
    emit(ctx, rows, lambda rs: "\n".join(_describe_account(r) for r in rs) or "no accounts")


def _describe_account(r: AccountRow) -> str:
    where = f" {r.branch}" if r.branch else ""
    who = f" {r.member_name}（{r.member_code}）" if r.member_code else ""
    state = "active" if r.active else "DISABLED"
    change = ", must change password" if r.must_change_password else ""
    return f"{r.username:<14} {','.join(r.roles):<16} {state}{change}{where}{who}"


@users.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ACCOUNT_ROLES))
@click.option("--branch", default=None, help="The branch (id or code) of a member or branch account.")
@click.option("--member", default=None, help="The 党员编号 of the member the account stands for.")
@click.option("--name", "display_name", default="", help="Display name (default: the member's name).")
@click.option("--reason", default="", help="A note for the log (optional).")
@_BY
@command
def add_cmd(
    ctx: click.Context,
    username: str,
    roles: tuple[str, ...],
    branch: str | None,
    member: str | None,
    display_name: str,
    reason: str,
    by: str,
) -> None:
    """Create an account; prints its one-time password (to be changed at the first sign-in)."""
    spec = AccountSpec(username, display_name, list(roles), branch, member)
    issued = accounts_admin.create_account(kernel_of(ctx), _operator(by), spec, reason)
    emit(ctx, issued, lambda i: _describe_issued(i, "created"))


def _describe_issued(issued: Issued, what: str) -> str:
    return (
        f"{_describe_account(issued.account)}\n{what}; one-time password: {issued.temporary_password}\n"
        "(shown once; the holder must choose a new password at the first sign-in)"
    )


@users.command("passwd")
@click.argument("username")
@click.option("--reason", default="", help=_REASON)
@_BY
@command
def passwd_cmd(ctx: click.Context, username: str, reason: str, by: str) -> None:
    """Reset USERNAME's password to a new one-time password; every session and token ends."""
    issued = accounts_admin.reset_password(kernel_of(ctx), _operator(by), username, reason)
    emit(ctx, issued, lambda i: _describe_issued(i, "password reset"))


@users.command("disable")
@click.argument("username")
@click.option("--reason", default="", help=_REASON)
@click.option("--handover", "handover_to", default=None, help="Who takes over its open tasks.")
@_BY
@command
def disable_cmd(ctx: click.Context, username: str, reason: str, handover_to: str | None, by: str) -> None:
    """Disable USERNAME at once; its open tasks are handed over (to --handover, or the first who may)."""
    done = accounts_admin.disable_account(kernel_of(ctx), _operator(by), username, reason, handover_to)
    result = {"username": username, "active": False, "handed_over": done}
    emit(
        ctx,
        result,
        lambda r: "\n".join(
            [f"{username} disabled"]
            + [
                f"  handed over: {d['task']} (instance {d['instance_id']}) → {d['to']}"
                for d in r["handed_over"]
            ]
        ),
    )


@users.command("enable")
@click.argument("username")
@click.option("--reason", default="", help=_REASON)
@_BY
@command
def enable_cmd(ctx: click.Context, username: str, reason: str, by: str) -> None:
    """Enable a disabled account again."""
    accounts_admin.enable_account(kernel_of(ctx), _operator(by), username, reason)
    emit(ctx, {"username": username, "active": True}, lambda r: f"{username} enabled")


def register(group: click.Group) -> None:
    for each in (org, users):
        group.add_command(each)
