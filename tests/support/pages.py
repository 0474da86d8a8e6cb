"""Helpers for tests of the HTML pages through Flask's test client."""
from __future__ import annotations

import re

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str | bytes) -> str:
    """The CSRF token of the first form on a page."""
    if isinstance(html, bytes):
        html = html.decode()
    match = _CSRF_FIELD.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(client, username: str, password: str, next_url: str | None = None):
    """Signs in through the sign-in form, as a person does; returns the POST's response."""
    token = csrf_token(client.get("/login").data)
    data = {"username": username, "password": password, "csrf_token": token}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def post_form(client, page_path: str, action: str | None = None, data: dict | None = None, **kwargs):
    """Opens a page, takes its CSRF token and posts ``data`` to ``action`` (default: the page)."""
    token = csrf_token(client.get(page_path).data)
    return client.post(action or page_path, data={**(data or {}), "csrf_token": token}, **kwargs)
