"""Walking the responsibility-area procedures through the service layer (this module holds no tests).

In the demo data the first branch has the secretary's member and member1–member10; member3,
member4, member7 and member8 are capable on their own, member1, member2, member5 and member6 have
an ability recorded as weak (R8). Villages 1 (治安村) and 2 (东风村) are the first branch's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from support import SATISFIED, CreationWalk, actor, member_id_of

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import AreaDisclosure, Member, ResponsibilityArea
from xianfeng.engine.services import instances, tasks

VILLAGE_1, VILLAGE_2 = 1, 2
BRANCH_1 = 1


def draft(
    kernel: Kernel, village: int, name: str, members: list[str], lead: str, more: bool
) -> dict[str, Any]:
    return {
        "village_id": village,
        "name": name,
        "member_ids": [member_id_of(kernel, m) for m in members],
        "lead_member_id": member_id_of(kernel, lead),
        "more": more,
    }


def duties(name: str, member: str) -> dict[str, str]:
    return {"scope": f"{name}：{member} 联系的农牧户", "tasks": f"{member} 负责政策宣讲、矛盾调解"}


def names(kernel: Kernel, *usernames: str) -> list[str]:
    with kernel.db.unit_of_work(write=False) as uow:
        return [
            uow.session.execute(
                sa.select(Member.name).where(Member.id == member_id_of(kernel, u))
            ).scalar_one()
            for u in usernames
        ]


def areas_with(kernel: Kernel, status: str = "active") -> list[ResponsibilityArea]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(
            uow.session.execute(
                sa.select(ResponsibilityArea)
                .where(ResponsibilityArea.status == status)
                .order_by(ResponsibilityArea.id)
            ).scalars()
        )


def disclosures(kernel: Kernel) -> list[AreaDisclosure]:
    with kernel.db.unit_of_work(write=False) as uow:
        return list(uow.session.execute(sa.select(AreaDisclosure).order_by(AreaDisclosure.id)).scalars())


def unplaced_usernames(placed: list[str]) -> list[str]:
    """The first branch's members the two demo areas leave without a place."""
    everyone = ["secretary1", *(f"member{n}" for n in range(1, 11))]
    return [u for u in everyone if u not in placed]


@dataclass
class DivisionWalk(CreationWalk):
    """Drives one division of the first branch."""

    def begin(self) -> DivisionWalk:
        division = "responsibility_area_division"
        self.instance_id = tasks.start(self.kernel, actor(self.kernel, self.secretary), division).instance_id
        return self

    def add_area(self, village: int, name: str, members: list[str], lead: str, more: bool) -> Any:
        self.complete(self.secretary, draft(self.kernel, village, name, members, lead, more), "Task_add_area")
        outcome = None
        for member in members:
            outcome = self.complete(self.secretary, duties(name, member), "Task_member_duties")
        return outcome

    def place(self, exempt: list[str], reason: str = "年老体弱，长期患病", add_area: bool = False) -> Any:
        data: dict[str, Any] = {
            "exempt_member_ids": [member_id_of(self.kernel, u) for u in exempt],
            "add_area": add_area,
        }
        if exempt:
            data["exemption_reason"] = reason
        return self.complete(self.secretary, data, "Task_place_members")

    def consult(self) -> Any:
        return self.complete(
            self.secretary,
            {"members_opinions": "党员一致同意划分方案。", "public_opinions": "群众希望责任党员常入户。"},
            "Task_area_consultation",
        )

    def data(self) -> dict[str, Any]:
        return instances.show(self.kernel, actor(self.kernel, "auditor"), self.instance_id)["data"]


def divide(kernel: Kernel) -> DivisionWalk:
    """The demo division: 治安村一组 (member3 alone), 东风村牧业组 (member1 with member4 leading),
    everyone else exempted; consulted, waiting for the committee."""
    walk = DivisionWalk(kernel).begin()
    walk.add_area(VILLAGE_1, "治安村一组", ["member3"], "member3", True)
    walk.add_area(VILLAGE_2, "东风村牧业组", ["member1", "member4"], "member4", False)
    walk.place(unplaced_usernames(["member1", "member3", "member4"]))
    walk.consult()
    return walk


@dataclass
class ReviewWalk(CreationWalk):
    """Drives one review of an area up to the grades."""

    def begin(self, area_id: int) -> ReviewWalk:
        review = "responsibility_area_review"
        self.instance_id = tasks.start(
            self.kernel, actor(self.kernel, self.secretary), review, {"area_id": area_id}
        ).instance_id
        return self

    def hear_and_survey(self, satisfied: int = 10) -> None:
        self.complete(
            self.secretary,
            {"consulted_count": 12, "opinions": "群众认可牵头党员的工作。"},
            "Task_area_opinions",
        )
        for token in self.public_tokens()[:satisfied]:
            tasks.complete_by_token(self.kernel, token, dict(SATISFIED))
        self.pass_notice()  # the survey closes

    def grade(self, *grades: dict[str, Any]) -> Any:
        outcome = None
        for grade in grades:
            outcome = self.complete(self.secretary, grade, "Task_grade_member")
        return outcome


WEAK = {"grade": "weak", "comment": "入户走访次数少，群众反映较少见到。"}
EXCELLENT = {
    "grade": "excellent",
    "reward_spiritual": "通报表扬",
    "reward_material": "慰问品",
    "reward_amount": 200,
}
GOOD = {"grade": "good"}
