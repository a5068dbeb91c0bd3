"""`xianfeng dossier KIND KEY --out FILE` and `xianfeng approval-form INSTANCE --out FILE.pdf`:
printed evidence for auditors, sealed with the chain head it was made at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .actor import Actor
from .cli_support import OPERATOR, command, kernel_of, refuse
from .errors import RuleViolation
from .kernel import Kernel
from .output import emit
from .services import accounts
from .services.audit import printing
from .services.audit.dossier import KINDS

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)
_AS_HELP = "Print as this account (its role and branch decide what it may print); default: the operator."


def _actor(kernel: Kernel, username: str | None) -> Actor:
    return accounts.actor_for(kernel, username) if username else OPERATOR


def _format_of(ctx: click.Context, out: Path, allowed: tuple[str, ...]) -> str:
    """The format named by the file's extension; anything else is refused (exit 2) before work."""
    fmt = out.suffix.lower().removeprefix(".")
    if fmt not in allowed:
        names = [f".{f}" for f in allowed]
        choice = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]
        refuse(
            RuleViolation(
                f"cannot tell the format from --out {out.name!r}: name a {choice} file", out=str(out)
            ),
            ctx.obj.get("json", False),
        )
    return fmt


def _written(ctx: click.Context, out: Path, printed: printing.PrintedFile) -> None:
    out.write_bytes(printed.content)
    result: dict[str, Any] = {
        "path": str(out),
        "bytes": len(printed.content),
        "head_seq": printed.head_seq,
        "head_hash": printed.head_hash,
        "verified": printed.verified,
    }
    emit(
        ctx,
        result,
        lambda r: (
            f"wrote {r['path']} ({r['bytes']} bytes)\nchain head: {r['head_seq']}:{r['head_hash']}"
            + (
                ""
                if r["verified"]
                else "\nWARNING: the chain or these cases did not verify; see the document"
            )
        ),
    )


@click.command("dossier")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("key")
@click.option(
    "--out", required=True, type=_OUT, help="FILE.pdf, FILE.xlsx or FILE.json: the extension is the format."
)
@click.option("--as", "username", default=None, help=_AS_HELP)
@command
def dossier_cmd(ctx: click.Context, kind: str, key: str, out: Path, username: str | None) -> None:
    """An evidence dossier of a member (id or 党员编号), a post (id or plate number), an area (id),
    a branch (id or code) or a year: every case with its trail, survey tallies, the registers'
    rows, and the chain head and verify result at the time it was made."""
    fmt = _format_of(ctx, out, printing.DOSSIER_FORMATS)
    kernel = kernel_of(ctx)
    _written(ctx, out, printing.dossier_file(kernel, _actor(kernel, username), kind, key, fmt))


@click.command("approval-form")
@click.argument("instance_id", type=int)
@click.option("--out", required=True, type=_OUT, help="FILE.pdf")
@click.option("--as", "username", default=None, help=_AS_HELP)
@click.option(
    "--base-url",
    envvar="XIANFENG_BASE_URL",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="The server's address that the QR code leads to (or XIANFENG_BASE_URL).",
)
@command
def approval_form_cmd(
    ctx: click.Context, instance_id: int, out: Path, username: str | None, base_url: str
) -> None:
    """A case's 审批表 for the paper archive: its approval trail (who, role, when, opinion), the
    chain head, and a QR code leading to the case."""
    _format_of(ctx, out, ("pdf",))
    kernel = kernel_of(ctx)
    url = printing.case_url(base_url, instance_id)
    _written(ctx, out, printing.approval_form_file(kernel, _actor(kernel, username), instance_id, url))


def register(group: click.Group) -> None:
    for each in (dossier_cmd, approval_form_cmd):
        group.add_command(each)
