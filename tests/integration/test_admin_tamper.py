"""The columns the administrators' room added are on the chain (SQLite and PostgreSQL): an account
told to change its password and a member's status date, edited behind the system's back, are
reported by verify with their table, key and column."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from admin_support import account, admin, member_by_code
from support import table_contents

from xianfeng.engine.journal.capture import CHAINED_OPTION
from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Member, User
from xianfeng.engine.services import audit
from xianfeng.engine.services.admin import accounts_admin, departures
from xianfeng.engine.services.admin.accounts_admin import AccountSpec


def _behind_the_back(kernel: Kernel, statement: sa.Update) -> None:
    with kernel.db.engine.begin() as connection:
        connection.execute(statement.execution_options(**{CHAINED_OPTION: True}))


@pytest.mark.parametrize(
    ("table", "column", "change"),
    [
        ("app_user", "must_change_password", lambda k: sa.update(User).where(User.username == "auditor2")),
        ("member", "status_since", lambda k: sa.update(Member).where(Member.code == "ZA-M05")),
    ],
)
def test_an_admin_column_changed_behind_the_back_is_reported(
    backend: Kernel, table: str, column: str, change: object
) -> None:
    accounts_admin.create_account(backend, admin(backend), AccountSpec("auditor2", "", ["auditor"]))
    member5 = member_by_code(backend, "ZA-M05").id
    departures.carry_out(
        backend, admin(backend), member5, departures.Departure("moved", dt.date(2026, 11, 1)), "转出本镇"
    )
    assert audit.verify(backend, replay=False).ok
    values = {"must_change_password": False, "status_since": dt.date(2020, 1, 1)}
    before = table_contents(backend)
    _behind_the_back(backend, change(backend).values({column: values[column]}))  # type: ignore[operator]
    assert table_contents(backend) != before
    found = audit.verify(backend, replay=False).findings
    key = account(backend, "auditor2").id if table == "app_user" else member5
    assert [(f.table, f.key, f.column) for f in found] == [(table, key, column)]
