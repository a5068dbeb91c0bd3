"""Every record people rely on is on the chain: a row edited, deleted or inserted behind the system's
back, in any chained table, is reported by `verify` with its table, key and column (SQLite and
PostgreSQL). The database is changed as someone holding the database file would change it: raw
statements with foreign keys switched off."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support import (
    START,
    CreationWalk,
    actor,
    at_rectification_report,
    empty_all_tables,
    load_everything,
    make_kernel,
)
from walks_support import divide, excellent_post, revoke

from xianfeng.engine.clock import CHINA_TZ
from xianfeng.engine.errors import NotAllowed
from xianfeng.engine.journal.rebuild import Finding
from xianfeng.engine.journal.tables import CHAINED, UNCHAINED, encode_key, key_column, table_of
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Base, HumanTask, User
from xianfeng.engine.services import (
    accounts,
    area_goals,
    areas,
    audit,
    calendar_admin,
    notices,
    tasks,
    timers,
    verbs,
    village_comments,
)
from xianfeng.engine.services.admin import accounts_admin, departures
from xianfeng.engine.services.admin.accounts_admin import AccountSpec
from xianfeng.engine.services.attachments import Upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _world(kernel: Kernel) -> None:
    """A town after a few months: a post assessed excellent then revoked, a nomination under notice
    with an objection, areas with goals, work records, comments and a photo, a review disclosed, a
    villager's comment, verbs, a holiday, a cycle."""
    post = excellent_post(kernel, "member1", ("member2", "member3", "member4"))
    revoke(kernel, post.post_id)
    nomination = CreationWalk(kernel, candidate="member5", evaluators=("member6", "member7", "member8"))
    nomination.start()
    nomination.evaluate()
    (notice,) = notices.active_notices(kernel)
    notices.file_objection(kernel, notice["id"], "请核实该同志的服务记录。")
    review = nomination.task_of("secretary1", "Task_review_objection")
    verbs.add_signers(kernel, actor(kernel, "secretary1"), review.id, ["member9"], "请一同核实")
    verbs.copy_to(kernel, actor(kernel, "secretary1"), nomination.instance_id, ["committee"], "请知悉")
    _, area_id = divide(kernel)
    files = areas.upload_for_work_record(
        kernel, actor(kernel, "member4"), area_id, {"attachments": [Upload("入户.png", PNG)]}
    )
    record = areas.record_work(
        kernel,
        actor(kernel, "member4"),
        {
            "kind": "political",
            "political_activity": "study",
            "happened_on": "2026-11-21",
            "what": "学习党章和党内法规",
            "attachments": [f.sha256 for f in files["attachments"]],
        },
        area_id,
    )
    areas.comment_work(kernel, actor(kernel, "secretary1"), record, "学习认真。")
    areas.comment_work(kernel, actor(kernel, "secretary1"), record, "请补充心得。")
    _review(kernel, area_id)
    goal = {"title": "走访全部低保户", "target_count": 2}
    area_goals.add_goal(kernel, actor(kernel, "secretary1"), area_id, goal)
    village_comments.file_comment(kernel, 2, {"kind": "complaint", "text": "希望责任党员多入户走访。"})
    at_rectification_report(kernel)
    calendar_admin.add_holiday(kernel, actor(kernel, "admin"), dt.date(2031, 2, 3), "holiday", "春节")
    accounts_admin.create_account(kernel, actor(kernel, "admin"), AccountSpec("auditor2", "", ["auditor"]))
    member30 = accounts.actor_for(kernel, "member30").member_id
    assert member30 is not None
    departures.carry_out(kernel, actor(kernel, "admin"), member30, departures.Departure("moved"), "转出本镇")
    kernel.clock.set(dt.datetime(2027, 1, 1, 9, 0, 1, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    timers.tick(kernel)  # the assessment cycle of 1 January: a schedule run and its instances


def _review(kernel: Kernel, area_id: int) -> None:
    """The area's quarterly review: one member graded weak (a criticism), the lead excellent."""
    review = CreationWalk(kernel)
    review.instance_id = tasks.start(
        kernel, actor(kernel, "secretary1"), "responsibility_area_review", {"area_id": area_id}
    ).instance_id
    review.complete(
        "secretary1", {"consulted_count": 12, "opinions": "群众认可牵头党员的工作。"}, "Task_area_opinions"
    )
    for token in review.public_tokens()[:10]:
        tasks.complete_by_token(kernel, token, {"overall": "satisfied"})
    review.pass_notice()  # the survey closes
    review.complete("secretary1", {"grade": "weak", "comment": "入户走访偏少。"}, "Task_grade_member")
    review.complete(
        "secretary1",
        {"grade": "excellent", "reward_spiritual": "通报表扬", "reward_material": "", "reward_amount": 0},
        "Task_grade_member",
    )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    """One world per database for the whole module (it takes a while to walk); each test puts back
    what it changed and checks that verify is clean again."""
    folder = tmp_path_factory.mktemp("world")
    if request.param == "sqlite":
        shutil.copy(sqlite_template, folder / "world.sqlite3")
        kernel = make_kernel(f"sqlite:///{folder / 'world.sqlite3'}", str(folder), START)
    else:
        kernel = make_kernel(request.getfixturevalue("postgres_url"), str(folder), START)
        load_everything(kernel)
    _world(kernel)
    report = audit.verify(kernel)
    assert report.ok, report.problems
    yield kernel
    if request.param == "postgres":
        empty_all_tables(kernel)
    kernel.db.dispose()


@contextmanager
def behind_the_back(kernel: Kernel) -> Iterator[sa.Connection]:
    """A connection that writes anything, foreign keys or not, with no event to say so."""
    with kernel.db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        if kernel.db.is_sqlite:  # outside any transaction, where SQLite takes the pragma
            raw.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if not kernel.db.is_sqlite:
                    connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
                yield connection
        finally:
            if kernel.db.is_sqlite:
                raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _raw(statement: Any) -> Any:
    return statement.execution_options(xianfeng_chained=True)  # the journal's guard let through


def _findings(kernel: Kernel) -> list[Finding]:
    return audit.verify(kernel, replay=False).findings


def _first_row(kernel: Kernel, name: str) -> dict[str, Any]:
    table = table_of(name)
    with kernel.db.engine.connect() as connection:
        row = connection.execute(sa.select(table).order_by(key_column(table)).limit(1)).mappings().first()
    assert row is not None, f"the world left {name} empty: give it a row"
    return dict(row)


def _logged_key(name: str, value: Any) -> Any:
    return encode_key(CHAINED[name], table_of(name), value)


def _editable_column(name: str, row: dict[str, Any]) -> sa.Column[Any]:
    """A column whose value can be changed in place: text first, then numbers, times, flags."""
    table, spec = table_of(name), CHAINED[name]
    usable = [c for c in table.columns if not c.primary_key and c.name not in spec.omit]
    order = (sa.String, sa.Text, sa.Integer, sa.DateTime, sa.Boolean, sa.Date, sa.Numeric, sa.JSON)
    for kind in order:
        for column in usable:
            if (
                isinstance(column.type, kind)
                and not column.foreign_keys
                and _changed(column, row) is not None
            ):
                return column
    return next(c for c in usable if _changed(c, row) is not None)


_CHANGES: tuple[tuple[type, Any], ...] = (
    (sa.Boolean, lambda v: not v),
    (sa.DateTime, lambda v: (v or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) + dt.timedelta(days=1)),
    (sa.Date, lambda v: (v or dt.date(2026, 1, 1)) + dt.timedelta(days=1)),
    (sa.Numeric, lambda v: (v or 0) + 1),
    (sa.Integer, lambda v: (v or 0) + 100_000),
    (sa.JSON, lambda v: {"forged": v}),
    (sa.LargeBinary, lambda v: bytes(v or b"") + b"forged"),
)


def _changed(column: sa.Column[Any], row: dict[str, Any]) -> Any:
    """A different value for `column` than the row's, that the column can hold; None if none."""
    value = row[column.name]
    kind_of = column.type.impl if isinstance(column.type, sa.types.TypeDecorator) else column.type
    for kind, change in _CHANGES:
        if isinstance(kind_of, kind):
            return change(value)
    text = str(value or "")
    limit = getattr(column.type, "length", None)
    if limit is not None and len(text) + 1 > limit:
        return text[:-1] + ("X" if text[-1:] != "X" else "Y") if text else None
    return text + "X"


def _unique_columns(name: str) -> set[str]:
    table = table_of(name)
    names = {c.name for c in table.columns if c.unique or c.primary_key}
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            names.update(c.name for c in constraint.columns)
    for index in table.indexes:
        if index.unique:
            names.update(c.name for c in index.columns)
    return names


CHAINED_NAMES = sorted(CHAINED)


def test_the_world_puts_a_row_in_every_chained_table(world: Kernel) -> None:
    empty = []
    with world.db.engine.connect() as connection:
        for name in CHAINED_NAMES:
            if connection.execute(sa.select(table_of(name)).limit(1)).first() is None:
                empty.append(name)
    assert empty == []


@pytest.mark.parametrize("name", CHAINED_NAMES)
def test_an_edited_deleted_or_inserted_row_is_reported_with_its_table_and_key(
    world: Kernel, name: str
) -> None:
    table = table_of(name)
    row = _first_row(world, name)
    key = key_column(table)
    logged = _logged_key(name, row[key.name])

    column = _editable_column(name, row)
    with behind_the_back(world) as db:
        db.execute(
            _raw(sa.update(table).where(key == row[key.name]).values({column.name: _changed(column, row)}))
        )
    found = _findings(world)
    assert [(f.table, f.key, f.column) for f in found] == [(name, logged, column.name)], found
    assert "made it" in found[0].message and found[0].seq is not None
    with behind_the_back(world) as db:
        db.execute(_raw(sa.update(table).where(key == row[key.name]).values({column.name: row[column.name]})))
    assert _findings(world) == []

    with behind_the_back(world) as db:
        db.execute(_raw(sa.delete(table).where(key == row[key.name])))
    found = _findings(world)
    assert [(f.table, f.key, f.column) for f in found] == [(name, logged, None)], found
    assert "missing" in found[0].message
    with behind_the_back(world) as db:
        db.execute(_raw(sa.insert(table).values(row)))
    assert _findings(world) == []

    forged = dict(row)
    for unique in _unique_columns(name):
        forged[unique] = _changed(table.c[unique], row)
    with behind_the_back(world) as db:
        db.execute(_raw(sa.insert(table).values(forged)))
    found = _findings(world)
    assert [(f.table, f.key, f.column) for f in found] == [(name, _logged_key(name, forged[key.name]), None)]
    assert "no event made this row" in found[0].message
    with behind_the_back(world) as db:
        db.execute(_raw(sa.delete(table).where(key == forged[key.name])))
    assert _findings(world) == []


def test_an_inbox_row_given_to_someone_of_another_branch_is_reported_and_cannot_be_used(
    world: Kernel,
) -> None:
    """The permission rests on the inbox row; the row is checked against the log."""
    with world.db.unit_of_work(write=False) as uow:
        task = uow.session.execute(
            sa.select(HumanTask).where(HumanTask.spec_id == "Task_review_objection")
        ).scalar_one()
        outsider = uow.session.execute(sa.select(User).where(User.username == "secretary2")).scalar_one()
    with behind_the_back(world) as db:
        db.execute(
            _raw(sa.update(HumanTask).where(HumanTask.id == task.id).values(assignee_user_id=outsider.id))
        )
    found = _findings(world)
    assert [(f.table, f.key, f.column) for f in found] == [("human_task", task.id, "assignee_user_id")]
    before = _event_count(world)
    with pytest.raises(NotAllowed, match="belongs to another branch"):
        tasks.complete(
            world,
            actor(world, "secretary2"),
            task.id,
            {"upheld": False, "finding": "不属实。", "answer": "异议不成立。"},
        )
    assert _event_count(world) == before


def _event_count(kernel: Kernel) -> int:
    with kernel.db.unit_of_work(write=False) as uow:
        return audit.count_events(uow.session)


def test_no_password_hash_or_link_token_is_in_the_log(world: Kernel) -> None:
    """The log says that an account exists and a link was issued, never the secret itself."""
    with world.db.engine.connect() as connection:
        secrets = [row[0] for row in connection.execute(sa.text("select password_hash from app_user"))]
        secrets += [row[0] for row in connection.execute(sa.text("select token from public_link"))]
        secrets += [row[0] for row in connection.execute(sa.text("select token from survey_link"))]
        log = "\n".join(
            "|".join(str(value) for value in row)
            for row in connection.execute(sa.text("select payload, effects, changes from event"))
        )
    assert len(secrets) > 50
    assert [secret for secret in secrets if secret and secret in log] == []


def test_every_table_is_either_chained_or_says_why_it_is_not() -> None:
    tables = set(Base.metadata.tables)
    assert tables - set(CHAINED) - set(UNCHAINED) == set()  # a new table must choose
    assert set(CHAINED) - tables == set() and set(CHAINED) & set(UNCHAINED) == set()
