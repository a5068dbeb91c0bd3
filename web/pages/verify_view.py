"""Words for the verify pages: the run's status and phase, each table in words, what a finding or
a divergence is, in the page's language (the report's text download says the same in Chinese)."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from xianfeng.engine.services.audit.verify_runs import RunView

from . import labels

CASE_SEPARATORS = re.compile(r"[\s,，、;；]+")
SHOWN_OK_CASES = 200  # consistent cases listed on the page; the downloads hold every one


def parse_cases(text: str) -> tuple[list[int] | None, str]:
    """Case numbers typed by a person ("3, 5 7、9"): the numbers, or why they cannot be read."""
    words = [w for w in CASE_SEPARATORS.split(text.strip()) if w]
    if not words:
        return None, _("请填写案件编号，多个编号用逗号或空格分开")
    bad = [w for w in words if not (w.isascii() and w.isdigit() and 0 < int(w) < 2**31)]
    if bad:
        return None, _("不是案件编号：%(words)s", words=labels.joined(bad[:5], enumeration=True))
    return [int(w) for w in words], ""


def status(code: str) -> str:
    return {
        "queued": _("排队中"),
        "running": _("进行中"),
        "done": _("已完成"),
        "failed": _("运行出错"),
        "interrupted": _("已中断"),
    }.get(code, code)


def verdict(run: RunView) -> str:
    if run.status != "done":
        return status(run.status)
    return _("通过") if run.ok else _("发现问题")


def phase(run: RunView) -> str:
    if run.status == "queued":
        return _("等待开始…")
    if run.phase == "chain":
        return _("正在核对哈希链上的每个事件，并由日志重建每张登记表…")
    if run.phase == "replay":
        return _("正在比对登记表，并按日志回放案件…")
    return ""


def rate(value: float | None) -> str:
    if not value:
        return ""
    count = f"{value:,.0f}"
    return _("每秒 %(count)s 个事件", count=count)


def progress_text(run: RunView) -> str:
    done, total = f"{run.events_done:,}", f"{run.events_total:,}"
    return _("已处理 %(done)s / %(total)s", done=done, total=total)


def scope(run: RunView) -> str:
    if run.scope is None:
        return _("全链（全部案件）")
    shown = labels.joined([str(n) for n in run.scope[:12]], enumeration=True)
    more = "…" if len(run.scope) > 12 else ""
    return _("案件 %(list)s（共 %(num)s 件）", list=shown + more, num=len(run.scope))


def table(code: str) -> str:
    return {
        "town": _("镇"),
        "branch": _("党支部"),
        "village": _("村（嘎查）"),
        "member": _("党员"),
        "app_user": _("账号"),
        "user_role": _("账号角色"),
        "calendar_day": _("节假日与调休"),
        "artifact": _("流程文件"),
        "process_version": _("流程版本"),
        "process_definition": _("流程的当前版本"),
        "process_instance": _("案件"),
        "start_number": _("案件发起表单中的整数"),
        "schedule_run": _("定期发起记录"),
        "human_task": _("待办"),
        "timer": _("定时器"),
        "public_link": _("一次性链接"),
        "pending_message": _("待处理消息"),
        "task_signer": _("加签人"),
        "task_copy": _("抄送"),
        "attachment": _("附件"),
        "model_post": _("党员示范岗"),
        "counter": _("编号计数器"),
        "public_notice": _("公示"),
        "objection": _("异议"),
        "survey": _("满意度测评"),
        "survey_link": _("测评链接"),
        "survey_response": _("测评答复"),
        "assessment_record": _("考核记录"),
        "rectification": _("整改"),
        "reward": _("奖励"),
        "commendation_mark": _("评先选优台账"),
        "criticism": _("党内批评"),
        "responsibility_area": _("党员责任区"),
        "area_member": _("责任区党员"),
        "area_work_record": _("责任区工作记录"),
        "work_record_comment": _("工作记录点评"),
        "area_goal": _("责任区目标"),
        "area_exemption": _("不划入责任区的党员"),
        "area_disclosure": _("责任区公开档案"),
        "village_comment": _("群众留言"),
        "event": _("事件日志"),
    }.get(code, code)


def finding_kind(code: str) -> str:
    return {
        "changed": _("值与日志不符"),
        "missing": _("行被删除：日志中有，表中没有"),
        "extra": _("多出的行：没有事件写入过它"),
        "other": _("日志本身无法读取"),
    }.get(code, code)


def reason(code: str) -> str:
    return {
        "state": _("按日志重新执行该事件，得到的状态与日志记录的状态哈希不同"),
        "stored": _("各事件均能按日志重现，但数据库中存储的当前状态与回放结果不同（状态被改动）"),
        "stored_unreadable": _("数据库中存储的当前状态不是有效的 JSON"),
        "verb": _("该操作（转办、抄送等）记录时所处的状态，回放无法到达"),
        "bundle": _("该事件记录的流程版本与案件固定的流程版本不同"),
        "failed": _("无法按日志重新执行该事件"),
        "missing": _("案件记录缺失"),
    }.get(code, _("回放不一致"))


def compared(code: str) -> str:
    return {
        "nothing_stored": _(
            "日志只保存每个事件之后状态的哈希，此事件之后的状态没有存储的副本可以逐项比较；请核对该事件的数据。"
        ),
        "stored_by_the_step": _("与该步骤当时存储的状态比较："),
        "stored_now": _("与数据库中当前存储的状态比较："),
    }.get(code, "")


def difference_label(difference: dict[str, Any]) -> str:
    what = difference.get("what")
    if what == "data":
        titled = (difference.get("label") or {}).get(labels.lang())
        return _("数据「%(name)s」", name=titled or difference.get("name", ""))
    return {
        "waiting": _("等待的步骤"),
        "done": _("已完成的步骤"),
        "outcome": _("办结结果"),
        "internal": _("两者只在内部记录（任务编号、时间等）上不同"),
    }.get(str(what), str(what))


def value(shown: Any) -> str:
    """A logged value as it reads: text as it is, a list of step names joined, anything else JSON."""
    if shown is None:
        return "—"
    if isinstance(shown, list) and all(isinstance(item, str) for item in shown):
        return labels.joined(shown, enumeration=True) or "—"
    return shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False, sort_keys=True)


def task_name(event: dict[str, Any]) -> str:
    if labels.lang() == "en" and event.get("task_en"):
        return str(event["task_en"])
    return str(event.get("task") or event.get("element") or "")


# Registers whose rows have a page of their own: a differing row links to it.
ROW_PAGES = {
    "model_post": ("posts.show", "post_id"),
    "responsibility_area": ("areas.show", "area_id"),
    "process_instance": ("instances.show", "instance_id"),
}


def row_page(finding: dict[str, Any]) -> str:
    """The page of the row a finding names, when its register has one and the row still exists."""
    page = ROW_PAGES.get(str(finding.get("table")))
    key = finding.get("key")
    if page is None or not isinstance(key, int) or finding.get("kind") == "missing":
        return ""
    endpoint, argument = page
    return url_for(endpoint, **{argument: key})


def procedure(case: dict[str, Any]) -> str:
    return labels.process_name(str(case.get("procedure") or case.get("process_key") or ""))


def poll(run: RunView) -> dict[str, Any]:
    """What the progress page's script needs, worded already (the script holds no words)."""
    return {
        "id": run.id,
        "status": run.status,
        "status_text": status(run.status),
        "finished": run.finished,
        "events_done": run.events_done,
        "events_total": run.events_total,
        "percent": run.percent,
        "events_per_second": run.events_per_second,
        "progress_text": progress_text(run),
        "rate_text": rate(run.events_per_second),
        "phase_text": phase(run),
        "ok": run.ok,
    }
