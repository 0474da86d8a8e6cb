"""The web layer: the JSON API under ``/api/v1`` (and, later, the HTML pages).

Views here only parse input, call one service function and render its result;
everything that decides anything lives in ``app.services``.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .api import init_api

    init_api(app)
