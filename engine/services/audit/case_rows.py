"""The rows of the case list: each case with its procedure's name, branch and village (its own or
its subject's), its outcome in its diagram's words, and the steps it waits at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from ...models import Branch, ProcessInstance, ProcessVersion, Village
from ...process.catalog import Catalog
from . import case_people
from .case_steps import WaitingStep, outcome_names, waiting_steps

PI = ProcessInstance


@dataclass(frozen=True)
class CaseRow:
    id: int
    title: str
    process_key: str
    procedure: str  # the pinned version's name, "中文 English"
    version: int
    branch_id: int | None
    branch: str
    village_id: int | None
    village: str  # its own, or its subject's (a nominee's village); "、" between several
    status: str
    outcome: str
    end_event: str
    outcome_name: str  # the end event's name in the diagram
    outcome_name_en: str
    started_at: dt.datetime
    updated_at: dt.datetime
    ended_at: dt.datetime | None
    waiting: list[WaitingStep] = field(default_factory=list)


def select_cases(where: list[Any]) -> Select[ProcessInstance, str, int, str, str]:
    village = aliased(Village)
    return (
        select(PI, ProcessVersion.name, ProcessVersion.version, Branch.name, village.name)
        .join(ProcessVersion, ProcessVersion.id == PI.process_version_id)
        .outerjoin(Branch, Branch.id == PI.branch_id)
        .outerjoin(village, village.id == PI.village_id)
        .where(*where)
    )


def case_rows(session: Session, catalog: Catalog, found: Sequence[Any]) -> list[CaseRow]:
    instances = [row[0] for row in found]
    waiting = waiting_steps(session, catalog, [i for i in instances if i.status == "running"])
    names = outcome_names(session, catalog, [i for i in instances if i.end_event])
    villages = _subject_village_names(session, catalog, [i.id for i in instances if i.village_id is None])
    rows = []
    for instance, procedure, version, branch, village in found:
        name, name_en = names.get(instance.id, ("", ""))
        rows.append(
            CaseRow(
                id=instance.id,
                title=instance.title,
                process_key=instance.process_key,
                procedure=procedure or instance.process_key,
                version=version,
                branch_id=instance.branch_id,
                branch=branch or "",
                village_id=instance.village_id,
                village=village or villages.get(instance.id, ""),
                status=instance.status,
                outcome=instance.outcome,
                end_event=instance.end_event,
                outcome_name=name,
                outcome_name_en=name_en,
                started_at=instance.started_at,
                updated_at=instance.updated_at,
                ended_at=instance.ended_at,
                waiting=waiting.get(instance.id, []),
            )
        )
    return rows


def _subject_village_names(session: Session, catalog: Catalog, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = case_people.subject_villages(session, catalog, PI.id.in_(ids))
    wanted = {v for villages in found.values() for v in villages}
    names = dict(session.execute(select(Village.id, Village.name).where(Village.id.in_(wanted))).all())
    return {i: "、".join(names[v] for v in sorted(villages) if v in names) for i, villages in found.items()}
