"""What people submit on a form, checked: the form's own rules (dates not in
the past by the injected clock), then the people it names (fields of format
"user") against Baton's active users, so a mistyped name is refused on the
form instead of handing a step to nobody."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.engine.forms import user_fields, validate_submission
from app.engine.model import Form
from app.models import User, db

from .context import now


def check_answers(form: Form, data: Any) -> dict[str, list[str]]:
    """{} when ``data`` is a fit answer to ``form``, else {field: [messages]}."""
    errors = validate_submission(form, data, now=now())
    if not isinstance(data, dict):
        return errors
    named = {name: _names(data.get(name), is_list) for name, is_list in user_fields(form).items()
             if name not in errors}
    wanted = {n for names in named.values() for n in names}
    if not wanted:
        return errors
    known = set(db.session.scalars(sa.select(User.username).where(User.username.in_(wanted), User.active)))
    for name, names in named.items():
        if unknown := [n for n in names if n not in known]:
            errors[name] = [f"No one called {', '.join(map(repr, unknown))} can sign in to Baton: "
                            "check the user name."]
    return errors


def _names(value: Any, is_list: bool) -> list[str]:
    values = value if is_list and isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and v]
