"""How people are called on pages: display names for user names."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from app.models import Group, User, db

# The names a case keeps as its starter when no person started it
# (services/messages.py, services/schedules.py), and how pages say them.
MESSAGE_STARTER, SCHEDULE_STARTER = "system", "scheduler"
BATON_STARTERS = {MESSAGE_STARTER: "Baton, on a message", SCHEDULE_STARTER: "Baton, on its schedule"}
MAX_SUGGESTED = 500   # a datalist longer than this helps nobody; the name is still checked


def display_names(usernames: Iterable[str | None]) -> dict[str, str]:
    """{username: display name} for the given names, one query; a user without
    a display name, or no longer known, keeps their user name."""
    wanted = {name for name in usernames if name}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.username, User.display_name).where(User.username.in_(wanted)))
    found = {row.username: row.display_name for row in rows if row.display_name}
    return {name: found.get(name, BATON_STARTERS.get(name, name)) for name in wanted}


def who_may_be_named(group: str | None = None) -> list[tuple[str, str]]:
    """(username, display name) of the active users, or of the members of
    ``group``, to suggest in a field that names a person; by user name."""
    query = sa.select(User.username, User.display_name).where(User.active)
    if group:
        query = query.where(User.groups.any(Group.name == group))
    rows = db.session.execute(query.order_by(User.username).limit(MAX_SUGGESTED))
    return [(row.username, row.display_name or row.username) for row in rows]
