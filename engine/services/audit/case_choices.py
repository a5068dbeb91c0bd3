"""The values the case list's filters may take, and the check of a search against them.

Procedures and outcomes come from the deployed diagrams (a process's name, its end events' names),
statuses from what instances hold, branches, villages and members from the organisation within
the searcher's scope. Nothing here lists a procedure by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import NotAllowed
from ...models import Branch, Member, ProcessDefinition, ProcessInstance, Village
from ...process.catalog import Catalog, LoadedVersion
from ...process.end_events import end_events
from .case_filters import CaseFilters, Problems

LIFECYCLE = ("running", "completed")  # what the engine writes; anything else stored is offered too


@dataclass(frozen=True)
class Choice:
    """One option: the value a filter takes, its names, and the group it is shown under."""

    value: str
    name: str
    name_en: str = ""
    group: str = ""


@dataclass(frozen=True)
class Known:
    """Procedures (key → name), statuses and outcomes that a search may name."""

    procedures: list[Choice]
    statuses: list[str]
    outcomes: list[Choice]


@dataclass(frozen=True)
class CaseChoices:
    known: Known
    branches: list[Choice]
    villages: list[Choice]  # grouped by branch name
    members: list[Choice]  # grouped by branch name
    town_wide: bool


def known(session: Session, catalog: Catalog) -> Known:
    """Procedures that have cases of their own, with their current names and their end events as
    outcomes, and the statuses. A process has cases of its own unless other processes only call it
    (an approval, a public notice): it is called by none, or has a start form or subjects of its
    own (a revocation is called by an assessment and proposed by a branch), or already has cases."""
    stored = session.execute(select(ProcessInstance.process_key, ProcessInstance.outcome).distinct()).all()
    with_cases = {key for key, _outcome in stored}
    keys = set(session.execute(select(ProcessDefinition.process_key)).scalars())
    versions = {key: catalog.current(session, key) for key in sorted(keys)}
    called = {name for version in versions.values() for name in version.subprocess_specs}
    procedures, outcomes = [], []
    for key in sorted(keys | with_cases):
        version = versions.get(key)
        if version is not None and key not in with_cases and not _has_own_cases(version, called):
            continue
        procedures.append(Choice(key, version.name if version else key))
        ends = end_events(version) if version else []
        seen = {end.outcome for end in ends}
        outcomes += [Choice(end.outcome, end.name or end.outcome, end.name_en, key) for end in ends]
        outcomes += [
            Choice(code, code, "", key) for k, code in stored if k == key and code not in seen | {""}
        ]
    statuses = set(session.execute(select(ProcessInstance.status).distinct()).scalars()) - set(LIFECYCLE)
    return Known(procedures, [*LIFECYCLE, *sorted(statuses)], outcomes)


def _has_own_cases(version: LoadedVersion, called: set[str]) -> bool:
    return version.process_key not in called or bool(version.start_form or version.start_for or version.cycle)


def choices(session: Session, catalog: Catalog, scope: int | None) -> CaseChoices:
    """Everything the filter form offers to a searcher of `scope` (None: the whole town)."""
    branches = select(Branch.id, Branch.name).order_by(Branch.id)
    villages = select(Village.id, Village.name, Branch.name).join(Branch).order_by(Branch.id, Village.id)
    members = (
        select(Member.id, Member.name, Member.code, Branch.name)
        .join(Branch, Branch.id == Member.branch_id)
        .order_by(Branch.id, Member.id)
    )
    if scope is not None:
        branches = branches.where(Branch.id == scope)
        villages = villages.where(Village.branch_id == scope)
        members = members.where(Member.branch_id == scope)
    return CaseChoices(
        known=known(session, catalog),
        branches=[Choice(str(i), name) for i, name in session.execute(branches)],
        villages=[Choice(str(i), name, group=branch) for i, name, branch in session.execute(villages)],
        members=[
            Choice(str(i), f"{name}（{code}）", f"{name} ({code})", branch)
            for i, name, code, branch in session.execute(members)
        ],
        town_wide=scope is None,
    )


def check(
    session: Session,
    catalog: Catalog,
    filters: CaseFilters,
    scope: int | None,
    problems: Problems | None = None,
) -> None:
    """Refuse a search outside the searcher's branch (NotAllowed), or naming what does not exist
    (FormInvalid, each field with what it may be; recorded in `problems` instead, if given)."""
    collected = problems if problems is not None else Problems()
    if filters.procedure or filters.status or filters.outcome:
        _check_codes(known(session, catalog), filters, collected)
    if filters.branch_id is not None:
        branch = session.get(Branch, filters.branch_id)
        if branch is None:
            collected.add(
                "branch_id", f"no branch {filters.branch_id}", f"没有编号为 {filters.branch_id} 的党支部"
            )
        elif scope is not None and branch.id != scope:
            raise NotAllowed(f"branch {branch.id} is another branch's; a branch searches its own cases only")
    if filters.village_id is not None:
        _check_village(session, filters, scope, collected)
    if filters.member_id is not None and session.get(Member, filters.member_id) is None:
        collected.add("member_id", f"no member {filters.member_id}", f"没有编号为 {filters.member_id} 的党员")
    if problems is None:
        collected.raise_any()


def _check_codes(codes: Known, filters: CaseFilters, problems: Problems) -> None:
    offered = {
        "procedure": (filters.procedure, [p.value for p in codes.procedures], "流程"),
        "status": (filters.status, codes.statuses, "状态"),
        "outcome": (filters.outcome, sorted({o.value for o in codes.outcomes}), "结果"),
    }
    for name, (value, allowed, word) in offered.items():
        if value and value not in allowed:
            listed = ", ".join(allowed)
            problems.add(
                name,
                f"unknown {name} {value!r}; one of: {listed}",
                f"未知的{word}：{value}（可选：{listed}）",
            )


def _check_village(session: Session, filters: CaseFilters, scope: int | None, problems: Problems) -> None:
    village = session.get(Village, filters.village_id)
    if village is None:
        problems.add(
            "village_id", f"no village {filters.village_id}", f"没有编号为 {filters.village_id} 的村"
        )
    elif scope is not None and village.branch_id != scope:
        raise NotAllowed(
            f"village {village.id} is served by another branch; a branch searches its own cases only"
        )
    elif filters.branch_id is not None and village.branch_id != filters.branch_id:
        problems.add(
            "village_id",
            f"village {village.id} is not served by branch {filters.branch_id}",
            f"该村不属于所选党支部（编号 {filters.branch_id}）",
        )
