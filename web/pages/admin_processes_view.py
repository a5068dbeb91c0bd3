"""Words and data for the procedure pages: versions, problems, changes and what-if verdicts in the
page's language, and the JSON the editor's and the diff page's scripts read (they hold no words of
their own beyond what these blocks give them)."""

from __future__ import annotations

import json
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from xianfeng.engine.errors import FormInvalid, XianfengError
from xianfeng.engine.process.catalog import DeployedVersion
from xianfeng.engine.process.version_diff import Change, FileDiff
from xianfeng.engine.services.admin.process_editing import Comparison, EditorView
from xianfeng.engine.services.admin.processes import DraftView, Problem

from . import labels

LANE_ROLES = ("member", "branch", "committee", "public")
ESCALATION_ROLES = ("branch", "committee")
SUBJECTS = ("active_posts", "active_areas")


def said(error: XianfengError) -> str:
    """A refusal in the page's language where the service gave Chinese, else its own words."""
    if isinstance(error, FormInvalid):
        texts = error.errors_zh if labels.lang() == "zh_CN" else error.errors
        return labels.joined(list(texts.values()))
    if labels.lang() == "zh_CN" and error.params.get("zh"):
        return str(error.params["zh"])
    if error.code == "diagram_invalid":
        return _("流程图有误，不能发布：") + "; ".join(
            problem_text(Problem(p["file"], p["line"], p["element"], p["message"]))
            for p in error.params.get("problems", [])
        )
    return error.message


def version_number(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 9 else None


def short_hash(digest: str) -> str:
    return digest[:12]


def file_kind(name: str) -> str:
    if name.endswith(".bpmn"):
        return _("流程图")
    if name.endswith(".dmn"):
        return _("决策表")
    return _("表单")


def problem_text(problem: Problem) -> str:
    where = problem.file
    if problem.line:
        where += _("，第 %(line)s 行", line=problem.line)
    if problem.element:
        where += _("，元素 %(element)s", element=problem.element)
    return f"{where}：{problem.message}" if labels.lang() == "zh_CN" else f"{where}: {problem.message}"


def problems_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {"file": p.file, "line": p.line, "element": p.element, "message": p.message, "text": problem_text(p)}
        for p in problems
    ]


def saved(draft: DraftView) -> dict[str, Any]:
    """What the editor's script needs after a save: the problems, worded, and whether it may publish."""
    return {
        "id": draft.id,
        "changed": draft.changed,
        "problems": problems_json(draft.problems),
        "publishable": not draft.problems and bool(draft.changed),
        "summary": summary(draft),
    }


def summary(draft: DraftView) -> str:
    if draft.problems:
        return _("检查未通过：%(count)s 个问题，修改前不能发布", count=len(draft.problems))
    if not draft.changed:
        return _("草稿与已发布的版本相同")
    return _("检查通过：可以发布（已改动 %(files)s）", files=labels.joined(draft.changed, enumeration=True))


def published_text(deployed: list[DeployedVersion]) -> str:
    made = [f"{d.process_key} v{d.version}" for d in deployed if d.new]
    return _(
        "已发布新版本：%(versions)s。新发起的案件使用新版本，进行中的案件仍按原版本办理。",
        versions=labels.joined(made, enumeration=True),
    )


def _texts() -> dict[str, str]:
    """Every word the editor's script shows, in the page's language."""
    return {
        "saving": _("正在保存并检查…"),
        "saved": _("已保存"),
        "save_failed": _("保存失败："),
        "unsaved": _("有未保存的修改"),
        "loading": _("正在加载…"),
        "import_failed": _("无法打开该文件："),
        "json_invalid": _("JSON 格式有误："),
        "preview_failed": _("表单无法加载："),
        "problem_here": _("检查未通过"),
        "lint_title": _("样式检查（仅提示，不影响发布）"),
        "group_task": _("先锋：任务"),
        "group_start": _("先锋：发起"),
        "group_script": _("脚本"),
        "group_condition": _("条件"),
        "group_call": _("调用流程"),
        "group_decision": _("决策表"),
        "group_end": _("办结结果"),
        "group_lane": _("泳道角色"),
        "group_names": _("英文名称"),
        "nameEn": _("英文名称 (nameEn)"),
        "form": _("表单 (formJsonSchemaFilename)"),
        "instructions": _("办理说明 (instructionsForEndUser)"),
        "variableName": _("保存到变量 (variableName)"),
        "dueInWorkingDays": _("办理期限，工作日 (dueInWorkingDays)"),
        "dueAt": _("截止时间表达式 (dueAt)"),
        "remindBeforeWorkingDays": _("提前提醒，工作日 (remindBeforeWorkingDays)"),
        "escalateTo": _("逾期上报 (escalateTo)"),
        "assignee": _("指定办理人表达式 (assignee)"),
        "returnTargets": _("可退回的步骤 (returnTargets)"),
        "cycle": _("定期发起 (cycle，ISO 8601 重复区间)"),
        "startFor": _("发起对象 (startFor)"),
        "script": _("脚本 (Python 子集)"),
        "condition": _("条件表达式"),
        "calledElement": _("被调用的流程"),
        "calledDecisionId": _("决策 ID (calledDecisionId)"),
        "outcome": _("结果代码 (outcome)"),
        "role": _("角色"),
        "none": _("（无）"),
        "batch_hint": _("批量审批在表单的 ui.batch 中设置。"),
        "wide_screen": _("流程图编辑器需要较宽的屏幕；在手机上可以查看版本、差异和试算。"),
    }


def editor_data(opened: EditorView) -> dict[str, Any]:
    draft = opened.draft
    return {
        "draft": draft.id,
        "process": draft.process_key,
        "status": draft.status,
        "files": {name: draft.files[name] for name in opened.closure},
        "changed": draft.changed,
        "problems": problems_json(draft.problems),
        "publishable": not draft.problems and bool(draft.changed),
        "summary": summary(draft),
        "saveUrl": url_for("procedures.save", draft_id=draft.id),
        "previewUrl": url_for("procedures.preview_form"),
        "options": {
            "forms": opened.forms,
            "processes": opened.processes,
            "roles": [[r, labels.role(r)] for r in LANE_ROLES],
            "escalation": [[r, labels.role(r)] for r in ESCALATION_ROLES],
            "subjects": [[s, subject(s)] for s in SUBJECTS],
        },
        "texts": _texts(),
    }


def subject(code: str) -> str:
    return {"active_posts": _("每个在册示范岗"), "active_areas": _("每个在用责任区")}.get(code, code)


def json_block(data: Any) -> Markup:
    """JSON safe inside <script type="application/json">: no "</" can end the block early."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def diff_data(comparison: Comparison) -> dict[str, Any]:
    """Both sides of every changed diagram, and the server's lists (which see extension changes)."""
    diagrams = []
    for item in comparison.files:
        if item.kind != "bpmn":
            continue
        diagrams.append(
            {
                "file": item.file,
                "old": comparison.old_files.get(item.file),
                "new": comparison.new_files.get(item.file),
                "added": item.added,
                "removed": item.removed,
                "changed": sorted(item.changed),
            }
        )
    return {"diagrams": diagrams, "texts": {"failed": _("流程图无法显示："), "old": _("旧"), "new": _("新")}}


def side(version: int | None, draft: bool) -> str:
    if version is not None:
        return _("版本 %(version)s", version=version)
    return _("草稿") if draft else _("已发布")


def change_name(change: Change) -> str:
    name = change.name
    words = {
        "type": _("类型"),
        "@name": _("名称"),
        "script": _("脚本"),
        "conditionExpression": _("条件"),
        "documentation": _("说明"),
        "instructionsForEndUser": _("办理说明"),
        "incoming": _("流入"),
        "outgoing": _("流出"),
        "operation": _("系统操作"),
        "@calledElement": _("被调用的流程"),
        "@default": _("默认流向"),
        "hitPolicy": _("命中策略"),
        "title": _("标题"),
        "required": _("必填字段"),
    }
    if name in words:
        return f"{words[name]} ({name})"
    return name


def value(text: str | None) -> str:
    return "—" if text is None else text


def element_count(item: FileDiff) -> str:
    return _(
        "新增 %(added)s，删除 %(removed)s，修改 %(changed)s",
        added=len(item.added),
        removed=len(item.removed),
        changed=len(item.changed),
    )


VERDICT_ORDER = ("inputs_no_longer_fit", "different_path", "different_outcome", "different_deadlines", "same")


def verdict(code: str) -> str:
    return {
        "inputs_no_longer_fit": _("当时提交的内容不再符合表单"),
        "different_path": _("办理路径不同"),
        "different_outcome": _("结果不同"),
        "different_deadlines": _("期限不同"),
        "same": _("相同"),
    }.get(code, code)


def case_status(code: str) -> str:
    return labels.status(code)


def run_status(code: str) -> str:
    return {
        "running": _("进行中"),
        "done": _("已完成"),
        "failed": _("运行出错"),
        "interrupted": _("已中断"),
    }.get(code, code)


def diff_link(process_key: str, versions: list[Any]) -> str:
    """The diff of the newest two versions, or "" when there is only one."""
    if len(versions) < 2:
        return ""
    return url_for(
        "procedures.diff", process_key=process_key, old=versions[1].version, new=versions[0].version
    )
