"""A form's fields as documentation: label, type in words, required, choices.

Deployed versions carry their forms already resolved in their meta (form
files, Camunda ``formKey`` and ``formData``); a bundle read without meta (a
model that was never deployed) has its forms found here the same way the
bundle loader finds them.
"""
from __future__ import annotations

import json
import posixpath

from app.engine.bundle import extension_properties
from app.engine.forms import choices, field_kind, form_from_camunda_fields, read_only_fields
from app.engine.model import Form
from app.engine.xml import CAMUNDA_NS

from .model import FormField

CAMUNDA = f"{{{CAMUNDA_NS}}}"

_STRING_FORMATS = {"date": "date", "date-time": "date and time", "email": "email address",
                   "uri": "web address", "user": "person"}
_KINDS = {"integer": "whole number", "number": "number", "boolean": "yes/no", "string": "text"}


def form_fields(form: Form | None) -> tuple[FormField, ...]:
    """The fields of a form in the order it shows them (its ``ui:order``)."""
    if form is None or not isinstance(form.schema, dict) or not isinstance(form.schema.get("properties"), dict):
        return ()
    properties = form.schema["properties"]
    required = form.schema.get("required") if isinstance(form.schema.get("required"), list) else []
    read_only = set(read_only_fields(form))
    ui = form.ui_schema if isinstance(form.ui_schema, dict) else {}
    fields = []
    for name in _ordered(list(properties), ui.get("ui:order")):
        prop = properties[name] if isinstance(properties[name], dict) else {}
        widget = ui.get(name, {}).get("ui:widget") if isinstance(ui.get(name), dict) else None
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        fields.append(FormField(
            name=name,
            label=" ".join(str(prop.get("title") or "").split()) or name,
            type=field_type(prop, widget),
            required=name in required,
            choices=tuple(label for _, label in choices(prop) or choices(items)),
            read_only=name in read_only,
            description=str(prop.get("description") or "").strip(),
        ))
    return tuple(fields)


def field_type(prop: dict, widget: str | None = None) -> str:
    """A field's type in words: "text", "long text", "date", "choice", "list of dates", ..."""
    kind = field_kind(prop)
    if kind == "array":
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        return "several choices" if choices(items) else f"list of {field_type(items)}"
    if choices(prop):
        return "choice"
    if kind == "string":
        if prop.get("format") in _STRING_FORMATS:
            return _STRING_FORMATS[prop["format"]]
        return "long text" if widget == "textarea" else "text"
    return _KINDS.get(kind or "", "text")


def _ordered(names: list[str], order) -> list[str]:
    """rjsf's ui:order: the names it lists first, "*" standing for the rest."""
    if not isinstance(order, list) or not order:
        return names
    listed = [n for n in order if n in names]
    rest = [n for n in names if n not in listed]
    if "*" not in order:
        return listed + rest
    star = order.index("*")
    before = [n for n in order[:star] if n in names]
    return before + rest + [n for n in order[star + 1:] if n in names]


# --- forms named in the XML (no meta) -------------------------------------------

def form_in_xml(element, files: dict[str, str | bytes]) -> Form | None:
    """The form an element names (spiff form files, a Camunda formKey naming a
    .json file) or holds (camunda:formData); None if none or unreadable."""
    props = extension_properties(element)
    schema_ref = props.get("formJsonSchemaFilename")
    form_key = element.get(f"{CAMUNDA}formKey")
    if not schema_ref and form_key:
        schema_ref = form_key.replace(":", "/").rsplit("/", 1)[-1]
    if schema_ref:
        schema = _json_file(files, schema_ref)
        ui = _json_file(files, props["formUiSchemaFilename"]) if props.get("formUiSchemaFilename") else {}
        if isinstance(schema, dict):
            return Form(schema=schema, ui_schema=ui if isinstance(ui, dict) else {})
    fields = [_camunda_field(f) for f in element.iterfind(
        f"{{*}}extensionElements/{CAMUNDA}formData/{CAMUNDA}formField")]
    if fields:
        try:
            built = form_from_camunda_fields(fields)
        except ValueError:
            return None
        return Form(schema=built["schema"], ui_schema=built.get("ui_schema") or {})
    return None


def _json_file(files: dict[str, str | bytes], ref: str):
    """The parsed .json file a reference names, found as the bundle loader finds it."""
    ref = ref.strip()
    named = [n for n in files if n == ref or n.endswith("/" + ref)] or \
            [n for n in files if posixpath.basename(n) == posixpath.basename(ref)]
    if len(named) != 1:
        return None
    try:
        text = files[named[0]]
        return json.loads(text.decode("utf-8-sig") if isinstance(text, bytes) else text)
    except (ValueError, UnicodeDecodeError):
        return None


def _camunda_field(element) -> dict:
    """A camunda:formField as the dict form_from_camunda_fields reads."""
    return {
        "id": element.get("id"), "label": element.get("label"), "type": element.get("type"),
        "default_value": element.get("defaultValue"),
        "options": [{"id": v.get("id"), "name": v.get("name")} for v in element.iterfind(f"{CAMUNDA}value")],
        "validation": [{"name": c.get("name"), "config": c.get("config")}
                       for c in element.iterfind(f"{CAMUNDA}validation/{CAMUNDA}constraint")],
    }
