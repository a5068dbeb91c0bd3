"""A member moves to another branch (转支部), moves out of the town (转出), leaves (离开), or comes
back (恢复在册): what that does is planned and shown first, then done in one unit of work.

What belongs to the old branch stays there, so a member who still holds something in it cannot go
until the branch has dealt with it, and the plan names each such thing and where to deal with it:
- a place in an area in force or being drawn (the branch's area reassignment takes them out);
- an active model post (the post is the branch's; the branch and the committee decide on it);
- a running case about them (their nomination, say): it ends first;
- for a move, the branch role of their account (it would carry the old branch's authority along).
Everything else waiting for their account is handed over (`handover`) to an account the
administrator chooses, except their own tasks whose diagram allows no 转办 (an evaluator's score):
those stay, and their deadline decides. A move changes the account's branch and village with the
member's; a move out or a departure disables the account; coming back leaves the account as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...actor import Actor
from ...errors import NotFound
from ...kernel import Kernel
from ...models import Branch, Member, ProcessInstance, User, Village
from ...models.org import ROLE_BRANCH
from ..audit.case_people import started_subjects
from . import handover
from .common import check_may_manage, check_may_read, reason_of, record, refused, today
from .member_fields import STATUS_ZH
from .people import held_areas, held_posts

KINDS = ("move", "moved", "left", "active")
KIND_ZH = {"move": "转支部", "moved": "转出", "left": "离开", "active": "恢复在册"}


@dataclass(frozen=True)
class Departure:
    """What the administrator asks for: a move (to a branch and village) or a new status."""

    kind: str
    on: dt.date | None = None
    branch_id: int | None = None
    village_id: int | None = None
    handover_to: str | None = None  # the account that takes over what waits for the member


@dataclass(frozen=True)
class Blocker:
    """Something in the old branch that must be dealt with first; `link` says where."""

    kind: str  # area / post / case / branch_role / no_handover
    en: str
    zh: str
    link: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeparturePlan:
    member_id: int
    code: str
    name: str
    kind: str
    on: dt.date
    from_branch: str
    to_branch: str | None
    to_village: str | None
    account: str | None
    account_effect: str  # "" / "scope" (follows the member) / "disable"
    blockers: list[Blocker]
    items: list[handover.Item]
    choices: list[tuple[str, str]]  # (username, display name) who may take over
    handover_to: str | None

    @property
    def ok(self) -> bool:
        return not self.blockers

    @property
    def handed(self) -> list[handover.Item]:
        """What the move hands over (the personal items stay)."""
        return handover.handed(self.items)

    @property
    def kept(self) -> list[handover.Item]:
        return [item for item in self.items if not item.handed_over]


def plan(kernel: Kernel, actor: Actor, member_id: int, departure: Departure) -> DeparturePlan:
    """What the departure would do, and what stands in its way; nothing is written."""
    check_may_read(actor)
    with kernel.db.unit_of_work(write=False) as uow:
        return plan_in(uow.session, kernel, _member(uow.session, member_id), departure)


def carry_out(
    kernel: Kernel, actor: Actor, member_id: int, departure: Departure, reason: str
) -> DeparturePlan:
    """Plan again under the write lock and, if nothing stands in the way, do it all at once."""
    check_may_manage(actor)
    why = reason_of(reason, f"a member's {departure.kind}", KIND_ZH.get(departure.kind, "调动"))
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        member = _member(session, member_id, lock=True)
        done = plan_in(session, kernel, member, departure)
        if done.blockers:
            raise refused(
                f"{member.name} cannot {departure.kind} yet: " + "; ".join(b.en for b in done.blockers),
                f"暂不能为{member.name}办理{KIND_ZH[departure.kind]}："
                + "；".join(b.zh for b in done.blockers),
                blockers=[b.kind for b in done.blockers],
            )
        user = session.execute(select(User).where(User.member_id == member.id)).scalar_one_or_none()
        _change(member, user, departure, done.on)
        session.flush()
        receiver = _account(session, done.handover_to)
        payload = _payload(done, why)
        record(session, kernel, actor, "member", payload, always=True)
        if user is not None and done.handed:
            handover.hand_over(session, kernel, actor, user, done.handed, receiver, why)
        uow.commit()
        return done


def _member(session: Session, member_id: int, lock: bool = False) -> Member:
    statement = select(Member).where(Member.id == member_id)
    member = session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if member is None:
        raise NotFound(f"no member {member_id}", zh=f"找不到该党员（{member_id}）")
    return member


def _account(session: Session, username: str | None) -> User | None:
    if username is None:
        return None
    return session.execute(select(User).where(User.username == username)).scalar_one()


def plan_in(session: Session, kernel: Kernel, member: Member, departure: Departure) -> DeparturePlan:
    """The plan, read in the caller's transaction (the roster import plans each move with it)."""
    on = departure.on or today(kernel)
    _check_request(session, kernel, member, departure, on)
    target = session.get(Branch, departure.branch_id) if departure.kind == "move" else None
    village = session.get(Village, departure.village_id) if departure.village_id else None
    old = session.get(Branch, member.branch_id)
    assert old is not None
    user = session.execute(select(User).where(User.member_id == member.id)).scalar_one_or_none()
    blockers: list[Blocker] = []
    items: list[handover.Item] = []
    choices: list[User] = []
    if departure.kind != "active":
        blockers = _holdings(session, kernel, member, old)
        if user is not None:
            blockers += _branch_role(user, old, departure.kind)
            items = handover.items_of(session, user.id, kernel)
            choices = handover.candidates(session, user, items)
    chosen = _chosen(departure, items, choices, member, old, blockers)
    return DeparturePlan(
        member_id=member.id,
        code=member.code,
        name=member.name,
        kind=departure.kind,
        on=on,
        from_branch=old.name,
        to_branch=target.name if target else None,
        to_village=village.name if village else None,
        account=user.username if user else None,
        account_effect=_effect(user, departure.kind),
        blockers=blockers,
        items=items,
        choices=[(c.username, c.display_name) for c in choices],
        handover_to=chosen,
    )


def _effect(user: User | None, kind: str) -> str:
    if user is None or kind == "active":
        return ""
    if kind == "move":
        return "scope"
    return "disable" if user.active else ""


def _check_request(
    session: Session, kernel: Kernel, member: Member, departure: Departure, on: dt.date
) -> None:
    """Refuse a request that makes no sense, before looking at what the member holds."""
    if departure.kind not in KINDS:
        raise refused(f"unknown change {departure.kind!r}", f"未知的变动类型“{departure.kind}”", field="kind")
    if on > today(kernel):
        raise refused(f"the date {on} is in the future", f"日期 {on} 晚于今天", field="on")
    if departure.kind == "move":
        _check_move(session, member, departure)
    elif member.status == departure.kind:
        raise refused(
            f"{member.name} is already {departure.kind}",
            f"{member.name}的状态已是“{STATUS_ZH[departure.kind]}”",
            field="kind",
        )


def _check_move(session: Session, member: Member, departure: Departure) -> None:
    if member.status != "active":
        raise refused(
            f"{member.name} is not an active member ({member.status}); restore them first",
            f"{member.name}目前{STATUS_ZH.get(member.status, member.status)}，请先恢复在册再转支部",
            field="kind",
        )
    target = session.get(Branch, departure.branch_id) if departure.branch_id else None
    if target is None:
        raise refused("choose the branch to move to", "请选择转入的党支部", field="branch_id")
    if target.id == member.branch_id:
        raise refused(
            f"{member.name} is already in {target.name}", f"{member.name}已在{target.name}", field="branch_id"
        )
    village = session.get(Village, departure.village_id) if departure.village_id else None
    if departure.village_id and (village is None or village.branch_id != target.id):
        raise refused(
            f"the village is not one of {target.name}'s", f"所选嘎查村不属于{target.name}", field="village_id"
        )


def _holdings(session: Session, kernel: Kernel, member: Member, old: Branch) -> list[Blocker]:
    found = []
    for area in held_areas(session, member.id):
        place = "牵头党员" if area["lead"] else "成员"
        found.append(
            Blocker(
                "area",
                f"{member.name} holds a place in the area {area['name']} ({area['status']}): {old.name} "
                "must first take them out of it through the area's reassignment",
                f"{member.name}是责任区“{area['name']}”的{place}：请先由{old.name}办理责任区人员调整，"
                "使其退出该责任区",
                {"area_id": area["id"]},
            )
        )
    for post in held_posts(session, member.id):
        found.append(
            Blocker(
                "post",
                f"{member.name} holds the model post {post['plate_no']} ({post['title']}) of {old.name}, "
                "which the branch and the committee must deal with first",
                f"{member.name}持有{old.name}的有效示范岗 {post['plate_no']}（{post['title']}）："
                "须先由支部和镇党委处理该示范岗",
                {"post_id": post["id"]},
            )
        )
    return found + _cases(session, kernel, member)


def _cases(session: Session, kernel: Kernel, member: Member) -> list[Blocker]:
    """Running cases of the old branch that are about the member (the one member their start names)."""
    where = (ProcessInstance.status == "running") & (ProcessInstance.branch_id == member.branch_id)
    about = sorted(
        i
        for i, named in started_subjects(session, kernel.catalog, where)
        if member.id in named.single_members
    )
    titles = dict(
        session.execute(
            select(ProcessInstance.id, ProcessInstance.title).where(ProcessInstance.id.in_(about))
        ).all()
    )
    return [
        Blocker(
            "case",
            f"case {i} ({titles.get(i, '')}) is about {member.name} and still running: it must end first",
            f"进行中的案件 #{i}“{titles.get(i, '')}”是关于{member.name}的：请待该案件办结后再办理",
            {"instance_id": i},
        )
        for i in about
    ]


def _branch_role(user: User, old: Branch, kind: str) -> list[Blocker]:
    if kind != "move" or ROLE_BRANCH not in {link.role for link in user.roles}:
        return []
    return [
        Blocker(
            "branch_role",
            f"the account {user.username} holds the branch role of {old.name}: take it off first",
            f"账号 {user.username} 持有{old.name}的支部角色：请先在账号页面去掉该角色"
            "（到新支部后如需要再授予）",
            {"account": user.username},
        )
    ]


def _chosen(
    departure: Departure,
    items: list[handover.Item],
    choices: list[User],
    member: Member,
    old: Branch,
    blockers: list[Blocker],
) -> str | None:
    if not handover.needs_receiver(items):
        return None
    names = [c.username for c in choices]
    if not names:
        count = len(handover.handed(items))
        blockers.append(
            Blocker(
                "no_handover",
                f"nobody may take over the {count} item(s) waiting for {member.name}",
                f"没有可以接手{member.name}的 {count} 项待办的账号：请先为{old.name}设置持有支部角色的账号",
            )
        )
        return None
    if departure.handover_to is None:
        return names[0]
    if departure.handover_to not in names:
        raise refused(
            f"{departure.handover_to} may not take over what waits for {member.name}",
            f"{departure.handover_to} 不能接手{member.name}的待办",
            field="handover_to",
        )
    return departure.handover_to


def _change(member: Member, user: User | None, departure: Departure, on: dt.date) -> None:
    member.status_since = on
    if departure.kind == "move":
        member.branch_id, member.village_id = departure.branch_id, departure.village_id  # type: ignore[assignment]
        if user is not None:
            user.branch_id, user.village_id = member.branch_id, member.village_id
        return
    member.status = departure.kind
    if user is not None and departure.kind != "active":
        user.active = False


def _payload(done: DeparturePlan, reason: str) -> dict[str, Any]:
    return {
        "action": done.kind,
        "member": done.code,
        "name": done.name,
        "on": done.on.isoformat(),
        "from_branch": done.from_branch,
        "to_branch": done.to_branch,
        "to_village": done.to_village,
        "account": done.account,
        "account_effect": done.account_effect,
        "handed_over_to": done.handover_to,
        "handed_over": len(done.handed),
        "reason": reason,
    }
