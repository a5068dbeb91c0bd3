"""The start page: signed-in users go to their inbox."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for

from ..auth import login_required


@login_required
def home() -> Any:
    if "inbox.todo" in _endpoints():
        return redirect(url_for("inbox.todo"))
    return render_template("base.html")


def _endpoints() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)
