"""Whom and where a case concerns, found without naming a procedure.

A case concerns a member when its start data names them (a field the start form marks
`"x-source": "branch_members"`: the nominee, the evaluators, a member reassigned), names a post they
hold (`branch_posts`, or the `post_id` a per-subject start is made for: an assessment, a
revocation) or an area they serve in (`area_id`: an area review), when a register links them to it
(rewards, criticisms, rectifications, ledger marks, the post it created or revoked, the areas a
division drew), or when they acted in it (an event of their account).

A case's village is its own (per-subject cases have one) or, for a case started by a branch, that of
its subject: the member named in a single-member field (the nominee, not the evaluators), the post,
the area or the village its start data names, or the villages of the areas a division drew.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ...models import (
    AreaMember,
    CommendationMark,
    Criticism,
    Event,
    Member,
    ModelPost,
    ProcessInstance,
    Rectification,
    ResponsibilityArea,
    Reward,
    User,
)
from ...process.catalog import Catalog, LoadedVersion

SOURCES = {"branch_members": "members", "branch_posts": "posts", "branch_villages": "villages"}
# A per-subject start (`startFor`) gives its instance the subject's register id as its start data.
SUBJECT_KEYS = {"post_id": "posts", "area_id": "areas"}


@dataclass(frozen=True)
class StartRefs:
    """Which start-data keys of a version name which register rows."""

    members: frozenset[str] = frozenset()
    single_members: frozenset[str] = frozenset()  # integer fields: the one member a case is about
    posts: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    villages: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.members or self.posts or self.areas or self.villages)


@dataclass
class Subjects:
    """The register rows one case's start data names."""

    members: set[int] = field(default_factory=set)
    single_members: set[int] = field(default_factory=set)
    posts: set[int] = field(default_factory=set)
    areas: set[int] = field(default_factory=set)
    villages: set[int] = field(default_factory=set)


def start_refs(version: LoadedVersion) -> StartRefs:
    """The start form's fields backed by the organisation, and the subject keys of per-subject starts."""
    found: dict[str, set[str]] = {
        "members": set(),
        "single_members": set(),
        "posts": set(),
        "villages": set(),
    }
    properties = version.form(version.start_form).schema.get("properties", {}) if version.start_form else {}
    for name, prop in properties.items():
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        kind = SOURCES.get(prop.get("x-source") or items.get("x-source") or "")
        if kind:
            found[kind].add(name)
            if kind == "members" and prop.get("type") == "integer":
                found["single_members"].add(name)
    found["areas"] = set()
    if version.start_for:
        for key, kind in SUBJECT_KEYS.items():
            found[kind].add(key)
    return StartRefs(**{kind: frozenset(keys) for kind, keys in found.items()})


def subjects_of(data: dict[str, Any], refs: StartRefs) -> Subjects:
    subjects = Subjects()
    for kind in ("members", "single_members", "posts", "areas", "villages"):
        bucket: set[int] = getattr(subjects, kind)
        for key in getattr(refs, kind):
            bucket.update(_ids(data.get(key)))
    return subjects


def _ids(value: Any) -> Iterator[int]:
    values = value if isinstance(value, list) else [value]
    yield from (v for v in values if isinstance(v, int) and not isinstance(v, bool))


def started_subjects(
    session: Session, catalog: Catalog, where: ColumnElement[bool]
) -> Iterator[tuple[int, Subjects]]:
    """(instance id, subjects) of every instance matching `where` whose version names any in its start."""
    versions = session.execute(select(ProcessInstance.process_version_id).where(where).distinct()).scalars()
    refs = {vid: r for vid in versions if (r := start_refs(catalog.get(session, vid)))}
    if not refs:
        return
    rows = session.execute(
        select(Event.instance_id, Event.payload, ProcessInstance.process_version_id)
        .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(where, ProcessInstance.process_version_id.in_(refs), Event.kind == "start")
    )
    for instance_id, payload, version_id in rows:
        if instance_id is None:
            continue
        data = json.loads(payload).get("data")
        yield instance_id, subjects_of(data if isinstance(data, dict) else {}, refs[version_id])


def concerning(session: Session, catalog: Catalog, member_id: int, scope: ColumnElement[bool]) -> set[int]:
    """Ids of the instances in `scope` that concern the member (see the module's docstring)."""
    posts = set(session.execute(select(ModelPost.id).where(ModelPost.member_id == member_id)).scalars())
    areas = set(
        session.execute(select(AreaMember.area_id).where(AreaMember.member_id == member_id)).scalars()
    )
    found = _acted(session, member_id) | _registered(session, member_id, areas)
    for instance_id, named in started_subjects(session, catalog, scope):
        if member_id in named.members or named.posts & posts or named.areas & areas:
            found.add(instance_id)
    return found


def _acted(session: Session, member_id: int) -> set[int]:
    users = select(User.id).where(User.member_id == member_id).scalar_subquery()
    acted = select(Event.instance_id).where(Event.actor_user_id.in_(users), Event.instance_id.is_not(None))
    return {i for i in session.execute(acted.distinct()).scalars() if i is not None}


def _registered(session: Session, member_id: int, areas: set[int]) -> set[int]:
    statements = [
        select(table.instance_id).where(table.member_id == member_id)
        for table in (Reward, Criticism, Rectification, CommendationMark)
    ]
    statements += [
        select(column).where(ModelPost.member_id == member_id)
        for column in (ModelPost.creation_instance_id, ModelPost.revocation_instance_id)
    ]
    statements.append(select(ResponsibilityArea.division_instance_id).where(ResponsibilityArea.id.in_(areas)))
    found: set[int] = set()
    for statement in statements:
        found.update(i for i in session.execute(statement).scalars() if i is not None)
    return found


def subject_villages(session: Session, catalog: Catalog, where: ColumnElement[bool]) -> dict[int, set[int]]:
    """Instance id → villages of its subject, for the instances matching `where` that have no village
    of their own (a nomination, a revocation proposed by a branch, a division)."""
    where = where & ProcessInstance.village_id.is_(None)
    named = dict(started_subjects(session, catalog, where))
    members = _village_map(session, Member, {m for s in named.values() for m in s.single_members})
    posts = _village_map(session, ModelPost, {p for s in named.values() for p in s.posts})
    areas = _village_map(session, ResponsibilityArea, {a for s in named.values() for a in s.areas})
    found: dict[int, set[int]] = {}
    for instance_id, subject in named.items():
        villages = set(subject.villages)
        villages.update(members[m] for m in subject.single_members if m in members)
        villages.update(posts[p] for p in subject.posts if p in posts)
        villages.update(areas[a] for a in subject.areas if a in areas)
        if villages:
            found[instance_id] = villages
    drawn = session.execute(
        select(ResponsibilityArea.division_instance_id, ResponsibilityArea.village_id)
        .join(ProcessInstance, ProcessInstance.id == ResponsibilityArea.division_instance_id)
        .where(where)
    )
    for instance_id, village_id in drawn:
        found.setdefault(instance_id, set()).add(village_id)
    return found


def _village_map(session: Session, table: Any, ids: Iterable[int]) -> dict[int, int]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(table.id, table.village_id).where(table.id.in_(wanted)))
    return {row_id: village for row_id, village in rows if village is not None}
