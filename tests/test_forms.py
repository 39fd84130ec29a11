"""Tests for app.forms, app.web.form_posts and the _jsonform.html macros."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict

from app.forms import FormField, fields_for, schema_problems, validate_submission
from app.web.form_posts import parse_submission

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates"
TODAY = date(2026, 3, 16)

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["summary", "outcome", "informed", "party_count"],
    "properties": {
        "summary": {"type": "string", "title": "争议焦点", "minLength": 4, "maxLength": 200},
        "process": {"type": "string", "title": "调处经过", "description": "简要记录调处过程"},
        "mediated_on": {
            "type": "string",
            "format": "date",
            "title": "调处日期",
            "x-default": "today",
        },
        "outcome": {
            "type": "string",
            "title": "调处结果",
            "enum": ["agreement", "termination"],
            "enumNames": ["达成调处协议", "终止调处"],
        },
        "informed": {"type": "boolean", "title": "已告知当事人权利义务", "const": True},
        "party_count": {"type": "integer", "title": "当事人数", "minimum": 1, "default": 2},
        "participants": {"type": "array", "title": "参加人员", "items": {"type": "string"}},
        "basis": {
            "type": "array",
            "title": "调处依据",
            "items": {
                "type": "string",
                "enum": ["law", "policy"],
                "enumNames": ["法律法规", "政策文件"],
            },
        },
        "next_meeting": {"type": "string", "format": "date-time", "title": "下次约谈时间"},
    },
    "additionalProperties": False,
}

UISCHEMA: dict[str, Any] = {
    "ui:order": ["summary", "outcome", "*"],
    "process": {"ui:widget": "textarea", "ui:placeholder": "请填写……"},
    "outcome": {"ui:help": "选择终止调处时须说明理由"},
}

VALID_FORM = MultiDict(
    [
        ("csrf_token", "tok"),
        ("summary", "  征收补偿标准争议 "),
        ("process", "第一次约谈\r\n第二次约谈"),
        ("mediated_on", "2026-03-10"),
        ("outcome", "agreement"),
        ("informed", "on"),
        ("party_count", "3"),
        ("participants", "张三\r\n\r\n  李四  \r\n"),
        ("basis", "law"),
        ("basis", "policy"),
        ("next_meeting", "2026-03-20T09:30"),
    ]
)


def by_name(fields: list[FormField]) -> dict[str, FormField]:
    return {f.name: f for f in fields}


# --------------------------------------------------------------------------- fields_for


def test_schema_is_sane() -> None:
    assert schema_problems(SCHEMA, UISCHEMA) == []


def test_fields_order_follows_ui_order_with_wildcard() -> None:
    fields = fields_for(SCHEMA, UISCHEMA, None, TODAY)
    assert [f.name for f in fields] == [
        "summary",
        "outcome",
        "process",
        "mediated_on",
        "informed",
        "party_count",
        "participants",
        "basis",
        "next_meeting",
    ]


def test_fields_without_uischema_use_declaration_order() -> None:
    fields = fields_for(SCHEMA, None, None, TODAY)
    assert [f.name for f in fields] == list(SCHEMA["properties"])


def test_ui_order_without_wildcard_appends_the_rest() -> None:
    fields = fields_for(SCHEMA, {"ui:order": ["basis", "unknown", "summary"]}, None, TODAY)
    names = [f.name for f in fields]
    assert names[:2] == ["basis", "summary"]
    assert sorted(names) == sorted(SCHEMA["properties"])


def test_widgets_labels_and_options() -> None:
    f = by_name(fields_for(SCHEMA, UISCHEMA, None, TODAY))
    assert {name: fld.widget for name, fld in f.items()} == {
        "summary": "text",
        "process": "textarea",
        "mediated_on": "date",
        "outcome": "select",
        "informed": "checkbox",
        "party_count": "integer",
        "participants": "lines",
        "basis": "checkboxes",
        "next_meeting": "datetime",
    }
    assert f["summary"].label == "争议焦点"
    assert f["summary"].required is True
    assert f["process"].required is False
    assert f["process"].placeholder == "请填写……"
    assert f["process"].help == "简要记录调处过程"
    assert f["outcome"].help == "选择终止调处时须说明理由"
    assert f["outcome"].options == [("agreement", "达成调处协议"), ("termination", "终止调处")]
    assert f["basis"].options == [("law", "法律法规"), ("policy", "政策文件")]
    assert f["summary"].schema is SCHEMA["properties"]["summary"]


def test_radio_widget_and_untitled_label() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "string", "enum": ["a", "b"]}}}
    (fld,) = fields_for(schema, {"x": {"ui:widget": "radio"}}, None, TODAY)
    assert fld.widget == "radio"
    assert fld.label == "x"
    assert fld.options == [("a", "a"), ("b", "b")]


def test_defaults() -> None:
    f = by_name(fields_for(SCHEMA, UISCHEMA, None, TODAY))
    assert f["mediated_on"].value == "2026-03-16"
    assert f["party_count"].value == 2
    assert f["summary"].value is None
    assert f["informed"].checked is False


def test_data_overrides_defaults() -> None:
    data = {"mediated_on": "2026-01-02", "party_count": 5, "summary": "已有", "informed": True}
    f = by_name(fields_for(SCHEMA, UISCHEMA, data, TODAY))
    assert f["mediated_on"].value == "2026-01-02"
    assert f["party_count"].value == 5
    assert f["summary"].value == "已有"
    assert f["informed"].checked is True


def test_display_helpers() -> None:
    data = {
        "participants": ["张三", "李四"],
        "basis": ["policy"],
        "next_meeting": "2026-03-20T09:30:00+08:00",
    }
    f = by_name(fields_for(SCHEMA, UISCHEMA, data, TODAY))
    assert f["participants"].display == "张三\n李四"
    assert f["basis"].selected("policy") and not f["basis"].selected("law")
    assert f["next_meeting"].display == "2026-03-20T09:30"


# --------------------------------------------------------------------------- parse


def test_parse_submission_converts_types() -> None:
    data = parse_submission(SCHEMA, VALID_FORM)
    assert data == {
        "summary": "征收补偿标准争议",
        "process": "第一次约谈\n第二次约谈",
        "mediated_on": "2026-03-10",
        "outcome": "agreement",
        "informed": True,
        "party_count": 3,
        "participants": ["张三", "李四"],
        "basis": ["law", "policy"],
        "next_meeting": "2026-03-20T09:30",
    }
    assert "csrf_token" not in data


def test_parse_submission_empty_and_unparsable() -> None:
    form = MultiDict(
        [
            ("summary", "   "),
            ("party_count", "三个"),
            ("participants", "\r\n \r\n"),
            ("process", ""),
        ]
    )
    data = parse_submission(SCHEMA, form)
    assert data == {"informed": False, "party_count": "三个"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("on", True), ("true", True), ("1", True), ("TRUE", True), ("0", False), ("off", False)],
)
def test_parse_boolean(raw: str, expected: bool) -> None:
    assert parse_submission(SCHEMA, MultiDict([("informed", raw)]))["informed"] is expected


def test_parse_numbers() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "number"},
            "i": {"type": "integer"},
            "code": {"type": "integer", "enum": [1, 2], "enumNames": ["一", "二"]},
        },
    }
    data = parse_submission(schema, MultiDict([("n", "1.5"), ("i", "1,200"), ("code", "2")]))
    assert data == {"n": 1.5, "i": 1200, "code": 2}
    assert parse_submission(schema, MultiDict([("i", "1.5"), ("n", "nan")])) == {
        "i": "1.5",
        "n": "nan",
    }


# --------------------------------------------------------------------------- validate


def test_valid_submission_has_no_errors() -> None:
    assert validate_submission(SCHEMA, parse_submission(SCHEMA, VALID_FORM)) == {}


def test_empty_submission_messages_in_chinese_on_the_right_fields() -> None:
    errors = validate_submission(SCHEMA, parse_submission(SCHEMA, MultiDict()))
    assert errors == {
        "summary": ["此项为必填项"],
        "outcome": ["此项为必填项"],
        "party_count": ["此项为必填项"],
        "informed": ["请勾选确认"],
    }


def test_invalid_values_messages() -> None:
    form = MultiDict(
        [
            ("summary", "太短"),
            ("outcome", "withdrawn"),
            ("party_count", "0"),
            ("mediated_on", "2026-02-30"),
            ("informed", "on"),
            ("basis", "custom"),
            ("next_meeting", "明天上午"),
        ]
    )
    errors = validate_submission(SCHEMA, parse_submission(SCHEMA, form))
    assert errors == {
        "summary": ["至少 4 个字"],
        "outcome": ["请从选项中选择"],
        "party_count": ["不能小于 1"],
        "mediated_on": ["请输入有效日期（YYYY-MM-DD）"],
        "basis": ["请从选项中选择"],
        "next_meeting": ["请输入有效的日期时间（YYYY-MM-DD HH:MM）"],
    }


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "2026/03/01", "20260301", "x"])
def test_invalid_dates_caught(value: str) -> None:
    errors = validate_submission(SCHEMA, {**_valid_data(), "mediated_on": value})
    assert errors == {"mediated_on": ["请输入有效日期（YYYY-MM-DD）"]}


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-03-20T09:30", True),
        ("2026-03-20T09:30:15", True),
        ("2026-03-20T09:30:00+08:00", True),
        ("2026-03-20T01:30:00Z", True),
        ("2026-03-20T01:30:00.123456789Z", True),
        ("2026-03-20T25:30", False),
        ("2026-02-30T09:30", False),
        ("2026-03-20", False),
    ],
)
def test_datetime_format(value: str, ok: bool) -> None:
    errors = validate_submission(SCHEMA, {**_valid_data(), "next_meeting": value})
    assert (errors == {}) is ok


def test_type_length_pattern_and_additional_properties() -> None:
    schema = {
        "type": "object",
        "properties": {
            "phone": {"type": "string", "title": "联系电话", "pattern": "^1\\d{10}$"},
            "note": {"type": "string", "maxLength": 3},
            "amount": {"type": "number", "maximum": 100},
            "count": {"type": "integer"},
            "items": {"type": "array", "items": {"type": "string", "maxLength": 2}},
        },
        "additionalProperties": False,
    }
    data = {
        "phone": "12345",
        "note": "一二三四",
        "amount": 100.5,
        "count": "abc",
        "items": ["好", "太长了"],
        "extra": 1,
    }
    assert validate_submission(schema, data) == {
        "phone": ["格式不符合要求"],
        "note": ["最多 3 个字"],
        "amount": ["不能大于 100"],
        "count": ["格式不正确，应为整数"],
        "items": ["第 2 项：最多 2 个字"],
        "": ["包含未定义的字段：extra"],
    }


def test_unknown_validator_falls_back_to_message_with_label() -> None:
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "title": "统一社会信用代码", "not": {"const": "0"}}
        },
    }
    assert validate_submission(schema, {"code": "0"}) == {
        "code": ["“统一社会信用代码”的填写内容不符合要求"]
    }


def test_conditional_required_and_custom_message() -> None:
    schema = {
        "type": "object",
        "properties": {
            "outcome": {"type": "string", "enum": ["agreement", "termination"]},
            "reason": {"type": "string", "errorMessage": {"required": "终止调处须说明理由"}},
        },
        "if": {"properties": {"outcome": {"const": "termination"}}},
        "then": {"required": ["reason"]},
    }
    assert validate_submission(schema, {"outcome": "agreement"}) == {}
    assert validate_submission(schema, {"outcome": "termination"}) == {
        "reason": ["终止调处须说明理由"]
    }


def _valid_data() -> dict[str, Any]:
    return parse_submission(SCHEMA, VALID_FORM)


# --------------------------------------------------------------------------- schema_problems


def test_schema_problems_detects_mistakes() -> None:
    schema = {
        "type": "object",
        "required": ["missing"],
        "properties": {
            "a": {"title": "无类型"},
            "b": {"type": "string", "enum": ["x", "y"], "enumNames": ["甲"]},
            "c": {"type": "string", "x-default": "today"},
        },
    }
    problems = schema_problems(schema, {"nope": {"ui:widget": "textarea"}, "b": {"ui:widget": "x"}})
    text = "\n".join(problems)
    assert "required 中的字段未定义：missing" in text
    assert "字段 a：缺少 type" in text
    assert "enumNames 数量（1）与 enum 数量（2）不一致" in text
    assert "字段 c：x-default" in text
    assert "UI schema 引用了未定义的字段：nope" in text
    assert "字段 b：ui:widget 'x'" in text
    assert schema_problems({"type": "array"}) != []


# --------------------------------------------------------------------------- rendering


@pytest.fixture()
def render() -> Any:
    app = Flask(__name__, template_folder=str(TEMPLATES))

    def _render(fields: list[FormField], errors: dict[str, list[str]] | None) -> str:
        with app.app_context():
            return render_template_string(
                '{% import "_jsonform.html" as jf %}{{ jf.render_fields(fields, errors) }}',
                fields=fields,
                errors=errors,
            )

    return _render


def _field_block(html: str, name: str) -> str:
    """The HTML of the form-field wrapper that contains the element with id f-<name>."""
    blocks = re.split(r'(?=<div class="form-field )', html)
    matches = [b for b in blocks if f'id="f-{name}"' in b]
    assert len(matches) == 1, name
    return matches[0]


def test_render_labels_widgets_and_options(render: Any) -> None:
    html = render(fields_for(SCHEMA, UISCHEMA, None, TODAY), {})
    assert "<form" not in html and "csrf" not in html
    assert "争议焦点" in html and "调处日期" in html
    assert "达成调处协议" in html and "终止调处" in html
    assert "法律法规" in html and "政策文件" in html
    assert 'role="alert"' not in html
    summary = _field_block(html, "summary")
    assert 'for="f-summary"' in summary and 'name="summary"' in summary
    assert 'class="required"' in summary and "*" in summary
    assert 'class="required"' not in _field_block(html, "process")
    assert 'type="date"' in _field_block(html, "mediated_on")
    assert 'value="2026-03-16"' in _field_block(html, "mediated_on")
    assert 'type="datetime-local"' in _field_block(html, "next_meeting")
    assert 'type="checkbox"' in _field_block(html, "informed")
    outcome = _field_block(html, "outcome")
    assert '<select id="f-outcome" name="outcome"' in outcome
    assert '<option value="agreement">达成调处协议</option>' in outcome
    assert 'class="field-help"' in outcome and "选择终止调处时须说明理由" in outcome
    assert "<textarea" in _field_block(html, "participants")
    assert 'value="2"' in _field_block(html, "party_count")


def test_render_errors_next_to_their_field(render: Any) -> None:
    data = parse_submission(SCHEMA, MultiDict([("party_count", "0"), ("outcome", "agreement")]))
    errors = validate_submission(SCHEMA, data)
    html = render(fields_for(SCHEMA, UISCHEMA, data, TODAY), errors)
    summary = _field_block(html, "summary")
    assert 'class="field-error"' in summary and 'role="alert"' in summary
    assert "此项为必填项" in summary
    assert 'aria-invalid="true"' in summary
    assert "不能小于 1" in _field_block(html, "party_count")
    assert "请勾选确认" in _field_block(html, "informed")
    outcome = _field_block(html, "outcome")
    assert "field-error" not in outcome
    assert '<option value="agreement" selected>' in outcome
    # the error sits right after the input, before the next field
    party = _field_block(html, "party_count")
    assert party.index("<input") < party.index("不能小于 1")


def test_render_form_level_errors(render: Any) -> None:
    html = render(fields_for(SCHEMA, None, None, TODAY), {"": ["包含未定义的字段：x"]})
    assert "包含未定义的字段：x" in html
    assert html.index("包含未定义的字段：x") < html.index('id="f-summary"')


def test_render_escapes_user_values(render: Any) -> None:
    data = {
        "summary": '<script>alert("x")</script>',
        "process": "</textarea><b>粗体</b>",
        "participants": ["<i>张三</i>"],
    }
    errors = {"summary": ["<img src=x>"]}
    html = render(fields_for(SCHEMA, UISCHEMA, data, TODAY), errors)
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;/textarea&gt;&lt;b&gt;粗体&lt;/b&gt;" in html
    assert "&lt;i&gt;张三&lt;/i&gt;" in html


def test_render_checked_states(render: Any) -> None:
    data = {"informed": True, "basis": ["policy"]}
    html = render(fields_for(SCHEMA, UISCHEMA, data, TODAY), None)
    assert re.search(r'<input type="checkbox" id="f-informed"[^>]* checked', html)
    assert re.search(r'value="policy" checked', html)
    assert not re.search(r'value="law" checked', html)


def test_every_form_in_forms_folder_passes_the_schema_check():
    """Deployable forms: the product's own form check finds nothing in forms/."""
    import json
    from pathlib import Path

    from app.forms import schema_problems

    root = Path(__file__).resolve().parent.parent / "forms"
    checked = 0
    for path in sorted(root.glob("*/*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        ui_path = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
        ui = json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.exists() else None
        assert schema_problems(schema, ui) == [], path.name
        checked += 1
    assert checked >= 30
