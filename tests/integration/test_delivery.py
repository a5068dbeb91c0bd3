"""Notifications delivered beyond the page through Apprise, from the ticker's dispatch: to a local
SMTP server and a local webhook started here, with bounded retries that wait longer each time, and
the failed ones listed for the administrator, who may send one again."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from delivery_support import Inbox, Webhook, smtp_server, webhook_server
from support import CreationWalk, actor

from xianfeng.engine.errors import NotAllowed
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Member, NotificationDelivery, User
from xianfeng.engine.services import chain, delivery, delivery_admin, notifications, stats_steps, verbs
from xianfeng.engine.services.delivery_config import DeliveryConfigError, Recipient, load, render
from xianfeng.engine.services.notification_text import compose


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def hook() -> Iterator[Webhook]:
    with webhook_server() as running:
        yield running


def configure(kernel: Kernel, **values: str) -> None:
    kernel.settings = dataclasses.replace(kernel.settings, notify=dict(values))


def mail_url(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?mode=insecure&from=noreply@xianfeng.example&to={{username}}@xianfeng.example"


def deliveries(kernel: Kernel) -> list[NotificationDelivery]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(sa.select(NotificationDelivery).order_by(NotificationDelivery.id)).scalars()
        )


def later(kernel: Kernel, seconds: float) -> None:
    kernel.clock.set(kernel.clock.now() + dt.timedelta(seconds=seconds))  # type: ignore[attr-defined]


def test_a_new_task_reaches_each_evaluator_by_mail_and_the_branch_by_webhook(
    backend: Kernel, smtp: tuple[Inbox, int], hook: Webhook
) -> None:
    inbox, port = smtp
    configure(
        backend,
        XIANFENG_NOTIFY_URLS_MEMBER=mail_url(port),
        XIANFENG_NOTIFY_URLS_COMMITTEE=f"json://127.0.0.1:{hook.port}/committee",
        XIANFENG_BASE_URL="https://xf.example/",
    )
    walk = CreationWalk(backend)
    walk.start()
    assert notifications.dispatch(backend) > 0
    to = {rcpt[0]: message for rcpt, message in inbox.messages}
    assert set(to) >= {"member2@xianfeng.example", "member3@xianfeng.example", "member4@xianfeng.example"}
    message = to["member2@xianfeng.example"]
    assert message["Subject"] == "【新待办】党员测评"
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"事项：{walk.show()['title']}" in text and "办理：https://xf.example/tasks/" in text
    assert hook.received == []  # no committee task yet: the committee's robot hears nothing
    assert {d.status for d in deliveries(backend)} == {"sent"}
    assert notifications.dispatch(backend) == 0  # each went out once


def test_a_failing_robot_is_tried_again_later_each_time_then_listed_for_the_administrator(
    backend: Kernel, hook: Webhook
) -> None:
    configure(
        backend,
        XIANFENG_NOTIFY_URLS=f"json://127.0.0.1:{hook.port}/robot",
        XIANFENG_NOTIFY_MAX_ATTEMPTS="3",
        XIANFENG_NOTIFY_RETRY_SECONDS="60",
    )
    CreationWalk(backend).start()
    hook.statuses = [500] * 10
    notifications.dispatch(backend)
    first = deliveries(backend)
    assert first and all(d.status == "pending" and d.attempts == 1 for d in first)
    assert "500" in first[0].last_error or "error" in first[0].last_error.lower()
    tried = len(hook.received)
    assert notifications.dispatch(backend) == 0 and len(hook.received) == tried  # not due yet
    later(backend, 60)
    notifications.dispatch(backend)  # the second try, a minute later
    assert {d.attempts for d in deliveries(backend)} == {2}
    later(backend, 119)
    assert notifications.dispatch(backend) == 0  # the third waits twice as long
    later(backend, 1)
    notifications.dispatch(backend)
    failed = deliveries(backend)
    assert {(d.status, d.attempts) for d in failed} == {("failed", 3)}
    overview = delivery_admin.overview(backend, actor(backend, "admin"))
    assert overview.counts["failed"] == len(failed) and overview.configured
    assert {f.username for f in overview.failed} >= {"member2"} and "****" not in overview.failed[0].channel
    with pytest.raises(NotAllowed):
        delivery_admin.overview(backend, actor(backend, "committee"))
    delivery_admin.send_again(backend, actor(backend, "admin"), failed[0].id)
    hook.statuses = []
    notifications.dispatch(backend)
    assert deliveries(backend)[0].status == "sent" and deliveries(backend)[0].last_error == ""


def test_an_address_apprise_cannot_use_fails_at_once(kernel: Kernel) -> None:
    configure(kernel, XIANFENG_NOTIFY_URLS_MEMBER="dingtalk://")
    CreationWalk(kernel).start()
    notifications.dispatch(kernel)
    assert {(d.status, d.attempts) for d in deliveries(kernel)} == {("failed", 1)}
    assert all("Apprise" in d.last_error for d in deliveries(kernel))


def test_a_phone_address_reaches_only_people_with_a_phone_number(kernel: Kernel, hook: Webhook) -> None:
    configure(kernel, XIANFENG_NOTIFY_URLS_MEMBER=f"json://127.0.0.1:{hook.port}/sms/{{phone}}")
    with kernel.db.unit_of_work() as uow:
        member_id = uow.session.execute(
            sa.select(User.member_id).where(User.username == "member2")
        ).scalar_one()
        uow.session.get(Member, member_id).phone = "13800138000"  # type: ignore[union-attr]
        chain.record(uow.session, kernel, None, "member_phone", {"member_id": member_id})
        uow.commit()
    CreationWalk(kernel).start()  # member2, member3 and member4 are asked to evaluate
    notifications.dispatch(kernel)
    assert [r["path"] for r in hook.received] == ["/sms/13800138000"]
    assert hook.received[0]["title"] == "【新待办】党员测评"


def test_a_round_with_nothing_to_deliver_only_reads(kernel: Kernel, hook: Webhook) -> None:
    configure(kernel, XIANFENG_NOTIFY_URLS=f"json://127.0.0.1:{hook.port}/all")
    CreationWalk(kernel).start()
    notifications.dispatch(kernel)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.split(maxsplit=1)[0].upper())

    sa.event.listen(kernel.db.engine, "before_cursor_execute", seen)
    try:
        assert notifications.dispatch(kernel) == 0
    finally:
        sa.event.remove(kernel.db.engine, "before_cursor_execute", seen)
    assert statements and set(statements) <= {"BEGIN", "SELECT"}, statements


def test_the_china_robots_are_understood_and_shown_without_their_secrets() -> None:
    for url in ("dingtalk://SECRET@TOKEN123/13800138000", "wecombot://KEY123", "feishu://TOKEN123"):
        masked = delivery._masked(url)
        assert (
            masked.split(":")[0] == url.split(":")[0] and "TOKEN123" not in masked and "KEY123" not in masked
        )


def test_a_url_is_filled_in_for_each_person() -> None:
    person = Recipient("member2", frozenset({"member"}), phone="+86 138")
    assert (
        render("json://relay/sms?to={phone}&u={username}", person)
        == "json://relay/sms?to=+86%20138&u=member2"
    )
    assert render("json://relay/sms?to={phone}", Recipient("auditor", frozenset())) is None


def test_delivery_settings_are_checked_with_the_variable_named(tmp_path: Path) -> None:
    settings = dataclasses.replace
    from xianfeng.engine.config import Settings

    with pytest.raises(DeliveryConfigError, match="XIANFENG_NOTIFY_MAX_ATTEMPTS must be a number"):
        load(settings(Settings(), notify={"XIANFENG_NOTIFY_MAX_ATTEMPTS": "many"}))
    file = tmp_path / "notify.toml"
    file.write_text('urls = ["json://a/b"]\n[roles]\nmayor = ["json://c/d"]\n', encoding="utf-8")
    with pytest.raises(DeliveryConfigError, match="no such role mayor"):
        load(Settings(notify={"XIANFENG_NOTIFY_FILE": str(file)}))
    file.write_text(
        'urls = ["json://a/b"]\n[roles]\ncommittee = ["json://c/d"]\n[users]\nmember2 = ["json://e/f"]\n'
    )
    config = load(
        Settings(notify={"XIANFENG_NOTIFY_FILE": str(file), "XIANFENG_NOTIFY_URLS_BRANCH": "json://g/h"})
    )
    assert config.templates_for(Recipient("member2", frozenset({"member", "branch"}))) == [
        "json://a/b",
        "json://g/h",
        "json://e/f",
    ]


def test_each_message_says_what_happened_in_the_cases_words() -> None:
    assert (
        compose("returned", "支部确定名单", "岗位职责不够具体", "党员示范岗创建：张三").title
        == "【被退回】支部确定名单"
    )
    overdue = compose("overdue", "逾期：镇党委审批", "", "党员示范岗创建：张三", "https://xf/tasks/1")
    assert overdue.title == "【已逾期】逾期：镇党委审批" and overdue.body.endswith("办理：https://xf/tasks/1")
    assert compose("urge", "党员测评", "", "x", language="en").title == "[Urged] 党员测评"


def notices_of(kernel: Kernel, username: str) -> list[dict[str, object]]:
    return notifications.list_for(kernel, actor(kernel, username))


def test_a_task_sent_back_reads_as_returned_with_the_reason(backend: Kernel) -> None:
    walk = CreationWalk(backend)
    walk.start()
    walk.evaluate()
    walk.pass_notice()
    walk.consent()
    task = walk.task_of("secretary1", "Task_determine_list")
    verbs.return_to(
        backend,
        actor(backend, "secretary1"),
        task.id,
        "Task_consent",
        "请补充公开承诺",
        task.instance_version,
    )
    stats_steps.catch_up(backend)
    (back,) = [n for n in notices_of(backend, "member1") if n["title"] == "本人确认意愿" and not n["read"]][
        :1
    ]
    assert (back["kind"], back["body"]) == ("returned", "请补充公开承诺")
    assert compose("returned", str(back["title"]), str(back["body"]), "x").title == "【被退回】本人确认意愿"
