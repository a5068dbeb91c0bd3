"""Evidence for auditors: a dossier of everything about a member, a post, an area, a branch or a
year, and a 审批表 of one case, each sealed with the chain head it was made at.

Who may print: auditors and the town committee anything in the town (so may the command-line
operator); a branch its own members, posts, areas, cases and its own part of a year; nobody else.

A document is made in three moves: find the subject and its cases (one read); seal them
(`evidence_seal`: the chain head, and whether the chain and those cases verify); then read every
case's trail up to that head, so the printed trail is exactly what the sealed head covers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...clock import CHINA_TZ
from ...errors import NotAllowed, NotFound
from ...kernel import Kernel
from ...models import ProcessInstance
from ...models.org import ROLE_AUDITOR, ROLE_BRANCH, ROLE_COMMITTEE, ROLE_OPERATOR
from .. import register_words
from . import dossier_subjects as subjects
from . import words
from .dossier_cases import CaseReader
from .dossier_model import APPROVAL_FORMAT, FORMAT, ApprovalForm, Case, Dossier, Records, Seal
from .dossier_names import Names
from .dossier_records import read_records
from .dossier_surveys import survey_tallies
from .verify import verify

KINDS = ("member", "post", "area", "branch", "year")
TOWN_WIDE = frozenset({ROLE_AUDITOR, ROLE_COMMITTEE, ROLE_OPERATOR})


def evidence_seal(kernel: Kernel, instance_ids: Iterable[int]) -> Seal:
    """The chain head now, and whether the evidence verifies at it: the whole chain and every
    chained table (one removed row anywhere can hide what happened to any case), and a replay of
    the cases printed (other cases' replays are not this document's)."""
    report = verify(kernel, instances=sorted(set(instance_ids)))
    verified_at = kernel.clock.now().astimezone(CHINA_TZ)
    return Seal(report.head_seq, report.head_hash, verified_at, report.ok, list(report.problems))


def reader_branch(actor: Actor) -> int | None:
    """The branch whose evidence the actor may print, or None for the whole town; others refused."""
    if actor.roles & TOWN_WIDE:
        return None
    if actor.has(ROLE_BRANCH) and actor.branch_id is not None:
        return actor.branch_id
    raise NotAllowed(
        f"{actor.username} may not print evidence: auditors and the town committee may, and a branch "
        "for its own members, posts, areas and cases",
        username=actor.username,
    )


def _check_branch(allowed: int | None, subject: subjects.Subject) -> None:
    if allowed is not None and subject.branch_id != allowed:
        raise NotAllowed(
            f"{subjects_word(subject.kind)} {subject.key} belongs to another branch",
            kind=subject.kind,
            key=subject.key,
        )


def _made_by(actor: Actor) -> str:
    """Who printed: the account's name; the command-line operator has none of its own."""
    if actor.display_name:
        return actor.display_name
    return words.ROLES[ROLE_OPERATOR] if actor.has(ROLE_OPERATOR) else actor.username


def subjects_word(kind: str) -> str:
    return {"member": "member", "post": "model post", "area": "responsibility area", "branch": "branch"}.get(
        kind, kind
    )


def _subject(
    kernel: Kernel, session: Session, kind: str, key: str, allowed: int | None, names: Names
) -> subjects.Subject:
    finders: dict[str, Callable[..., subjects.Subject]] = {
        "member": subjects.member,
        "post": subjects.post,
        "area": subjects.area,
        "branch": subjects.branch,
    }
    if kind == "year":
        return subjects.year(session, key, allowed, names)
    if kind not in finders:
        raise NotFound(f"no dossier of kind {kind!r}; kinds: {', '.join(KINDS)}", kind=kind)
    subject = finders[kind](session, kernel, key.strip(), names)
    _check_branch(allowed, subject)
    return subject


def dossier(kernel: Kernel, actor: Actor, kind: str, key: str) -> Dossier:
    """Everything about one subject, sealed: its cases with their trails, survey tallies, and the
    registers' rows (posts, areas, assessments, rewards, criticisms, rectifications, revocations,
    ledger marks), each row naming the case that wrote it."""
    allowed = reader_branch(actor)
    made_at = kernel.clock.now().astimezone(CHINA_TZ)
    with kernel.db.unit_of_work(write=False) as uow:
        names = Names.load(uow.session)
        subject = _subject(kernel, uow.session, kind, key, allowed, names)
        outcomes = register_words.assessment_outcomes(kernel, uow.session)
        records = read_records(
            uow.session, subject.scope, names, {c: w["zh_CN"] for c, w in outcomes.items()}
        )
        case_ids = subject.cases | _cited_cases(records)
    seal = evidence_seal(kernel, case_ids)
    with kernel.db.unit_of_work(write=False) as uow:
        reader = CaseReader(uow.session, kernel, names, seal.head_seq, actor)
        cases = _cases(reader, case_ids)
        forms = {c.id: reader.version(_instance(uow.session, c.id)).forms for c in cases}
        surveys = survey_tallies(uow.session, [c.id for c in cases], forms)
    return Dossier(
        format=FORMAT,
        kind=subject.kind,
        kind_text=words.word(words.SUBJECT_KINDS, subject.kind),
        key=subject.key,
        title=f"{subject.title} 证据材料",
        scope=names.branches.get(subject.branch_id, "") if subject.branch_id is not None else "全镇",
        subject=subject.facts,
        made_at=made_at,
        made_by=_made_by(actor),
        seal=seal,
        cases=cases,
        surveys=surveys,
        records=records,
    )


def _cited_cases(records: Records) -> set[int]:
    lines: list[object] = [
        *records.posts,
        *records.areas,
        *records.assessments,
        *records.rewards,
        *records.criticisms,
        *records.rectifications,
        *records.revocations,
        *records.ledger,
    ]
    return {case_id for line in lines if isinstance(case_id := getattr(line, "case_id", None), int)}


def _instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"no instance {instance_id}", instance_id=instance_id)
    return instance


def _cases(reader: CaseReader, case_ids: set[int]) -> list[Case]:
    """The cases in the order they started; a case with no event under the seal is left out (it
    began after the head was read)."""
    instances = reader.session.execute(
        select(ProcessInstance).where(ProcessInstance.id.in_(sorted(case_ids))).order_by(ProcessInstance.id)
    ).scalars()
    cases = [reader.case(instance) for instance in instances]
    return [case for case in cases if case.steps]


def approval_form(kernel: Kernel, actor: Actor, instance_id: int, url: str) -> ApprovalForm:
    """A 审批表 of one case: its facts and approval trail, sealed; `url` is where the case is read
    online (the caller knows its own address), which the printed QR code leads to."""
    allowed = reader_branch(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        instance = _instance(uow.session, instance_id)
        if allowed is not None and instance.branch_id != allowed:
            raise NotAllowed(f"instance {instance_id} belongs to another branch", instance_id=instance_id)
        names = Names.load(uow.session)
    seal = evidence_seal(kernel, [instance_id])
    with kernel.db.unit_of_work(write=False) as uow:
        reader = CaseReader(uow.session, kernel, names, seal.head_seq, actor)
        case = reader.case(_instance(uow.session, instance_id))
    return ApprovalForm(
        format=APPROVAL_FORMAT,
        case=case,
        url=url,
        made_at=kernel.clock.now().astimezone(CHINA_TZ),
        made_by=_made_by(actor),
        seal=seal,
    )
