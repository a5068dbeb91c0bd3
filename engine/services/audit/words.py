"""Chinese words for the codes printed evidence shows: roles, statuses, event kinds, register codes.

Printed evidence is Chinese whatever the reader's page language, so these are plain tables rather
than the web's translated labels. What a procedure calls its steps and its endings is not here:
that comes from the pinned diagram (element names) and the forms (field labels, option labels);
nor what an assessment's outcomes are called, which the current diagram declares (`register_words`).
"""

from __future__ import annotations

from typing import Any

ROLES = {
    "member": "党员",
    "branch": "党支部",
    "committee": "镇党委",
    "admin": "管理员",
    "auditor": "审计",
    "public": "群众",
    "operator": "系统操作员",
}

STATUSES = {
    "running": "进行中",
    "completed": "已办结",
    "cancelled": "已取消",
    "active": "有效",
    "revoked": "已撤销",
    "draft": "草案",
    "retired": "已停用",
    "discarded": "已作废",
    "open": "整改中",
    "passed": "整改合格",
    "failed": "整改未到位",
    "ended": "示范岗已撤销，整改终止",
}

EVENT_KINDS = {
    "start": "发起",
    "complete": "办理",
    "tick": "定时触发",
    "message": "收到消息（异议、撤销通知）",
    "return": "退回",
    "transfer": "转办",
    "delegate": "委派",
    "resolve": "交还",
    "add_signer": "加签",
    "sign": "签署",
    "copy": "抄送",
    "urge": "催办",
    "survey": "满意度测评",
    "objection": "群众异议",
    "withdraw": "撤回",
    "reassign": "管理员转交",
    "suspend": "管理员暂停",
    "resume": "管理员恢复",
    "cancel": "管理员取消案件",
    "migrate": "迁移到新版本",
    "retry": "管理员重试",
}

LEDGER_KINDS = {"merit": "评先依据", "block": "限制（不得列入当年表彰）", "listed": "已列入表彰对象"}

SUBJECT_KINDS = {
    "member": "党员",
    "post": "党员示范岗",
    "area": "党员责任区",
    "branch": "党支部",
    "year": "年度",
}

# What a verb's payload says, by key, in the order printed.
PAYLOAD_LABELS = (
    ("to", "交给"),
    ("users", "人员"),
    ("reason", "理由"),
    ("opinion", "意见"),
    ("note", "附言"),
    ("text", "异议内容"),
)


def word(table: dict[str, str], code: Any) -> str:
    """The word for a code, or the code itself when the table has none (never an empty guess)."""
    if code in (None, ""):
        return ""
    return table.get(str(code), str(code))


def yes_no(value: bool) -> str:
    return "是" if value else "否"
