"""What every page's layout needs: the navigation and the signed-in person.

A navigation entry appears once its endpoint exists (the inbox, say, shows up
when its view is registered) and when the person's role allows it. A page
marks its entry as current by endpoint, or by setting ``active_nav`` in its
template: ``{% set active_nav = "inbox" %}`` after ``{% extends "base.html" %}``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .auth import known_caller


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    endpoint: str
    roles: tuple[str, ...] = ()  # empty: everybody signed in

    def visible_to(self, caller) -> bool:
        return caller is not None and (not self.roles or caller.role in self.roles) \
            and self.endpoint in current_app.view_functions


NAV = (
    NavItem("catalogue", "Catalogue", "pages.catalogue"),
    NavItem("inbox", "Inbox", "pages.inbox"),
    NavItem("requests", "My requests", "pages.my_requests"),
    NavItem("admin", "Admin", "pages.admin", roles=("admin", "owner", "auditor")),
)


def _layout_context() -> dict:
    caller = known_caller()
    current = next((item.key for item in NAV if item.endpoint == request.endpoint), None)
    return {
        "caller": caller,
        "nav_items": [item for item in NAV if item.visible_to(caller)],
        "current_nav": current,
    }


def csrf_field() -> Markup:
    """The hidden CSRF field every form that posts carries: ``{{ csrf_field() }}``."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()


def init_layout(app: Flask) -> None:
    app.context_processor(_layout_context)
    app.jinja_env.globals["csrf_field"] = csrf_field
