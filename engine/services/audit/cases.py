"""案件查询: every case, running or ended, found by procedure, status, outcome, branch, village,
the person it concerns, when it started and the words of its title.

Newest first, paged by keyset on (started_at, id): a page is found from the last case of the
previous one, never by an offset, so a case started while someone reads the list neither repeats a
case on the next page nor hides one. The auditor, the committee and the administrator search the
whole town; a branch searches its own cases (naming another branch is refused, not ignored); a
member without another role is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ...actor import Actor
from ...errors import FormInvalid, NotAllowed
from ...kernel import Kernel
from ...models.org import ROLE_BRANCH
from ...process.catalog import Catalog
from .. import authz
from . import case_choices, case_query
from .case_choices import CaseChoices
from .case_filters import CaseFilters, PageRequest, Problems
from .case_query import CasePage
from .case_rows import CaseRow

__all__ = ["CaseBrowse", "CaseExport", "CasePage", "CaseRow", "browse", "export", "search", "search_query"]
EXPORT_CAP = 10_000


@dataclass(frozen=True)
class CaseExport:
    rows: list[CaseRow]
    total: int
    capped: bool  # more cases matched than the export holds
    cap: int


@dataclass(frozen=True)
class CaseBrowse:
    """What the page shows: the filter choices, and the page of cases or why the filters are refused."""

    choices: CaseChoices
    page: CasePage | None
    errors: dict[str, str]
    errors_zh: dict[str, str]


def scope_of(actor: Actor) -> int | None:
    """The branch an actor searches (None: the whole town); NotAllowed for anyone else."""
    if actor.roles & authz.TOWN_WIDE_READERS:
        return None
    if actor.has(ROLE_BRANCH) and actor.branch_id is not None:
        return actor.branch_id
    raise NotAllowed(
        f"{actor.username} may not search cases: that is for auditors, the town committee, "
        f"administrators and branches (roles: {', '.join(sorted(actor.roles)) or 'none'})"
    )


def search(kernel: Kernel, actor: Actor, filters: CaseFilters, page: PageRequest | None = None) -> CasePage:
    """One page of the cases matching `filters`, newest first, with the total count."""
    scope = scope_of(actor)
    filters.check()
    with kernel.db.unit_of_work(write=False) as uow:
        case_choices.check(uow.session, kernel.catalog, filters, scope)
        return case_query.page(uow.session, kernel.catalog, filters, scope, page or PageRequest())


def search_query(kernel: Kernel, actor: Actor, query: Mapping[str, str]) -> CasePage:
    """`search` from a query string (filters and page): a refusal names every bad field at once."""
    scope = scope_of(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        return _from_query(uow.session, kernel.catalog, scope, query)


def export(kernel: Kernel, actor: Actor, filters: CaseFilters, cap: int = EXPORT_CAP) -> CaseExport:
    """Every matching case (up to `cap`, newest first) for a download, with the total count."""
    scope = scope_of(actor)
    filters.check()
    with kernel.db.unit_of_work(write=False) as uow:
        case_choices.check(uow.session, kernel.catalog, filters, scope)
        found = case_query.page(uow.session, kernel.catalog, filters, scope, PageRequest(limit=cap))
        return CaseExport(found.rows, found.total, found.total > cap, cap)


def browse(kernel: Kernel, actor: Actor, query: Mapping[str, str]) -> CaseBrowse:
    """The case list page from its query string: choices always, the page unless a filter is
    refused (then every refused field, with why)."""
    scope = scope_of(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        offered = case_choices.choices(uow.session, kernel.catalog, scope)
        try:
            found = _from_query(uow.session, kernel.catalog, scope, query)
        except FormInvalid as refused:
            return CaseBrowse(offered, None, refused.errors, refused.errors_zh)
        return CaseBrowse(offered, found, {}, {})


def _from_query(session: Session, catalog: Catalog, scope: int | None, query: Mapping[str, str]) -> CasePage:
    filters, asked = parse_query(query, lambda f, p: case_choices.check(session, catalog, f, scope, p))
    return case_query.page(session, catalog, filters, scope, asked)


def parse_query(
    query: Mapping[str, str], check: Callable[[CaseFilters, Problems], None] | None = None
) -> tuple[CaseFilters, PageRequest]:
    """Filters and page from one query string, checked by `check` as well if given; the refusal
    names every bad field at once."""
    problems = Problems()
    filters = CaseFilters.from_query(query, problems)
    page = PageRequest.from_query(query, problems)
    if check is not None:
        check(filters, problems)
    problems.raise_any()
    return filters, page
