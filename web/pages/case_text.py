"""How a listed case's codes read, on the page and in the workbook, in the request's language:
its procedure, its status and outcome (the end event's name from the diagram), where it waits."""

from __future__ import annotations

from flask_babel import gettext as _

from xianfeng.engine.services.audit.case_choices import Choice
from xianfeng.engine.services.audit.case_steps import WaitingStep
from xianfeng.engine.services.audit.cases import CaseRow

from . import labels
from .layout import deadline


def procedure(row: CaseRow) -> str:
    return labels.process_name(row.procedure)


def outcome(row: CaseRow) -> str:
    return outcome_words(row.outcome, row.outcome_name, row.outcome_name_en)


def outcome_words(code: str, name: str, name_en: str) -> str:
    """An outcome as the diagram's end event names it; in English its `nameEn`, the catalog's
    words for the Chinese name, or the outcome code in words."""
    if not code:
        return ""
    if labels.lang() == "zh_CN":
        return name if name and name != code else labels.outcome(code)
    if name_en:
        return name_en
    translated = _(name) if name else ""
    if translated and translated != name:
        return translated
    known = labels.outcome(code)
    return known if known != code else code.replace("_", " ").capitalize()


def option(choice: Choice) -> str:
    """A filter option's name in the page's language."""
    return choice.name_en if labels.lang() == "en" and choice.name_en else choice.name


def state(row: CaseRow) -> str:
    """The status, and for an ended case how it ended: 已办结（不予批准）."""
    words = outcome(row)
    return labels.status(row.status) + (labels.paren(words) if words else "")


def waiting_step(waiting: WaitingStep) -> str:
    name = waiting.name_en if labels.lang() == "en" and waiting.name_en else waiting.name
    if waiting.kind == "timer":
        return _("等待%(step)s（至 %(due)s）", step=name, due=deadline(waiting.due_at))
    if waiting.role == "public":
        return _("%(step)s（%(count)s 位群众）", step=name, count=waiting.count)
    return name if waiting.count == 1 else f"{name} ×{waiting.count}"


def waiting(row: CaseRow) -> str:
    return labels.joined([waiting_step(each) for each in row.waiting], enumeration=True)


def grouped(choices: list[Choice], names: dict[str, str] | None = None) -> list[tuple[str, list[Choice]]]:
    """Options under their group's heading (a branch, a procedure), groups in first-seen order."""
    groups: dict[str, list[Choice]] = {}
    for each in choices:
        groups.setdefault(each.group, []).append(each)
    return [((names or {}).get(group, group), members) for group, members in groups.items()]
