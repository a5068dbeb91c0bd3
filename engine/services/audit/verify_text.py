"""A verify run's report as plain text with Chinese labels: what an auditor prints and files.

Printed evidence is Chinese whatever the reader's page language (as `words` says), so these are
plain tables; the web page says the same things through its translated labels.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from ...clock import CHINA_TZ
from .words import EVENT_KINDS, ROLES, word

TABLES = {
    "town": "镇",
    "branch": "党支部",
    "village": "村（嘎查）",
    "member": "党员",
    "app_user": "账号",
    "user_role": "账号角色",
    "calendar_day": "节假日与调休",
    "artifact": "流程文件",
    "process_version": "流程版本",
    "process_definition": "流程的当前版本",
    "process_instance": "案件",
    "start_number": "案件发起表单中的整数",
    "schedule_run": "定期发起记录",
    "human_task": "待办",
    "timer": "定时器",
    "public_link": "一次性链接",
    "pending_message": "待处理消息",
    "task_signer": "加签人",
    "task_copy": "抄送",
    "attachment": "附件",
    "model_post": "党员示范岗",
    "counter": "编号计数器",
    "public_notice": "公示",
    "objection": "异议",
    "survey": "满意度测评",
    "survey_link": "测评链接",
    "survey_response": "测评答复",
    "assessment_record": "考核记录",
    "rectification": "整改",
    "reward": "奖励",
    "commendation_mark": "评先选优台账",
    "criticism": "党内批评",
    "responsibility_area": "党员责任区",
    "area_member": "责任区党员",
    "area_work_record": "责任区工作记录",
    "work_record_comment": "工作记录点评",
    "area_goal": "责任区目标",
    "area_exemption": "不划入责任区的党员",
    "area_disclosure": "责任区公开档案",
    "village_comment": "群众留言",
    "event": "事件日志",
}

FINDING_KINDS = {
    "changed": "值与日志不符",
    "missing": "行被删除（日志中有，表中没有）",
    "extra": "多出的行（没有事件写入过它）",
    "other": "日志本身无法读取",
}

REASONS = {
    "state": "按日志重新执行该事件，得到的状态与日志记录的状态哈希不同",
    "stored": "各事件均能按日志重现，但数据库中存储的当前状态与回放结果不同（状态被改动）",
    "stored_unreadable": "数据库中存储的当前状态不是有效的 JSON",
    "verb": "该操作（转办、抄送等）记录时所处的状态，回放无法到达",
    "bundle": "该事件记录的流程版本与案件固定的流程版本不同",
    "failed": "无法按日志重新执行该事件",
    "missing": "案件记录缺失",
    "other": "回放不一致",
}

COMPARED = {
    "nothing_stored": (
        "日志只保存每个事件之后状态的哈希，此事件之后的状态没有存储的副本可以逐项比较；请核对该事件的数据。"
    ),
    "stored_by_the_step": "与该步骤当时存储的状态比较：",
    "stored_now": "与数据库中当前存储的状态比较：",
}


def china(value: Any) -> str:
    if not value:
        return ""
    try:
        instant = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    instant = instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
    return f"{instant.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S}"


def shown(value: Any) -> str:
    """A logged value as it reads: text as it is, anything else as JSON."""
    if value is None:
        return "（空）"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def report_lines(document: dict[str, Any]) -> Iterator[str]:
    yield from _heading(document)
    yield ""
    findings = document.get("findings") or []
    yield f"一、记录表差异（{len(findings)} 项）"
    if not findings:
        yield "  无：每张上链的登记表都与日志一致。"
    for number, finding in enumerate(findings, start=1):
        yield from _finding(number, finding)
    yield ""
    cases = document.get("cases") or []
    yield f"二、案件回放（{len(cases)} 件）"
    for case in cases:
        yield from _case(case)
    yield ""
    chain = document.get("chain") or []
    yield f"三、链上问题（{len(chain)} 项）"
    if not chain:
        yield "  无：每个事件的哈希与链接、链头和各案件的最后事件均一致。"
    for problem in chain:
        yield f"  - {problem['message']}"


def _heading(document: dict[str, Any]) -> Iterator[str]:
    run, summary, head = document["run"], document["summary"], document["head"]
    scope = run.get("scope")
    yield "先锋 · 数据核验报告"
    yield f"核验编号：{run['id']}"
    yield f"发起人：{run.get('requested_by') or ''}"
    if scope is None:
        yield "核验范围：全链（全部案件）"
    else:
        yield f"核验范围：指定案件 {len(scope)} 件：{'、'.join(map(str, scope))}"
    yield f"开始时间：{china(run.get('started_at'))}　完成时间：{china(run.get('finished_at'))}"
    yield "结论：" + ("通过：哈希链、上链的登记表和案件回放均一致" if document["ok"] else "发现问题（见下）")
    yield f"链头：第 {head['seq']} 号事件，哈希 {head['hash']}"
    yield (
        f"链上事件 {summary['events']} 个；回放案件 {summary['cases_replayed']} 件，"
        f"其中不一致 {summary['cases_diverging']} 件；记录表差异 {summary['findings']} 项；"
        f"链上问题 {summary['chain_problems']} 项"
    )
    if summary.get("events_checkpointed") or summary.get("checkpoints_refused"):
        yield (
            f"回放事件 {summary.get('events_replayed', 0)} 个；此前核验的检查点仍与哈希链一致，"
            f"其前的 {summary['events_checkpointed']} 个事件未重放；"
            f"不予采信的检查点 {summary.get('checkpoints_refused', 0)} 个（相应案件从头回放）"
        )
    rate = document.get("events_per_second")
    yield f"用时 {document.get('seconds', 0):.1f} 秒" + (f"，每秒核验 {rate:.0f} 个事件" if rate else "")
    hidden = document.get("hidden")
    if hidden is not None:
        elsewhere = sum(hidden.values())
        yield "本报告只列出本支部案件的详情" + (
            f"；其他支部或全镇范围的案件与问题 {elsewhere} 项未列出（仅审计和镇党委可见）。"
            if elsewhere
            else "。"
        )


def _finding(number: int, finding: dict[str, Any]) -> Iterator[str]:
    table = finding["table"]
    column = f"，列 {finding['column']}" if finding.get("column") else ""
    yield f"  {number}. {TABLES.get(table, table)}（{table}），键 {shown(finding['key'])}{column}"
    yield f"     {FINDING_KINDS.get(finding['kind'], finding['kind'])}"
    if finding["kind"] == "changed":
        yield f"     日志应为：{shown(finding['expected'])}；表中实际：{shown(finding['stored'])}"
    if finding.get("seq") is not None:
        yield f"     应由第 {finding['seq']} 号事件写入"
    if finding.get("case") is not None:
        yield f"     所属案件：{finding['case']}《{finding.get('case_title', '')}》"
    yield f"     说明：{finding['message']}"


def _case(case: dict[str, Any]) -> Iterator[str]:
    title = f"案件 {case['id']}《{case.get('title', '')}》（{case.get('procedure', '').partition(' ')[0]}）"
    if case["ok"]:
        yield f"  {title}：一致"
        return
    yield f"  {title}：不一致"
    found = case.get("divergence") or {}
    event = found.get("event")
    if event:
        yield f"     首个不一致的事件：{event_words(event)}"
    yield f"     原因：{REASONS.get(found.get('reason', 'other'), REASONS['other'])}"
    yield f"     回放结果：{case.get('problem', '')}"
    if found.get("event_edited"):
        yield "     该事件记录本身在写入后被改动（内容与其哈希不符）。"
    if found.get("stored_matches_last") is False:
        yield "     案件当前存储的状态与其最后一个事件记录的状态哈希不符。"
    if event and event.get("data") not in (None, {}, ""):
        yield f"     该事件的数据：{shown(event['data'])}"
    if found.get("compared_with"):
        yield f"     {COMPARED.get(found['compared_with'], '')}"
    for difference in found.get("differences") or []:
        yield f"       {difference_words(difference)}"
    if found.get("note"):
        yield f"     备注：{found['note']}"


def event_words(event: dict[str, Any]) -> str:
    parts = [f"本案第 {event['number']} 步", word(EVENT_KINDS, event["kind"])]
    if event.get("task"):
        parts.append(f"任务：{event['task']}")
    if event.get("actor"):
        who = event.get("actor_name") or event["actor"]
        parts.append(f"办理人：{who}（{word(ROLES, event.get('role'))}）")
    parts.append(f"时间：{china(event.get('at'))}")
    return f"第 {event['seq']} 号事件（{'，'.join(parts)}）"


def difference_words(difference: dict[str, Any]) -> str:
    what = difference["what"]
    if what == "internal":
        return "两者只在内部记录（任务编号、时间等）上不同"
    name = str(difference.get("name", ""))
    titled = (difference.get("label") or {}).get("zh_CN")
    label = {"data": f"数据「{titled}（{name}）」" if titled else f"数据「{name}」"}
    label.update(waiting="等待的步骤", done="已完成的步骤")
    label["outcome"] = "办结结果"
    stored, replayed = difference.get("stored"), difference.get("replayed")
    if isinstance(stored, list) or isinstance(replayed, list):
        stored, replayed = "、".join(stored or []) or "（无）", "、".join(replayed or []) or "（无）"
    return f"{label.get(what, what)}：存储为 {shown(stored)}，回放为 {shown(replayed)}"
