"""Server-rendered pages (zh-CN first): sign-in, the workbench, registers, public pages."""

from __future__ import annotations

from flask import Flask

from . import (
    admin,
    admin_notifications,
    admin_processes,
    admin_processes_whatif,  # noqa: F401  (its routes join admin_processes' blueprint on import)
    area_pages,
    attachment_pages,
    auth_pages,
    case_pages,
    document_pages,
    history_pages,
    home,
    inbox_pages,
    instance_pages,
    intervention_pages,
    layout,
    ledger_pages,
    me_pages,
    notice_print_pages,
    notification_pages,
    people_pages,
    plate_pages,
    post_pages,
    public_pages,
    site_pages,
    start_pages,
    stats_pages,
    task_pages,
    vendor,
    verb_pages,
    verify_pages,
    village_pages,
)


def register_pages(app: Flask) -> None:
    layout.register(app)
    vendor.register_asset_helper(app)
    app.register_blueprint(auth_pages.blueprint)
    app.add_url_rule("/", "home", home.home)
    for module in (
        inbox_pages,
        task_pages,
        verb_pages,
        case_pages,
        instance_pages,
        intervention_pages,
        history_pages,
        start_pages,
        post_pages,
        plate_pages,
        area_pages,
        ledger_pages,
        notification_pages,
        public_pages,
        village_pages,
        attachment_pages,
        document_pages,
        stats_pages,
        me_pages,
        notice_print_pages,
        admin_notifications,
        admin_processes,
        verify_pages,
        people_pages,
        site_pages,
        vendor,
    ):
        app.register_blueprint(module.blueprint)
    admin.register(app)
