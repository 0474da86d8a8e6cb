"""Forms drawn from their schemas, and instructions made safe HTML, without
a database: the parts of the task page that are plain functions."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from app.engine.forms import form_from_camunda_fields
from app.engine.model import Form
from app.web.pages.form_fields import build_fields, display_value, error_summary, read_post
from app.web.pages.rich_text import fill_template, instructions_html


def test_camunda_form_fields_draw_like_json_schema_forms():
    form = Form.from_dict(form_from_camunda_fields([
        {"id": "amount", "label": "Amount", "type": "long", "validation": [{"name": "required"}]},
        {"id": "approved", "label": "Approved?", "type": "boolean", "default_value": "true"},
        {"id": "size", "label": "Size", "type": "enum", "options": [{"id": "s", "name": "Small"},
                                                                   {"id": "l", "name": "Large"}]},
        {"id": "when", "label": "When", "type": "date"},
        {"id": "ref", "label": "Reference", "type": "string", "validation": [{"name": "readonly"}]},
    ]))
    fields = build_fields(form, {"ref": "EXP-9", "size": "l"})
    assert [(f.name, f.widget, f.input_type, f.inputmode, f.required) for f in fields] == [
        ("amount", "input", "text", "numeric", True), ("approved", "checkbox", "text", None, False),
        ("size", "select", "text", None, False), ("when", "input", "date", None, False),
        ("ref", "readonly", "text", None, False)]
    assert fields[1].checked and [(c.label, c.selected) for c in fields[2].choices] == [("Small", False),
                                                                                       ("Large", True)]
    assert fields[4].value == "EXP-9"


def test_instructions_fail_soft_and_stay_inside_the_sandbox():
    assert fill_template("Hi {{ name }}", {"name": "Ann"}) == "Hi Ann"
    for text in ("Hi {{ missing }}", "{{ ''.__class__.__mro__ }}", "{{ 1 / 0 }}", "{% if %}"):
        assert fill_template(text, {}) == text
    html_text = str(instructions_html("[x](javascript:alert(1)) <b onclick='x()'>bold</b>", {}))
    assert "javascript:" not in html_text and "onclick" not in html_text and "<b>bold</b>" in html_text


def test_ui_order_star_and_earlier_data():
    form = Form(schema={"type": "object", "properties": {n: {"type": "string"} for n in ("a", "b", "c", "d")}},
                ui_schema={"ui:order": ["c", "*", "old", "a", "gone"], "old": {"ui:title": "Earlier"}})
    fields = build_fields(form, {"old": ["x", "y"]})
    assert [(f.name, f.widget) for f in fields] == [
        ("c", "input"), ("b", "input"), ("d", "input"), ("old", "readonly"), ("a", "input")]
    assert (fields[3].label, fields[3].value) == ("Earlier", "x, y")
    # without "*", fields the order leaves out follow at the end; names of no field and no data are skipped
    form.ui_schema = {"ui:order": ["d", "gone"]}
    assert [f.name for f in build_fields(form, {})] == ["d", "a", "b", "c"]


def test_a_post_read_back():
    form = Form(schema={"type": "object", "required": ["ok", "n"], "properties": {
        "ok": {"type": "boolean"}, "n": {"type": "integer", "title": "Count"}, "tick": {"type": "boolean"}}},
        ui_schema={"ok": {"ui:widget": "radio"}})
    data, errors = read_post(form, MultiDict([("n", "4,5")]))
    assert data == {"tick": False}   # an unanswered yes/no is not "no"; an unticked box is
    assert errors == {"ok": ["This field is required."], "n": ["Must be a whole number."]}
    fields = build_fields(form, posted=MultiDict([("n", "4,5")]), errors=errors)
    assert [(i.text, i.target_id) for i in error_summary(fields, {**errors, "_form": ["Too big."]})] == [
        ("Ok: This field is required.", "f-ok-0"), ("Count: Must be a whole number.", "f-n"), ("Too big.", None)]
    assert fields[1].value == "4,5" and fields[1].described_by == "f-n-error"
    assert read_post(form, MultiDict([("ok", "false"), ("n", "3")])) == ({"ok": False, "n": 3, "tick": False}, {})


def test_a_date_and_time_reads_as_the_pages_show_times():
    assert display_value("2026-11-22T15:42:55Z", {"type": "string", "format": "date-time"}) == "22 Nov 2026, 15:42 UTC"
    # Data named only in a UI schema has no schema: its spelling tells.
    assert display_value("2026-11-22T17:42:00+02:00") == "22 Nov 2026, 15:42 UTC"
    assert display_value("2026-11-22T15:42") == "2026-11-22T15:42"          # no offset: left as written
    assert display_value("2026-11-22T15:42:55Z", {"type": "string"}) == "2026-11-22T15:42:55Z"   # plain text


def test_an_earlier_answer_shows_as_its_own_form_showed_it():
    form = Form({"type": "object", "properties": {"approved": {"type": "boolean"}}},
                {"ui:order": ["change_type", "window", "approved"], "change_type": {"ui:title": "Type"}})
    known = {"change_type": {"type": "string", "oneOf": [{"const": "normal", "title": "Normal (approved by the CAB)"}]},
             "window": {"type": "string", "format": "date-time", "title": "Window starts"}}
    data = {"change_type": "normal", "window": "2026-11-22T22:00:00Z"}
    shown = [(f.label, f.value) for f in build_fields(form, data, known=known) if f.widget == "readonly"]
    assert shown == [("Type", "Normal (approved by the CAB)"), ("Window starts", "22 Nov 2026, 22:00 UTC")]
    assert [(f.label, f.value) for f in build_fields(form, data) if f.widget == "readonly"] == [
        ("Type", "normal"), ("Window", "22 Nov 2026, 22:00 UTC")]
