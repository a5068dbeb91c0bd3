"""Demo data of 治安镇: three branches, six villages, 33 members and an account for every role.

Idempotent: rows are matched by their codes and usernames and brought in line, never duplicated.
Every demo account has the password `demo12345`. The password is hashed once (scrypt) and the
hash is shared by the demo accounts, which keeps loading fast; real accounts each get their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel import Kernel
from ..models import Branch, Member, Town, Village
from ..models.org import ROLE_ADMIN, ROLE_AUDITOR, ROLE_BRANCH, ROLE_COMMITTEE, ROLE_MEMBER
from . import chain
from .accounts import ensure_user, hash_password

DEMO_PASSWORD = "demo12345"
TOWN = ("ZA", "治安镇")
BRANCHES = (
    ("ZA-B1", "治安村党支部", (("ZA-V1", "治安村"), ("ZA-V2", "东风村"))),
    ("ZA-B2", "红星嘎查党支部", (("ZA-V3", "红星嘎查"), ("ZA-V4", "胜利嘎查"))),
    ("ZA-B3", "新民村党支部", (("ZA-V5", "新民村"), ("ZA-V6", "前进村"))),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = ("建国", "秀英", "海军", "桂兰", "志强", "丽华", "国庆", "春梅", "文明", "玉兰", "德胜")
ABILITY = ("strong", "adequate", "adequate", "weak")


@dataclass(frozen=True)
class DemoReport:
    branches: int
    villages: int
    members: int
    accounts: list[str]


def load_demo(kernel: Kernel) -> DemoReport:
    now = kernel.clock.now()
    password_hash = hash_password(DEMO_PASSWORD)
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        town = _upsert_town(session)
        branches = [_upsert_branch(session, town, code, name, villages) for code, name, villages in BRANCHES]
        accounts = _staff_accounts(session, password_hash, now)
        members = 0
        for index, branch in enumerate(branches, start=1):
            secretary = _upsert_member(session, branch, 0, f"ZA-M-S{index}", index * 7)
            ensure_user(
                session,
                f"secretary{index}",
                f"{secretary.name}（{branch.name}书记）",
                password_hash,
                (ROLE_BRANCH, ROLE_MEMBER),
                now,
                branch.id,
                secretary.village_id,
                secretary.id,
            )
            accounts.append(f"secretary{index}")
            members += 1
        for number in range(1, 31):
            branch = branches[(number - 1) // 10]
            member = _upsert_member(session, branch, number, f"ZA-M{number:02d}", number)
            ensure_user(
                session,
                f"member{number}",
                member.name,
                password_hash,
                (ROLE_MEMBER,),
                now,
                branch.id,
                member.village_id,
                member.id,
            )
            accounts.append(f"member{number}")
            members += 1
        chain.record(session, kernel, None, "org", {"action": "demo", "town": TOWN[1]}, only_if_changed=True)
        uow.commit()
    return DemoReport(len(branches), sum(len(v) for _c, _n, v in BRANCHES), members, accounts)


def _staff_accounts(session: Session, password_hash: str, now: dt.datetime) -> list[str]:
    ensure_user(session, "admin", "系统管理员", password_hash, (ROLE_ADMIN,), now)
    ensure_user(session, "auditor", "纪检审计员", password_hash, (ROLE_AUDITOR,), now)
    ensure_user(session, "committee", "镇党委（审批）", password_hash, (ROLE_COMMITTEE,), now)
    return ["admin", "auditor", "committee"]


def _upsert_town(session: Session) -> Town:
    town = session.execute(select(Town).where(Town.code == TOWN[0])).scalar_one_or_none()
    if town is None:
        town = Town(code=TOWN[0], name=TOWN[1])
        session.add(town)
        session.flush()
    return town


def _upsert_branch(
    session: Session, town: Town, code: str, name: str, villages: tuple[tuple[str, str], ...]
) -> Branch:
    branch = session.execute(select(Branch).where(Branch.code == code)).scalar_one_or_none()
    if branch is None:
        branch = Branch(code=code, name=name, town_id=town.id)
        session.add(branch)
        session.flush()
    for village_code, village_name in villages:
        if session.execute(select(Village.id).where(Village.code == village_code)).first() is None:
            session.add(Village(code=village_code, name=village_name, branch_id=branch.id))
    session.flush()
    return branch


def _upsert_member(session: Session, branch: Branch, number: int, code: str, seed: int) -> Member:
    """A member identified by `code`, with a deterministic name and abilities."""
    member = session.execute(select(Member).where(Member.code == code)).scalar_one_or_none()
    if member is None:
        member = Member(code=code, branch_id=branch.id)
        session.add(member)
    villages = session.execute(select(Village.id).where(Village.branch_id == branch.id).order_by(Village.id))
    village_ids = [v for (v,) in villages]
    member.name = SURNAMES[seed % len(SURNAMES)] + GIVEN[(seed * 3 + number) % len(GIVEN)]
    member.village_id = village_ids[number % len(village_ids)]
    member.gender = "女" if seed % 3 == 1 else "男"
    member.birth_year = 1960 + (seed * 7) % 40
    member.joined_party_on = dt.date(1985 + seed % 35, 1 + seed % 12, 1)
    member.political_quality = ABILITY[seed % 4 if seed % 4 != 3 else 1]
    member.work_ability = ABILITY[(seed + 1) % 4]
    member.organising_ability = ABILITY[(seed + 2) % 4]
    member.status = "active"
    session.flush()
    return member
