"""A verify run's report: what `verify` found, made readable and kept as JSON in the run's row.

`verify` speaks in lines of text and `Finding`s; an auditor needs each case with its title and
procedure, each differing row with the value the log says and the value stored, and each problem
placed in the case (and so the branch) it belongs to, so that a branch can be shown its own and
nothing else (`visible_to`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...journal.rebuild import Finding, read_table
from ...journal.tables import CHAINED
from ...kernel import Kernel
from ...models import Branch, Event, ProcessInstance, ProcessVersion
from .verify import VerifyReport
from .verify_divergence import divergence

FORMAT = 1
DETAILED_CASES = 20  # diverging cases whose difference is worked out by replaying them once more
_CHUNK = 5000
_NAMED_CASE = re.compile(r"\binstance (\d+)\b")


def build(kernel: Kernel, found: VerifyReport, scope: list[int] | None, seconds: float) -> dict[str, Any]:
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        chain = _chain_problems(found)
        logged = _LoggedValues(session)
        owners = [logged.case_of(finding) for finding in found.findings]
        named = {entry["case"] for entry in chain}
        wanted = {case for case in (*found.cases, *owners, *named) if case is not None}
        info = _case_info(session, wanted)
        for entry in chain:
            entry["branch_id"] = _known(info, entry["case"])["branch_id"]
        cases = _cases(session, kernel, found.cases, info)
        findings = _findings(session, found.findings, owners, logged, info)
    diverging = sum(1 for case in cases if not case["ok"])
    return {
        "format": FORMAT,
        "ok": found.ok,
        "summary": {
            "events": found.events,
            "cases_replayed": len(cases),
            "cases_diverging": diverging,
            "findings": len(findings),
            "chain_problems": len(chain),
            "events_replayed": found.replayed_events,
            "events_checkpointed": found.checkpointed_events,
            "checkpoints_refused": found.checkpoints_refused,
        },
        "scope": scope,
        "head": {"seq": found.head_seq, "hash": found.head_hash},
        "seconds": round(seconds, 3),
        "events_per_second": round(found.events / seconds, 1) if seconds > 0 else None,
        "cases": cases,
        "findings": findings,
        "chain": chain,
    }


def visible_to(report: dict[str, Any], branch: int | None) -> dict[str, Any]:
    """The report as a reader sees it: whole for the town-wide, a branch's own cases for a branch,
    with how many entries lie outside it (never what they say)."""
    if branch is None or "cases" not in report:
        return report
    kept: dict[str, Any] = {}
    hidden: dict[str, int] = {}
    for part in ("cases", "findings", "chain"):
        entries = report.get(part) or []
        kept[part] = [entry for entry in entries if entry.get("branch_id") == branch]
        hidden[part] = len(entries) - len(kept[part])
    summary = {
        **report.get("summary", {}),
        "cases_replayed": len(kept["cases"]),
        "cases_diverging": sum(1 for case in kept["cases"] if not case.get("ok")),
        "findings": len(kept["findings"]),
        "chain_problems": len(kept["chain"]),
    }
    return {**report, **kept, "summary": summary, "hidden": hidden, "branch_only": branch}


# -- cases --------------------------------------------------------------------------------------


def _case_info(session: Session, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Title, procedure and branch of each case, read once for the whole report."""
    info: dict[int, dict[str, Any]] = {}
    wanted = sorted(ids)
    statement = (
        select(
            ProcessInstance.id,
            ProcessInstance.title,
            ProcessInstance.process_key,
            ProcessInstance.status,
            ProcessInstance.branch_id,
            ProcessVersion.name,
            Branch.name,
        )
        .outerjoin(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .outerjoin(Branch, Branch.id == ProcessInstance.branch_id)
    )
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for case_id, title, key, status, branch_id, procedure, branch in session.execute(
            statement.where(ProcessInstance.id.in_(chunk))
        ):
            info[case_id] = {
                "title": title,
                "process_key": key,
                "procedure": procedure or key,
                "status": status,
                "branch_id": branch_id,
                "branch": branch or "",
            }
    return info


def _cases(
    session: Session, kernel: Kernel, verdicts: dict[int, list[str]], info: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each replayed case, diverging ones first, with its first divergence made readable."""
    cases = []
    detailed = 0
    for case_id in sorted(verdicts, key=lambda number: (not verdicts[number], number)):
        problems = verdicts[case_id]
        entry: dict[str, Any] = {"id": case_id, **_known(info, case_id), "ok": not problems}
        if problems:
            entry["problem"] = problems[0]
            entry["divergence"] = divergence(session, kernel, case_id, problems[0], detailed < DETAILED_CASES)
            detailed += 1
        cases.append(entry)
    return cases


def _known(info: dict[int, dict[str, Any]], case_id: int | None) -> dict[str, Any]:
    blank = {"title": "", "process_key": "", "procedure": "", "status": "", "branch_id": None, "branch": ""}
    return info.get(case_id, blank) if case_id is not None else blank


# -- chain ----------------------------------------------------------------------------------------


def _chain_problems(found: VerifyReport) -> list[dict[str, Any]]:
    """The problems that are neither a differing row nor a case's replay: the chain's own (hashes,
    links, heads, published heads), each with the case it names, if it names one."""
    accounted = Counter(str(finding) for finding in found.findings)
    accounted.update(problem for problems in found.cases.values() for problem in problems)
    chain = []
    for problem in found.problems:
        if accounted[problem] > 0:
            accounted[problem] -= 1
            continue
        named = _NAMED_CASE.search(problem)
        chain.append({"message": problem, "case": int(named.group(1)) if named else None, "branch_id": None})
    return chain


# -- findings -------------------------------------------------------------------------------------


def _findings(
    session: Session,
    found: list[Finding],
    owners: list[int | None],
    logged: _LoggedValues,
    info: dict[int, dict[str, Any]],
) -> list[dict[str, Any]]:
    stored = _stored_rows(session, found)
    entries = []
    for finding, owner in zip(found, owners, strict=True):
        row = stored.get((finding.table, finding.key))
        if finding.column is not None:
            kind = "changed"
            expected = logged.value(finding)
            actual = row.get(finding.column) if row is not None else None
        else:
            kind = "extra" if row is not None else "missing"
            expected, actual = None, row
        case = _known(info, owner)
        entries.append(
            {
                "table": finding.table,
                "key": _plain(finding.key),
                "column": finding.column,
                "seq": finding.seq,
                "kind": kind if finding.table in CHAINED else "other",
                "expected": expected,
                "stored": actual,
                "message": finding.message,
                "case": owner,
                "case_title": case["title"],
                "branch_id": case["branch_id"],
            }
        )
    return entries


def _stored_rows(session: Session, found: list[Finding]) -> dict[tuple[str, Any], dict[str, Any]]:
    """The stored rows the findings name, as the log spells them (one pass over each such table)."""
    wanted: dict[str, set[Any]] = {}
    for finding in found:
        if finding.table in CHAINED:
            wanted.setdefault(finding.table, set()).add(finding.key)
    rows: dict[tuple[str, Any], dict[str, Any]] = {}
    for table, keys in wanted.items():
        for key, values in read_table(session, CHAINED[table]):
            if key in keys:
                rows[(table, key)] = values
    return rows


class _LoggedValues:
    """The value the log gives a column (what the event that last set it wrote), and the case a
    row belongs to: the one it names, or the case of the event that made it (a post names its
    creation case in a column of its own)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._changes: dict[int, list[dict[str, Any]]] = {}
        self._cases: dict[int, int | None] = {}

    def case_of(self, finding: Finding) -> int | None:
        if finding.instance_id is not None or finding.seq is None:
            return finding.instance_id
        self._of(finding.seq)
        return self._cases.get(finding.seq)

    def value(self, finding: Finding) -> Any:
        if finding.seq is None:
            return None
        value = None
        for change in self._of(finding.seq):
            values = change.get("values") or {}
            if (
                change.get("table") == finding.table
                and _hashable(change.get("key")) == finding.key
                and finding.column in values
            ):
                value = values[finding.column]
        return value

    def _of(self, seq: int) -> list[dict[str, Any]]:
        if seq not in self._changes:
            row = self.session.execute(
                select(Event.changes, Event.instance_id).where(Event.seq == seq)
            ).first()
            text, self._cases[seq] = (row[0], row[1]) if row is not None else ("[]", None)
            try:
                parsed = json.loads(text or "[]")
            except ValueError:
                parsed = []
            self._changes[seq] = (
                [c for c in parsed if isinstance(c, dict)] if isinstance(parsed, list) else []
            )
        return self._changes[seq]


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
