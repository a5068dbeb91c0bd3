"""The server-side form renderer on forms the shipped procedure does not use (select, x-source
options, numbers): widgets by type and hint, posted values read back as JSON, messages per field."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from xianfeng.engine.errors import FormInvalid
from xianfeng.forms import FormDefinition, FormValidationError, load_form
from xianfeng.web.pages import formview

SURVEY = {
    "id": "survey",
    "title": {"zh_CN": "满意度测评", "en": "Satisfaction survey"},
    "description": {"zh_CN": "测试表单", "en": "A test form"},
    "schema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["grade", "hours"],
        "properties": {
            "grade": {
                "type": "string",
                "title": "等级",
                "x-title-en": "Grade",
                "x-widget": "select",
                "enum": ["good", "poor"],
                "x-enum-labels": {
                    "good": {"zh_CN": "好", "en": "Good"},
                    "poor": {"zh_CN": "差", "en": "Poor"},
                },
            },
            "hours": {"type": "number", "title": "时长", "x-title-en": "Hours", "minimum": 0},
            "helper": {
                "type": "integer",
                "title": "协助党员",
                "x-title-en": "Helper",
                "x-source": "branch_members",
            },
            "ids": {
                "type": "array",
                "title": "编号",
                "x-title-en": "Numbers",
                "items": {"type": "integer"},
            },
        },
    },
    "ui": {"order": ["grade", "hours", "helper", "ids"]},
}


@pytest.fixture
def form() -> FormDefinition:
    return load_form("survey.json", json.dumps(SURVEY).encode())


def test_widgets_follow_type_hint_and_available_options(app: Flask, form: FormDefinition) -> None:
    with app.test_request_context("/"):
        plain = {f.name: f for f in formview.fields_of(form)}
        members = {f.name: f for f in formview.fields_of(form, sources={"branch_members": [(4, "李志强")]})}
    assert plain["grade"].widget == "select" and [c.text for c in plain["grade"].choices] == ["好", "差"]
    assert plain["hours"].widget == "number" and ("step", "any") in plain["hours"].limits
    assert plain["helper"].widget == "number" and members["helper"].widget == "select"
    assert members["helper"].choices[0].text == "李志强" and plain["ids"].widget == "idlist"
    assert plain["grade"].required and not plain["helper"].required


def test_labels_follow_the_page_language(app: Flask, form: FormDefinition) -> None:
    with app.test_request_context("/?lang=en"):
        (grade, *_rest) = formview.fields_of(form, values={"grade": "poor"})
    assert grade.label == "Grade" and [(c.text, c.chosen) for c in grade.choices] == [
        ("Good", False),
        ("Poor", True),
    ]


def test_posted_text_is_read_back_as_json_values(form: FormDefinition) -> None:
    posted = MultiDict([("grade", "good"), ("hours", "1.5"), ("helper", "7"), ("ids", "3，4 5"), ("x", "1")])
    assert formview.parse(form, posted) == {"grade": "good", "hours": 1.5, "helper": 7, "ids": [3, 4, 5]}
    odd = formview.parse(form, MultiDict([("hours", "nan"), ("helper", "7.0"), ("ids", " "), ("grade", " ")]))
    assert odd == {"hours": "nan", "helper": "7.0"}  # left as text, for the validator to name


def test_messages_are_grouped_by_field(app: Flask, form: FormDefinition) -> None:
    with pytest.raises(FormValidationError) as caught:
        form.validate({"hours": -1, "ids": [1, "a"], "extra": True})
    error = FormInvalid(form.name, caught.value.errors, caught.value.errors_zh)
    with app.test_request_context("/"):
        by_field, general = formview.messages_of(form, error)
    assert set(by_field) == {"grade", "hours", "ids"} and by_field["ids"][0].startswith("编号（第 2 项）")
    assert general == ["未知字段“extra”"]
