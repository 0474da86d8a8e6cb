"""User-task forms: checking form schemas, reading Camunda form fields, and
validating what people submit.

A form is JSON Schema (the subset Baton renders as plain HTML: an object of
string/number/integer/boolean/choice fields and arrays of simple items) plus
an rjsf-style UI schema.  Submissions are checked with jsonschema, and its
errors are turned into messages meant for the person filling in the form.

``schema`` checks form files, ``camunda`` reads Camunda's inline fields,
``submissions`` turns HTML posts into JSON and validates answers.
"""
from __future__ import annotations

from app.engine.forms.camunda import form_from_camunda_fields
from app.engine.forms.schema import (
    check_form_schema, choice_text, choices, field_kind, read_only_fields, user_fields)
from app.engine.forms.submissions import (
    MAX_DEPTH, MAX_FIELDS, MAX_STRING, MAX_VALUES, coerce_form_data, validate_submission)

__all__ = ["check_form_schema", "choice_text", "choices", "coerce_form_data", "field_kind",
           "form_from_camunda_fields", "read_only_fields", "user_fields", "validate_submission",
           "MAX_DEPTH", "MAX_FIELDS", "MAX_STRING", "MAX_VALUES"]
