"""Verify from the browser: a run of `verify` in the background, with progress, a verdict per case
and a report to download.

A run is a row of `verify_run` (unchained: it is the auditors' bookkeeping, not a record anyone
relies on) and a thread in the server process that started it (`verify_job`). Any server process
reads its progress and report from the row, so a page polled through another worker still sees
it. A thread dies with its process; a run whose row has not moved for `STALE_AFTER` reads as
interrupted instead of running forever.

Who: the auditor and the town committee verify the whole chain or any cases; a branch verifies its
own cases, and every report it reads holds the details of its own cases only (how many problems lie
elsewhere, never what they are). Anyone else is refused. The chain and the chained tables are always
checked whole (one removed row anywhere can hide what happened to any case); only the replay is
limited to the chosen cases.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, defer

from ...actor import Actor
from ...errors import FormInvalid, NotAllowed, NotFound, RuleViolation
from ...kernel import Kernel
from ...models import Event, ProcessInstance, User, VerifyRun
from ...models.org import ROLE_AUDITOR, ROLE_BRANCH, ROLE_COMMITTEE
from . import verify_job
from .verify_run_view import ACTIVE, STALE_AFTER, RunView, view_of
from .verify_text import report_lines

MAX_CASES = 2000  # cases one may name in a run; a branch's whole list is not capped
TOWN_WIDE = frozenset({ROLE_AUDITOR, ROLE_COMMITTEE})


class VerifyRunBusy(RuleViolation):
    """A run that may not start while another one is going (the message names it)."""

    code = "verify_run_busy"


def reader_branch(actor: Actor) -> int | None:
    """The branch whose cases the actor may verify and read (None: the whole town); NotAllowed for
    anyone else."""
    if actor.roles & TOWN_WIDE:
        return None
    if actor.has(ROLE_BRANCH) and actor.branch_id is not None:
        return actor.branch_id
    raise NotAllowed(
        f"{actor.username} may not verify: that is for auditors, the town committee and branches "
        f"(roles: {', '.join(sorted(actor.roles)) or 'none'})"
    )


def start(kernel: Kernel, actor: Actor, instance_ids: list[int] | None) -> int:
    """Write the run and start its thread; the id of the run. `instance_ids` None: the whole chain
    (for a branch: every case of its own)."""
    branch = reader_branch(actor)
    chosen = _checked_numbers(instance_ids)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        _serialise_starts(session)
        scope = _scope(session, branch, chosen)
        _refuse_while_busy(session, kernel, actor, scope)
        chain_events = _count(session, select(func.count()).select_from(Event))
        now = kernel.clock.now()
        run = VerifyRun(
            requested_by=actor.user_id,
            scope=json.dumps(scope),
            status="queued",
            events_total=chain_events + _replay_events(session, scope),
            events_done=0,
            started_at=now,
            updated_at=now,
            head_hash="",
            report=json.dumps({"progress": {"chain_events": chain_events, "seconds": 0.0}}),
            error="",
        )
        session.add(run)
        session.flush()
        run_id = run.id
        uow.commit()
    verify_job.launch(kernel, run_id)
    return run_id


def started(kernel: Kernel, actor: Actor, instance_ids: list[int] | None) -> RunView:
    """`start`, answering with the run as its requester sees it (for the API's 202)."""
    return get(kernel, actor, start(kernel, actor, instance_ids))


def get(kernel: Kernel, actor: Actor, run_id: int) -> RunView:
    branch = reader_branch(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        row = _readable(uow.session, actor, branch, run_id)
        return view_of(kernel, row, branch, _requester(uow.session, row.requested_by), with_report=True)


def list_runs(kernel: Kernel, actor: Actor, limit: int = 50) -> list[RunView]:
    """The latest runs the actor may read, newest first (without their reports)."""
    branch = reader_branch(actor)
    statement = (
        select(VerifyRun, User.display_name, User.username)
        .outerjoin(User, User.id == VerifyRun.requested_by)
        .options(defer(VerifyRun.report))  # read only for a run still going (its progress)
    )
    if branch is not None:
        statement = statement.where(User.branch_id == branch)
    with kernel.db.unit_of_work(write=False) as uow:
        found = uow.session.execute(statement.order_by(VerifyRun.id.desc()).limit(limit)).all()
        return [
            view_of(kernel, row, branch, name or username or "", with_report=False)
            for row, name, username in found
        ]


def report_json(kernel: Kernel, actor: Actor, run_id: int) -> str:
    """The finished report as the actor may read it, as JSON text (UTF-8, not escaped)."""
    view = _finished(get(kernel, actor, run_id))
    return json.dumps(_document(view), ensure_ascii=False, indent=2, sort_keys=False)


def report_text(kernel: Kernel, actor: Actor, run_id: int) -> str:
    """The finished report as plain text with Chinese labels, for print and the archive."""
    view = _finished(get(kernel, actor, run_id))
    return "\n".join(report_lines(_document(view))) + "\n"


def wait(run_id: int, timeout: float = 120.0) -> bool:
    """Wait for a run started by this process to end (tests, the command line); False on timeout."""
    return verify_job.join(run_id, timeout)


# -- checks ----------------------------------------------------------------------------------


def _checked_numbers(instance_ids: list[int] | None) -> list[int] | None:
    if instance_ids is None:
        return None
    chosen = sorted(set(instance_ids))
    if not chosen:
        raise FormInvalid(
            "verify_run",
            {"instances": "name at least one case, or verify the whole chain"},
            {"instances": "请至少填写一个案件编号，或选择核验全链"},
        )
    if len(chosen) > MAX_CASES:
        raise FormInvalid(
            "verify_run",
            {"instances": f"at most {MAX_CASES} cases in one run ({len(chosen)} named)"},
            {"instances": f"一次最多核验 {MAX_CASES} 件案件（填写了 {len(chosen)} 件）"},
        )
    return chosen


def _scope(session: Session, branch: int | None, chosen: list[int] | None) -> list[int] | None:
    """The cases to replay: None (every case), or the chosen ones, each known and readable."""
    if chosen is None:
        if branch is None:
            return None
        return list(
            session.execute(
                select(ProcessInstance.id)
                .where(ProcessInstance.branch_id == branch)
                .order_by(ProcessInstance.id)
            ).scalars()
        )
    found = dict(
        session.execute(
            select(ProcessInstance.id, ProcessInstance.branch_id).where(ProcessInstance.id.in_(chosen))
        ).all()
    )
    unknown = [number for number in chosen if number not in found]
    if unknown:
        listed = ", ".join(map(str, unknown))
        raise FormInvalid(
            "verify_run",
            {"instances": f"no such case: {listed}"},
            {"instances": f"没有这些案件：{'、'.join(map(str, unknown))}"},
        )
    foreign = [number for number in chosen if branch is not None and found[number] != branch]
    if foreign:
        raise NotAllowed(
            f"cases {', '.join(map(str, foreign))} belong to another branch: a branch verifies its own cases",
            instances=foreign,
        )
    return chosen


def _serialise_starts(session: Session) -> None:
    """Two starts at once must not both find nothing running. SQLite's write transaction is one at a
    time already; on PostgreSQL the starts take turns on the table (only runs write it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE verify_run IN SHARE ROW EXCLUSIVE MODE"))


def _refuse_while_busy(session: Session, kernel: Kernel, actor: Actor, scope: list[int] | None) -> None:
    """One whole-chain run at a time per database, and one run at a time per person."""
    fresh = kernel.clock.now() - STALE_AFTER
    active = select(VerifyRun).where(VerifyRun.status.in_(ACTIVE), VerifyRun.updated_at >= fresh)
    if scope is None:
        whole = session.execute(active.where(VerifyRun.scope == "null").limit(1)).scalar_one_or_none()
        if whole is not None:
            who = _requester(session, whole.requested_by)
            raise VerifyRunBusy(
                f"verify run {whole.id} of the whole chain (started by {who}) is still running: "
                "open it and wait for its report",
                run_id=whole.id,
            )
    mine = session.execute(
        active.where(VerifyRun.requested_by == actor.user_id).limit(1)
    ).scalar_one_or_none()
    if mine is not None:
        raise VerifyRunBusy(
            f"your verify run {mine.id} is still running: wait for it before starting another",
            run_id=mine.id,
        )


def _replay_events(session: Session, scope: list[int] | None) -> int:
    """The events replay will go through: those of every existing case, or of the chosen ones."""
    cases = select(ProcessInstance.id)
    if scope is not None:
        cases = cases.where(ProcessInstance.id.in_(scope))
    return _count(session, select(func.count()).select_from(Event).where(Event.instance_id.in_(cases)))


def _count(session: Session, statement: Any) -> int:
    return int(session.execute(statement).scalar_one())


# -- reading -----------------------------------------------------------------------------------


def _readable(session: Session, actor: Actor, branch: int | None, run_id: int) -> VerifyRun:
    row = session.get(VerifyRun, run_id)
    if row is None:
        raise NotFound(f"no verify run {run_id}", run_id=run_id)
    if branch is not None and row.requested_by != actor.user_id:
        requester_branch = session.execute(
            select(User.branch_id).where(User.id == row.requested_by)
        ).scalar_one_or_none()
        if requester_branch != branch:
            raise NotAllowed(f"verify run {run_id} was started outside your branch", run_id=run_id)
    return row


def _requester(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    found = session.execute(select(User.display_name, User.username).where(User.id == user_id)).one_or_none()
    return (found[0] or found[1]) if found else f"#{user_id}"


def _finished(view: RunView) -> RunView:
    if view.status != "done" or view.report is None:
        raise NotFound(
            f"verify run {view.id} has no report: it is {view.status}", run_id=view.id, status=view.status
        )
    return view


def _document(view: RunView) -> dict[str, Any]:
    """The downloadable report: the run, then what it found."""
    assert view.report is not None
    return {
        "run": {
            "id": view.id,
            "requested_by": view.requester,
            "scope": view.scope,
            "started_at": view.started_at.isoformat(),
            "finished_at": view.finished_at.isoformat() if view.finished_at else None,
        },
        **view.report,
    }
