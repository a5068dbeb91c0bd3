"""A case's diagrams in the reader's language, before the viewer draws them.

The diagrams name their lanes by role code (`branch`, `member` …) and their elements in Chinese,
with the English name in each element's `nameEn` property; pools carry the process's Chinese name,
and the process its "中文 English" name. The viewer draws the XML as it is, so the names are put in
the reader's words here: lanes always (a role's words), elements and pools for English readers.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from . import labels

_TAG = re.compile(r"<(?P<tag>(?:\w+:)?(?P<kind>lane|participant|[a-zA-Z]+))\b(?P<attrs>[^>]*)>")
_ATTR = re.compile(r'\b(?P<name>id|name|processRef)="(?P<value>[^"]*)"')


def _named(attrs: str, name: str) -> str:
    value = escape(name, {'"': "&quot;"})
    if re.search(r'\bname="[^"]*"', attrs):
        return re.sub(r'\bname="[^"]*"', lambda _m: f'name="{value}"', attrs, count=1)
    return f' name="{value}"' + attrs


def in_reader_words(xml: str, names: dict[str, tuple[str, str]], processes: dict[str, str]) -> str:
    """The BPMN XML with lane, element and pool names in the page's language."""
    english = labels.lang() == "en"

    def rewrite(match: re.Match[str]) -> str:
        tag, kind, attrs = match.group("tag"), match.group("kind"), match.group("attrs")
        found = {m.group("name"): m.group("value") for m in _ATTR.finditer(attrs)}
        if kind == "lane" and found.get("name"):
            shown = labels.role(found["name"])
        elif kind == "participant" and found.get("processRef") in processes:
            shown = labels.process_name(processes[found["processRef"]])
        elif english and found.get("id") in names and names[found["id"]][1] and "name" in found:
            shown = names[found["id"]][1]
        else:
            return match.group(0)
        return f"<{tag}{_named(attrs, shown)}>"

    return _TAG.sub(rewrite, xml)
