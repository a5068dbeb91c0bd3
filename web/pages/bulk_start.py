"""What a "start for all" press tells the secretary: how many instances it started, and how many
subjects it left alone because their instance for this cycle already exists (a second press, the
scheduler, or a colleague got there first)."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext as _

from xianfeng.engine.services.starting import BulkStart


def flash_report(report: BulkStart, started: str) -> None:
    """`started` is the page's own sentence for what it started, shown when it started any."""
    if report.started:
        flash(started, "success")
    if report.skipped:
        flash(_("%(count)s 项本周期已发起，未重复发起", count=len(report.skipped)), "info")
    if not report.started and not report.skipped:
        flash(_("没有需要发起的对象"), "info")
