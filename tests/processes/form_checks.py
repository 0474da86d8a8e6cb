"""How every shipped step form is laid out: first what the case holds so far
(read-only, each with a title), then the step's own fields, in their order."""
from __future__ import annotations

from app.engine.model import Form


def shown_fields(form: Form) -> list[str]:
    """The read-only fields the form shows before its own."""
    own = form.schema.get("properties") or {}
    return [name for name in form.ui_schema.get("ui:order") or [] if name not in own]


def form_problems(step: str, form: Form) -> list[str]:
    own = list(form.schema.get("properties") or {})
    order, shown = form.ui_schema.get("ui:order") or [], shown_fields(form)
    problems = []
    if order != shown + own:
        problems.append(f"{step}: the form's order is not the case's fields, then its own ({order})")
    problems += [f"{step}: read-only field {name} has no title" for name in shown
                 if not (form.ui_schema.get(name) or {}).get("ui:title")]
    return problems
