"""The statistics in the reader's language: the engine's figures (codes and counts) made into the
tables the page shows, the charts its script draws and the sheets of the workbook, all from one
structure so that the three always say the same.

Codes that a form asks for (a post's category, a record's kind and service domain) are named by
that form's option labels; an assessment's outcome by the assessment diagram (its order and words
come with the figures); the registers' own codes (a post's status) by the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from xianfeng.engine.services.stats import Figures

from . import labels

POST_STATUSES = ("active", "revoked")


@dataclass
class Table:
    id: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


@dataclass
class Chart:
    id: str
    categories: list[str]
    series: list[dict[str, Any]]
    stacked: bool = False
    horizontal: bool = False
    integer: bool = True
    unit: str = ""
    line: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def post_status_word(code: str) -> str:
    return {"active": _("有效"), "revoked": _("已撤销")}.get(code, code)


def outcome_word(outcomes: dict[str, dict[str, str]], code: str) -> str:
    """An assessment outcome as the diagram words it in the page's language; one the current
    diagram no longer declares (an older version's) by its code."""
    return outcomes.get(code, {}).get(labels.lang()) or code


def _option(field_name: str) -> Callable[[str], str]:
    def named(code: str) -> str:
        return labels.value_text(field_name, code) if code else _("未填写")

    return named


def _ordered(known: Iterable[str], seen: Iterable[str]) -> list[str]:
    known = list(known)
    return known + sorted(set(seen) - set(known))


def _branch(names: dict[int, str], branch_id: int | None) -> str:
    return names.get(branch_id or 0, _("未归属党支部")) if branch_id is not None else _("未归属党支部")


def posts_tables(f: Figures) -> tuple[list[Table], list[Chart]]:
    statuses = _ordered(POST_STATUSES, (p.status for p in f.posts))
    heads = [post_status_word(s) for s in statuses]
    by_branch = Table("posts_by_branch", _("示范岗：按党支部"), [_("党支部"), *heads, _("合计")])
    counts = {(p.branch_id, p.status): 0 for p in f.posts}
    for p in f.posts:
        counts[(p.branch_id, p.status)] += p.count
    for branch_id, name in f.branches.items():
        values = [counts.get((branch_id, s), 0) for s in statuses]
        by_branch.rows.append([name, *values, sum(values)])
    category = _option("category")
    categories = sorted({p.category for p in f.posts})
    by_category = Table("posts_by_category", _("示范岗：按类别"), [_("类别"), *heads, _("合计")])
    for code in categories:
        values = [sum(p.count for p in f.posts if p.category == code and p.status == s) for s in statuses]
        by_category.rows.append([category(code), *values, sum(values)])
    charts = [
        Chart(
            "posts_by_branch",
            [r[0] for r in by_branch.rows],
            [{"name": h, "data": [r[i + 1] for r in by_branch.rows]} for i, h in enumerate(heads)],
            stacked=True,
        ),
        Chart(
            "posts_by_category",
            [r[0] for r in by_category.rows],
            [{"name": h, "data": [r[i + 1] for r in by_category.rows]} for i, h in enumerate(heads)],
            stacked=True,
        ),
    ]
    return [by_branch, by_category], charts


def assessment_tables(f: Figures) -> tuple[list[Table], list[Chart]]:
    outcomes = _ordered(f.outcomes, (a.outcome for a in f.assessments))
    table = Table(
        "assessments_by_cycle",
        _("考核结果与群众满意度：按周期（年度）"),
        [
            _("年度"),
            *(outcome_word(f.outcomes, o) for o in outcomes),
            _("考核数"),
            _("平均满意率（%）"),
            _("平均得分"),
            _("测评份数"),
        ],
    )
    for cycle in f.satisfaction:
        counts = [
            sum(a.count for a in f.assessments if a.year == cycle.year and a.outcome == o) for o in outcomes
        ]
        table.rows.append(
            [str(cycle.year), *counts, cycle.assessments, cycle.satisfaction, cycle.score, cycle.responses]
        )
    chart = Chart(
        "assessments_by_cycle",
        [r[0] for r in table.rows],
        [
            {"name": outcome_word(f.outcomes, o), "data": [r[i + 1] for r in table.rows]}
            for i, o in enumerate(outcomes)
        ],
        stacked=True,
        line={
            "name": _("平均满意率（%）"),
            "data": [c.satisfaction for c in f.satisfaction],
            "unit": "%",
            "max": 100,
        },
    )
    return [table], [chart]


def task_tables(f: Figures) -> tuple[list[Table], list[Chart]]:
    table = Table("tasks_by_branch", _("待办与逾期：按党支部（当前）"), [_("党支部"), _("待办"), _("已逾期")])
    found = {t.branch_id: t for t in f.tasks}
    for branch_id, name in f.branches.items():
        tasks = found.get(branch_id)
        table.rows.append([name, tasks.open if tasks else 0, tasks.overdue if tasks else 0])
    if None in found and f.branch_id is None:
        table.rows.append([_("镇党委（全镇）"), found[None].open, found[None].overdue])
    chart = Chart(
        "tasks_by_branch",
        [r[0] for r in table.rows],
        [
            {"name": _("待办"), "data": [r[1] for r in table.rows]},
            {"name": _("已逾期"), "data": [r[2] for r in table.rows]},
        ],
    )
    return [table], [chart]


def step_tables(f: Figures) -> tuple[list[Table], list[Chart]]:
    english = labels.lang() == "en"
    table = Table(
        "step_durations",
        _("各步骤平均用时（工作日）"),
        [_("流程"), _("步骤"), _("办理次数"), _("平均用时（工作日）"), _("最长（工作日）"), _("逾期办理")],
        note=_("按办理完成的待办统计，当天办结计 0 个工作日。"),
    )
    for s in f.steps:
        name = (s.name_en or s.name) if english else s.name
        table.rows.append(
            [labels.process_name(s.process), name, s.done, s.average_days, s.longest_days, s.late]
        )
    names = [r[1] for r in table.rows]
    chart = Chart(
        "step_durations",
        [r[1] if names.count(r[1]) == 1 else f"{r[1]}（{r[0]}）" for r in table.rows],
        [{"name": _("平均用时（工作日）"), "data": [r[3] for r in table.rows]}],
        horizontal=True,
        integer=False,
    )
    return [table], [chart]


def record_tables(f: Figures) -> tuple[list[Table], list[Chart]]:
    kind, domain = _option("kind"), _option("domain")
    table = Table("records_by_domain", _("工作记录：按服务领域"), [_("记录类别"), _("服务领域"), _("记录数")])
    for r in f.records:
        table.rows.append([kind(r.kind), domain(r.domain) if r.domain else "—", r.count])
    chart = Chart(
        "records_by_domain",
        [r[1] if r[1] != "—" else r[0] for r in table.rows],
        [{"name": _("记录数"), "data": [r[2] for r in table.rows]}],
        horizontal=True,
    )
    return [table], [chart]


def reward_tables(f: Figures) -> tuple[list[Table], list[Chart]]:
    table = Table(
        "rewards_by_branch",
        _("奖励与党内批评：按党支部"),
        [_("党支部"), _("奖励（次）"), _("奖励金额（元）"), _("党内批评（次）")],
    )
    found = {r.branch_id: r for r in f.rewards}
    for branch_id, name in f.branches.items():
        r = found.get(branch_id)
        table.rows.append([name, r.rewards if r else 0, r.amount if r else 0.0, r.criticisms if r else 0])
    chart = Chart(
        "rewards_by_branch",
        [r[0] for r in table.rows],
        [
            {"name": _("奖励（次）"), "data": [r[1] for r in table.rows]},
            {"name": _("党内批评（次）"), "data": [r[3] for r in table.rows]},
        ],
    )
    return [table], [chart]


SECTIONS = (posts_tables, assessment_tables, task_tables, step_tables, record_tables, reward_tables)


def view(f: Figures) -> tuple[list[Table], list[Chart]]:
    tables: list[Table] = []
    charts: list[Chart] = []
    for section in SECTIONS:
        more_tables, more_charts = section(f)
        tables += more_tables
        charts += more_charts
    return tables, charts
