"""Why an intervention was refused, and what blocks a migration, in the page's language.

The engine says it in English with parameters (`engine/errors.py`); an administrator reads the
precise reason in Chinese here, or the engine's own words where no sentence below fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

from xianfeng.engine.errors import XianfengError
from xianfeng.engine.services.admin.intervention_view import Blocking, MigrationPreview
from xianfeng.engine.services.admin.interventions import MIN_REASON

from ..error_text import detail
from ..errors import title_of
from . import labels

_BLOCKED = re.compile(r"^(done|running|waiting for someone) here, and the new version (removes|changes) it$")


def _blocked_step(state: str, change: str) -> str:
    return {
        ("done", "changes"): _("本案件已办理此步骤，新版本修改了它"),
        ("done", "removes"): _("本案件已办理此步骤，新版本删除了它"),
        ("running", "changes"): _("本案件正在执行此步骤，新版本修改了它"),
        ("running", "removes"): _("本案件正在执行此步骤，新版本删除了它"),
        ("waiting for someone", "changes"): _("本案件正在此步骤等待办理，新版本修改了它"),
        ("waiting for someone", "removes"): _("本案件正在此步骤等待办理，新版本删除了它"),
    }[(state, change)]


def blocker_reason(reason: str) -> str:
    """One reason `process.migration.blockers` gives, in words."""
    found = _BLOCKED.match(reason)
    if found:
        return _blocked_step(found.group(1), found.group(2))
    if reason == "a multi-instance activity is in flight":
        return _("多人分别办理的这一步骤正在进行，全部办完之前不能迁移")
    if reason == "the called process it is inside is not in the new version":
        return _("它所在的子流程在新版本中不存在")
    return reason


_NO_REPLAY = re.compile(r"^case \d+'s history does not replay on version \d+: (.*)$", re.S)


def check_reason(preview: MigrationPreview, reason: str) -> str:
    """A refusal of `migration.check` that names no step, in words."""
    if preview.to_version <= preview.from_version:
        return _("只能迁移到比案件当前版本更新的版本")
    found = _NO_REPLAY.match(reason)
    if found:
        return labels.pair(
            _("本案件的办理记录在第 %(version)s 版上回放的结果不同", version=preview.to_version),
            found.group(1),
        )
    return reason


def step_name(blocking: Blocking) -> str:
    """The step as the diagram names it, with its element id (what the editor shows)."""
    name = blocking.name_en if labels.lang() == "en" and blocking.name_en else blocking.name
    return name if name == blocking.element else f"{name}{labels.paren(blocking.element)}"


def _rule(error: XianfengError) -> str | None:
    params = error.params
    if error.code == "migration_refused":
        return _("迁移被拒绝，未作任何更改")
    if params.get("field") == "reason":
        return _("请填写理由（至少 %(count)s 个字）：理由记入案件的办理记录", count=MIN_REASON)
    if "status" in params:
        return _("案件当前为「%(status)s」，不能执行此操作", status=labels.status(params["status"]))
    if "version" in params:
        return _("只能迁移到比案件当前版本更新的版本")
    if error.code == "rule_violation" and set(params) == {"instance_id"}:
        return _("该案件当前没有到期未执行的步骤，无需重试")
    return None


def _not_allowed(error: XianfengError) -> str | None:
    if "verb" in error.params:  # a task of its holder's own (`interventions.check_hands_on`)
        return _(
            "“%(task)s”是本人办理的事项：只能由其本人作答，管理员也不能转交或代为办理",
            task=error.params.get("task", ""),
        )
    if "username" in error.params:
        return _(
            "%(user)s 不能办理该待办：需具备该步骤的办理角色，且属于本案件所在支部",
            user=error.params["username"],
        )
    return _("只有管理员可以干预案件")


def _not_found(error: XianfengError) -> str | None:
    if "username" in error.params:
        return _("没有名为 %(user)s 的有效账号", user=error.params["username"])
    if "version" in error.params:
        return _("该流程没有第 %(version)s 版", version=error.params["version"])
    return None


def _not_ready(error: XianfengError) -> str | None:
    return _("该待办当前不能办理（案件已暂停或已结束）")


def _failed_again(error: XianfengError) -> str | None:
    said = detail(error)
    return labels.pair(_("重试仍然失败，未作任何更改"), said) if said else _("重试仍然失败，未作任何更改")


_SAYERS: dict[str, Callable[[XianfengError], str | None]] = {
    "rule_violation": _rule,
    "migration_refused": _rule,
    "not_allowed": _not_allowed,
    "not_found": _not_found,
    "task_not_ready": _not_ready,
    "script_error": _failed_again,
    "service_task_error": _failed_again,
}


def refusal(error: XianfengError) -> str:
    """The precise reason an intervention was refused; nothing was changed."""
    sayer = _SAYERS.get(error.code)
    said = sayer(error) if sayer else None
    if said:
        return said
    # Otherwise the message in the page's language, where it has one (`error_text`).
    shown = detail(error)
    return labels.pair(title_of(error.code), shown) if shown else title_of(error.code)
