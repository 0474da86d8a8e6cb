"""What every page's layout needs: the navigation and the signed-in person.

A navigation entry appears once its endpoint exists (the inbox, say, shows up
when its view is registered) and when the person's role allows it. A page
marks its entry as current by endpoint, or by setting ``active_nav`` in its
template: ``{% set active_nav = "inbox" %}`` after ``{% extends "base.html" %}``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from flask import Flask, current_app, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.services import outbox

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
    NavItem("messages", "Messages", "pages.messages"),
    NavItem("processes", "Processes", "pages.processes", roles=("admin", "owner", "auditor")),
    NavItem("instances", "Instances", "pages.instances", roles=("admin", "auditor")),
    NavItem("records", "Reference data", "pages.records", roles=("admin", "owner", "auditor")),
    NavItem("admin", "Admin", "pages.admin", roles=("admin", "owner", "auditor")),
)


def _layout_context() -> dict:
    caller = known_caller()
    current = next((item.key for item in NAV if item.endpoint == request.endpoint), None)
    return {
        "caller": caller,
        "nav_items": _with_unread_count([item for item in NAV if item.visible_to(caller)], caller),
        "current_nav": current,
    }


def _with_unread_count(items: list[NavItem], caller) -> list[NavItem]:
    """"Messages (2 new)" while the person has unread messages: one COUNT, and
    only where a top bar is drawn (an htmx fragment, such as the inbox's
    refresh, has none)."""
    if not any(item.key == "messages" for item in items) or request.headers.get("HX-Request"):
        return items
    try:
        unread = outbox.unread_count(caller)
    except Exception:  # noqa: BLE001 - an error page must render whatever the database does
        current_app.logger.exception("could not count the unread messages for the top bar")
        return items
    if not unread:
        return items
    return [replace(item, label=f"{item.label} ({unread} new)") if item.key == "messages" else item
            for item in items]


def csrf_field() -> Markup:
    """The hidden CSRF field every form that posts carries: ``{{ csrf_field() }}``."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()


def init_layout(app: Flask) -> None:
    app.context_processor(_layout_context)
    app.jinja_env.globals["csrf_field"] = csrf_field
