"""Form schemas: is a JSON Schema one Baton can render, and what its fields are."""
from __future__ import annotations

import json
import math
import re
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from app.engine.model import Form
from app.engine.problems import Problem

# "user" is Baton's own: the user name of someone who can sign in to Baton. The
# engine cannot know who that is; the services check it (services/answers.py),
# and other JSON Schema tools ignore a format they do not know.
_FORMATS = {"date", "date-time", "email", "uri", "user"}
_ANNOTATIONS = {"title", "description", "default", "examples", "readOnly", "$comment"}
_NUMERIC = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum", "oneOf"}
# multipleOf is left out on purpose: jsonschema divides floats, so 19.99 is "not a multiple of 0.01".
_KEYWORDS = {   # what each kind of field may use besides _ANNOTATIONS and "type"
    # notInPast, after and notBefore are Baton's own (a date or date-time field:
    # not before today / now; later than / not earlier than another field of
    # the form); other JSON Schema tools ignore them.
    "string": {"minLength", "maxLength", "pattern", "format", "enum", "oneOf", "notInPast", "after",
               "notBefore"},
    "number": _NUMERIC, "integer": _NUMERIC,
    "boolean": {"enum", "oneOf"},
    "array": {"items", "minItems", "maxItems", "uniqueItems"},
}
_TOP_LEVEL = {"$schema", "$id", "$comment", "title", "description", "type", "properties",
              "required", "additionalProperties", "default"}

# jsonschema's own email check is only `"@" in value`; people deserve a bit more.
FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checks("email")(
    lambda v: not isinstance(v, str) or re.fullmatch(r"[^@\s]+@[^@\s]+", v) is not None)


def check_form_schema(schema: Any, file: str) -> list[Problem]:
    """Problems that make ``schema`` unusable as a Baton form; [] when fine."""
    def problem(element: str | None, message: str) -> Problem:
        return Problem(file, None, element, message)

    if not isinstance(schema, dict):
        return [problem(None, "A form schema must be a JSON object.")]
    if not isinstance(schema.get("$schema", ""), str):
        return [problem("$schema", "$schema must be a URI.")]
    cls = validator_for(schema, default=Draft7Validator)
    if cls not in (Draft7Validator, Draft202012Validator):
        return [problem("$schema", "Only JSON Schema Draft 7 and 2020-12 are supported.")]
    try:
        cls.check_schema(schema)
    except SchemaError as e:
        where = ".".join(str(p) for p in e.path) or None
        if e.validator == "format" and e.validator_value == "regex":
            return [problem(where, f"pattern {e.instance!r} is not a valid regular expression.")]
        return [problem(where, f"Not valid JSON Schema: {e.message}")]

    problems = [problem(k, f"'{k}' is not supported at the top of a form.")
                for k in schema if k not in _TOP_LEVEL]
    if schema.get("type") != "object":
        problems.append(problem("type", 'A form schema must have "type": "object".'))
    props = schema.get("properties")
    if not isinstance(props, dict):
        return problems + [problem("properties", 'A form schema needs "properties".')]
    for name, prop in props.items():
        found = _check_field(prop, f"properties.{name}", allow_array=True)
        if not found and "default" in prop and not cls(
                prop, format_checker=FORMAT_CHECKER).is_valid(prop["default"]):
            found = [(f"properties.{name}", f"default {prop['default']!r} does not fit the field.")]
        problems += [problem(where, message) for where, message in found]
    problems += [problem("required", f"required names '{n}', which is not in properties.")
                 for n in schema.get("required", []) if n not in props]
    problems += [problem(where, message) for where, message in _check_orderings(props)]
    return problems


ORDERINGS = ("after", "notBefore")   # a date or date-time field compared with another of the form


def _check_orderings(props: dict) -> list[tuple[str, str]]:
    found = []
    for name, prop in props.items():
        for keyword in (k for k in ORDERINGS if isinstance(prop, dict) and k in prop):
            other = props.get(prop[keyword]) if isinstance(prop[keyword], str) else None
            kind = prop.get("format")
            if kind not in ("date", "date-time") or not isinstance(other, dict) or other.get("format") != kind \
                    or prop[keyword] == name:
                found.append((f"properties.{name}", f"{keyword} is written on a date or date-time field and names "
                                                    f"another field of this form with the same format, "
                                                    f"got {prop[keyword]!r}."))
    return found


def _check_field(prop: Any, path: str, allow_array: bool) -> list[tuple[str, str]]:
    """(element, message) for what is wrong with one field, or with array items."""
    if not isinstance(prop, dict):
        return [(path, "A field must be a JSON object.")]
    kind = field_kind(prop)
    if kind is None or (kind == "array" and not allow_array):
        what = "arrays of simple items" if allow_array else "simple items"
        return [(path, f"Unsupported field: use string, number, integer, boolean, choices or {what}.")]
    found = [f"'{k}' is not supported for a {kind} field."
             for k in prop if k not in _ANNOTATIONS | _KEYWORDS[kind] | {"type"}]
    if "format" in prop and prop["format"] not in _FORMATS:
        found.append(f"format '{prop['format']}' is not supported (use date, date-time, email, uri or user).")
    if "notInPast" in prop and (prop["notInPast"] is not True or prop.get("format") not in ("date", "date-time")):
        found.append('notInPast is written "notInPast": true, on a date or date-time field.')
    if "enum" in prop and (not prop["enum"] or any(isinstance(v, (dict, list)) for v in prop["enum"])):
        found.append("enum must list at least one plain value.")
    options = prop.get("oneOf")
    if options is not None and not (options and all(
            isinstance(c, dict) and "const" in c and set(c) <= {"const", "title", "description"}
            for c in options)):
        found.append('oneOf is supported only as a list of {"const", "title"} choices.')
    for low, high in (("minLength", "maxLength"), ("minimum", "maximum"), ("minItems", "maxItems")):
        if low in prop and high in prop and prop[low] > prop[high]:
            found.append(f"{low} is greater than {high}, so no value can fit.")
    found_at = [(path, m) for m in found]
    if kind == "array":
        if isinstance(prop.get("items"), dict):
            found_at += _check_field(prop["items"], f"{path}.items", allow_array=False)
        else:
            found_at.append((path, 'An array field needs "items" (one schema for every item).'))
    return found_at


def field_kind(prop: Any) -> str | None:
    """The field's type ("string", ... "array"), inferred from its choices when untyped."""
    if not isinstance(prop, dict):
        return None
    t = prop.get("type")
    if isinstance(t, list):   # ["string", "null"] means an optional string
        rest = [x for x in t if x != "null"]
        t = rest[0] if len(rest) == 1 else None
    elif t is None:
        values = [v for v, _ in choices(prop)]
        t = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
            type(values[0]) if values else None)
    return t if t in _KEYWORDS else None


def choices(prop: Any) -> list[tuple[Any, str]]:
    """(value, label) for each choice of an enum or oneOf field; [] for other fields."""
    if not isinstance(prop, dict):
        return []
    if isinstance(prop.get("oneOf"), list):
        return [(c["const"], str(c.get("title", choice_text(c["const"]))))
                for c in prop["oneOf"] if isinstance(c, dict) and "const" in c]
    if isinstance(prop.get("enum"), list):
        return [(v, choice_text(v)) for v in prop["enum"]]
    return []


def choice_text(value: Any) -> str:
    """How a choice travels in an HTML form post (an <option>'s value)."""
    return value if isinstance(value, str) else json.dumps(value)


def read_only_fields(form: Form) -> list[str]:
    """Fields shown to people but not theirs to change (readOnly, ui:readonly, ui:disabled)."""
    props = form.schema.get("properties") or {}
    ui = form.ui_schema or {}
    return [name for name, prop in props.items()
            if (isinstance(prop, dict) and prop.get("readOnly") is True)
            or (isinstance(ui.get(name), dict)
                and (ui[name].get("ui:readonly") is True or ui[name].get("ui:disabled") is True))]


def user_fields(form: Form) -> dict[str, bool]:
    """The fields that name Baton users (``"format": "user"``), each with whether
    it is a list of them."""
    found = {}
    for name, prop in (form.schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        if prop.get("format") == "user" or items.get("format") == "user":
            found[name] = field_kind(prop) == "array"
    return found


def to_number(text: Any, whole: bool) -> int | float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    if not math.isfinite(value) or (whole and not value.is_integer()):
        return None
    return int(value) if value.is_integer() else value
