"""People: creating users, issuing API tokens, and recognising callers."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from app.database import write_transaction
from app.models import ApiToken, Group, User, db, user_groups
from app.models.users import ROLES

from .context import extension, now, setting
from .recent_tokens import RecentTokens
from .errors import InvalidData, Unauthorized

TOKEN_PREFIX = "bt_"


def _hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; a slow one would
    # cost every API request.
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(username: str, *, groups: list[str] | None = None, role: str | None = None,
             password: str | None = None, display_name: str | None = None,
             email: str | None = None) -> tuple[User, str]:
    """Create or update a user; returns the user and a new API token."""
    username = (username or "").strip()
    problems = {}
    if not username or len(username) > 100 or not all(c.isalnum() or c in "._-@" for c in username):
        problems["username"] = ["Use 1-100 letters, digits, '.', '_', '-' or '@'."]
    if role is not None and role not in ROLES:
        problems["role"] = [f"Must be one of: {', '.join(ROLES)}."]
    bad_groups = [g for g in groups or [] if not g.strip() or len(g) > 100]
    if bad_groups:
        problems["group"] = ["Group names must be 1-100 characters."]
    if problems:
        raise InvalidData(problems)
    with write_transaction() as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=display_name or username, role=role or "user",
                        created_at=now())
            session.add(user)
        elif role is not None:
            user.role = role
        if display_name is not None:
            user.display_name = display_name
        if email is not None:
            user.email = email
        if password is not None:
            user.password_hash = generate_password_hash(password)
        if groups is not None:
            user.groups = [_group(session, g.strip()) for g in dict.fromkeys(groups)]
        token = _new_token(session, user)
    forget_tokens()
    return user, token


def _group(session, name: str) -> Group:
    group = session.scalar(sa.select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name)
        session.add(group)
    return group


def _new_token(session, user: User) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_hash_token(token), created_at=now()))
    return token


def issue_token(username: str) -> str:
    with write_transaction() as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            raise InvalidData({"username": [f"No user named '{username}'."]})
        return _new_token(session, user)


@dataclass(frozen=True)
class Caller:
    """Who is making a request: what every permission check needs, and no more.

    Services take a ``Caller`` or a ``User`` alike (both have ``username``,
    ``role`` and ``group_names``).
    """

    id: int
    username: str
    role: str
    display_name: str
    group_names: tuple[str, ...]


# Every API request runs this, so it is built once, of tables rather than ORM
# attributes, and run on the session's connection: a Core statement skips the
# ORM's execution layer, which costs more than the query itself.
_u, _t, _g = User.__table__.c, ApiToken.__table__.c, Group.__table__.c
_TOKEN_LOOKUP = (
    sa.select(_u.id, _u.username, _u.role, _u.display_name, _u.active, _t.revoked, _t.expires_at, _g.name)
    .select_from(User.__table__)
    .join(ApiToken.__table__, _t.user_id == _u.id)
    .outerjoin(user_groups, user_groups.c.user_id == _u.id)
    .outerjoin(Group.__table__, _g.id == user_groups.c.group_id)
    .where(_t.token_hash == sa.bindparam("token_hash"))
)


def user_for_token(token: str | None) -> Caller:
    """The active user a bearer token belongs to, or Unauthorized."""
    if not token:
        raise Unauthorized("An API token is required: send 'Authorization: Bearer TOKEN'.")
    token_hash = _hash_token(token)
    at = now()
    known = _known_tokens().get(token_hash, at)
    if known is None:
        known = _look_up_token(token_hash)
        _known_tokens().put(token_hash, known, at)
    caller, expires_at = known
    if expires_at is not None and expires_at <= at:
        raise Unauthorized("The API token has expired.")
    return caller


def _look_up_token(token_hash: str) -> tuple[Caller, datetime | None]:
    # One query for the token, its user and the user's groups.
    rows = db.session.connection().execute(_TOKEN_LOOKUP, {"token_hash": token_hash}).all()
    if not rows or rows[0].revoked or not rows[0].active:
        raise Unauthorized("The API token is not valid.")
    first = rows[0]
    caller = Caller(id=first.id, username=first.username, role=first.role, display_name=first.display_name,
                    group_names=tuple(sorted(r.name for r in rows if r.name is not None)))
    return caller, first.expires_at


def _known_tokens() -> RecentTokens:
    return extension("baton.recent_tokens", lambda: RecentTokens(setting("BATON_TOKEN_CACHE_SECONDS", 10)))


def forget_tokens() -> None:
    """After changing users, groups or tokens: this process sees it at once
    (other processes within BATON_TOKEN_CACHE_SECONDS)."""
    _known_tokens().clear()


# Checked against when the user does not exist, so a wrong name takes as long
# as a wrong password and response times do not reveal which names exist.
_DUMMY_HASH = generate_password_hash("no such user")


def user_for_password(username: str, password: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    matches = check_password_hash(stored, password or "")
    if user is None or not user.active or not user.password_hash or not matches:
        raise Unauthorized("Wrong user name or password.")
    return user


def get_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


# Every page request of a signed-in person runs this, so it is built like the
# token lookup above: one Core statement for the user and their groups.
_USER_LOOKUP = (
    sa.select(_u.id, _u.username, _u.role, _u.display_name, _u.active, _g.name)
    .select_from(User.__table__)
    .outerjoin(user_groups, user_groups.c.user_id == _u.id)
    .outerjoin(Group.__table__, _g.id == user_groups.c.group_id)
    .where(_u.id == sa.bindparam("user_id"))
)


def caller_for_user_id(user_id: int | None) -> Caller | None:
    """The active user behind a browser session, or None when they are gone or inactive."""
    if not isinstance(user_id, int):
        return None
    rows = db.session.connection().execute(_USER_LOOKUP, {"user_id": user_id}).all()
    if not rows or not rows[0].active:
        return None
    first = rows[0]
    return Caller(id=first.id, username=first.username, role=first.role, display_name=first.display_name,
                  group_names=tuple(sorted(r.name for r in rows if r.name is not None)))
