"""The web layer: the JSON API under ``/api/v1`` and the HTML pages.

Views here only parse input, call one service function and render its result;
everything that decides anything lives in ``app.services``.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .api import init_api
    from .assets import init_assets
    from .pages import init_pages
    from .security import init_security

    init_api(app)
    init_security(app)
    init_assets(app)
    # After the API: the pages' error handler replaces the API's and hands it /api paths.
    init_pages(app)
