"""What the to-do page shows in one call: a page of the list as the query string asks, and what its
filters offer (the procedures that have cases of their own, the branches for a town-wide role).

A bad filter or cursor is not an error page: the first page is shown without it, with the reason
beside its field, as the case search does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..errors import FormInvalid
from ..kernel import Kernel
from ..models import Branch, ProcessDefinition
from ..models.org import ROLE_COMMITTEE
from .inbox_paging import ListPage, todo_page
from .inbox_query import PageAsk, TodoFilters, list_query, todo_query
from .results import TaskSummary


@dataclass(frozen=True)
class Choice:
    value: str
    name: str


@dataclass(frozen=True)
class TodoView:
    page: ListPage[TaskSummary]
    filters: TodoFilters
    procedures: list[Choice]
    branches: list[Choice]  # empty unless the actor may filter by branch (town-wide)
    errors: dict[str, str] = field(default_factory=dict)
    errors_zh: dict[str, str] = field(default_factory=dict)


def todo_view(kernel: Kernel, actor: Actor, args: Mapping[str, str]) -> TodoView:
    """A page of the actor's to-do list by the query string, with the filters' choices."""
    errors: dict[str, str] = {}
    errors_zh: dict[str, str] = {}
    try:
        filters, ask = todo_query(args)
    except FormInvalid as refused:
        errors, errors_zh = refused.errors, refused.errors_zh
        filters, ask = TodoFilters(), PageAsk()
    page = todo_page(kernel, actor, filters, ask)
    with kernel.db.unit_of_work(write=False) as uow:
        procedures = _procedures(uow.session, kernel)
        branches = _branches(uow.session) if actor.has(ROLE_COMMITTEE) else []
    return TodoView(page, filters, procedures, branches, errors, errors_zh)


def list_ask(args: Mapping[str, str]) -> tuple[PageAsk, dict[str, str], dict[str, str]]:
    """The page a newest-first tab asks for; a bad cursor or size gives the first page and says why."""
    try:
        return list_query(args), {}, {}
    except FormInvalid as refused:
        return PageAsk(), refused.errors, refused.errors_zh


def _procedures(session: Session, kernel: Kernel) -> list[Choice]:
    """Deployed procedures that are cases of their own: not only called by others (an approval, a
    public notice), unless they also have a start form, subjects or a cycle of their own."""
    current = select(ProcessDefinition.process_key, ProcessDefinition.current_version_id).order_by(
        ProcessDefinition.process_key
    )
    versions = {key: kernel.catalog.get(session, vid) for key, vid in session.execute(current)}
    called = {name for version in versions.values() for name in version.subprocess_specs}
    return [
        Choice(key, version.name or key)
        for key, version in versions.items()
        if key not in called or version.start_form or version.start_for or version.cycle
    ]


def _branches(session: Session) -> list[Choice]:
    rows = session.execute(select(Branch.id, Branch.name).order_by(Branch.id)).all()
    return [Choice(str(branch_id), name) for branch_id, name in rows]
