"""Where a request finds the kernel and the acting user."""

from __future__ import annotations

from flask import current_app, g

from xianfeng.engine.actor import Actor
from xianfeng.engine.kernel import Kernel

KERNEL_KEY = "xianfeng.kernel"


def kernel() -> Kernel:
    return current_app.extensions[KERNEL_KEY]


def actor() -> Actor | None:
    return g.get("actor")


def require_actor() -> Actor:
    """The signed-in actor; views behind `login_required` may rely on it."""
    who = g.get("actor")
    if who is None:
        from xianfeng.engine.errors import NotAuthenticated

        raise NotAuthenticated("sign in first")
    return who
