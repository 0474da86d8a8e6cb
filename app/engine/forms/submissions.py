"""What people submit: HTML posts made JSON, and answers checked against the form."""
from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timezone
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.validators import validator_for

from app.engine.forms.schema import (
    FORMAT_CHECKER, ORDERINGS, choice_text, choices, field_kind, read_only_fields, to_number)
from app.engine.model import Form

MAX_FIELDS = 1_000        # top-level keys of one submission
MAX_VALUES = 10_000       # keys and list items at any depth: bounds the work done
MAX_STRING = 100_000      # characters in any one string
MAX_DEPTH = 10            # nested objects/lists, the submission itself being 1

_TYPE_MESSAGES = {"string": "Must be text.", "integer": "Must be a whole number.",
                  "number": "Must be a number.", "boolean": "Must be true or false.",
                  "array": "Must be a list.", "object": "Must be an object."}
_FORMAT_MESSAGES = {"date": "Must be a date (YYYY-MM-DD).",
                    "date-time": "Must be a date and time (YYYY-MM-DDTHH:MM:SSZ).",
                    "email": "Must be a valid email address.",
                    "uri": "Must be a full URL (like https://example.com/)."}


class _Compiled:
    """What validation needs from one schema, worked out once."""

    def __init__(self, schema: dict):
        schema = copy.deepcopy(schema)   # the cache must not see later changes to the caller's dict
        cls = validator_for(schema, default=Draft7Validator)
        if cls is not Draft202012Validator:
            cls = Draft7Validator
        self.validator = cls(schema, format_checker=FORMAT_CHECKER)
        self.props = {k: v for k, v in (schema.get("properties") or {}).items() if isinstance(v, dict)}
        self.required = [n for n in schema.get("required") or [] if isinstance(n, str)]


_compiled_cache: dict[str, _Compiled] = {}


def _compiled(schema: dict) -> _Compiled:
    key = json.dumps(schema, sort_keys=True, default=str)
    found = _compiled_cache.get(key)
    if found is None:
        if len(_compiled_cache) >= 500:   # deployed forms are few; a crude bound will do
            _compiled_cache.clear()
        found = _compiled_cache[key] = _Compiled(schema)
    return found


def validate_submission(form: Form, data: Any, *, allow_unknown: bool = False,
                        current: dict | None = None, now: datetime | None = None) -> dict[str, list[str]]:
    """{} when ``data`` is a fit answer to ``form``, else {field: [messages]} ("_form" for the whole).

    With ``now`` (the caller's clock, aware), a date or date-time field marked
    ``"notInPast": true`` must not lie before it (a date: before its day).
    A field with ``"after": "other"`` must be later than the form's field
    ``other``, one with ``"notBefore": "other"`` not earlier (``other`` as
    sent, or as the task's data holds it when the form only shows it).

    Read-only fields may be sent back only unchanged from ``current`` (the task's data);
    without ``current`` they may not be sent at all.  null, and "" for text, mean
    "no answer": refused for required fields, otherwise not checked.  [] is no
    answer to a required list, and checked against minItems otherwise.
    """
    if not isinstance(data, dict):
        return {"_form": ["The data must be a JSON object."]}
    too_big = _too_big(data)
    if too_big:
        return {"_form": [too_big]}
    compiled = _compiled(form.schema)
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        if message not in errors.setdefault(name, []):
            errors[name].append(message)

    read_only, unchecked = set(read_only_fields(form)), set()
    for name, value in data.items():
        if name in read_only:
            if current is None or name not in current or not _same(current[name], value):
                add(str(name), "This field is read-only.")
            unchecked.add(name)
        elif name not in compiled.props:
            if not allow_unknown:
                add(str(name), "Unknown field.")
            unchecked.add(name)
        elif _blank(value, compiled.props[name]) and value != []:
            unchecked.add(name)   # no answer; but [] is checked, as minItems may ask for one
    for name in compiled.required:
        if name not in read_only and (name not in data or _blank(data[name], compiled.props.get(name))):
            add(name, "This field is required.")

    try:
        found = [e for e in compiled.validator.iter_errors(data)
                 if e.path and e.path[0] not in unchecked]
    except (ArithmeticError, ValueError, RecursionError):   # e.g. a number too big for a float
        return {"_form": ["The data could not be checked."]}
    wrong_type = {tuple(e.path) for e in found if e.validator == "type"}
    for e in found:
        if e.validator != "type" and tuple(e.path) in wrong_type:
            continue   # "Must be a number." says it all; no need for "Must be at least 1." too
        message = _message(e.validator, e.validator_value, e.schema)
        if len(e.path) > 1 and isinstance(e.path[1], int):
            message = f"Item {e.path[1] + 1}: {message[0].lower()}{message[1:]}"
        add(str(e.path[0]), message)
    if now is not None:
        for name, prop in compiled.props.items():
            if prop.get("notInPast") is True and name not in errors and name not in unchecked \
                    and _in_the_past(data.get(name), prop.get("format"), now):
                add(name, "Must not be in the past.")
    for name, prop in compiled.props.items():
        for keyword in (k for k in ORDERINGS if k in prop):
            if name in errors or name in unchecked:
                continue
            other = prop[keyword]
            mine = _moment(data.get(name), prop.get("format"))
            theirs = _moment(data[other] if other in data else (current or {}).get(other), prop.get("format"))
            if mine is None or theirs is None or other in errors:
                continue
            if mine < theirs or (keyword == "after" and mine == theirs):
                title = compiled.props.get(other, {}).get("title") or other
                add(name, f"Must be {'later than' if keyword == 'after' else 'no earlier than'} {title}.")
    return errors


def _moment(value: Any, kind: Any) -> date | datetime | None:
    """A valid date or date-time field's value (a date-time with its offset, as
    the format check demands); None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = date.fromisoformat(value) if kind == "date" else datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if kind == "date" or moment.tzinfo is not None else None


def _in_the_past(value: Any, kind: Any, now: datetime) -> bool:
    """Is a valid date ("date": its day) or date-time before ``now``?"""
    moment = _moment(value, kind)
    if moment is None:
        return False   # the format check has said so already
    return moment < (now.astimezone(timezone.utc).date() if kind == "date" else now)


def _too_big(data: dict) -> str | None:
    """Why ``data`` is too big to look at, walking it once and stopping at the first excess."""
    if len(data) > MAX_FIELDS:
        return f"Too many fields (at most {MAX_FIELDS:,})."
    seen, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                return f"Nested too deeply (at most {MAX_DEPTH} levels)."
            seen += len(value)
            if seen > MAX_VALUES:
                return f"Too many values (at most {MAX_VALUES:,})."
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(value, str) and len(value) > MAX_STRING:
            return f"A text is too long (at most {MAX_STRING:,} characters)."
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and not -1e308 <= value <= 1e308:
            return "Numbers must be finite and no bigger than 1e308."
    return None


def _blank(value: Any, prop: Any) -> bool:
    kind = field_kind(prop)
    return value is None or (value == "" and kind == "string") or (value == [] and kind == "array")


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _message(keyword: str, expected: Any, prop: Any = None) -> str:
    """A person's message for one failed JSON Schema keyword (``prop``: the
    field's schema, whose ``examples`` show a pattern better than the pattern)."""
    if keyword == "type":
        kinds = [expected] if isinstance(expected, str) else [t for t in expected if t != "null"]
        return _TYPE_MESSAGES.get(kinds[0] if kinds else "", "Has the wrong kind of value.")
    if keyword in ("enum", "oneOf"):
        labels = [label for _, label in choices({keyword: expected})]
        return f"Must be one of: {', '.join(labels)}."
    if keyword == "format":
        return _FORMAT_MESSAGES.get(expected, f"Must be a valid {expected}.")
    n = int(expected) if isinstance(expected, float) and expected.is_integer() else expected
    return {"minimum": f"Must be at least {n}.", "maximum": f"Must be at most {n}.",
            "exclusiveMinimum": f"Must be more than {n}.", "exclusiveMaximum": f"Must be less than {n}.",
            "minLength": f"At least {n} character{'' if n == 1 else 's'}.",
            "maxLength": f"At most {n} character{'' if n == 1 else 's'}.",
            "pattern": _pattern_message(prop),
            "minItems": f"At least {n} item{'' if n == 1 else 's'}.",
            "maxItems": f"At most {n} item{'' if n == 1 else 's'}.",
            "uniqueItems": "Each item may appear only once."}.get(keyword, "Not a valid value.")


def _pattern_message(prop: Any) -> str:
    examples = prop.get("examples") if isinstance(prop, dict) else None
    if isinstance(examples, list) and examples and isinstance(examples[0], str):
        return f"Not in the expected form, for example {examples[0]}."
    return "Not in the expected form."


# ---- browser posts ----------------------------------------------------------

_TRUE, _FALSE = {"on", "true", "1", "yes"}, {"off", "false", "0", "no", ""}


def coerce_form_data(form: Form, raw: dict[str, str | list[str]]) -> tuple[dict, dict[str, list[str]]]:
    """(data, errors) from an HTML form post (every value text), ready for validate_submission.

    Only the schema's editable fields are taken (a post also carries buttons and
    tokens; read-only fields are not the person's to send).  An unchecked checkbox
    is False and an empty list is []: browsers send nothing for either.  A field
    posted empty is None, "no answer" (validate_submission refuses it when the
    field is required), so a person can clear an answer given earlier.
    """
    props = form.schema.get("properties") or {}
    read_only = set(read_only_fields(form))
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, prop in props.items():
        kind = field_kind(prop)
        if name in read_only or kind is None:
            continue
        values = raw.get(name)
        values = [] if values is None else [values] if isinstance(values, str) else list(values)
        ui = (form.ui_schema or {}).get(name)
        textarea = isinstance(ui, dict) and ui.get("ui:widget") == "textarea"
        try:
            if kind == "array":   # repeated keys (checkboxes, multi-select) or one line per item
                if len(values) == 1 and "\n" in values[0]:
                    values = values[0].splitlines()
                items, data[name] = [v.strip() for v in values if v.strip()], []
                for i, text in enumerate(items, 1):
                    try:
                        data[name].append(_coerce(text, prop.get("items") or {}))
                    except ValueError as e:
                        errors.setdefault(name, []).append(f"Item {i}: {str(e)[0].lower()}{str(e)[1:]}")
            elif kind == "boolean" and not choices(prop):   # a checkbox
                data[name] = _coerce(values[-1] if values else "", prop)
            elif values and values[-1].strip():   # the last of repeated keys wins, as in a hidden default
                text = values[-1].replace("\r\n", "\n") if textarea else values[-1].strip()
                data[name] = _coerce(text, prop)
            elif values:
                data[name] = None     # emptied: no answer (the field's earlier value goes)
        except ValueError as e:
            errors[name] = [str(e)]
    return data, errors


def _coerce(text: str, prop: dict) -> Any:
    """One posted text as the field's JSON value; ValueError(message) when it cannot be."""
    for value, _ in choices(prop):
        if choice_text(value) == text:
            return value
    if choices(prop):
        return text   # not a choice: validate_submission says which ones are
    kind = field_kind(prop)
    if kind == "boolean":
        if text.strip().lower() not in _TRUE | _FALSE:
            raise ValueError("Must be true or false.")
        return text.strip().lower() in _TRUE
    if kind in ("integer", "number"):
        whole = kind == "integer"
        if re.fullmatch(r"[+-]?\d{1,300}", text):   # exact, where a float would round
            return int(text)
        if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text) or (
                number := to_number(text, whole)) is None:
            raise ValueError("Must be a whole number." if whole else "Must be a number.")
        return number
    if prop.get("format") == "date-time" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?", text):
        # an <input type="datetime-local"> has no time zone: Baton takes it as UTC
        return text + (":00Z" if len(text) == 16 else "Z")
    return text
