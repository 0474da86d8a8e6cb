"""A user-task form (JSON Schema + rjsf-style UI schema) as the fields a
template draws; ``form_values`` fills them and reads posts back (``read_post``
is re-exported here, so views need one module).

Forms are rendered on the server so they work with JavaScript off. This
module decides what each field is: its widget, label, hints, the value as the
person sees it, its choices and its messages. ``partials/_form_fields.html``
turns that into HTML; nothing here writes any. Camunda ``formData`` forms
arrive in the same shape (``engine.forms.form_from_camunda_fields``).

UI schema keys followed, as SpiffArena and rjsf write them: ``ui:order``
(with ``"*"`` for the rest), ``ui:widget``, ``ui:help``, ``ui:placeholder``,
``ui:readonly`` / ``ui:disabled``, ``ui:title``, ``ui:description`` and
``ui:options.rows``. A field of format "user" names a person: the browser
suggests the active users (of the group in ``ui:options.group``, if given).
A name in ``ui:order`` that is not a field but is in the task's data is shown
read-only: that is how a form shows earlier answers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from app.engine.forms import choice_text, choices, field_kind, read_only_fields
from app.engine.model import Form
from app.services import people

from .form_values import display_value, read_post, show_posted, show_value

__all__ = ["Choice", "Field", "SummaryItem", "build_fields", "display_value", "error_summary", "read_post"]

FORM_ERRORS = "_form"   # validate_submission's key for what concerns the whole submission

# Numbers are typed into text inputs with a numeric keyboard (GOV.UK's advice):
# a type="number" input throws away what it cannot parse, so "12,5" would come
# back empty instead of as typed, and its scroll wheel changes values by accident.
_INPUTMODE = {"integer": "numeric", "number": "decimal"}
_FORMAT_TYPES = {"date": "date", "date-time": "datetime-local", "email": "email", "uri": "url"}
_YES_NO = [(True, "Yes"), (False, "No")]   # a boolean drawn as radios or a list


@dataclass
class Choice:
    value: str          # as the browser posts it
    label: str
    selected: bool
    id: str


@dataclass
class Field:
    name: str
    label: str
    # What the template draws: input, textarea, select, radio, checkbox,
    # checkboxes (a list of choices), readonly (shown, not posted), hidden.
    widget: str
    id: str = ""
    input_type: str = "text"
    inputmode: str | None = None
    value: str = ""             # exactly what the input shows (a textarea's lines included)
    checked: bool = False       # a lone checkbox
    choices: list[Choice] = field(default_factory=list)
    required: bool = False
    description: str | None = None
    help: str | None = None
    placeholder: str | None = None
    rows: int | None = None
    narrow: bool = False        # numbers and dates: a short input says what it expects
    attrs: dict[str, str] = field(default_factory=dict)   # maxlength; min, max, step of a spinner
    people_of: str | None = None   # names a person: "" anyone, else the group suggested
    suggestions: list[tuple[str, str]] = field(default_factory=list)   # (value, label) offered as typed
    errors: list[str] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        """Drawn as a fieldset whose legend labels several inputs."""
        return self.widget in ("radio", "checkboxes")

    @property
    def target_id(self) -> str:
        """Where a link to the field (from the error summary) lands: its first input."""
        return self.choices[0].id if self.is_group and self.choices else self.id

    @property
    def described_by(self) -> str:
        ids = [f"{self.id}-desc" if self.description else "", f"{self.id}-help" if self.help else "",
               f"{self.id}-error" if self.errors else ""]
        return " ".join(i for i in ids if i)


@dataclass(frozen=True)
class SummaryItem:
    text: str
    target_id: str | None   # None: about the whole form, or a field the form does not show


def build_fields(form: Form, data: dict | None = None, posted: MultiDict | None = None,
                 errors: dict[str, list[str]] | None = None, known: dict[str, dict] | None = None) -> list[Field]:
    """The form's fields in order: values from ``posted`` (a re-shown post, kept as
    typed) or else from ``data`` (the task's data) and the schema's defaults.
    ``known``: other forms' fields by name, so an earlier answer the UI schema
    names is shown as its own form showed it (a choice by its title)."""
    data, errors = data or {}, errors or {}
    props = form.schema.get("properties") or {}
    ui = form.ui_schema or {}
    required = set(form.schema.get("required") or [])
    read_only = set(read_only_fields(form))
    fields = []
    for name in _order(props, ui.get("ui:order"), data):
        prop = props.get(name)
        options = ui.get(name) if isinstance(ui.get(name), dict) else {}
        if prop is None:   # earlier data the UI schema names
            fields.append(_read_only(name, (known or {}).get(name, {}), options, data.get(name)))
            continue
        if name in read_only:
            fields.append(_read_only(name, prop, options, data.get(name, prop.get("default"))))
            continue
        f = _input(name, prop, options, name in required)
        if f is None:
            continue
        if posted is not None:
            show_posted(f, posted.getlist(name))
        else:
            show_value(f, data.get(name, prop.get("default")))
        f.errors = list(errors.get(name, []))
        fields.append(f)
    for f in fields:
        if f.people_of is not None:
            f.suggestions = people.who_may_be_named(f.people_of or None)
    return fields


def error_summary(fields: list[Field], errors: dict[str, list[str]]) -> list[SummaryItem]:
    """Every message, in the form's order, each linking to its field where the form shows one."""
    shown = {f.name: f for f in fields if f.widget not in ("readonly", "hidden")}
    items = [SummaryItem(_about(f.label, m), f.target_id) for f in fields if f.name in shown for m in f.errors]
    for name, messages in errors.items():
        if name not in shown:
            items += [SummaryItem(m if name == FORM_ERRORS else _about(_humanize(name), m), None) for m in messages]
    return items


def _about(label: str, message: str) -> str:
    """"Summary: At least 5 characters.", but "Approve the cost? This field is required."."""
    return f"{label} {message}" if label.rstrip()[-1:] in ("?", ":", "!", ".") else f"{label}: {message}"


def _order(props: dict, order: Any, data: dict) -> list[str]:
    """Field names in ui:order's order; "*" stands for the fields it does not name,
    which otherwise follow at the end (rjsf would refuse the form instead)."""
    if not isinstance(order, list):
        return list(props)
    named = [n for n in order if isinstance(n, str) and n != "*" and (n in props or n in data)]
    named = list(dict.fromkeys(named))
    rest = [n for n in props if n not in named]
    if "*" not in order:
        return named + rest
    at = sum(1 for n in order[:order.index("*")] if n in named)
    return named[:at] + rest + named[at:]


def _input(name: str, prop: dict, ui: dict, required: bool) -> Field | None:
    kind = field_kind(prop)
    if kind is None:
        return None
    widget = ui.get("ui:widget")
    f = Field(name=name, id=_html_id(name), label=str(ui.get("ui:title") or prop.get("title") or _humanize(name)),
              widget="input", required=required,
              description=_text_or_none(ui.get("ui:description", prop.get("description"))),
              help=_text_or_none(ui.get("ui:help")), placeholder=_text_or_none(ui.get("ui:placeholder")))
    options = choices(prop) or (_YES_NO if kind == "boolean" and widget in ("radio", "select") else [])
    if widget == "hidden":
        f.widget = "hidden"
    elif kind == "array":
        item_choices = choices(prop.get("items"))
        if item_choices:
            f.widget, options = "checkboxes", item_choices
        else:
            f.widget, f.rows = "textarea", _rows(ui, 4)
            f.help = " ".join(filter(None, ["One per line.", f.help]))
    elif options:
        f.widget = "radio" if widget == "radio" else "select"
    elif kind == "boolean":
        f.widget = "checkbox"
        f.required = False   # an unticked box is an answer (false), so nothing needs marking
    elif widget == "textarea":
        f.widget, f.rows = "textarea", _rows(ui, 5)
    else:
        _input_kind(f, kind, prop, widget)
        if prop.get("format") == "user":
            group = ui.get("ui:options", {}).get("group") if isinstance(ui.get("ui:options"), dict) else None
            f.people_of = group if isinstance(group, str) else ""
            f.attrs["autocomplete"] = "off"   # the browser's own history would hide the suggestions
    f.choices = [Choice(choice_text(value), label, False, f"{f.id}-{i}") for i, (value, label) in enumerate(options)]
    if "maxLength" in prop and f.widget in ("input", "textarea"):
        f.attrs["maxlength"] = str(prop["maxLength"])
    return f


def _input_kind(f: Field, kind: str, prop: dict, widget: Any) -> None:
    f.narrow = kind in _INPUTMODE or prop.get("format") in ("date", "date-time")
    if kind in _INPUTMODE and widget != "updown":
        f.inputmode = _INPUTMODE[kind]
    elif kind in _INPUTMODE:   # rjsf's "updown": the person asked for a spinner
        f.input_type = "number"
        f.attrs["step"] = "1" if kind == "integer" else "any"
        for keyword, attr in (("minimum", "min"), ("maximum", "max")):
            if keyword in prop:
                f.attrs[attr] = str(prop[keyword])
    else:
        f.input_type = {"email": "email", "date": "date", "uri": "url"}.get(widget, _FORMAT_TYPES.get(
            prop.get("format"), "text"))
    # No autocomplete hints: a task's email field is the requester's, not the agent's.


def _read_only(name: str, prop: dict, ui: dict, value: Any) -> Field:
    label = str(ui.get("ui:title") or prop.get("title") or _humanize(name))
    return Field(name=name, id=_html_id(name), label=label, widget="readonly", value=display_value(value, prop))


def _rows(ui: dict, default: int) -> int:
    rows = (ui.get("ui:options") or {}).get("rows") if isinstance(ui.get("ui:options"), dict) else None
    return rows if isinstance(rows, int) and 1 <= rows <= 40 else default


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _html_id(name: str) -> str:
    """An element id for a field: JSON names may hold spaces, which ids may not."""
    return "f-" + re.sub(r"[^A-Za-z0-9_.-]", "-", str(name))


def _humanize(name: str) -> str:
    """"cost_estimate" → "Cost estimate", "neededBy" → "Needed by": a label for a field without a title."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name)).replace("_", " ").replace("-", " ").split()
    text = " ".join(words).lower()
    return text[:1].upper() + text[1:]
