"""Bearer-token authentication: every API blueprint except the public ones runs
``authenticate`` before its views, which then find the caller in ``g.user``."""
from __future__ import annotations

from flask import g, request

from app.services import users
from app.services.users import Caller


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def authenticate() -> None:
    """Before each protected request: the caller, or Unauthorized (401)."""
    g.user = users.user_for_token(bearer_token())


def current_user() -> Caller:
    return g.user
