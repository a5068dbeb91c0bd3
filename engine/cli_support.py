"""What every `xianfeng` command shares: the kernel, `--json`, and error handling."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from .actor import Actor
from .errors import XianfengError
from .kernel import Kernel, create_kernel
from .models.org import ROLE_AUDITOR, ROLE_OPERATOR
from .output import to_jsonable
from .services import setup

OPERATOR = Actor(user_id=None, username="operator", roles=frozenset({ROLE_AUDITOR, ROLE_OPERATOR}))


def kernel_of(ctx: click.Context, *, ready: bool = True) -> Kernel:
    """The kernel of this invocation; with `ready`, refuse a database that `xianfeng init` has not
    brought to this code's schema (every command but `init` itself needs it)."""
    obj = ctx.ensure_object(dict)
    if "kernel" not in obj:
        obj["kernel"] = create_kernel()
    kernel: Kernel = obj["kernel"]
    if ready and not obj.get("ready"):
        setup.check_ready(kernel)
        obj["ready"] = True
    return kernel


def refuse(exc: XianfengError, as_json: bool = False) -> NoReturn:
    """Say which rule refused the command and why, then exit with status 2."""
    if as_json:
        click.echo(json.dumps(to_jsonable(exc.to_dict()), ensure_ascii=False))
    else:
        click.echo(f"error ({exc.code}): {exc.message}", err=True)
    sys.exit(2)


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add `--json` and turn typed errors into a precise message and exit status 2."""

    @click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
    @click.pass_context
    @functools.wraps(fn)
    def wrapper(ctx: click.Context, as_json: bool, **kwargs: Any) -> None:
        ctx.ensure_object(dict)["json"] = as_json
        try:
            fn(ctx, **kwargs)
        except XianfengError as exc:
            refuse(exc, as_json)

    return wrapper


def parse_data(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(value, dict):
        raise click.BadParameter("the data must be a JSON object")
    return value
