"""Reading a page as a person does, for the language tests (this module holds no tests): the words
shown (text, titles, labels, placeholders, buttons), what is data (names, titles, answers people
wrote) and what is machine data (raw JSON, hashes, `translate="no"`), and the words of the other
language left on a page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa

from xianfeng.engine.kernel import Kernel
from xianfeng.engine.models import Branch, Member, ModelPost, Objection, Town, User, Village

HAN = re.compile(r"[\u4e00-\u9fff]+")
# Han an English page may show: the switch back to Chinese, named in its own language.
ALLOWED_HAN = {"中文"}
LATIN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
VERSION = re.compile(r"\bv\d+\b")  # a version as procedures number them: v3
REQUIREMENT = re.compile(r"[（(]\s*R\d+(?:\.\d+)?(?:\s*[、,，]\s*R\d+(?:\.\d+)?)*\s*[)）]|\bR\d+\.\d+\b")
# Latin a Chinese page may show: product and file-format names, and the English switch itself.
ALLOWED_LATIN = {"BPMN", "DMN", "Excel", "PDF", "QR", "English", "API", "ID", "JSON", "JavaScript", "sha256"}
# The account name the new-account form suggests as an example of how account names are written.
EXAMPLE_ACCOUNTS = {"wangjianguo"}
# File kinds a form accepts, as people know them from file names.
FILE_KINDS = {"jpg", "jpeg", "png", "pdf", "doc", "docx", "xls", "xlsx", "heic", "webp", "gif", "txt"}
# What no reader sees (scripts, styles), and elements that show machine data: raw JSON, hashes.
HIDDEN = {"script", "style", "template"}
# bjs-powered-by: the viewer's "Powered by bpmn.io" mark, which its licence requires as it is.
DATA_CLASSES = {"raw", "hash", "bjs-powered-by"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SEEN_ATTRIBUTES = (
    "title",
    "placeholder",
    "aria-label",
    "alt",
    "data-placeholder",
    "data-empty",
    "data-loading",
    "data-failed",
    "data-remove",
    "data-chosen",
)


class _Reader(HTMLParser):
    """The words a person reads on a page: text and the attributes shown, outside scripts and
    outside what is marked as machine data (`translate="no"`, the raw JSON and hashes)."""

    def __init__(self, also_hidden: frozenset[str] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        self.also_hidden = also_hidden
        self.parts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, hides its content)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = set((found.get("class") or "").split())
        hides = (
            tag in HIDDEN | self.also_hidden or found.get("translate") == "no" or bool(classes & DATA_CLASSES)
        )
        if tag not in VOID:
            self._open.append((tag, hides))
        if self._hidden():
            return
        for name, value in attrs:
            button = tag == "input" and name == "value" and found.get("type") in ("submit", "button")
            if value and (name in SEEN_ATTRIBUTES or button):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def _hidden(self) -> bool:
        return any(hides for _tag, hides in self._open)

    def handle_data(self, data: str) -> None:
        if not self._hidden() and data.strip():
            self.parts.append(data)


def read(html: str, also_hidden: frozenset[str] = frozenset()) -> list[str]:
    """The words shown; `also_hidden` names tags left out (the diagrams' `svg`, read apart)."""
    reader = _Reader(also_hidden)
    reader.feed(html)
    return reader.parts


# Columns that hold what people wrote or what the organisation is called (never words of the UI).
DATA_COLUMNS = {
    "town": ("name",),
    "branch": ("name",),
    "village": ("name",),
    "member": ("name", "gender", "note"),
    "app_user": ("display_name",),
    "calendar_day": ("name",),
    "process_instance": ("title",),
    "model_post": ("title", "pledge", "duties", "revoke_reason"),
    "responsibility_area": ("name", "description"),
    "area_member": ("scope", "tasks", "left_reason"),
    "area_work_record": ("what", "for_whom", "outcome"),
    "work_record_comment": ("text",),
    "public_notice": ("title", "body"),
    "objection": ("text", "contact", "finding", "answer"),
    "task_copy": ("note",),
    "task_signer": ("reason", "opinion"),
    "rectification": ("problems",),
    "reward": ("spiritual", "material"),
    "criticism": ("reason", "follow_up"),
    "attachment": ("name",),
}


def data_words(kernel: Kernel) -> set[str]:
    """What people wrote and what the organisation is called: data, not the interface's words."""
    texts: list[str] = []
    with kernel.db.engine.connect() as connection:
        for table, columns in DATA_COLUMNS.items():
            for row in connection.execute(sa.text(f"SELECT {', '.join(columns)} FROM {table}")):
                texts.extend(str(v) for v in row if v)
        for payload in connection.execute(sa.text("SELECT payload FROM event")).scalars():
            texts.extend(_strings(json.loads(payload or "{}")))
    return {w for text in texts for w in HAN.findall(text)}


def _strings(value: Any, key: str = "") -> list[str]:
    """The strings of an event's payload, but the step's name it repeats (`task`)."""
    if isinstance(value, dict):
        return [s for k, v in value.items() if k != "task" for s in _strings(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, key)]
    return [value] if isinstance(value, str) else []


def foreign(parts: list[str], language: str, data: set[str], latin_ok: set[str]) -> list[str]:
    """The words of the other language on a page (and requirement codes in either)."""
    found = []
    for shown in parts:
        found += [f"requirement code {code}" for code in REQUIREMENT.findall(shown)]
        part = VERSION.sub("", shown)
        if language == "en":
            found += [w for w in HAN.findall(part) if w not in data | ALLOWED_HAN]
        else:
            allowed = latin_ok | ALLOWED_LATIN | EXAMPLE_ACCOUNTS
            found += [w for w in LATIN.findall(part) if w not in allowed and w.lower() not in FILE_KINDS]
    return found


def latin_data(kernel: Kernel) -> set[str]:
    """Account names, codes, plate and badge numbers: Latin that is data."""
    with kernel.db.unit_of_work(write=False) as uow:
        session = uow.session
        texts = [
            *session.execute(sa.select(User.username)).scalars(),
            *session.execute(sa.select(Member.code)).scalars(),
            *session.execute(sa.select(ModelPost.plate_no)).scalars(),
            *session.execute(sa.select(ModelPost.badge_no)).scalars(),
            *session.execute(sa.select(Branch.code)).scalars(),
            *session.execute(sa.select(Village.code)).scalars(),
            *session.execute(sa.select(Town.code)).scalars(),
            *session.execute(sa.select(Objection.receipt_no)).scalars(),
        ]
    return {w for t in texts if t for w in LATIN.findall(str(t))}


# Words of the other language still shown where this work may not change them, each with its
# source. They are set apart, not passed: the test fails when one of them is no longer needed.
ELSEWHERE = {
    "roster": "the roster page describes the Excel file's columns with their Chinese headers and "
    "a requirement code (engine/services/admin/roster_columns.py)",
    "history": "历史回放 names waiting events and called processes by their Chinese names only, "
    "even where the diagrams give an English one (engine/services/audit)",
    "bodies": "notifications the diagrams write (notify_case in processes/*.bpmn) are Chinese only",
}


def elsewhere(path: str, words: list[str], kernel: Kernel) -> tuple[str, list[str]] | None:
    if path == "/admin/roster":
        return "roster", words
    if re.fullmatch(r"/instances/\d+/history", path):
        named = diagram_names(kernel)
        return ("history", words) if words and all(w in named for w in words) else None
    if path in ("/notifications", "/me"):
        bodies = notification_bodies(kernel)
        return ("bodies", words) if words and all(any(w in b for b in bodies) for w in words) else None
    return None


def diagram_names(kernel: Kernel) -> set[str]:
    """The Chinese names of the deployed diagrams' elements."""
    from xianfeng.engine.models import ProcessVersion
    from xianfeng.engine.process.moments import element_names

    with kernel.db.unit_of_work(write=False) as uow:
        ids = uow.session.execute(sa.select(ProcessVersion.id)).scalars().all()
        return {
            name
            for version_id in ids
            for name, _english in element_names(kernel.catalog.get(uow.session, version_id)).values()
        }


def notification_bodies(kernel: Kernel) -> list[str]:
    from xianfeng.engine.models import Notification

    with kernel.db.unit_of_work(write=False) as uow:
        return [b for b in uow.session.execute(sa.select(Notification.body)).scalars() if b]
