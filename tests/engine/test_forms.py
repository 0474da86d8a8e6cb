"""Forms: schema checks, Camunda fields, submission validation and HTML-post coercion.

Everything runs on the real jsonschema and SpiffWorkflow; nothing is mocked.
"""
import copy
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, FormField

from app.engine.forms import (
    MAX_DEPTH, MAX_FIELDS, MAX_STRING, check_form_schema, choice_text, choices, coerce_form_data,
    form_from_camunda_fields, read_only_fields, user_fields, validate_submission)
from app.engine.forms.submissions import _compiled
from app.engine.model import Form

DATA = Path(__file__).parent / "data" / "forms"


@pytest.fixture(scope="module")
def form() -> Form:
    return Form(schema=json.loads((DATA / "ticket.schema.json").read_text()),
                ui_schema=json.loads((DATA / "ticket.uischema.json").read_text()))


GOOD = {"summary": "Printer on fire", "priority": "high", "contact": "ann@example.com"}


def form_of(**props) -> Form:
    return Form({"type": "object", "properties": props})


# ---- check_form_schema -------------------------------------------------------

def test_the_example_form_is_fine(form):
    assert check_form_schema(form.schema, "forms/ticket.schema.json") == []


@pytest.mark.parametrize("schema", [
    {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
     "properties": {"a": {"type": "string"}}},
    {"type": "object", "properties": {}},
    {"type": "object", "properties": {"a": {"type": ["integer", "null"], "minimum": 0}}},
    {"type": "object", "properties": {"a": {"enum": [1, 2, 3]}}},   # untyped choices
    {"type": "object", "properties": {"who": {"type": "string", "format": "user"},
                                      "team": {"type": "array", "items": {"type": "string", "format": "user"}}}},
    {"type": "object", "properties": {"ok": {"type": "boolean", "oneOf": [
        {"const": True, "title": "Yes"}, {"const": False, "title": "No"}]}}},
])
def test_other_good_schemas(schema):
    assert check_form_schema(schema, "f.json") == []


def one_problem(schema):
    problems = check_form_schema(schema, "forms/f.json")
    assert len(problems) == 1, problems
    assert problems[0].file == "forms/f.json" and problems[0].line is None
    return problems[0]


def obj(**props):
    return {"type": "object", "properties": props}


@pytest.mark.parametrize("schema, element, words", [
    ([1, 2], None, "must be a JSON object"),
    ("text", None, "must be a JSON object"),
    (obj(a={"type": "strng"}), "properties.a.type", "Not valid JSON Schema"),
    (obj(a={"type": "string", "minLength": "3"}), "properties.a.minLength", "Not valid JSON Schema"),
    ({"type": "object", "properties": [], }, "properties", "Not valid JSON Schema"),
    ({"type": "array", "properties": {}}, "type", '"type": "object"'),
    ({"type": "object"}, "properties", 'needs "properties"'),
    ({**obj(a={"type": "string"}), "required": ["a", "b"]}, "required", "'b', which is not in properties"),
    (obj(code={"type": "string", "pattern": "[A-"}), "properties.code.pattern",
     "'[A-' is not a valid regular expression"),
    (obj(a={"type": "string", "format": "phone"}), "properties.a", "format 'phone' is not supported"),
    (obj(a={"type": "object", "properties": {}}), "properties.a", "Unsupported field"),
    (obj(a={"$ref": "#/definitions/x"}), "properties.a", "Unsupported field"),
    (obj(a={"type": "string", "allOf": [{"minLength": 1}]}), "properties.a",
     "'allOf' is not supported for a string field"),
    (obj(a={"type": "integer", "multipleOf": 5}), "properties.a", "'multipleOf' is not supported"),
    (obj(a={"type": "array"}), "properties.a", 'needs "items"'),
    (obj(a={"type": "array", "items": {"type": "array", "items": {"type": "string"}}}),
     "properties.a.items", "use string, number, integer, boolean, choices or simple items"),
    (obj(a={"type": "array", "items": {"type": "string", "format": "phone"}}), "properties.a.items",
     "format 'phone'"),
    (obj(a={"type": "string", "oneOf": [{"type": "string"}]}), "properties.a", "oneOf is supported only"),
    (obj(a={"type": "string", "enum": []}), "properties.a", "enum must list"),
    (obj(a={"type": "integer", "minimum": 5, "maximum": 1}), "properties.a",
     "minimum is greater than maximum"),
    (obj(a={"type": "integer", "default": "x"}), "properties.a", "default 'x' does not fit"),
    ({**obj(a={"type": "string"}), "if": {}}, "if", "'if' is not supported at the top"),
    ({"$schema": "http://json-schema.org/draft-04/schema#", **obj()}, "$schema", "Draft 7 and 2020-12"),
    ({"$schema": 7, **obj()}, "$schema", "must be a URI"),
])
def test_bad_schemas(schema, element, words):
    problem = one_problem(schema)
    assert problem.element == element
    assert words in problem.message
    assert str(problem).startswith("forms/f.json:?:")


def test_every_problem_is_reported():
    schema = {"type": "object", "then": {}, "required": ["x"], "properties": {
        "a": {"type": "string", "format": "phone"}, "b": {"type": "object"}}}
    assert [(p.element, p.message) for p in check_form_schema(schema, "f.json")] == [
        ("then", "'then' is not supported at the top of a form."),
        ("properties.a", "format 'phone' is not supported (use date, date-time, email, uri or user)."),
        ("properties.b", "Unsupported field: use string, number, integer, boolean, choices "
                         "or arrays of simple items."),
        ("required", "required names 'x', which is not in properties."),
    ]


# ---- Camunda formData ------------------------------------------------------

EXPECTED_CAMUNDA = {
    "schema": {
        "type": "object",
        "properties": {
            "summary": {"title": "Summary", "type": "string", "minLength": 3, "maxLength": 200},
            "impact": {"title": "Users affected", "type": "integer", "default": 1,
                       "minimum": 1, "maximum": 10000},
            "urgent": {"title": "Urgent?", "type": "boolean", "default": False},
            "noticed": {"title": "Noticed on", "type": "string", "format": "date", "default": "2024-12-24"},
            "priority": {"title": "Priority", "type": "string", "default": "medium", "oneOf": [
                {"const": "low", "title": "Low"}, {"const": "medium", "title": "Medium"},
                {"const": "high", "title": "High"}]},
            "reporter": {"title": "Reporter", "type": "string"},   # its ${initiator} default is dropped
        },
        "required": ["summary"],
    },
    "ui_schema": {"ui:order": ["summary", "impact", "urgent", "noticed", "priority", "reporter"],
                  "reporter": {"ui:readonly": True}},
}


def test_camunda_fields_parsed_from_a_diagram():
    parser = CamundaParser()
    parser.add_bpmn_file(str(DATA / "camunda_form.bpmn"))
    fields = parser.get_spec("ticket").task_specs["describe"].form.fields
    result = form_from_camunda_fields(fields)
    assert result == EXPECTED_CAMUNDA
    assert check_form_schema(result["schema"], "camunda_form.bpmn") == []
    assert read_only_fields(Form(result["schema"], result["ui_schema"])) == ["reporter"]


def make_field(id, type, label=None, default=None, validation=(), options=()):
    field = EnumFormField() if type == "enum" else FormField(type)
    field.id, field.label, field.default_value = id, label, default
    for name, config in validation:
        field.add_validation(name, config)
    for option_id, name in options:
        field.add_option(option_id, name)
    return field


def test_camunda_form_field_objects():
    fields = [
        make_field("amount", "long", "Amount", "12", [("min", "0"), ("max", "99"), ("required", None)]),
        make_field("note", "string", None, "", [("minlength", "2"), ("maxlength", "x")]),   # bad config
        make_field("when", "date", "When", "2024-01-31", [("min", "01/01/2024")]),   # date limits dropped
        make_field("ok", "boolean", "OK", "TRUE"),
        make_field("size", "enum", "Size", "m", options=[("s", "Small"), ("m", None)]),
        make_field("colour", "color", "Colour"),   # a custom type: text
    ]
    result = form_from_camunda_fields(fields)
    props = result["schema"]["properties"]
    assert props["amount"] == {"title": "Amount", "type": "integer", "default": 12, "minimum": 0, "maximum": 99}
    assert props["note"] == {"title": "note", "type": "string", "minLength": 2}
    assert props["when"] == {"title": "When", "type": "string", "format": "date", "default": "2024-01-31"}
    assert props["ok"] == {"title": "OK", "type": "boolean", "default": True}
    assert props["size"]["oneOf"] == [{"const": "s", "title": "Small"}, {"const": "m", "title": "m"}]
    assert props["colour"] == {"title": "Colour", "type": "string"}
    assert result["schema"]["required"] == ["amount"]
    assert result["ui_schema"] == {"ui:order": ["amount", "note", "when", "ok", "size", "colour"]}
    assert check_form_schema(result["schema"], "x.bpmn") == []


def test_camunda_fields_as_dicts_give_the_same_form():
    fields = [{"id": "size", "type": "enum", "label": "Size", "default_value": None,
               "properties": [{"id": "x", "value": "y"}],
               "validation": [{"name": "required", "config": None}, {"name": "readonly", "config": None}],
               "options": [{"id": "s", "name": "Small"}]},
              {"id": "n", "type": "long", "label": "N", "default_value": "3",
               "validation": [{"name": "max", "config": "9"}]}]
    assert form_from_camunda_fields(fields) == {
        "schema": {"type": "object", "required": ["size"], "properties": {
            "size": {"title": "Size", "type": "string", "oneOf": [{"const": "s", "title": "Small"}]},
            "n": {"title": "N", "type": "integer", "default": 3, "maximum": 9}}},
        "ui_schema": {"ui:order": ["size", "n"], "size": {"ui:readonly": True}},
    }


@pytest.mark.parametrize("fields, words", [
    ([make_field("", "string")], "form field id '' is missing or used twice"),
    ([make_field("a", "string"), make_field("a", "long")], "form field id 'a' is missing or used twice"),
    ([make_field("size", "enum")], "enum field 'size' has no values"),
])
def test_camunda_fields_that_cannot_be_a_form(fields, words):
    with pytest.raises(ValueError, match=words):
        form_from_camunda_fields(fields)


# ---- validate_submission: each type and constraint --------------------------

@pytest.mark.parametrize("field, value, messages", [
    ("summary", "abc", None),
    ("summary", "ab", ["At least 3 characters."]),
    ("summary", "x" * 201, ["At most 200 characters."]),
    ("summary", 5, ["Must be text."]),
    ("code", "ABC-1234", None),
    ("code", "abc-1234", ["Not in the expected form."]),
    ("priority", "low", None),
    ("priority", "urgent", ["Must be one of: Low, Medium, High."]),
    ("category", "network", None),
    ("category", "food", ["Must be one of: hardware, software, network."]),
    ("impact", 10, None),
    ("impact", 10.0, None),   # a whole number, though written as a float
    ("impact", 0, ["Must be at least 1."]),
    ("impact", 10001, ["Must be at most 10000."]),
    ("impact", 1.5, ["Must be a whole number."]),
    ("impact", True, ["Must be a whole number."]),   # a bool is not a number
    ("impact", "3", ["Must be a whole number."]),
    ("budget", 19.99, None),
    ("budget", 0, ["Must be more than 0."]),
    ("budget", 1000, ["Must be less than 1000."]),
    ("budget", False, ["Must be a number."]),
    ("urgent", True, None),
    ("urgent", "yes", ["Must be true or false."]),
    ("contact", "ann@example.com", None),
    ("contact", "ann example.com", ["Must be a valid email address."]),
    ("contact", "ann @example.com", ["Must be a valid email address."]),
    ("due", "2024-02-29", None),
    ("due", "2023-02-29", ["Must be a date (YYYY-MM-DD)."]),
    ("due", "29/02/2024", ["Must be a date (YYYY-MM-DD)."]),
    ("starts", "2024-05-01T09:30:00Z", None),
    ("starts", "2024-05-01T09:30:00+02:00", None),
    ("starts", "2024-05-01 09:30", ["Must be a date and time (YYYY-MM-DDTHH:MM:SSZ)."]),
    ("link", "https://example.com/a?b=c", None),
    ("link", "example.com", ["Must be a full URL (like https://example.com/)."]),
    ("tags", ["a", "b"], None),
    ("tags", [], ["At least 1 item."]),
    ("tags", ["a", "b", "c", "d"], ["At most 3 items."]),
    ("tags", ["a", "a"], ["Each item may appear only once."]),
    ("tags", ["a", "much too long"], ["Item 2: at most 10 characters."]),
    ("tags", "a", ["Must be a list."]),
    ("sizes", [1, 2], None),
    ("sizes", [1, 0, "x"], ["Item 2: must be at least 1.", "Item 3: must be a whole number."]),
    ("systems", ["mail", "vpn"], None),
    ("systems", ["ftp"], ["Item 1: must be one of: Mail, VPN."]),
])
def test_each_constraint(form, field, value, messages):
    errors = validate_submission(form, {**GOOD, field: value})
    assert errors == ({field: messages} if messages else {})


def test_required_fields(form):
    assert validate_submission(form, {}) == {
        "summary": ["This field is required."], "priority": ["This field is required."],
        "contact": ["This field is required."]}
    assert validate_submission(form, {**GOOD, "summary": "", "contact": None}) == {
        "summary": ["This field is required."], "contact": ["This field is required."]}


def test_no_answer_to_optional_fields_is_fine(form):
    assert validate_submission(form, {**GOOD, "due": "", "impact": None, "code": "", "sizes": []}) == {}
    # [] is checked all the same, for minItems may ask for at least one
    assert validate_submission(form, {**GOOD, "tags": []}) == {"tags": ["At least 1 item."]}
    required_list = Form({"type": "object", "required": ["l"], "properties": {
        "l": {"type": "array", "items": {"type": "string"}}}})
    assert validate_submission(required_list, {"l": []}) == {"l": ["This field is required."]}
    # "" is no answer only for text: for a number it is the wrong kind of value
    assert validate_submission(form, {**GOOD, "impact": ""}) == {"impact": ["Must be a whole number."]}


def test_many_errors_at_once(form):
    errors = validate_submission(form, {"summary": "ab", "priority": 2, "impact": 0, "due": "x"})
    assert errors == {"summary": ["At least 3 characters."],
                      "priority": ["Must be text."],   # not also "Must be one of: ..."
                      "impact": ["Must be at least 1."], "due": ["Must be a date (YYYY-MM-DD)."],
                      "contact": ["This field is required."]}


def test_unknown_fields(form):
    assert validate_submission(form, {**GOOD, "hack": 1}) == {"hack": ["Unknown field."]}
    assert validate_submission(form, {**GOOD, "hack": 1}, allow_unknown=True) == {}


def test_read_only_fields_may_come_back_only_unchanged(form):
    assert read_only_fields(form) == ["ticket_id", "requester"]
    assert validate_submission(form, {**GOOD, "ticket_id": "T-1"}) == {
        "ticket_id": ["This field is read-only."]}
    current = {"ticket_id": "T-1", "requester": "ann"}
    assert validate_submission(form, {**GOOD, "ticket_id": "T-1", "requester": "ann"}, current=current) == {}
    assert validate_submission(form, {**GOOD, "ticket_id": "T-2"}, current=current) == {
        "ticket_id": ["This field is read-only."]}
    # required, but not the person's to give
    ro = Form({"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "readOnly": True}}})
    assert validate_submission(ro, {}) == {}


def test_draft_2020_12_and_oneof_titles():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": {"n": {"type": "integer", "oneOf": [{"const": 1, "title": "One"},
                                                                 {"const": 2, "title": "Two"}]}}}
    assert _compiled(schema).validator.__class__.__name__ == "Draft202012Validator"
    assert _compiled(form_of().schema).validator.__class__.__name__ == "Draft7Validator"
    assert validate_submission(Form(schema), {"n": 2}) == {}
    assert validate_submission(Form(schema), {"n": 3}) == {"n": ["Must be one of: One, Two."]}


def test_validators_are_built_once_per_schema(form):
    assert _compiled(form.schema) is _compiled(copy.deepcopy(form.schema))
    changed = copy.deepcopy(form.schema)
    changed["properties"]["summary"]["maxLength"] = 5
    assert _compiled(changed) is not _compiled(form.schema)
    assert validate_submission(Form(changed), {**GOOD, "summary": "123456"}) == {
        "summary": ["At most 5 characters."]}
    assert validate_submission(form, {**GOOD, "summary": "123456"}) == {}


# ---- validate_submission: hostile input ---------------------------------------

@pytest.mark.parametrize("data", [None, [], [GOOD], 1, 1.5, "text", True])
def test_not_an_object(form, data):
    assert validate_submission(form, data) == {"_form": ["The data must be a JSON object."]}


def nested(depth):
    """A value that is ``depth`` lists deep: nested(1) == []."""
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_size_limits(form):
    ok = Form(form.schema)
    wide = {f"f{i}": i for i in range(MAX_FIELDS + 1)}
    assert validate_submission(ok, wide, allow_unknown=True) == {"_form": ["Too many fields (at most 1,000)."]}
    assert validate_submission(ok, {**GOOD, "summary": "x" * (MAX_STRING + 1)}) == {
        "_form": ["A text is too long (at most 100,000 characters)."]}
    assert validate_submission(ok, {**GOOD, "extra": nested(MAX_DEPTH - 1)}, allow_unknown=True) == {}
    assert validate_submission(ok, {**GOOD, "extra": nested(MAX_DEPTH)}, allow_unknown=True) == {
        "_form": ["Nested too deeply (at most 10 levels)."]}
    too_many = {**GOOD, "sizes": list(range(20_000))}
    assert validate_submission(ok, too_many) == {"_form": ["Too many values (at most 10,000)."]}


def test_huge_and_deep_payloads_are_refused_quickly(form):
    huge = {**GOOD, "sizes": [1] * 5_000_000}
    deep = {**GOOD, "extra": nested(200_000)}   # far deeper than Python's recursion limit
    started = time.perf_counter()
    assert validate_submission(form, huge) == {"_form": ["Too many values (at most 10,000)."]}
    assert validate_submission(form, deep, allow_unknown=True) == {
        "_form": ["Nested too deeply (at most 10 levels)."]}
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf"), 10 ** 400])
def test_numbers_a_float_cannot_hold(form, number):
    assert validate_submission(form, {**GOOD, "impact": number}) == {
        "_form": ["Numbers must be finite and no bigger than 1e308."]}


@pytest.mark.parametrize("data", [
    {1: "a"}, {"summary": {"a": [1, None]}}, {"tags": [[], {}, None]}, {"": ""},
    {"sizes": [10 ** 300]}, {"contact": "@"}, {"due": "\x00"},
])
def test_odd_input_never_raises(form, data):
    errors = validate_submission(form, data)
    assert isinstance(errors, dict) and errors


# ---- coerce_form_data ------------------------------------------------------------

coerce = coerce_form_data


def test_coerce_each_widget(form):
    raw = {"summary": "  Printer on fire ", "priority": "high", "category": "network", "impact": "12",
           "budget": "19.99", "urgent": "on", "contact": "ann@example.com", "due": "2024-05-01",
           "starts": "2024-05-01T09:30", "details": "line 1\r\nline 2 ", "tags": "a\r\nb\n\n c ",
           "sizes": ["1", "2"], "systems": ["mail", "vpn"], "code": "",
           "ticket_id": "forged", "requester": "forged", "csrf_token": "x", "submit": "Save"}
    data, errors = coerce(form, raw)
    assert errors == {}
    assert data == {"summary": "Printer on fire", "priority": "high", "category": "network", "impact": 12,
                    "budget": 19.99, "urgent": True, "contact": "ann@example.com", "due": "2024-05-01",
                    "starts": "2024-05-01T09:30:00Z", "details": "line 1\nline 2 ",
                    "tags": ["a", "b", "c"], "sizes": [1, 2], "systems": ["mail", "vpn"],
                    "code": None}               # posted empty: no answer, clearing an earlier one
    assert validate_submission(form, data) == {}
    assert validate_submission(form, {**data, "summary": None}) == {"summary": ["This field is required."]}
    assert validate_submission(form, coerce(form, {})[0]) == {
        "summary": ["This field is required."], "priority": ["This field is required."],
        "contact": ["This field is required."], "tags": ["At least 1 item."]}


def test_coerce_absent_checkboxes_and_lists(form):
    data, errors = coerce(form, {})
    assert (data, errors) == ({"urgent": False, "tags": [], "sizes": [], "systems": []}, {})
    # a hidden "false" before the checkbox: the last value wins
    assert coerce(form, {"urgent": ["false", "on"]})[0]["urgent"] is True
    assert coerce(form, {"urgent": ["false"]})[0]["urgent"] is False
    assert coerce(form, {"urgent": "maybe"})[1] == {"urgent": ["Must be true or false."]}


@pytest.mark.parametrize("field, text, value, error", [
    ("impact", "42", 42, None),
    ("impact", "+7", 7, None),
    ("impact", "3.0", 3, None),
    ("impact", "99999999999999999999", 99999999999999999999, None),   # exact, not a rounded float
    ("impact", "3.5", None, "Must be a whole number."),
    ("impact", "twelve", None, "Must be a whole number."),
    ("impact", "1_000", None, "Must be a whole number."),
    ("budget", "2.5", 2.5, None),
    ("budget", ".5", 0.5, None),
    ("budget", "1e2", 100, None),
    ("budget", "nan", None, "Must be a number."),
    ("budget", "1e999", None, "Must be a number."),
    ("budget", "1,5", None, "Must be a number."),
    ("priority", "urgent", "urgent", None),   # not a choice: validate_submission names the choices
    ("summary", "   ", None, None),   # empty text: dropped
])
def test_coerce_numbers_and_text(form, field, text, value, error):
    data, errors = coerce(form, {field: text})
    assert data.get(field) == value
    assert errors == ({field: [error]} if error else {})


def test_coerce_list_items(form):
    data, errors = coerce(form, {"sizes": ["1", "x", "", "2.5"]})
    assert data["sizes"] == [1]
    assert errors == {"sizes": ["Item 2: must be a whole number.", "Item 3: must be a whole number."]}


def test_coerce_choices_that_are_not_text():
    f = Form({"type": "object", "properties": {
        "n": {"type": "integer", "oneOf": [{"const": 1, "title": "One"}, {"const": 2, "title": "Two"}]},
        "ok": {"type": "boolean", "oneOf": [{"const": True, "title": "Yes"}, {"const": False, "title": "No"}]},
        "many": {"type": "array", "items": {"type": "number", "enum": [0.5, 1]}}}})
    assert choices(f.schema["properties"]["n"]) == [(1, "One"), (2, "Two")]
    assert [choice_text(v) for v, _ in choices(f.schema["properties"]["ok"])] == ["true", "false"]
    data, errors = coerce(f, {"n": "2", "ok": "false", "many": ["0.5", "1"]})
    assert (data, errors) == ({"n": 2, "ok": False, "many": [0.5, 1]}, {})
    assert validate_submission(f, data) == {}
    # a radio group with nothing chosen sends nothing: no answer, not False
    assert coerce(f, {})[0] == {"many": []}


def test_the_fields_that_name_people():
    form = Form({"type": "object", "properties": {
        "expert": {"type": "string", "format": "user"},
        "reviewers": {"type": "array", "items": {"type": "string", "format": "user"}},
        "email": {"type": "string", "format": "email"}}})
    assert user_fields(form) == {"expert": False, "reviewers": True}


def test_a_pattern_is_explained_by_its_example_not_shown():
    form = Form({"type": "object", "properties": {
        "ref": {"type": "string", "pattern": "^KB-[0-9]{6}$", "examples": ["KB-000123"]}}})
    assert validate_submission(form, {"ref": "KB-42"}) == {"ref": ["Not in the expected form, for example KB-000123."]}


def test_dates_not_in_the_past_by_the_callers_clock():
    form = Form({"type": "object", "properties": {
        "due": {"type": "string", "format": "date", "notInPast": True},
        "window": {"type": "string", "format": "date-time", "notInPast": True},
        "born": {"type": "string", "format": "date"}}})
    now = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
    past = {"due": "2026-03-09", "window": "2026-03-10T11:59:00Z", "born": "1990-01-01"}
    assert validate_submission(form, past, now=now) == {"due": ["Must not be in the past."],
                                                         "window": ["Must not be in the past."]}
    # Today is not past; an offset counts; a bad value is the format's to say.
    assert validate_submission(form, {"due": "2026-03-10", "window": "2026-03-10T12:30:00Z"}, now=now) == {}
    assert validate_submission(form, {"window": "2026-03-10T13:30:00+02:00"}, now=now) == {
        "window": ["Must not be in the past."]}
    assert validate_submission(form, {"due": "soon"}, now=now) == {"due": ["Must be a date (YYYY-MM-DD)."]}
    assert validate_submission(form, past) == {}          # no clock given: not checked


@pytest.mark.parametrize("prop", [{"type": "string", "format": "date", "notInPast": "yes"},
                                  {"type": "string", "notInPast": True}])
def test_not_in_past_belongs_on_dates(prop):
    assert one_problem({"type": "object", "properties": {"d": prop}}).message == \
        'notInPast is written "notInPast": true, on a date or date-time field.'


def test_one_date_after_or_not_before_another_of_the_form():
    form = Form({"type": "object", "properties": {
        "opens": {"type": "string", "format": "date-time", "title": "Window opens"},
        "closes": {"type": "string", "format": "date-time", "after": "opens"},
        "start": {"type": "string", "format": "date", "title": "First day"},
        "end": {"type": "string", "format": "date", "notBefore": "start"}}})
    refused = {"opens": "2026-03-10T12:00:00Z", "closes": "2026-03-10T13:00:00+02:00",
               "start": "2026-03-10", "end": "2026-03-09"}
    assert validate_submission(form, refused) == {"closes": ["Must be later than Window opens."],
                                                  "end": ["Must be no earlier than First day."]}
    same = {"opens": "2026-03-10T12:00:00Z", "closes": "2026-03-10T12:00:00Z", "start": "2026-03-10",
            "end": "2026-03-10"}
    assert validate_submission(form, same) == {"closes": ["Must be later than Window opens."]}   # after is strict
    assert validate_submission(form, {**same, "closes": "2026-03-10T12:01:00Z"}) == {}
    # Only one of the two given, or the other one wrong: nothing to compare, and the format says the rest.
    assert validate_submission(form, {"end": "2026-01-01"}) == {}
    assert validate_submission(form, {"start": "soon", "end": "2026-01-01"}) == {
        "start": ["Must be a date (YYYY-MM-DD)."]}


def test_the_other_date_may_come_from_the_tasks_data_when_the_form_only_shows_it():
    form = Form({"type": "object", "properties": {
        "from": {"type": "string", "format": "date", "readOnly": True, "title": "Loan starts"},
        "until": {"type": "string", "format": "date", "after": "from"}}})
    assert validate_submission(form, {"until": "2026-03-01"}, current={"from": "2026-03-05"}) == {
        "until": ["Must be later than Loan starts."]}
    assert validate_submission(form, {"until": "2026-03-06"}, current={"from": "2026-03-05"}) == {}


@pytest.mark.parametrize("prop", [
    {"type": "string", "format": "date", "after": "nothing"},
    {"type": "string", "format": "date", "after": "stamp"},       # a date-time: not the same format
    {"type": "string", "after": "day"},                            # not a date itself
    {"type": "string", "format": "date", "notBefore": "d"},       # itself
])
def test_after_and_not_before_name_another_date_of_the_same_format(prop):
    schema = {"type": "object", "properties": {"day": {"type": "string", "format": "date"},
                                               "stamp": {"type": "string", "format": "date-time"}, "d": prop}}
    problem = one_problem(schema)
    assert problem.element == "properties.d" and "names another field of this form with the same format" in \
        problem.message
