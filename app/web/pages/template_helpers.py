"""Small things templates need: dates as people read them, links to pages
that may not exist yet, and whether to offer the deploy and modeller links.

Registered on the ``pages`` blueprint for the whole app, so any template can
use ``{{ when | datetime }}`` and ``{% set url = url_if_exists("pages.inbox") %}``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, url_for
from werkzeug.routing import BuildError

from app.services import permissions

from . import bp


@bp.app_template_global()
def may_deploy(caller) -> bool:
    """Offer deploying and the modeller? (The pages refuse anyone else anyway.)"""
    return caller is not None and permissions.may_deploy(caller)


@bp.app_template_global()
def url_if_exists(endpoint: str, **values) -> str | None:
    """The page's URL, or None while nobody has written that page (the areas are
    built one by one; a link to a page that isn't there yet is left out)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_template_filter("datetime")
def format_datetime(value: datetime | None) -> str:
    """"5 Jan 2026, 09:00 UTC". Times are stored in UTC and shown in UTC, so
    everybody on a case reads the same clock."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


@bp.app_template_filter("iso")
def format_iso(value: datetime | None) -> str:
    """For ``<time datetime="...">``."""
    return value.isoformat() if value is not None else ""
