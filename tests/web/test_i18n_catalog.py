"""The English catalog translates every message the web shows, so English is never half done."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import xianfeng.web

WEB = Path(xianfeng.web.__file__).resolve().parent
CATALOG = WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _sources(pattern: str) -> list[Path]:
    return sorted(p for p in WEB.rglob(pattern) if "node_modules" not in p.relative_to(WEB).parts)


def extracted() -> dict[str, str]:
    """Every `_("…")` / `gettext("…")` msgid in the web's Python and templates, with where it is."""
    found: dict[str, str] = {}
    for method, pattern in (("python", "*.py"), ("jinja2", "*.html")):
        for path in _sources(pattern):
            for line, message, _comments, _context in extract_from_file(method, str(path)):
                for msgid in message if isinstance(message, tuple) else (message,):
                    if msgid:
                        found.setdefault(msgid, f"{path.relative_to(WEB)}:{line}")
    return found


def english() -> Catalog:
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="en")


def test_the_extractor_sees_python_and_template_messages() -> None:
    messages = extracted()
    assert messages["您没有权限执行此操作"].startswith("errors.py:")  # from Python
    assert messages["批量提交"].startswith("templates/inbox/todo.html:")  # from a template
    assert messages["已将 %(count)s 条通知标为已读"].startswith("pages/")  # with a placeholder
    assert len(messages) > 200


def test_every_message_has_an_english_translation() -> None:
    catalog = english()
    missing = {
        msgid: where
        for msgid, where in extracted().items()
        if catalog.get(msgid) is None or not str(catalog.get(msgid).string or "").strip()
    }
    assert not missing, "no English for:\n" + "\n".join(f"{w}: {m}" for m, w in sorted(missing.items()))


def test_translations_keep_every_placeholder() -> None:
    catalog = english()
    broken = [
        message.id
        for message in catalog
        if message.id
        and PLACEHOLDER.findall(str(message.id))
        and sorted(PLACEHOLDER.findall(str(message.id))) != sorted(PLACEHOLDER.findall(str(message.string)))
    ]
    assert not broken, broken


def test_english_is_english() -> None:
    """A translation still in Chinese is a translation not done."""
    han = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [m.id for m in english() if m.id and han.search(str(m.string))]
    assert not untranslated, untranslated
