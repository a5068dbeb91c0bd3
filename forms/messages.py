"""Turn jsonschema's errors into English and Chinese messages that name the field by its label.

jsonschema speaks in raw values and schema keywords ("'pledge' is a required property"); a branch
secretary needs "公开承诺：当“本人是否愿意承担示范岗”为“是”时必填". The translators here cover the
keywords our forms use; anything else falls back to jsonschema's own English text so that no
error is ever dropped.

Messages are collected per field path and only rendered at the end, so that two problems with one
value read as one message with the label in front once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from jsonschema.exceptions import ValidationError

Path = tuple[str | int, ...]
Text = tuple[str, str]  # (English, Simplified Chinese)
Entry = tuple[Path, str, str]

_TYPE_NAMES: dict[str, Text] = {
    "string": ("text", "文本"),
    "integer": ("a whole number", "整数"),
    "number": ("a number", "数字"),
    "boolean": ("true or false", "“是”或“否”"),
    "array": ("a list", "列表"),
    "object": ("an object", "对象"),
    "null": ("null", "空值"),
}


def json_type(value: Any) -> str:
    """The JSON type name of a Python value; bool is checked first because it is an int subclass."""
    if isinstance(value, bool):
        return "boolean"
    for name, kind in (("integer", int), ("number", float), ("string", str), ("array", list)):
        if isinstance(value, kind):
            return name
    return "object" if isinstance(value, dict) else "null"


def path_key(path: Path) -> str:
    """The errors-dict key of a path: JSON-pointer-like, with '~' and '/' escaped as RFC 6901 says."""
    return "/".join(str(step).replace("~", "~0").replace("/", "~1") for step in path)


def value_label(schema: dict[str, Any], value: Any) -> Text:
    """How to show one value of a field to a person: its enum label, yes/no, or the JSON text."""
    labels = schema.get("x-enum-labels")
    if isinstance(labels, dict) and isinstance(labels.get(str(value)), dict):
        found = labels[str(value)]
        return found.get("en", str(value)), found.get("zh_CN", str(value))
    if isinstance(value, bool):
        return ("yes", "是") if value else ("no", "否")
    shown = json.dumps(value, ensure_ascii=False)
    return shown, shown


def _at_least(count: int, one: str, many: str) -> str:
    return f"at least {count} {one} is required" if count == 1 else f"at least {count} {many} are required"


def _at_most(count: int, one: str, many: str) -> str:
    return f"at most {count} {one} is allowed" if count == 1 else f"at most {count} {many} are allowed"


_BOUNDS: dict[str, Callable[[Any], Text]] = {
    "minLength": lambda n: (_at_least(n, "character", "characters"), f"至少需要 {n} 个字符"),
    "maxLength": lambda n: (_at_most(n, "character", "characters"), f"最多允许 {n} 个字符"),
    "minItems": lambda n: (_at_least(n, "entry", "entries"), f"至少需要 {n} 项"),
    "maxItems": lambda n: (_at_most(n, "entry", "entries"), f"最多允许 {n} 项"),
    "minimum": lambda n: (f"must be at least {n}", f"不能小于 {n}"),
    "maximum": lambda n: (f"must be at most {n}", f"不能大于 {n}"),
    "exclusiveMinimum": lambda n: (f"must be greater than {n}", f"必须大于 {n}"),
    "exclusiveMaximum": lambda n: (f"must be less than {n}", f"必须小于 {n}"),
}


def _type(error: ValidationError) -> Text:
    wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    names = [_TYPE_NAMES.get(w, (w, w)) for w in wanted]
    got = _TYPE_NAMES[json_type(error.instance)]
    en = " or ".join(n[0] for n in names)
    zh = "或".join(n[1] for n in names)
    return f"must be {en}, not {got[0]}", f"必须是{zh}，而不是{got[1]}"


def _enum(error: ValidationError) -> Text:
    shown = [value_label(error.schema, v) for v in error.validator_value]
    return (
        "must be one of: " + ", ".join(s[0] for s in shown),
        "必须是以下之一：" + "、".join(s[1] for s in shown),
    )


def _const(error: ValidationError) -> Text:
    en, zh = value_label(error.schema, error.validator_value)
    return f"must be {en}", f"必须为“{zh}”"


def _repeated(items: list[Any]) -> list[Any]:
    """Values that occur more than once, in first-seen order; True and 1 stay distinct as in JSON."""
    seen: set[str] = set()
    repeated: dict[str, Any] = {}
    for item in items:
        key = json_type(item) + json.dumps(item, sort_keys=True)
        if key in seen:
            repeated.setdefault(key, item)
        seen.add(key)
    return list(repeated.values())


def _unique(error: ValidationError) -> Text:
    items_schema = error.schema.get("items") if isinstance(error.schema.get("items"), dict) else {}
    shown = [value_label(items_schema, v) for v in _repeated(error.instance)]
    if not shown:
        return "entries must not repeat", "不能有重复项"
    return (
        "entries must not repeat (repeated: " + ", ".join(s[0] for s in shown) + ")",
        "不能有重复项（重复：" + "、".join(s[1] for s in shown) + "）",
    )


def _format(error: ValidationError) -> Text:
    if error.validator_value == "date":
        return (
            "must be a real date written YYYY-MM-DD, e.g. 2025-03-01",
            "必须是有效日期，格式为 YYYY-MM-DD，例如 2025-03-01",
        )
    return f"must be a valid {error.validator_value}", f"必须是有效的 {error.validator_value}"


_TEXTS: dict[str, Callable[[ValidationError], Text]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "uniqueItems": _unique,
    "format": _format,
    "pattern": lambda _error: ("does not have the expected form", "格式不正确"),
}


def _walk(root: dict[str, Any], steps: Sequence[str | int]) -> dict[str, Any]:
    node: Any = root
    try:
        for step in steps:
            node = node[step]
    except (KeyError, IndexError, TypeError):
        return {}
    return node if isinstance(node, dict) else {}


def _clause(name: str, field: dict[str, Any], value: Any) -> Text:
    """One if-clause in words, e.g. 'Decision' is Return for revision / “审批决定”为“退回修改”."""
    en, zh = value_label(field, value)
    return f"'{field.get('x-title-en', name)}' is {en}", f"“{field.get('title', name)}”为“{zh}”"


def _condition(error: ValidationError, root: dict[str, Any]) -> Text | None:
    """For a `required` inside then/else: the if-clause in words, so the user learns *why* it is needed.

    Only `const` tests on top-level fields are described; anything else gives no condition text.
    """
    steps = list(error.absolute_schema_path)
    if len(steps) < 2 or steps[-2] not in ("then", "else"):
        return None
    if_schema = _walk(root, steps[:-2]).get("if")
    fields = root.get("properties", {})
    clauses: list[Text] = []
    for name, test in (if_schema or {}).get("properties", {}).items():
        if isinstance(test, dict) and "const" in test:
            clauses.append(_clause(name, fields.get(name, {}), test["const"]))
    if not clauses:
        return None
    en, zh = " and ".join(c[0] for c in clauses), "且".join(c[1] for c in clauses)
    return (f"when {en}", f"当{zh}时") if steps[-2] == "then" else (f"unless {en}", f"除非{zh}，否则")


def _required(error: ValidationError, base: Path, root: dict[str, Any]) -> list[Entry]:
    """One entry per missing field, keyed by the missing field's path, not its parent's."""
    if not isinstance(error.instance, dict):
        return []
    condition = _condition(error, root)
    en, zh = ("is required", "此项为必填项")
    if condition is not None:
        en, zh = f"is required {condition[0]}", f"{condition[1]}必填"
    return [((*base, name), en, zh) for name in error.validator_value if name not in error.instance]


def _unknown_fields(error: ValidationError, base: Path, _root: dict[str, Any]) -> list[Entry]:
    """One entry per unexpected key, keyed by that key, so a client sees exactly what to drop."""
    known = error.schema.get("properties", {})
    patterns = list(error.schema.get("patternProperties", {}))
    extras = [k for k in error.instance if k not in known and not any(re.search(p, k) for p in patterns)]
    return [((*base, k), f"unknown field '{k}'", f"未知字段“{k}”") for k in extras]


def translate(error: ValidationError, root: dict[str, Any]) -> list[Entry]:
    """Entries (path, English, Chinese) for one jsonschema error; texts carry no label yet."""
    base: Path = tuple(error.absolute_path)
    if error.validator == "required":
        return _required(error, base, root)
    if error.validator == "additionalProperties" and error.validator_value is False:
        return _unknown_fields(error, base, root)
    if error.validator in _BOUNDS:
        return [(base, *_BOUNDS[str(error.validator)](error.validator_value))]
    if error.validator in _TEXTS:
        return [(base, *_TEXTS[str(error.validator)](error))]
    return [(base, error.message, f"不符合要求：{error.message}")]


class ErrorReport:
    """Messages collected per field path, rendered with the field's label in front.

    Paths are ordered as the form shows its fields, so the first message is the first one the user
    meets on the page.
    """

    def __init__(self, schema: dict[str, Any], title: dict[str, str], order: Sequence[str]) -> None:
        self._schema = schema
        self._title = title
        self._order = list(order)
        self._texts: dict[Path, list[Text]] = {}
        self._mistyped: set[Path] = set()

    def __bool__(self) -> bool:
        return bool(self._texts)

    def has(self, path: Path) -> bool:
        return path in self._texts

    def add(self, path: Path, en: str, zh: str) -> None:
        texts = self._texts.setdefault(path, [])
        if (en, zh) not in texts:
            texts.append((en, zh))

    def add_schema_error(self, error: ValidationError) -> None:
        """A wrong type is the whole story for its value: enum or length errors beside it are noise."""
        for path, en, zh in translate(error, self._schema):
            if error.validator == "type":
                self._texts[path] = [(en, zh)]
                self._mistyped.add(path)
            elif path not in self._mistyped:
                self.add(path, en, zh)

    def render(self) -> tuple[dict[str, str], dict[str, str]]:
        """(errors, errors_zh): the same keys, each message starting with the field's label."""
        english: dict[str, str] = {}
        chinese: dict[str, str] = {}
        for path in sorted(self._texts, key=self._sort_key):
            en_body = "; ".join(t[0] for t in self._texts[path])
            zh_body = "；".join(t[1] for t in self._texts[path])
            prefix = self._prefix(path)
            english[path_key(path)] = f"{prefix[0]}: {en_body}" if prefix else en_body
            chinese[path_key(path)] = f"{prefix[1]}：{zh_body}" if prefix else zh_body
        return english, chinese

    def _prefix(self, path: Path) -> Text | None:
        """The label of the field a path points into; None for a key the schema does not know."""
        if not path:
            zh = self._title.get("zh_CN", "")
            return f"{zh} ({self._title.get('en', '')})", zh
        prop = self._schema.get("properties", {}).get(path[0]) if isinstance(path[0], str) else None
        if not isinstance(prop, dict):
            return None
        zh = str(prop.get("title", path[0]))
        en = f"{zh} ({prop.get('x-title-en', path[0])})"
        for step in path[1:]:
            en += f", item {step + 1}" if isinstance(step, int) else f" › {step}"
            zh += f"（第 {step + 1} 项）" if isinstance(step, int) else f" › {step}"
        return en, zh

    def _sort_key(self, path: Path) -> tuple[int, int, list[tuple[int, str]]]:
        if not path:
            return (0, 0, [])
        head = path[0]
        rank = self._order.index(head) if head in self._order else len(self._order)
        rest = [(0, f"{s:09d}") if isinstance(s, int) else (1, s) for s in path[1:]]
        return (1, rank, rest)
