"""Camunda's inline form fields (``camunda:formData``) as a Baton form."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from app.engine.forms.schema import to_number


def form_from_camunda_fields(fields: list) -> dict:
    """The form for Camunda's inline ``camunda:formData`` fields (FormField objects or dicts).

    ValueError names a field that cannot be a form field (no id, a repeated id, an
    enum without values); the bundle loader reports it as a problem of the task.
    """
    properties, required, ui = {}, [], {"ui:order": []}
    for field in fields:
        name, ftype = _get(field, "id"), _get(field, "type") or "string"
        if not name or name in properties:
            raise ValueError(f"form field id {name!r} is missing or used twice")
        if ftype == "enum" and not _get(field, "options"):
            raise ValueError(f"enum field {name!r} has no values")
        prop: dict[str, Any] = {"title": _get(field, "label") or name}
        if ftype == "enum":
            prop.update(type="string", oneOf=[{"const": _get(o, "id"), "title": _get(o, "name") or _get(o, "id")}
                                              for o in _get(field, "options") or []])
        else:   # unknown (custom) types are best shown as text
            prop.update({"long": {"type": "integer"}, "boolean": {"type": "boolean"},
                         "date": {"type": "string", "format": "date"}}.get(ftype, {"type": "string"}))
        default = _camunda_default(_get(field, "default_value"), ftype)
        if default is not None:
            prop["default"] = default
        for rule in _get(field, "validation") or []:
            rule_name, config = str(_get(rule, "name") or "").lower(), _get(rule, "config")
            if rule_name == "required":
                required.append(name)
            elif rule_name == "readonly":
                ui[name] = {"ui:readonly": True}
            elif rule_name in ("minlength", "maxlength", "min", "max"):
                keyword = {"minlength": "minLength", "maxlength": "maxLength",
                           "min": "minimum", "max": "maximum"}[rule_name]
                number = to_number(config, whole=keyword.endswith("Length") or ftype == "long")
                if number is not None and ftype != "date":   # date limits are not JSON Schema
                    prop[keyword] = number
        properties[name] = prop
        ui["ui:order"].append(name)
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"schema": schema, "ui_schema": ui}


def _get(thing: Any, key: str) -> Any:
    return thing.get(key) if isinstance(thing, dict) else getattr(thing, key, None)


def _camunda_default(value: Any, ftype: str) -> Any:
    """A Camunda defaultValue as a JSON value; None for none or for an expression."""
    if value is None or value == "" or str(value).lstrip().startswith(("${", "#{")):
        return None
    if ftype == "long":
        return to_number(value, whole=True)
    if ftype == "boolean":
        return {"true": True, "false": False}.get(str(value).strip().lower())
    if ftype == "date":   # Camunda writes dates as dd/MM/yyyy
        for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(str(value).strip(), pattern).date().isoformat()
            except ValueError:
                pass
        return None
    return str(value)
