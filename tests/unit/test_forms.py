"""Task forms: the shipped files load, broken files are refused precisely, and submitted data is
checked with every problem reported by field label in English and Chinese.

The field names and types asserted here are a contract with the BPMN diagrams: a diagram's scripts
and conditions read exactly these keys.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from xianfeng.forms import (
    FormDefinition,
    FormDefinitionError,
    FormValidationError,
    builtin_form_files,
    load_form,
)

SHIPPED = {
    "approval.json",
    "consent.json",
    "determine_list.json",
    "evaluation.json",
    "nomination.json",
    "objection_review.json",
}

VALID: dict[str, dict[str, Any]] = {
    "nomination": {
        "candidate_member_id": 7,
        "post_title": "便民服务示范岗",
        "category": "key_post",
        "service_domains": ["elderly_care", "hardship_relief"],
        "discussion_date": "2025-03-01",
        "discussion_summary": "支部党员大会酝酿讨论，一致同意推荐该同志。",
        "member_evaluators": [11, 12, 13],
        "public_evaluator_count": 20,
    },
    "evaluation": {
        "political": 5,
        "work": 4,
        "service": 3,
        "conduct": 2,
        "discipline": 1,
        "comment": "继续保持",
    },
    "objection_review": {
        "upheld": False,
        "finding": "经核查，反映情况不属实。",
        "answer": "已当面向异议人说明核查结果。",
    },
    "consent": {"willing": True, "pledge": "带头服务群众，每周走访困难户不少于两户。"},
    "determine_list": {
        "include": True,
        "post_title": "便民服务示范岗",
        "responsibilities": "负责为老年人代办医保、养老认证等事项。",
    },
    "approval": {"decision": "approve", "opinion": "同意设立。"},
}

CONTRACT: dict[str, dict[str, str]] = {
    "nomination": {
        "candidate_member_id": "integer",
        "post_title": "string",
        "category": "string",
        "service_domains": "array",
        "discussion_date": "string",
        "discussion_summary": "string",
        "member_evaluators": "array",
        "public_evaluator_count": "integer",
    },
    "evaluation": {
        "political": "integer",
        "work": "integer",
        "service": "integer",
        "conduct": "integer",
        "discipline": "integer",
        "comment": "string",
    },
    "objection_review": {"upheld": "boolean", "finding": "string", "answer": "string"},
    "consent": {"willing": "boolean", "pledge": "string", "decline_reason": "string"},
    "determine_list": {
        "include": "boolean",
        "post_title": "string",
        "responsibilities": "string",
        "note": "string",
    },
    "approval": {"decision": "string", "opinion": "string", "return_reasons": "string"},
}

REQUIRED = {
    "nomination": set(CONTRACT["nomination"]) - {"service_domains"},
    "evaluation": {"political", "work", "service", "conduct", "discipline"},
    "objection_review": {"upheld", "finding", "answer"},
    "consent": {"willing"},
    "determine_list": {"include", "post_title", "responsibilities"},
    "approval": {"decision", "opinion"},
}


def form(form_id: str) -> FormDefinition:
    name = f"{form_id}.json"
    return load_form(name, builtin_form_files()[name])


DROP = object()


def valid(form_id: str, **changes: Any) -> dict[str, Any]:
    """A valid payload with some fields replaced; a change to `DROP` removes the field."""
    data = copy.deepcopy(VALID[form_id])
    for key, value in changes.items():
        if value is DROP:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def errors_of(form_id: str, data: Any, check_source: Any = None) -> tuple[dict[str, str], dict[str, str]]:
    with pytest.raises(FormValidationError) as caught:
        form(form_id).validate(data, check_source)
    assert caught.value.form == form_id
    assert list(caught.value.errors) == list(caught.value.errors_zh)
    return caught.value.errors, caught.value.errors_zh


# --- the shipped forms ---------------------------------------------------------------------------------


def test_the_package_ships_the_six_forms_of_the_creation_procedure() -> None:
    assert set(builtin_form_files()) == SHIPPED


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_form_loads_with_both_languages_and_cites_a_requirement(name: str) -> None:
    raw = builtin_form_files()[name]
    loaded = load_form(name, raw)
    assert loaded.name == name
    assert loaded.id == name.removesuffix(".json")
    assert loaded.sha256 == hashlib.sha256(raw).hexdigest()
    for text in (loaded.title, loaded.description):
        assert text["zh_CN"] and text["en"]
    assert re.search(r"R\d+", loaded.description["zh_CN"]) and re.search(r"R\d+", loaded.description["en"])
    assert loaded.ui["order"] == loaded.field_names()
    for field in loaded.field_names():
        assert loaded.label(field, "zh_CN") and loaded.label(field, "en")


@pytest.mark.parametrize("form_id", sorted(CONTRACT))
def test_field_names_types_and_required_fields_match_the_diagrams_contract(form_id: str) -> None:
    schema = form(form_id).schema
    assert {name: prop["type"] for name, prop in schema["properties"].items()} == CONTRACT[form_id]
    assert set(schema["required"]) == REQUIRED[form_id]


def test_evaluation_criteria_are_the_five_of_r2_graded_five_to_one() -> None:
    evaluation = form("evaluation")
    assert [evaluation.label(f) for f in ("political", "work", "service", "conduct", "discipline")] == [
        "政治素质优，带头学习提高",
        "日常工作优，带头争创佳绩",
        "党员评价优，带头服务群众",
        "作风形象优，带头弘扬正气",
        "自律意识优，带头遵纪守法",
    ]
    political = evaluation.schema["properties"]["political"]
    assert political["enum"] == [5, 4, 3, 2, 1]
    assert [political["x-enum-labels"][str(v)]["zh_CN"] for v in political["enum"]] == [
        "优秀",
        "良好",
        "一般",
        "较差",
        "差",
    ]


def test_nomination_offers_the_r12_categories_and_the_r9_service_domains() -> None:
    props = form("nomination").schema["properties"]
    assert props["category"]["enum"] == ["key_post", "key_area", "important_work", "major_activity"]
    assert len(props["service_domains"]["items"]["enum"]) == 10
    assert props["service_domains"]["items"]["x-enum-labels"]["petitions_disputes"]["zh_CN"] == "信访矛盾"


# --- FormDefinition ------------------------------------------------------------------------------------


def test_a_definition_gives_labels_display_order_and_source_fields() -> None:
    nomination = form("nomination")
    assert nomination.field_names()[:3] == ["candidate_member_id", "post_title", "category"]
    assert nomination.label("member_evaluators") == "参加测评的党员"
    assert nomination.label("member_evaluators", "en") == "Members who evaluate"
    assert nomination.source_fields() == {
        "candidate_member_id": "branch_members",
        "member_evaluators/*": "branch_members",
    }
    assert form("approval").source_fields() == {}


def test_asking_for_an_unknown_field_or_language_is_refused() -> None:
    nomination = form("nomination")
    with pytest.raises(KeyError, match="has no field 'nickname'"):
        nomination.label("nickname")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        nomination.label("post_title", "fr")


# --- broken form files ---------------------------------------------------------------------------------

MINIMAL: dict[str, Any] = {
    "id": "sample",
    "title": {"zh_CN": "示例", "en": "Sample"},
    "description": {"zh_CN": "用于测试（R13）。", "en": "For tests (R13)."},
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "title": "姓名", "x-title-en": "Name"},
            "kind": {
                "type": "string",
                "title": "类别",
                "x-title-en": "Kind",
                "enum": ["a", "b"],
                "x-enum-labels": {"a": {"zh_CN": "甲", "en": "A"}, "b": {"zh_CN": "乙", "en": "B"}},
            },
        },
    },
    "ui": {"order": ["name", "kind"]},
}


def mutated(change: Callable[[dict[str, Any]], None]) -> bytes:
    doc = copy.deepcopy(MINIMAL)
    change(doc)
    return json.dumps(doc, ensure_ascii=False).encode()


def test_the_minimal_sample_form_itself_loads() -> None:
    assert load_form("broken.json", mutated(lambda doc: None)).field_names() == ["name", "kind"]


BROKEN: list[tuple[str, bytes, str]] = [
    ("not utf-8", b'{"id": "\xff"}', "not UTF-8 text (bad byte at offset 8)"),
    (
        "invalid json",
        b'{"id": "sample",\n  "title": }',
        "invalid JSON at line 2, column 12: Expecting value",
    ),
    ("duplicate key", b'{"id": "a", "id": "b"}', "duplicate key 'id' in one JSON object"),
    ("not an object", b"[]", "the file must hold a JSON object, not array"),
    ("missing key", mutated(lambda d: d.pop("schema")), "missing key 'schema'"),
    (
        "unknown key",
        mutated(lambda d: d.update(version=2)),
        "unknown key 'version'; expected only id, title, description, schema, ui",
    ),
    (
        "bad id",
        mutated(lambda d: d.update(id="Sample Form")),
        "id must be lower-case letters, digits and '_', starting with a letter, not 'Sample Form'",
    ),
    ("title lacks english", mutated(lambda d: d["title"].pop("en")), "title lacks a non-empty 'en' text"),
    (
        "other draft",
        mutated(lambda d: d["schema"].update({"$schema": "http://json-schema.org/draft-07/schema#"})),
        "schema declares $schema 'http://json-schema.org/draft-07/schema#'; "
        "only https://json-schema.org/draft/2020-12/schema is supported",
    ),
    (
        "not an object schema",
        mutated(lambda d: d["schema"].update(type="array")),
        'schema.type must be "object"',
    ),
    (
        "additionalProperties missing",
        mutated(lambda d: d["schema"].pop("additionalProperties")),
        "schema.additionalProperties must be false, so that unknown fields are refused",
    ),
    (
        "additionalProperties true",
        mutated(lambda d: d["schema"].update(additionalProperties=True)),
        "schema.additionalProperties must be false, so that unknown fields are refused",
    ),
    (
        "required names unknown field",
        mutated(lambda d: d["schema"]["required"].append("age")),
        "schema.required names unknown field 'age'",
    ),
    (
        "conditional names unknown field",
        mutated(
            lambda d: d["schema"].update(
                allOf=[{"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["nmae"]}}]
            )
        ),
        "schema.allOf/0.then.required names unknown field 'nmae'",
    ),
    (
        "property lacks title",
        mutated(lambda d: d["schema"]["properties"]["name"].pop("title")),
        "property 'name' lacks \"title\"",
    ),
    (
        "property lacks english title",
        mutated(lambda d: d["schema"]["properties"]["name"].pop("x-title-en")),
        "property 'name' lacks \"x-title-en\"",
    ),
    (
        "help text in one language",
        mutated(lambda d: d["schema"]["properties"]["name"].update(description="请填写全名")),
        'property \'name\' has help text in one language only: give "description" and "x-description-en"',
    ),
    (
        "unknown widget",
        mutated(lambda d: d["schema"]["properties"]["name"].update({"x-widget": "slider"})),
        "property 'name' has unknown x-widget 'slider'; "
        "expected one of text, textarea, number, date, select, radio, checkbox, multiselect, file",
    ),
    (
        "enum value without label",
        mutated(lambda d: d["schema"]["properties"]["kind"]["enum"].append("c")),
        "property 'kind': x-enum-labels lacks a label for enum value 'c'",
    ),
    (
        "enum without labels",
        mutated(lambda d: d["schema"]["properties"]["kind"].pop("x-enum-labels")),
        "property 'kind' has an enum but no x-enum-labels",
    ),
    (
        "enum label in one language",
        mutated(lambda d: d["schema"]["properties"]["kind"]["x-enum-labels"]["b"].pop("zh_CN")),
        "property 'kind': x-enum-labels['b'] lacks a non-empty 'zh_CN' text",
    ),
    (
        "array item enum without label",
        mutated(
            lambda d: d["schema"]["properties"].update(
                tags={
                    "type": "array",
                    "title": "标签",
                    "x-title-en": "Tags",
                    "items": {"enum": ["x"], "x-enum-labels": {}},
                }
            )
        ),
        "property 'tags' items: x-enum-labels lacks a label for enum value 'x'",
    ),
    (
        "ui.order names unknown field",
        mutated(lambda d: d["ui"]["order"].append("age")),
        "ui.order names unknown field 'age'",
    ),
    (
        "ui.order repeats a field",
        mutated(lambda d: d["ui"]["order"].append("name")),
        "ui.order names field 'name' twice",
    ),
]


@pytest.mark.parametrize(
    ("raw", "message"), [(raw, msg) for _, raw, msg in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_a_broken_form_file_is_refused_with_a_precise_message(raw: bytes, message: str) -> None:
    with pytest.raises(FormDefinitionError) as caught:
        load_form("broken.json", raw)
    assert caught.value.name == "broken.json"
    assert caught.value.message == message
    assert str(caught.value) == f"broken.json: {message}"


def test_a_schema_the_metaschema_rejects_is_refused_with_its_location() -> None:
    raw = mutated(lambda d: d["schema"]["properties"]["name"].update(type="strin"))
    with pytest.raises(FormDefinitionError) as caught:
        load_form("broken.json", raw)
    assert caught.value.message.startswith(
        "schema is not valid JSON Schema draft 2020-12 at 'schema/properties/name/type': "
    )
    assert "'strin'" in caught.value.message


# --- validation: valid data ------------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", sorted(VALID))
def test_a_valid_payload_comes_back_equal_but_as_a_copy(form_id: str) -> None:
    payload = valid(form_id)
    result = form(form_id).validate(payload)
    assert result == payload
    assert result is not payload


def test_the_returned_copy_is_deep() -> None:
    payload = valid("nomination")
    result = form("nomination").validate(payload)
    assert result["member_evaluators"] is not payload["member_evaluators"]


@pytest.mark.parametrize(
    ("form_id", "payload"),
    [
        ("consent", {"willing": False, "decline_reason": "身体原因"}),
        ("determine_list", valid("determine_list", include=False, note="本人谢绝")),
        ("approval", {"decision": "return", "opinion": "请补充材料", "return_reasons": "缺少群众测评结果"}),
        ("approval", {"decision": "reject", "opinion": "测评未达标"}),
        ("nomination", valid("nomination", service_domains=DROP)),
        ("evaluation", valid("evaluation", comment=DROP)),
    ],
)
def test_optional_and_conditional_fields_are_only_demanded_when_their_condition_holds(
    form_id: str, payload: dict[str, Any]
) -> None:
    assert form(form_id).validate(payload) == payload


# --- validation: each kind of error names the field by its label ---------------------------------------

ONE_ERROR: list[tuple[str, str, dict[str, Any], str, str, str]] = [
    (
        "missing required",
        "nomination",
        {"discussion_summary": DROP},
        "discussion_summary",
        "支部酝酿讨论情况 (Summary of the branch discussion): is required",
        "支部酝酿讨论情况：此项为必填项",
    ),
    (
        "wrong type",
        "nomination",
        {"public_evaluator_count": "20"},
        "public_evaluator_count",
        "群众测评人数 (Number of public evaluators): must be a whole number, not text",
        "群众测评人数：必须是整数，而不是文本",
    ),
    (
        "boolean is not an integer and hides the enum error",
        "evaluation",
        {"conduct": True},
        "conduct",
        "作风形象优，带头弘扬正气 (Conduct and image: leads in upholding integrity): "
        "must be a whole number, not true or false",
        "作风形象优，带头弘扬正气：必须是整数，而不是“是”或“否”",
    ),
    (
        "too short",
        "objection_review",
        {"finding": "不属实"},
        "finding",
        "核查情况 (Verification findings): at least 5 characters are required",
        "核查情况：至少需要 5 个字符",
    ),
    (
        "too long",
        "evaluation",
        {"comment": "好" * 501},
        "comment",
        "意见建议 (Comments and suggestions): at most 500 characters are allowed",
        "意见建议：最多允许 500 个字符",
    ),
    (
        "below minimum",
        "nomination",
        {"public_evaluator_count": 4},
        "public_evaluator_count",
        "群众测评人数 (Number of public evaluators): must be at least 5",
        "群众测评人数：不能小于 5",
    ),
    (
        "above maximum",
        "nomination",
        {"public_evaluator_count": 101},
        "public_evaluator_count",
        "群众测评人数 (Number of public evaluators): must be at most 100",
        "群众测评人数：不能大于 100",
    ),
    (
        "enum",
        "nomination",
        {"category": "hub"},
        "category",
        "示范岗类别 (Category): must be one of: Key post, Key area, Important work, Major activity",
        "示范岗类别：必须是以下之一：关键岗位、重点领域、重要工作、重大活动",
    ),
    (
        "integer enum",
        "evaluation",
        {"work": 6},
        "work",
        "日常工作优，带头争创佳绩 (Daily work: leads in striving for results): "
        "must be one of: Excellent, Good, Fair, Poor, Bad",
        "日常工作优，带头争创佳绩：必须是以下之一：优秀、良好、一般、较差、差",
    ),
    (
        "enum in an array item",
        "nomination",
        {"service_domains": ["housing", "tourism"]},
        "service_domains/1",
        "服务领域 (Service domains), item 2: must be one of: Employment, Education, Medical care, "
        "Travel, Housing, Elderly care, Petitions and disputes, Hardship relief, Industry support, "
        "Living environment",
        "服务领域（第 2 项）：必须是以下之一：就业、教育、医疗、出行、住房、养老、"
        "信访矛盾、困难帮扶、产业发展、人居环境",
    ),
    (
        "unknown field",
        "approval",
        {"signature": "张三"},
        "signature",
        "unknown field 'signature'",
        "未知字段“signature”",
    ),
    (
        "impossible date",
        "nomination",
        {"discussion_date": "2025-02-30"},
        "discussion_date",
        "酝酿讨论日期 (Discussion date): must be a real date written YYYY-MM-DD, e.g. 2025-03-01",
        "酝酿讨论日期：必须是有效日期，格式为 YYYY-MM-DD，例如 2025-03-01",
    ),
    (
        "date in another format",
        "nomination",
        {"discussion_date": "2025/03/01"},
        "discussion_date",
        "酝酿讨论日期 (Discussion date): must be a real date written YYYY-MM-DD, e.g. 2025-03-01",
        "酝酿讨论日期：必须是有效日期，格式为 YYYY-MM-DD，例如 2025-03-01",
    ),
    (
        "too few items",
        "nomination",
        {"member_evaluators": [11, 12]},
        "member_evaluators",
        "参加测评的党员 (Members who evaluate): at least 3 entries are required",
        "参加测评的党员：至少需要 3 项",
    ),
    (
        "too many items",
        "nomination",
        {"member_evaluators": list(range(1, 52))},
        "member_evaluators",
        "参加测评的党员 (Members who evaluate): at most 50 entries are allowed",
        "参加测评的党员：最多允许 50 项",
    ),
    (
        "repeated items",
        "nomination",
        {"member_evaluators": [11, 12, 12, 13]},
        "member_evaluators",
        "参加测评的党员 (Members who evaluate): entries must not repeat (repeated: 12)",
        "参加测评的党员：不能有重复项（重复：12）",
    ),
    (
        "repeated enum items are shown by label",
        "nomination",
        {"service_domains": ["housing", "housing"]},
        "service_domains",
        "服务领域 (Service domains): entries must not repeat (repeated: Housing)",
        "服务领域：不能有重复项（重复：住房）",
    ),
    (
        "willing without pledge",
        "consent",
        {"pledge": DROP},
        "pledge",
        "公开承诺 (Public pledge): is required when 'Willing to take on the post' is yes",
        "公开承诺：当“本人是否愿意承担示范岗”为“是”时必填",
    ),
    (
        "willing with a pledge too short",
        "consent",
        {"pledge": "我愿意"},
        "pledge",
        "公开承诺 (Public pledge): at least 10 characters are required",
        "公开承诺：至少需要 10 个字符",
    ),
    (
        "unwilling without a reason",
        "consent",
        {"willing": False, "pledge": DROP},
        "decline_reason",
        "谢绝理由 (Reason for declining): is required when 'Willing to take on the post' is no",
        "谢绝理由：当“本人是否愿意承担示范岗”为“否”时必填",
    ),
    (
        "unwilling with a one-character reason",
        "consent",
        {"willing": False, "decline_reason": "忙"},
        "decline_reason",
        "谢绝理由 (Reason for declining): at least 2 characters are required",
        "谢绝理由：至少需要 2 个字符",
    ),
    (
        "returned without reasons",
        "approval",
        {"decision": "return"},
        "return_reasons",
        "退回理由 (Reasons for return): is required when 'Decision' is Return for revision",
        "退回理由：当“审批决定”为“退回修改”时必填",
    ),
    (
        "left off the list without a note",
        "determine_list",
        {"include": False},
        "note",
        "说明 (Note): is required when 'Include in the list' is no",
        "说明：当“列入示范岗名单”为“否”时必填",
    ),
]


@pytest.mark.parametrize(
    ("form_id", "changes", "path", "english", "chinese"),
    [case[1:] for case in ONE_ERROR],
    ids=[case[0] for case in ONE_ERROR],
)
def test_each_kind_of_error_names_the_field_in_both_languages(
    form_id: str, changes: dict[str, Any], path: str, english: str, chinese: str
) -> None:
    errors, errors_zh = errors_of(form_id, valid(form_id, **changes))
    assert errors == {path: english}
    assert errors_zh == {path: chinese}


def test_an_empty_consent_asks_only_for_willingness_not_for_pledge_or_reason() -> None:
    errors, errors_zh = errors_of("consent", {})
    assert errors == {"willing": "本人是否愿意承担示范岗 (Willing to take on the post): is required"}
    assert errors_zh == {"willing": "本人是否愿意承担示范岗：此项为必填项"}


def test_every_error_is_reported_at_once_in_the_forms_display_order() -> None:
    payload = {
        "signature": "x",
        "public_evaluator_count": 0,
        "post_title": "岗",
        "category": "hub",
        "discussion_date": "yesterday",
        "member_evaluators": [11],
    }
    errors, errors_zh = errors_of("nomination", payload)
    assert list(errors) == [
        "candidate_member_id",
        "post_title",
        "category",
        "discussion_date",
        "discussion_summary",
        "member_evaluators",
        "public_evaluator_count",
        "signature",
    ]
    assert errors_zh["candidate_member_id"] == "候选党员：此项为必填项"
    assert errors["public_evaluator_count"].endswith("must be at least 5")


def test_two_problems_with_one_value_read_as_one_message() -> None:
    errors, errors_zh = errors_of("nomination", valid("nomination", member_evaluators=[11, 11]))
    assert errors == {
        "member_evaluators": "参加测评的党员 (Members who evaluate): "
        "at least 3 entries are required; entries must not repeat (repeated: 11)"
    }
    assert errors_zh == {"member_evaluators": "参加测评的党员：至少需要 3 项；不能有重复项（重复：11）"}


def test_the_validation_error_says_which_form_and_what_is_wrong() -> None:
    with pytest.raises(FormValidationError) as caught:
        form("approval").validate({"decision": "approve"})
    assert str(caught.value) == "form approval is invalid: 审批意见 (Approval opinion): is required"


@pytest.mark.parametrize(
    ("payload", "english", "chinese"),
    [
        ([5, 4, 3], "must be an object, not a list", "必须是对象，而不是列表"),
        ("political=5", "must be an object, not text", "必须是对象，而不是文本"),
        (None, "must be an object, not null", "必须是对象，而不是空值"),
        (5, "must be an object, not a whole number", "必须是对象，而不是整数"),
    ],
)
def test_a_payload_that_is_not_an_object_is_one_error_on_the_whole_form(
    payload: Any, english: str, chinese: str
) -> None:
    calls: list[Any] = []
    errors, errors_zh = errors_of("nomination", payload, lambda source, value: calls.append(value))
    assert errors == {"": f"支部酝酿讨论与提名 (Branch discussion and nomination): {english}"}
    assert errors_zh == {"": f"支部酝酿讨论与提名：{chinese}"}
    assert calls == []


# --- values from the organisation (x-source) ------------------------------------------------------------


class BranchMembers:
    """A stand-in for the organisation: members 7, 11, 13 belong to the branch, others do not."""

    def __init__(self, members: set[int]) -> None:
        self.members = members
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, source: str, value: Any) -> str | None:
        self.calls.append((source, value))
        return None if value in self.members else f"党员 {value} 不属于本支部"


def test_the_source_is_asked_about_the_plain_field_and_every_array_item() -> None:
    branch = BranchMembers({7, 11, 12, 13})
    payload = valid("nomination")
    assert form("nomination").validate(payload, branch) == payload
    assert branch.calls == [
        ("branch_members", 7),
        ("branch_members", 11),
        ("branch_members", 12),
        ("branch_members", 13),
    ]


def test_a_source_refusal_is_attached_to_the_item_it_concerns() -> None:
    branch = BranchMembers({7, 11, 13})
    errors, errors_zh = errors_of("nomination", valid("nomination", member_evaluators=[11, 12, 13]), branch)
    assert errors == {
        "member_evaluators/1": "参加测评的党员 (Members who evaluate), item 2: 党员 12 不属于本支部"
    }
    assert errors_zh == {"member_evaluators/1": "参加测评的党员（第 2 项）：党员 12 不属于本支部"}


def test_a_source_refusal_of_a_plain_field_is_reported_beside_schema_errors() -> None:
    branch = BranchMembers({11, 12, 13})
    errors, _ = errors_of("nomination", valid("nomination", post_title="岗"), branch)
    assert errors == {
        "candidate_member_id": "候选党员 (Candidate member): 党员 7 不属于本支部",
        "post_title": "示范岗名称 (Model post title): at least 2 characters are required",
    }


def test_the_source_is_not_asked_about_values_of_the_wrong_type() -> None:
    branch = BranchMembers({11, 13})
    errors, _ = errors_of(
        "nomination",
        valid("nomination", candidate_member_id="seven", member_evaluators=[11, "x", 13]),
        branch,
    )
    assert set(errors) == {"candidate_member_id", "member_evaluators/1"}
    assert errors["member_evaluators/1"].endswith("must be a whole number, not text")
    assert branch.calls == [("branch_members", 11), ("branch_members", 13)]


def test_without_a_source_callback_member_ids_are_only_checked_by_type() -> None:
    payload = valid("nomination", candidate_member_id=999)
    assert form("nomination").validate(payload) == payload
