"""What every use case needs from the running app: the clock and settings."""
from __future__ import annotations

from datetime import datetime

from flask import current_app


def now() -> datetime:
    return current_app.config["BATON_CLOCK"].now()


def setting(name: str, default=None):
    return current_app.config.get(name, default)
