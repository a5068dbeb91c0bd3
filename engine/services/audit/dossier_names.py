"""The organisation's names, read once per document: people by account and by member id, posts,
areas, villages, branches and files. Printed evidence names people, never ids or usernames."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from xianfeng.forms.files import ATTACHMENT_SOURCE

from ...models import Attachment, Branch, Member, ModelPost, ResponsibilityArea, User, Village


@dataclass
class Names:
    users: dict[int, str] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    members: dict[int, str] = field(default_factory=dict)
    posts: dict[int, str] = field(default_factory=dict)
    areas: dict[int, str] = field(default_factory=dict)
    villages: dict[int, str] = field(default_factory=dict)
    branches: dict[int, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Names:
        names = cls()
        for uid, username, display in session.execute(select(User.id, User.username, User.display_name)):
            names.users[uid] = display or username
            names.usernames[username] = display or username
        names.members = {mid: name for mid, name in session.execute(select(Member.id, Member.name))}
        for pid, plate, member_id in session.execute(
            select(ModelPost.id, ModelPost.plate_no, ModelPost.member_id)
        ):
            names.posts[pid] = f"{plate} {names.members.get(member_id, '')}".strip()
        names.areas = {
            aid: name for aid, name in session.execute(select(ResponsibilityArea.id, ResponsibilityArea.name))
        }
        names.villages = {vid: name for vid, name in session.execute(select(Village.id, Village.name))}
        names.branches = {bid: name for bid, name in session.execute(select(Branch.id, Branch.name))}
        return names

    def file_names(self, session: Session, hashes: set[str]) -> None:
        """Learn the names of files cited (only those not known yet; the bytes are not read)."""
        wanted = hashes - self.files.keys()
        if wanted:
            rows = session.execute(
                select(Attachment.sha256, Attachment.name).where(Attachment.sha256.in_(wanted))
            )
            self.files.update((sha, name) for sha, name in rows)

    def person(self, user_id: int | None, account: str) -> str:
        """Who acted: the account's display name; villagers and the engine have none."""
        if user_id is not None and user_id in self.users:
            return self.users[user_id]
        if account == "public":
            return "群众"
        if account in ("", "system"):
            return "系统"
        if account == "scheduler":
            return "系统（按周期发起）"
        return self.usernames.get(account, account)

    def source_value(self, source: str, value: object) -> str | None:
        """An id from an organisation source (`x-source`) as its name; None for other sources."""
        table = {
            "branch_members": self.members,
            "branch_posts": self.posts,
            "branch_villages": self.villages,
        }.get(source)
        if table is not None:
            return table.get(value, str(value)) if isinstance(value, int) else str(value)
        if source == ATTACHMENT_SOURCE and isinstance(value, str):
            return self.files.get(value, value[:12])
        return None
