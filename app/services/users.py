"""People: creating users, issuing API tokens, and recognising callers."""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.database import write_transaction
from app.models import ApiToken, Group, User, db
from app.models.users import ROLES

from .context import now
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


def user_for_token(token: str | None) -> User:
    """The active user a bearer token belongs to, or Unauthorized."""
    if not token:
        raise Unauthorized("An API token is required: send 'Authorization: Bearer TOKEN'.")
    # One round trip: the token, its user and the user's groups (every permission check needs them).
    query = (sa.select(ApiToken).where(ApiToken.token_hash == _hash_token(token))
             .options(joinedload(ApiToken.user).joinedload(User.groups)))
    row = db.session.execute(query).unique().scalar_one_or_none()
    if row is None or row.revoked or not row.user.active:
        raise Unauthorized("The API token is not valid.")
    if row.expires_at is not None and row.expires_at <= now():
        raise Unauthorized("The API token has expired.")
    return row.user


def user_for_password(username: str, password: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.active or not user.password_hash \
            or not check_password_hash(user.password_hash, password or ""):
        raise Unauthorized("Wrong user name or password.")
    return user


def get_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))
