"""Values between JSON and a form: what an input shows for a value of the
case's data, what it shows again of a post (exactly as typed), how a value
reads when it is only shown, and an HTML post read back as the form's data."""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import MultiDict

from app.engine.forms import choice_text, choices, coerce_form_data, field_kind, validate_submission
from app.engine.model import Form

from .template_helpers import format_datetime

if TYPE_CHECKING:
    from .form_fields import Field

_TRUE = ("on", "true", "1", "yes")   # what coerce_form_data reads as a ticked box


def read_post(form: Form, posted: MultiDict) -> tuple[dict, dict[str, list[str]]]:
    """(data, errors) of an HTML post: the form's data as JSON, and every message
    the post earns before the service sees it (unreadable numbers and the like,
    together with what validation says of the rest), so one round shows them all."""
    data, errors = coerce_form_data(form, {name: posted.getlist(name) for name in posted})
    # A yes/no question drawn as radios or a list posts nothing when left
    # unanswered; coerce_form_data reads that as an unchecked checkbox (False),
    # which would answer a required question for the person.
    for name in _answered_booleans(form):
        if not any(v.strip() for v in posted.getlist(name)):
            data.pop(name, None)
    if errors:
        found = validate_submission(form, data)
        errors = {**found, **errors}   # "not a number" says more than "required"
    return data, errors


def show_value(f: Field, value: Any) -> None:
    """Show a JSON value (the task's data or the default) in the field."""
    if f.widget == "checkbox":
        f.checked = value is True
    elif f.widget == "checkboxes":
        picked = {choice_text(v) for v in value} if isinstance(value, list) else set()
        for c in f.choices:
            c.selected = c.value in picked
    elif f.choices:
        for c in f.choices:
            c.selected = value is not None and c.value == choice_text(value)
    elif isinstance(value, list):
        f.value = "\n".join(as_text(v) for v in value)
    elif f.input_type == "datetime-local" and isinstance(value, str):
        f.value = value[:16]   # the input takes no seconds and no time zone
    else:
        f.value = as_text(value)


def show_posted(f: Field, values: list[str]) -> None:
    """Show what the person posted, exactly as typed."""
    if f.widget == "checkbox":
        f.checked = any(v.strip().lower() in _TRUE for v in values)
    elif f.widget == "checkboxes":
        for c in f.choices:
            c.selected = c.value in values
    elif f.choices:
        last = values[-1] if values else None
        for c in f.choices:
            c.selected = c.value == last
    elif f.widget == "textarea" and len(values) > 1:
        f.value = "\n".join(values)
    else:
        f.value = values[-1] if values else ""


def _answered_booleans(form: Form) -> list[str]:
    ui = form.ui_schema or {}
    return [name for name, prop in (form.schema.get("properties") or {}).items()
            if field_kind(prop) == "boolean"
            and (choices(prop) or (isinstance(ui.get(name), dict) and ui[name].get("ui:widget") in ("radio", "select")))]


def display_value(value: Any, prop: dict | None = None) -> str:
    """A value as a person reads it: a choice's label, Yes/No, a list joined; "" for none."""
    prop = prop or {}
    if value is None or value == "" or value == []:
        return ""
    labels = dict((choice_text(v), label) for v, label in choices(prop))
    if labels and choice_text(value) in labels:
        return labels[choice_text(value)]
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(display_value(v, prop.get("items") if isinstance(prop.get("items"), dict) else None)
                         for v in value)
    if isinstance(value, str) and (prop.get("format") == "date-time" or not prop) \
            and (moment := _moment(value)) is not None:
        return format_datetime(moment)
    return as_text(value)


# A date and time with its offset, as forms store them: shown as the pages show
# times. Data named only in a UI schema has no schema saying it is one, so the
# spelling is what tells.
_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)")


def _moment(text: str) -> datetime | None:
    if not _MOMENT.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def as_text(value: Any) -> str:
    """A JSON value as an input's text: JSON's spelling for true, false and the rest."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)
