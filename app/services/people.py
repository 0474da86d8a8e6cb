"""How people are called on pages: display names for user names."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from app.models import User, db


def display_names(usernames: Iterable[str | None]) -> dict[str, str]:
    """{username: display name} for the given names, one query; a user without
    a display name, or no longer known, keeps their user name."""
    wanted = {name for name in usernames if name}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.username, User.display_name).where(User.username.in_(wanted)))
    found = {row.username: row.display_name for row in rows if row.display_name}
    return {name: found.get(name, name) for name in wanted}
