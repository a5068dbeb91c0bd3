"""What an evidence dossier and a 审批表 hold, as plain dataclasses the three renderers share
(PDF, Excel, JSON).

The JSON form is `dataclasses` turned into objects key by key, so these field names ARE the
published format (`FORMAT`): once released, fields may be added but never renamed or removed, and
a change of meaning needs a new `FORMAT`. Times are ISO 8601 in China time (+08:00); amounts and
scores are numbers; every `*_text` field is the Chinese wording of the code beside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

FORMAT = "xianfeng.dossier/1"
APPROVAL_FORMAT = "xianfeng.approval-form/1"


class Seal(NamedTuple):
    """The chain head a document was made at, and what verifying its cases found then."""

    head_seq: int
    head_hash: str
    verified_at: dt.datetime
    ok: bool
    problems: list[str]


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Answer:
    """One field of what someone submitted: the form's label and the value as a person reads it."""

    label: str
    text: str


@dataclass
class Step:
    """One event of a case as the approval trail prints it; anonymous answers through public links
    are folded into one step per task (`count` of them)."""

    seq: int
    at: dt.datetime
    kind: str
    operation: str
    step: str
    actor: str
    role: str
    role_text: str
    answers: list[Answer] = field(default_factory=list)
    count: int = 1


@dataclass
class Case:
    id: int
    title: str
    process_key: str
    procedure: str
    version: int
    bundle_hash: str
    status: str
    status_text: str
    outcome: str
    outcome_text: str
    branch: str
    village: str
    concerning: list[str]
    started_at: dt.datetime
    ended_at: dt.datetime | None
    started_by: str
    head_hash: str
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class OptionCount:
    label: str
    count: int


@dataclass
class Question:
    label: str
    options: list[OptionCount] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


@dataclass
class SurveyTally:
    case_id: int
    title: str
    links: int
    responses: int
    opened_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    questions: list[Question] = field(default_factory=list)


@dataclass(frozen=True)
class PostLine:
    id: int
    plate_no: str
    badge_no: str
    title: str
    member: str
    branch: str
    village: str
    category_text: str
    status: str
    status_text: str
    established_on: dt.datetime
    revoked_at: dt.datetime | None
    case_id: int


@dataclass(frozen=True)
class AreaLine:
    id: int
    name: str
    branch: str
    village: str
    status: str
    status_text: str
    members: str
    activated_at: dt.datetime | None
    case_id: int


@dataclass(frozen=True)
class AssessmentLine:
    case_id: int
    plate_no: str
    member: str
    year: int
    score: float
    satisfaction: float
    responses: int
    outcome: str
    outcome_text: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class RewardLine:
    case_id: int
    member: str
    post: str
    area: str
    year: int
    spiritual: str
    material: str
    amount: float
    awarded_at: dt.datetime


@dataclass(frozen=True)
class CriticismLine:
    case_id: int
    member: str
    area: str
    reason: str
    follow_up: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class RectificationLine:
    case_id: int
    member: str
    post: str
    area: str
    problems: str
    due_at: dt.datetime
    status: str
    status_text: str
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class RevocationLine:
    case_id: int | None
    plate_no: str
    member: str
    title: str
    revoked_at: dt.datetime | None
    reason: str
    plate_returned_at: dt.datetime | None


@dataclass(frozen=True)
class LedgerLine:
    case_id: int | None
    member: str
    year: int
    kind: str
    kind_text: str
    reason: str
    at: dt.datetime


@dataclass
class Records:
    """The registers' rows that concern the subject, each naming the case that wrote it."""

    posts: list[PostLine] = field(default_factory=list)
    areas: list[AreaLine] = field(default_factory=list)
    assessments: list[AssessmentLine] = field(default_factory=list)
    rewards: list[RewardLine] = field(default_factory=list)
    criticisms: list[CriticismLine] = field(default_factory=list)
    rectifications: list[RectificationLine] = field(default_factory=list)
    revocations: list[RevocationLine] = field(default_factory=list)
    ledger: list[LedgerLine] = field(default_factory=list)


@dataclass
class Dossier:
    format: str
    kind: str
    kind_text: str
    key: str
    title: str
    scope: str
    subject: list[Fact]
    made_at: dt.datetime
    made_by: str
    seal: Seal
    cases: list[Case]
    surveys: list[SurveyTally]
    records: Records


@dataclass
class ApprovalForm:
    """A 审批表: one case with its approval trail, for the paper archive."""

    format: str
    case: Case
    url: str
    made_at: dt.datetime
    made_by: str
    seal: Seal
