"""How every shipped step form is laid out: first what the case holds so far
(read-only, each with a title), then the step's own fields, in their order.
A read-only field may be in the schema too (so its choices show by their
titles) or only in the UI schema's order."""
from __future__ import annotations

from app.engine.forms import read_only_fields
from app.engine.model import Form


def _own_fields(form: Form) -> list[str]:
    read_only = set(read_only_fields(form))
    return [name for name in form.schema.get("properties") or {} if name not in read_only]


def shown_fields(form: Form) -> list[str]:
    """The read-only fields the form shows before its own."""
    own = set(_own_fields(form))
    return [name for name in form.ui_schema.get("ui:order") or [] if name not in own]


def form_problems(step: str, form: Form) -> list[str]:
    own, props = _own_fields(form), form.schema.get("properties") or {}
    order, shown = form.ui_schema.get("ui:order") or [], shown_fields(form)
    problems = []
    if order != shown + own:
        problems.append(f"{step}: the form's order is not the case's fields, then its own ({order})")
    problems += [f"{step}: read-only field {name} has no title" for name in shown
                 if not ((form.ui_schema.get(name) or {}).get("ui:title") or (props.get(name) or {}).get("title"))]
    return problems


def undescribed_fields(form: Form) -> list[str]:
    """The schema's fields that lack a title or a description (every shipped form has both)."""
    return [name for name, field in (form.schema.get("properties") or {}).items()
            if not (field.get("title") and field.get("description"))]
