"""Operations of the creation procedure (R1–R4): resolve the nominee, publish and close the
public notice, answer objections, establish the post with its plate and badge."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import CHINA_TZ, parse_instant
from ...errors import RuleViolation, ServiceTaskError
from ...journal import capture
from ...models import Branch, Counter, Member, ModelPost, Objection, PublicNotice, Town, Village
from .context import ServiceContext


def describe_candidate(ctx: ServiceContext, member_id: int) -> dict[str, Any]:
    """Resolve a nominee and check they belong to the instance's branch and are active (R1)."""
    row = ctx.session.execute(
        select(Member, Branch.name, Village.name)
        .join(Branch, Branch.id == Member.branch_id)
        .outerjoin(Village, Village.id == Member.village_id)
        .where(Member.id == member_id)
    ).first()
    if row is None:
        raise RuleViolation(f"member {member_id} does not exist", member_id=member_id)
    member, branch_name, village_name = row
    if ctx.branch_id is not None and member.branch_id != ctx.branch_id:
        raise RuleViolation(f"member {member.name} belongs to another branch", member_id=member_id)
    if member.status != "active":
        raise RuleViolation(f"member {member.name} is not active ({member.status})", member_id=member_id)
    return {
        "id": member.id,
        "name": member.name,
        "branch_id": member.branch_id,
        "branch": branch_name,
        "village_id": member.village_id,
        "village": village_name or "",
    }


def publish_notice(
    ctx: ServiceContext, title: str, body: str, working_days: int, ends_at: str
) -> dict[str, Any]:
    """Put a 公示 on the public notice board (R3.3)."""
    notice = PublicNotice(
        instance_id=ctx.instance_id,
        branch_id=ctx.branch_id,
        title=title,
        body=body,
        working_days=int(working_days),
        starts_at=ctx.now,
        ends_at=parse_instant(ends_at),
        status="active",
    )
    ctx.session.add(notice)
    ctx.session.flush()
    return {"notice_id": notice.id}


def close_notice(ctx: ServiceContext, notice_id: int, outcome: str) -> dict[str, Any]:
    values = {"status": "ended", "outcome": outcome, "closed_at": ctx.now}
    updated = capture.update_key(ctx.session, PublicNotice, notice_id, values, instance_id=ctx.instance_id)
    if updated != 1:
        raise ServiceTaskError(f"notice {notice_id} is not a notice of instance {ctx.instance_id}")
    return {"notice_id": notice_id, "outcome": outcome}


def answer_objection(
    ctx: ServiceContext, objection_id: int, upheld: bool, finding: str, answer: str
) -> dict[str, Any]:
    """Record the branch's verification and its answer to the objector."""
    objection = ctx.session.get(Objection, objection_id)
    if objection is None or objection.instance_id != ctx.instance_id:
        raise ServiceTaskError(f"objection {objection_id} is not an objection to instance {ctx.instance_id}")
    objection.status = "upheld" if upheld else "dismissed"
    objection.finding = finding
    objection.answer = answer
    objection.answered_at = ctx.now
    ctx.session.flush()
    return {"receipt_no": objection.receipt_no, "status": objection.status}


_FIELD = re.compile(r"\{([^{}]*)\}")
_KNOWN = re.compile(r"(town|year|n)(?::0?([1-9]))?")


def number_format_problem(template: str) -> str | None:
    """Why a plate or badge number format cannot be used, or None. A format names the town code,
    the year and the running number in braces, e.g. "{town}-SFG-{year}-{n:04}"; nothing else may
    stand in braces, and the running number must (it keeps numbers unique within a year)."""
    fields = _FIELD.findall(template)
    if "{" in _FIELD.sub("", template) or "}" in _FIELD.sub("", template):
        return f"unbalanced braces in {template!r}"
    unknown = [f for f in fields if not _KNOWN.fullmatch(f)]
    if unknown:
        allowed = "{town}, {year}, {n}, {n:04}"
        return f"{template!r} names {', '.join(unknown)}; a number format may use {allowed}"
    if not any(f.split(":")[0] == "n" for f in fields):
        return f"{template!r} lacks the running number {{n}}"
    if len(render_number(template, "TOWN", 2026, 9999)) > 32:
        return f"{template!r} makes numbers longer than 32 characters"
    return None


def render_number(template: str, town: str, year: int, n: int) -> str:
    def field(match: re.Match[str]) -> str:
        known = _KNOWN.fullmatch(match.group(1))
        if known is None:
            raise ServiceTaskError(f"number format {template!r} names {{{match.group(1)}}}")
        name, width = known.group(1), int(known.group(2) or 0)
        if name == "town":
            return town
        return str(year if name == "year" else n).zfill(width)

    return _FIELD.sub(field, template)


def establish_post(
    ctx: ServiceContext,
    member_id: int,
    title: str,
    category: str,
    pledge: str,
    service_domains: list[str],
    duties: str,
    plate_format: str,
    badge_format: str,
) -> dict[str, Any]:
    """Register the post with a unique plate number and issue the badge (R3.6, R4); the numbers'
    formats are the diagram's parameters."""
    for template in (plate_format, badge_format):
        problem = number_format_problem(str(template))
        if problem:
            raise ServiceTaskError(problem)
    member = ctx.session.get(Member, member_id)
    if member is None:
        raise ServiceTaskError(f"member {member_id} does not exist")
    year = ctx.now.astimezone(CHINA_TZ).year
    town_code = ctx.session.execute(select(Town.code).order_by(Town.id).limit(1)).scalar_one()
    plate_no = render_number(plate_format, town_code, year, _next_number(ctx.session, f"plate:{year}"))
    badge_no = render_number(badge_format, town_code, year, _next_number(ctx.session, f"badge:{year}"))
    post = ModelPost(
        plate_no=plate_no,
        badge_no=badge_no,
        member_id=member.id,
        branch_id=member.branch_id,
        village_id=member.village_id,
        title=title,
        category=category,
        pledge=pledge,
        service_domains=[str(domain) for domain in service_domains or []],
        duties=duties or "",
        status="active",
        established_on=ctx.now,
        badge_issued_at=ctx.now,
        creation_instance_id=ctx.instance_id,
    )
    ctx.session.add(post)
    ctx.session.flush()
    return {"post_id": post.id, "plate_no": plate_no, "badge_no": badge_no}


def _next_number(session: Session, name: str) -> int:
    counter = session.execute(
        select(Counter).where(Counter.name == name).with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        session.add(Counter(name=name, value=1))
        session.flush()
        return 1
    counter.value += 1
    session.flush()
    return counter.value
