"""A dossier as an Excel workbook: one sheet per section, Chinese headers, the seal on the first.

Times are written as China time (Excel has no time zones); every row that a case wrote carries the
case's number, as in the PDF.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..clock import CHINA_TZ
from ..services.audit.dossier_model import Dossier, Step

Row = Sequence[Any]
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(CHINA_TZ).replace(tzinfo=None)
    return "" if value is None else value


def _width(value: Any) -> int:
    """Columns a value needs: a CJK character takes two; a multi-line value its longest line."""
    if isinstance(value, dt.datetime):
        return 16
    lines = str("" if value is None else value).split("\n")
    return max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in line) for line in lines)


def _answers(step: Step) -> str:
    lines = [f"共 {step.count} 人次通过单次链接填写"] if step.count > 1 else []
    return "\n".join(lines + [f"{a.label}：{a.text}" for a in step.answers])


def _overview(d: Dossier) -> list[Row]:
    seal = d.seal
    rows: list[Row] = [("标题", d.title), ("类型", d.kind_text), ("范围", d.scope)]
    rows += [(fact.label, fact.value) for fact in d.subject]
    rows += [
        ("制作时间", d.made_at),
        ("制作人", d.made_by),
        ("链头序号", seal.head_seq),
        ("链头哈希", seal.head_hash),
        ("校验时间", seal.verified_at),
        ("校验结果", "校验通过" if seal.ok else f"校验未通过（{len(seal.problems)} 项问题）"),
    ]
    return rows + [("问题", problem) for problem in seal.problems]


def _steps(d: Dossier) -> list[Row]:
    return [
        (c.id, s.seq, s.at, s.actor, s.role_text, s.step, s.operation, s.count, _answers(s))
        for c in d.cases
        for s in c.steps
    ]


def _surveys(d: Dossier) -> list[Row]:
    rows: list[Row] = []
    for s in d.surveys:
        for q in s.questions:
            counted = "；".join(f"{o.label} {o.count}" for o in q.options) or "\n".join(q.comments)
            rows.append(
                (s.case_id, s.title, s.links, s.responses, s.opened_at, s.closed_at, q.label, counted)
            )
    return rows


# sheet title, headers, rows of the dossier
SHEETS: list[tuple[str, Row, Callable[[Dossier], Iterable[Row]]]] = [
    ("概况", ("项目", "内容"), _overview),
    (
        "案件",
        (
            "案件编号",
            "流程",
            "版本",
            "标题",
            "党支部",
            "村",
            "涉及",
            "状态",
            "结果",
            "发起时间",
            "发起人",
            "办结时间",
            "案件链头",
        ),
        lambda d: [
            (
                c.id,
                c.procedure,
                c.version,
                c.title,
                c.branch,
                c.village,
                "、".join(c.concerning),
                c.status_text,
                c.outcome_text,
                c.started_at,
                c.started_by,
                c.ended_at,
                c.head_hash,
            )
            for c in d.cases
        ],
    ),
    (
        "办理记录",
        ("案件编号", "事件序号", "时间", "办理人", "角色", "步骤", "操作", "人次", "意见与填写内容"),
        _steps,
    ),
    ("满意度测评", ("案件编号", "测评", "链接数", "收回份数", "开始", "结束", "问题", "统计"), _surveys),
    (
        "示范岗",
        ("牌号", "徽章号", "名称", "党员", "党支部", "村", "类别", "状态", "设立", "撤销", "案件编号"),
        lambda d: [
            (
                p.plate_no,
                p.badge_no,
                p.title,
                p.member,
                p.branch,
                p.village,
                p.category_text,
                p.status_text,
                p.established_on,
                p.revoked_at,
                p.case_id,
            )
            for p in d.records.posts
        ],
    ),
    (
        "责任区",
        ("责任区", "党支部", "村", "党员", "状态", "启用", "案件编号"),
        lambda d: [
            (a.name, a.branch, a.village, a.members, a.status_text, a.activated_at, a.case_id)
            for a in d.records.areas
        ],
    ),
    (
        "考核",
        ("牌号", "党员", "年度", "考核得分", "满意率（%）", "测评份数", "结果", "登记时间", "案件编号"),
        lambda d: [
            (
                a.plate_no,
                a.member,
                a.year,
                a.score,
                a.satisfaction,
                a.responses,
                a.outcome_text,
                a.recorded_at,
                a.case_id,
            )
            for a in d.records.assessments
        ],
    ),
    (
        "奖励",
        ("党员", "示范岗", "责任区", "年度", "精神奖励", "物质奖励", "金额（元）", "时间", "案件编号"),
        lambda d: [
            (w.member, w.post, w.area, w.year, w.spiritual, w.material, w.amount, w.awarded_at, w.case_id)
            for w in d.records.rewards
        ],
    ),
    (
        "批评",
        ("党员", "责任区", "原因", "跟进", "时间", "案件编号"),
        lambda d: [
            (c.member, c.area, c.reason, c.follow_up, c.recorded_at, c.case_id) for c in d.records.criticisms
        ],
    ),
    (
        "整改",
        ("党员", "示范岗", "责任区", "问题", "期限", "状态", "结案", "案件编号"),
        lambda d: [
            (x.member, x.post, x.area, x.problems, x.due_at, x.status_text, x.closed_at, x.case_id)
            for x in d.records.rectifications
        ],
    ),
    (
        "撤销",
        ("牌号", "党员", "名称", "撤销时间", "理由", "岗牌收回", "案件编号"),
        lambda d: [
            (v.plate_no, v.member, v.title, v.revoked_at, v.reason, v.plate_returned_at, v.case_id)
            for v in d.records.revocations
        ],
    ),
    (
        "评先选优",
        ("党员", "年度", "类型", "事由", "时间", "案件编号"),
        lambda d: [(m.member, m.year, m.kind_text, m.reason, m.at, m.case_id) for m in d.records.ledger],
    ),
]


def dossier_xlsx(d: Dossier) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in SHEETS:
        sheet = book.create_sheet(title)
        sheet.append(list(headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows(d):
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
        for column in sheet.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = TIME_FORMAT
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        for index, column in enumerate(sheet.iter_cols(), start=1):
            widest = max(_width(cell.value) for cell in column)
            sheet.column_dimensions[get_column_letter(index)].width = max(8, min(60, widest + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
