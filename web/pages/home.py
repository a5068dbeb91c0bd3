"""The start page: a signed-in user's 待办 list, shown at `/` itself.

It renders the inbox view rather than redirecting to `/inbox`, so `/` is a page of its own (with
the header's forms) for bookmarks and for tests that read a form token from it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, render_template, url_for

from ..auth import login_required

ACTING = ("member", "branch", "committee")


@login_required
def home() -> Any:
    who = g.actor
    if who.has("admin") and not any(who.has(role) for role in ACTING):
        return redirect(url_for("admin.index"))  # an administrator has no inbox: their room instead
    todo = current_app.view_functions.get("inbox.todo")
    return todo() if todo is not None else render_template("base.html")
