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

CREATION_FORMS = {
    "approval.json",
    "consent.json",
    "determine_list.json",
    "evaluation.json",
    "nomination.json",
    "objection_review.json",
    "paper_ballots.json",
    "extend_evaluation.json",
}
ASSESSMENT_FORMS = {
    "assessment_scores.json",
    "public_opinions.json",
    "rectification_plan.json",
    "rectification_recheck.json",
    "rectification_report.json",
    "reward.json",
    "satisfaction.json",
    "self_report.json",
}
REVOCATION_FORMS = {
    "plate_return.json",
    "revocation_proposal.json",
    "revocation_revise.json",
    "revocation_decision.json",
}
AREA_FORMS = {
    "area_consultation.json",
    "area_draft.json",
    "area_goal.json",
    "area_member_duties.json",
    "area_member_grade.json",
    "area_placement.json",
    "area_reassignment.json",
    "area_revision.json",
    "area_work_record.json",
    "commendation_listing.json",
    "comment_answer.json",
    "criticism_follow_up.json",
    "public_comment.json",
}
SHIPPED = CREATION_FORMS | ASSESSMENT_FORMS | REVOCATION_FORMS | AREA_FORMS

# The requirement ids each form's description must cite, in both languages.
CITES: dict[str, tuple[str, ...]] = {
    "nomination": ("R1", "R3.1", "R12"),
    "evaluation": ("R2", "R3.2"),
    "paper_ballots": ("R3.2",),
    "extend_evaluation": ("R3.2",),
    "revocation_decision": ("R7",),
    "objection_review": ("R3.3",),
    "consent": ("R3.4",),
    "determine_list": ("R3.5",),
    "approval": ("R3.6",),
    "self_report": ("R5",),
    "public_opinions": ("R5",),
    "satisfaction": ("R5", "R10"),
    "assessment_scores": ("R2", "R5"),
    "reward": ("R6", "R11"),
    "rectification_plan": ("R5",),
    "rectification_report": ("R5",),
    "rectification_recheck": ("R5",),
    "revocation_proposal": ("R7",),
    "revocation_revise": ("R7",),
    "plate_return": ("R7",),
    "area_draft": ("R8",),
    "area_consultation": ("R8",),
    "area_work_record": ("R9",),
    "area_member_grade": ("R10", "R11"),
    "criticism_follow_up": ("R11",),
    "area_reassignment": ("R8",),
    "area_member_duties": ("R8",),
    "area_placement": ("R8",),
    "area_revision": ("R8",),
    "area_goal": ("R9", "R10"),
    "commendation_listing": ("R6", "R7", "R11"),
    "public_comment": ("R4",),
    "comment_answer": ("R4",),
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
    "self_report": {
        "summary": "本期坚持每周走访困难户，为老年人代办医保认证二十余件。",
        "services_count": 26,
        "problems": "政策宣讲还不够深入。",
    },
    "public_opinions": {
        "consulted_count": 15,
        "opinions": "群众普遍反映该同志办事热情、及时。",
        "suggestions": "希望增加夜间服务时间。",
    },
    "satisfaction": {"overall": "satisfied", "comment": "服务很周到"},
    "assessment_scores": {
        "political": 95,
        "work": 90,
        "service": 88,
        "conduct": 100,
        "discipline": 0,
        "summary": "考核合格，群众满意度较高。",
    },
    "reward": {"spiritual": "通报表扬", "material": "奖金", "amount": 500},
    "rectification_plan": {
        "problems": "入户走访次数偏少，群众反映办事不够及时。",
        "rectify_days": 20,
        "measures": "每周至少走访两户。",
    },
    "rectification_report": {"actions": "已制定走访计划，本月走访十二户。", "evidence": "走访记录表"},
    "rectification_recheck": {"rectified": True, "finding": "已整改到位。"},
    "revocation_proposal": {"post_id": 3, "reasons": "年度考核不合格，群众满意度低。"},
    "revocation_revise": {"reasons": "年度考核不合格，且整改后复查仍未到位。"},
    "plate_return": {"returned_on": "2025-06-30", "note": "岗牌已交回支部"},
    "paper_ballots": {"ballots": "5 5 5 5 5\n4,4,5,4,4", "photos": ["a" * 64]},
    "extend_evaluation": {"extend": True, "extension_days": 5, "reason": "部分党员外出"},
    "revocation_decision": {"decision": "approve", "opinion": "考核不合格，确认撤销"},
    "area_draft": {
        "village_id": 2,
        "name": "东片责任区",
        "description": "共 36 户，含第一、第二牧业组。",
        "member_ids": [11, 12],
        "lead_member_id": 11,
        "more": False,
    },
    "area_consultation": {
        "members_opinions": "党员一致同意划分方案。",
        "public_opinions": "群众希望每片都有懂牧业的党员。",
        "adopted_changes": "已调整第二片区人员。",
    },
    "area_work_record": {
        "kind": "service",
        "domain": "elderly_care",
        "happened_on": "2025-04-12",
        "what": "为五保户代办养老认证。",
        "for_whom": "五保户张大爷",
        "outcome": "认证当天办结。",
    },
    "area_member_grade": {
        "grade": "excellent",
        "comment": "履职尽责，群众满意。",
        "reward_spiritual": "通报表扬",
        "reward_material": "慰问品",
        "reward_amount": 300.5,
    },
    "criticism_follow_up": {"follow_up": "支部书记已谈心谈话，该同志表示将加强走访。"},
    "area_reassignment": {
        "member_id": 12,
        "reason": "moved",
        "note": "已迁往旗里居住",
        "replacement_member_id": 13,
    },
    "area_member_duties": {"scope": "联系本片区第一牧业组 12 户", "tasks": "每月走访每户至少一次。"},
    "area_placement": {
        "exempt_member_ids": [14],
        "exemption_reason": "年老体弱，长期卧床",
        "add_area": False,
    },
    "area_revision": {
        "redraw_village_ids": [2],
        "unexempt_member_ids": [14],
        "add_area": True,
        "changes": "东风村按牧业组重新划分",
    },
    "area_goal": {
        "title": "走访全部低保户",
        "domain": "hardship_relief",
        "target_count": 12,
        "due_on": "2025-06-30",
        "description": "每户至少一次。",
    },
    "commendation_listing": {"member_id": 7, "year": 2025, "note": "镇党委会议研究"},
    "public_comment": {"kind": "complaint", "text": "责任党员很少入户走访。", "contact": "13800000000"},
    "comment_answer": {"finding": "属实", "answer": "已要求责任党员每周入户两次。"},
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
        "paper_ballot_count": "integer",
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
    "self_report": {"summary": "string", "services_count": "integer", "problems": "string"},
    "public_opinions": {"consulted_count": "integer", "opinions": "string", "suggestions": "string"},
    "satisfaction": {"overall": "string", "comment": "string"},
    "assessment_scores": {
        "political": "integer",
        "work": "integer",
        "service": "integer",
        "conduct": "integer",
        "discipline": "integer",
        "summary": "string",
    },
    "reward": {"spiritual": "string", "material": "string", "amount": "number"},
    "rectification_plan": {"problems": "string", "rectify_days": "integer", "measures": "string"},
    "rectification_report": {"actions": "string", "evidence": "string", "evidence_files": "array"},
    "rectification_recheck": {"rectified": "boolean", "finding": "string"},
    "revocation_proposal": {"post_id": "integer", "reasons": "string"},
    "revocation_revise": {"reasons": "string"},
    "plate_return": {"returned_on": "string", "note": "string", "photos": "array"},
    "paper_ballots": {"ballots": "string", "photos": "array", "note": "string"},
    "extend_evaluation": {"extend": "boolean", "extension_days": "integer", "reason": "string"},
    "revocation_decision": {"decision": "string", "opinion": "string", "return_reasons": "string"},
    "area_draft": {
        "village_id": "integer",
        "name": "string",
        "description": "string",
        "member_ids": "array",
        "lead_member_id": "integer",
        "more": "boolean",
    },
    "area_consultation": {
        "members_opinions": "string",
        "public_opinions": "string",
        "adopted_changes": "string",
    },
    "area_work_record": {
        "kind": "string",
        "domain": "string",
        "political_activity": "string",
        "goal_id": "integer",
        "happened_on": "string",
        "what": "string",
        "for_whom": "string",
        "outcome": "string",
        "attachments": "array",
    },
    "area_member_grade": {
        "grade": "string",
        "comment": "string",
        "reward_spiritual": "string",
        "reward_material": "string",
        "reward_amount": "number",
    },
    "criticism_follow_up": {"follow_up": "string"},
    "area_reassignment": {
        "member_id": "integer",
        "reason": "string",
        "note": "string",
        "replacement_member_id": "integer",
    },
    "area_member_duties": {"scope": "string", "tasks": "string"},
    "area_placement": {"exempt_member_ids": "array", "exemption_reason": "string", "add_area": "boolean"},
    "area_revision": {
        "redraw_village_ids": "array",
        "unexempt_member_ids": "array",
        "add_area": "boolean",
        "changes": "string",
    },
    "area_goal": {
        "title": "string",
        "domain": "string",
        "target_count": "integer",
        "due_on": "string",
        "description": "string",
    },
    "commendation_listing": {"member_id": "integer", "year": "integer", "note": "string"},
    "public_comment": {"kind": "string", "text": "string", "contact": "string"},
    "comment_answer": {"finding": "string", "answer": "string"},
}

REQUIRED = {
    "nomination": set(CONTRACT["nomination"]) - {"service_domains", "paper_ballot_count"},
    "evaluation": {"political", "work", "service", "conduct", "discipline"},
    "objection_review": {"upheld", "finding", "answer"},
    "consent": {"willing"},
    "determine_list": {"include", "post_title", "responsibilities"},
    "approval": {"decision", "opinion"},
    "self_report": {"summary", "services_count"},
    "public_opinions": {"consulted_count", "opinions"},
    "satisfaction": {"overall"},
    "assessment_scores": {"political", "work", "service", "conduct", "discipline", "summary"},
    "reward": {"spiritual"},
    "rectification_plan": {"problems", "rectify_days"},
    "rectification_report": {"actions"},
    "rectification_recheck": {"rectified", "finding"},
    "revocation_proposal": {"post_id", "reasons"},
    "revocation_revise": {"reasons"},
    "plate_return": {"returned_on"},
    "paper_ballots": {"ballots", "photos"},
    "extend_evaluation": {"extend", "reason"},
    "revocation_decision": {"decision", "opinion"},
    "area_draft": set(CONTRACT["area_draft"]) - {"description"},
    "area_consultation": {"members_opinions", "public_opinions"},
    "area_work_record": {"kind", "happened_on", "what"},
    "area_member_grade": {"grade"},
    "criticism_follow_up": {"follow_up"},
    "area_reassignment": {"member_id", "reason"},
    "area_member_duties": {"scope", "tasks"},
    "area_placement": {"add_area"},
    "area_revision": {"add_area", "changes"},
    "area_goal": {"title", "target_count"},
    "commendation_listing": {"member_id", "year"},
    "public_comment": {"kind", "text"},
    "comment_answer": {"answer"},
}

# Fields whose values come from the organisation (x-source), per form; forms not listed have none.
SOURCES: dict[str, dict[str, str]] = {
    "nomination": {"candidate_member_id": "branch_members", "member_evaluators/*": "branch_members"},
    "revocation_proposal": {"post_id": "branch_posts"},
    "area_draft": {
        "village_id": "branch_villages",
        "member_ids/*": "branch_members",
        "lead_member_id": "branch_members",
    },
    "area_reassignment": {"member_id": "branch_members", "replacement_member_id": "branch_members"},
    "rectification_report": {"evidence_files/*": "attachments"},
    "plate_return": {"photos/*": "attachments"},
    "paper_ballots": {"photos/*": "attachments"},
    "area_work_record": {"goal_id": "area_goals", "attachments/*": "attachments"},
    "area_placement": {"exempt_member_ids/*": "branch_members"},
    "area_revision": {"redraw_village_ids/*": "branch_villages", "unexempt_member_ids/*": "branch_members"},
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


def test_the_package_ships_the_forms_of_creation_assessment_revocation_and_areas() -> None:
    assert set(builtin_form_files()) == SHIPPED
    assert {f"{form_id}.json" for form_id in CONTRACT} == SHIPPED
    assert set(VALID) == set(REQUIRED) == set(CITES) == set(CONTRACT)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_form_loads_with_both_languages_and_cites_a_requirement(name: str) -> None:
    """A form traces the requirements it serves in its `requirements` list; the texts people read
    (titles, descriptions, help) hold no requirement code."""
    raw = builtin_form_files()[name]
    loaded = load_form(name, raw)
    assert loaded.name == name
    assert loaded.id == name.removesuffix(".json")
    assert loaded.sha256 == hashlib.sha256(raw).hexdigest()
    for text in (loaded.title, loaded.description):
        assert text["zh_CN"] and text["en"]
    traced = json.loads(raw)["requirements"]
    assert set(CITES[loaded.id]) <= set(traced)
    read = [*loaded.title.values(), *loaded.description.values()]
    for prop in loaded.schema["properties"].values():
        read += [str(prop.get(key, "")) for key in ("title", "x-title-en", "description", "x-description-en")]
    assert not [text for text in read if re.search(r"\bR\d+", text)]
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


def test_assessment_scores_rate_the_same_five_r2_criteria_from_0_to_100() -> None:
    evaluation, scores = form("evaluation"), form("assessment_scores")
    criteria = ("political", "work", "service", "conduct", "discipline")
    for lang in ("zh_CN", "en"):
        assert [scores.label(f, lang) for f in criteria] == [evaluation.label(f, lang) for f in criteria]
    for field in criteria:
        prop = scores.schema["properties"][field]
        assert (prop["minimum"], prop["maximum"], prop["x-widget"]) == (0, 100, "number")
    assert scores.field_names() == [*criteria, "summary"]


def test_a_work_record_offers_exactly_the_r9_service_domains_of_the_nomination() -> None:
    domains = form("nomination").schema["properties"]["service_domains"]["items"]
    domain = form("area_work_record").schema["properties"]["domain"]
    assert domain["enum"] == domains["enum"]
    assert domain["x-enum-labels"] == domains["x-enum-labels"]
    activity = form("area_work_record").schema["properties"]["political_activity"]
    assert activity["enum"] == ["study", "organisational_life", "policy_explained", "theme_education"]
    assert [activity["x-enum-labels"][v]["zh_CN"] for v in activity["enum"]] == [
        "学习提高",
        "参加组织生活",
        "宣讲政策",
        "主题教育",
    ]


@pytest.mark.parametrize(
    ("form_id", "field", "labels"),
    [
        (
            "satisfaction",
            "overall",
            {"satisfied": "满意", "basically": "基本满意", "dissatisfied": "不满意"},
        ),
        ("area_member_grade", "grade", {"excellent": "优秀", "good": "称职", "weak": "较差"}),
        ("area_work_record", "kind", {"service": "服务群众", "political": "政治任务"}),
        ("area_reassignment", "reason", {"moved": "迁出", "left": "离开", "other": "其他"}),
    ],
)
def test_choices_are_radio_buttons_with_their_chinese_labels_in_order(
    form_id: str, field: str, labels: dict[str, str]
) -> None:
    prop = form(form_id).schema["properties"][field]
    assert prop["x-widget"] == "radio"
    assert prop["enum"] == list(labels)
    assert {value: text["zh_CN"] for value, text in prop["x-enum-labels"].items()} == labels


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


@pytest.mark.parametrize("form_id", sorted(CONTRACT))
def test_organisation_backed_fields_are_reported_as_source_fields(form_id: str) -> None:
    assert form(form_id).source_fields() == SOURCES.get(form_id, {})


def test_the_area_members_are_a_multiselect_of_one_to_ten_distinct_branch_members() -> None:
    members = form("area_draft").schema["properties"]["member_ids"]
    assert members["x-widget"] == "multiselect"
    assert (members["minItems"], members["maxItems"], members["uniqueItems"]) == (1, 10, True)
    assert members["items"] == {"type": "integer", "x-source": "branch_members"}


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


FILE_ITEMS = {"type": "string", "pattern": "^[0-9a-f]{64}$", "x-source": "attachments"}
FILE_FIELD = {
    "type": "array",
    "title": "附件",
    "x-title-en": "Files",
    "x-widget": "file",
    "items": FILE_ITEMS,
}


def mutated(change: Callable[[dict[str, Any]], None]) -> bytes:
    doc = copy.deepcopy(MINIMAL)
    change(doc)
    return json.dumps(doc, ensure_ascii=False).encode()


def test_the_minimal_sample_form_itself_loads() -> None:
    assert load_form("broken.json", mutated(lambda doc: None)).field_names() == ["name", "kind"]


def test_a_well_formed_file_field_loads_and_names_its_source() -> None:
    loaded = load_form("files.json", mutated(lambda d: d["schema"]["properties"].update(files=FILE_FIELD)))
    assert loaded.source_fields() == {"files/*": "attachments"}


def test_the_shipped_file_fields_take_hashes_of_uploaded_files() -> None:
    sha = "ab" * 32
    report = valid("rectification_report", evidence_files=[sha, "c" * 64])
    assert form("rectification_report").validate(report) == report
    _, errors_zh = errors_of("plate_return", valid("plate_return", photos=["photo.jpg"]))
    assert errors_zh == {"photos/0": "收回岗牌照片（第 1 项）：格式不正确"}
    seen: list[tuple[str, Any]] = []
    form("area_work_record").validate(
        valid("area_work_record", attachments=[sha]), lambda s, v: seen.append((s, v))
    )
    assert seen == [("attachments", sha)]


def test_only_the_committee_approval_may_be_decided_in_a_batch() -> None:
    """批量审批 is the form's choice (ui.batch): one opinion approves or rejects; returning a case
    needs its own reasons, so "return" is not a batch choice."""
    assert form("approval").batch() == (["decision", "opinion"], {"decision": ["approve", "reject"]})
    assert [name for name in sorted(SHIPPED) if form(name.removesuffix(".json")).batch()] == ["approval.json"]


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
        "unknown key 'version'; expected only id, title, description, schema, ui, requirements",
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
        "field named typename",
        mutated(lambda d: d["schema"]["properties"].update(typename=d["schema"]["properties"]["name"])),
        "schema.properties names the field 'typename', which snapshots reserve",
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
    (
        "file field that is not an array of hashes",
        mutated(
            lambda d: d["schema"]["properties"].update(
                files={k: v for k, v in FILE_FIELD.items() if k != "items"}
            )
        ),
        "property 'files' is a file field: it must be a string, or an array of strings, "
        'with x-source "attachments"',
    ),
    (
        "file field without the sha256 pattern",
        mutated(
            lambda d: d["schema"]["properties"].update(
                files=FILE_FIELD | {"items": FILE_ITEMS | {"pattern": ".*"}}
            )
        ),
        'property \'files\' is a file field: its values need "pattern": "^[0-9a-f]{64}$"',
    ),
    (
        "file field accepting an unknown kind",
        mutated(lambda d: d["schema"]["properties"].update(files=FILE_FIELD | {"x-accept": ".jpg,.exe"})),
        "property 'files' accepts unknown file kinds .exe; "
        "known: .jpg, .jpeg, .png, .pdf, .doc, .xls, .docx, .xlsx",
    ),
    (
        "x-accept on a field that takes no files",
        mutated(lambda d: d["schema"]["properties"]["name"].update({"x-accept": ".pdf"})),
        "property 'name' has x-accept but is not a file field (x-widget \"file\")",
    ),
    (
        "ui.batch with an unknown key",
        mutated(lambda d: d["ui"].update(batch={"fields": ["kind"], "opinion": True})),
        "ui.batch must be an object with 'fields' and optionally 'choices'",
    ),
    (
        "ui.batch without fields",
        mutated(lambda d: d["ui"].update(batch={"fields": []})),
        "ui.batch.fields must be a non-empty list of field names",
    ),
    (
        "ui.batch names an unknown field",
        mutated(lambda d: d["ui"].update(batch={"fields": ["kind", "opnion"]})),
        "ui.batch.fields names unknown field 'opnion'",
    ),
    (
        "ui.batch choice outside the batch fields",
        mutated(lambda d: d["ui"].update(batch={"fields": ["name"], "choices": {"kind": ["a"]}})),
        "ui.batch.choices names field 'kind', which is not in ui.batch.fields",
    ),
    (
        "ui.batch choice outside the enum",
        mutated(lambda d: d["ui"].update(batch={"fields": ["kind"], "choices": {"kind": ["a", "z"]}})),
        "ui.batch.choices.kind must list values of the field's enum ['a', 'b']",
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
        ("reward", {"spiritual": "通报表扬"}),
        ("reward", {"spiritual": "通报表扬", "material": ""}),
        ("reward", {"spiritual": "颁发荣誉证书", "amount": 0}),
        (
            "area_work_record",
            valid("area_work_record", kind="political", domain=DROP, political_activity="study"),
        ),
        (
            "area_work_record",
            {"kind": "service", "domain": "travel", "happened_on": "2025-04-12", "what": "帮牧户修通便道"},
        ),
        ("area_member_grade", {"grade": "good"}),
        ("area_member_grade", {"grade": "weak", "comment": "走访次数偏少，群众反映一般。"}),
        ("area_member_grade", {"grade": "excellent", "reward_spiritual": "表扬"}),
        ("area_draft", valid("area_draft", description=DROP, member_ids=[11], more=True)),
        ("area_reassignment", {"member_id": 12, "reason": "left"}),
        ("self_report", valid("self_report", problems=DROP, services_count=0)),
        ("satisfaction", {"overall": "dissatisfied"}),
        ("rectification_recheck", {"rectified": False, "finding": "仍未整改到位。"}),
        ("plate_return", {"returned_on": "2025-06-30"}),
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
        {"paper_ballot_count": -1},
        "paper_ballot_count",
        "纸质测评票份数 (Paper ballots handed out): must be at least 0",
        "纸质测评票份数：不能小于 0",
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
        "示范岗类别：必须是以下之一：关键岗位、重点区域、重要工作、重大活动",
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
        "Living-environment improvement",
        "服务领域（第 2 项）：必须是以下之一：就业、教育、医疗、出行、住房、养老、"
        "信访矛盾、困难救助、产业扶持、人居环境整治",
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
    (
        "material reward without an amount",
        "reward",
        {"amount": DROP},
        "amount",
        "奖励金额（元） (Reward amount (yuan)): is required",
        "奖励金额（元）：此项为必填项",
    ),
    (
        "negative reward amount",
        "reward",
        {"amount": -1},
        "amount",
        "奖励金额（元） (Reward amount (yuan)): must be at least 0",
        "奖励金额（元）：不能小于 0",
    ),
    (
        "service record without a domain",
        "area_work_record",
        {"domain": DROP},
        "domain",
        "服务领域 (Service domain): is required when 'Kind of work' is Service to the public",
        "服务领域：当“记录类别”为“服务群众”时必填",
    ),
    (
        "political record without its activity",
        "area_work_record",
        {"kind": "political", "domain": DROP},
        "political_activity",
        "政治任务类别 (Political duty): is required when 'Kind of work' is Political duty",
        "政治任务类别：当“记录类别”为“政治任务”时必填",
    ),
    (
        "weak grade without a comment",
        "area_member_grade",
        {"grade": "weak", "comment": DROP, "reward_spiritual": DROP},
        "comment",
        "评定意见 (Grading comment): is required when 'Grade' is Weak",
        "评定意见：当“评定等次”为“较差”时必填",
    ),
    (
        "weak grade with a comment too short",
        "area_member_grade",
        {"grade": "weak", "comment": "较差"},
        "comment",
        "评定意见 (Grading comment): at least 5 characters are required",
        "评定意见：至少需要 5 个字符",
    ),
    (
        "excellent grade without a spiritual reward",
        "area_member_grade",
        {"reward_spiritual": DROP},
        "reward_spiritual",
        "精神奖励 (Spiritual reward): is required when 'Grade' is Excellent",
        "精神奖励：当“评定等次”为“优秀”时必填",
    ),
    (
        "excellent grade with a one-character spiritual reward",
        "area_member_grade",
        {"reward_spiritual": "奖"},
        "reward_spiritual",
        "精神奖励 (Spiritual reward): at least 2 characters are required",
        "精神奖励：至少需要 2 个字符",
    ),
    (
        "area without members",
        "area_draft",
        {"member_ids": []},
        "member_ids",
        "责任党员 (Responsible members): at least 1 entry is required",
        "责任党员：至少需要 1 项",
    ),
    (
        "area with more than ten members",
        "area_draft",
        {"member_ids": list(range(1, 12))},
        "member_ids",
        "责任党员 (Responsible members): at most 10 entries are allowed",
        "责任党员：最多允许 10 项",
    ),
    (
        "rectification deadline too short",
        "rectification_plan",
        {"rectify_days": 4},
        "rectify_days",
        "整改期限（工作日） (Deadline (working days)): must be at least 5",
        "整改期限（工作日）：不能小于 5",
    ),
    (
        "satisfaction outside its three grades",
        "satisfaction",
        {"overall": "very"},
        "overall",
        "总体评价 (Overall rating): must be one of: Satisfied, Fairly satisfied, Dissatisfied",
        "总体评价：必须是以下之一：满意、基本满意、不满意",
    ),
    (
        "assessment score above 100",
        "assessment_scores",
        {"work": 101},
        "work",
        "日常工作优，带头争创佳绩 (Daily work: leads in striving for results): must be at most 100",
        "日常工作优，带头争创佳绩：不能大于 100",
    ),
    (
        "self-report too short",
        "self_report",
        {"summary": "按时完成各项工作。"},
        "summary",
        "履职情况 (Performance of duties): at least 20 characters are required",
        "履职情况：至少需要 20 个字符",
    ),
    (
        "nobody consulted",
        "public_opinions",
        {"consulted_count": 0},
        "consulted_count",
        "征求意见人数 (People consulted): must be at least 1",
        "征求意见人数：不能小于 1",
    ),
    (
        "recheck without a verdict",
        "rectification_recheck",
        {"rectified": DROP},
        "rectified",
        "是否整改到位 (Fully rectified): is required",
        "是否整改到位：此项为必填项",
    ),
    (
        "impossible return date of a nameplate",
        "plate_return",
        {"returned_on": "2025-06-31"},
        "returned_on",
        "收回日期 (Date returned): must be a real date written YYYY-MM-DD, e.g. 2025-03-01",
        "收回日期：必须是有效日期，格式为 YYYY-MM-DD，例如 2025-03-01",
    ),
    (
        "reassignment for an unknown reason",
        "area_reassignment",
        {"reason": "retired"},
        "reason",
        "调整原因 (Reason): must be one of: Moved away, Left, Other",
        "调整原因：必须是以下之一：迁出、离开、其他",
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
        "public_evaluator_count": -1,
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
    assert errors["public_evaluator_count"].endswith("must be at least 0")


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

    def __call__(self, source: str, value: Any) -> tuple[str, str] | None:
        self.calls.append((source, value))
        if value in self.members:
            return None
        return f"member {value} is not ours", f"党员 {value} 不属于本支部"


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
        "member_evaluators/1": "参加测评的党员 (Members who evaluate), item 2: member 12 is not ours"
    }
    assert errors_zh == {"member_evaluators/1": "参加测评的党员（第 2 项）：党员 12 不属于本支部"}


def test_a_source_refusal_of_a_plain_field_is_reported_beside_schema_errors() -> None:
    branch = BranchMembers({11, 12, 13})
    errors, _ = errors_of("nomination", valid("nomination", post_title="岗"), branch)
    assert errors == {
        "candidate_member_id": "候选党员 (Candidate member): member 7 is not ours",
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


def test_every_area_member_and_the_village_are_checked_against_their_sources() -> None:
    calls: list[tuple[str, Any]] = []

    def check(source: str, value: Any) -> tuple[str, str] | None:
        calls.append((source, value))
        return ("not of this branch", "不属于本支部") if value == 12 else None

    errors, errors_zh = errors_of("area_draft", valid("area_draft"), check)
    assert calls == [
        ("branch_villages", 2),
        ("branch_members", 11),
        ("branch_members", 12),
        ("branch_members", 11),
    ]
    assert errors == {"member_ids/1": "责任党员 (Responsible members), item 2: not of this branch"}
    assert errors_zh == {"member_ids/1": "责任党员（第 2 项）：不属于本支部"}


def test_without_a_source_callback_member_ids_are_only_checked_by_type() -> None:
    payload = valid("nomination", candidate_member_id=999)
    assert form("nomination").validate(payload) == payload
