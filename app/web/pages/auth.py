"""Signing in and out, and who the person behind a page request is.

The session cookie (signed by Flask, HttpOnly, SameSite=Lax) holds only the
user's id. Each request turns it into a ``Caller`` with one query, so a user
who is deactivated or deleted is signed out at their next click.
"""
from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from app.services import users
from app.services.errors import Unauthorized
from app.services.users import Caller

from . import bp

SESSION_KEY = "user_id"
# Where a request keeps its caller once looked up. Not ``g``: the app context
# (and so ``g``) outlives a request whenever one is already pushed, as in tests.
_CALLER = "baton.caller"


def current_caller() -> Caller | None:
    """The signed-in person, looked up once per request; None when nobody is."""
    if _CALLER not in request.environ:
        user_id = session.get(SESSION_KEY)
        caller = users.caller_for_user_id(user_id) if user_id is not None else None
        if user_id is not None and caller is None:
            session.clear()  # the user was deleted or deactivated since signing in
        request.environ[_CALLER] = caller
    return request.environ[_CALLER]


def known_caller() -> Caller | None:
    """The caller if this request has looked them up already; never queries."""
    return request.environ.get(_CALLER)


def _start_session(user_id: int | None) -> None:
    # A fresh session (and so a fresh CSRF token) at every sign-in and sign-out:
    # whatever the cookie held before, a planted one included, is gone.
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request copy of the old session's token
    request.environ.pop(_CALLER, None)
    if user_id is not None:
        session[SESSION_KEY] = user_id


def login_required(view):
    """Views get the signed-in person as the keyword argument ``caller``;
    anybody else goes to the sign-in page and comes back afterwards."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        caller = current_caller()
        if caller is None:
            return redirect_to_login()
        return view(*args, caller=caller, **kwargs)

    return wrapped


def redirect_to_login() -> ResponseReturnValue:
    here = request.full_path if request.query_string else request.path
    target = url_for("pages.login", next=here)
    if request.headers.get("HX-Request"):
        # htmx follows a redirect inside its request and would swap the sign-in
        # page into a fragment; this header makes it load the page instead.
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil.example"
    # would leave the site.
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7f for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _landing(target: str | None) -> str:
    return safe_next(target) or url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next", "")
    if request.method == "GET":
        if current_caller() is not None:
            return redirect(_landing(next_url))
        return render_template("auth/login.html", next_url=safe_next(next_url) or "", username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    try:
        user = users.user_for_password(username, password)
    except Unauthorized:
        # One message whether the name or the password is wrong: a stranger
        # must not learn which user names exist.
        return render_template("auth/login.html", next_url=safe_next(next_url) or "", username=username,
                               error="Wrong user name or password."), 422
    _start_session(user.id)
    return redirect(_landing(next_url))


@bp.route("/logout", methods=["POST"])
def logout():
    _start_session(None)
    # The message travels in the new, otherwise empty session.
    flash("You have signed out.", "info")
    return redirect(url_for("pages.login"))
