"""Simplified Chinese first, English on request.

Messages are written in Chinese in the code and templates (the msgid is the Chinese text); the
English catalog `translations/en/LC_MESSAGES/messages.po` translates them. The .po file is the
source: it is compiled to .mo when the app starts, so no compiled binary is kept in the repository.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request, session
from flask_babel import Babel

LANGUAGES = ("zh_CN", "en")
SOURCE = Path(__file__).parent / "translations"


def compile_catalogs(target: Path) -> Path:
    for po_path in SOURCE.glob("*/LC_MESSAGES/messages.po"):
        language = po_path.parent.parent.name
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=language)
        mo_path = target / language / "LC_MESSAGES" / "messages.mo"
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as out:
            write_mo(out, catalog)
    return target


def select_locale() -> str:
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    actor = g.get("actor")
    if actor is not None and getattr(actor, "language", None) in LANGUAGES:
        return str(actor.language)
    return str(g.get("default_language", "zh_CN"))


def setup(app: Flask, compiled_dir: Path, default_language: str) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compile_catalogs(compiled_dir))
    Babel(app, locale_selector=select_locale)

    @app.before_request
    def _default_language() -> None:
        g.default_language = default_language
