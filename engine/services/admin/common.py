"""What every administrators' service shares: who may act or read, the reason a change to people
and accounts needs, checked text, and the chained event that ends each change."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from ...actor import Actor
from ...clock import CHINA_TZ
from ...errors import NotAllowed, RuleViolation
from ...kernel import Kernel
from ...models.org import ROLE_ADMIN, ROLE_AUDITOR, ROLE_COMMITTEE, ROLE_OPERATOR
from .. import chain

MANAGERS = frozenset({ROLE_ADMIN, ROLE_OPERATOR})
READERS = frozenset({ROLE_ADMIN, ROLE_OPERATOR, ROLE_COMMITTEE, ROLE_AUDITOR})
REASON_MIN, REASON_MAX = 2, 500
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def refused(en: str, zh: str, **params: Any) -> RuleViolation:
    """A refusal in both languages: English for the log and the CLI, Chinese for the pages."""
    return RuleViolation(en, zh=zh, **params)


def may_manage(actor: Actor) -> bool:
    return bool(actor.roles & MANAGERS)


def check_may_manage(actor: Actor) -> None:
    if not may_manage(actor):
        raise NotAllowed(f"{actor.username} is not an administrator", zh="只有管理员可以修改组织、党员和账号")


def check_may_read(actor: Actor) -> None:
    if not actor.roles & READERS:
        raise NotAllowed(
            f"{actor.username} may not read the organisation and accounts",
            zh="只有管理员、镇党委和审计人员可以查看组织和账号",
        )


def reason_of(text: str | None, what_en: str, what_zh: str) -> str:
    """The administrator's reason, required for changes to people and accounts (it goes on the log)."""
    reason = (text or "").strip()
    if len(reason) < REASON_MIN:
        raise refused(
            f"{what_en} needs a reason (at least {REASON_MIN} characters): it is recorded in the log",
            f"{what_zh}须填写原因（至少 {REASON_MIN} 个字），原因将记入日志",
            field="reason",
        )
    if len(reason) > REASON_MAX:
        raise refused(
            f"the reason is {len(reason)} characters long; at most {REASON_MAX}",
            f"原因过长（{len(reason)} 个字），最多 {REASON_MAX} 个字",
            field="reason",
        )
    return reason


def text_of(value: str | None, field: str, label_zh: str, limit: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise refused(f"{field} is required", f"请填写{label_zh}", field=field)
    if len(text) > limit:
        raise refused(
            f"{field} is {len(text)} characters long; at most {limit}",
            f"{label_zh}过长（{len(text)} 个字符），最多 {limit} 个",
            field=field,
        )
    return text


def code_of(value: str | None, field: str, label_zh: str, limit: int) -> str:
    code = text_of(value, field, label_zh, limit)
    if not CODE.match(code):
        raise refused(
            f"{field} {code!r} may hold only letters, digits, '-', '_' and '.'",
            f"{label_zh}“{code}”只能由字母、数字和 - _ . 组成",
            field=field,
        )
    return code


def today(kernel: Kernel) -> dt.date:
    return kernel.clock.now().astimezone(CHINA_TZ).date()


def record(
    session: Session,
    kernel: Kernel,
    actor: Actor,
    kind: str,
    payload: dict[str, Any],
    *,
    always: bool = False,
    role: str = ROLE_ADMIN,
) -> int | None:
    """The chained event of an administrator's change, with the rows written since the last event;
    nothing is appended when nothing changed, unless `always` (an act worth recording by itself)."""
    return chain.record(session, kernel, actor, kind, payload, role, only_if_changed=not always)
