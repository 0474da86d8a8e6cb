"""What every use case needs from the running app: the clock and settings."""
from __future__ import annotations

from datetime import datetime

from flask import current_app


def now() -> datetime:
    return current_app.config["BATON_CLOCK"].now()


def setting(name: str, default=None):
    return current_app.config.get(name, default)


def extension(name: str, create):
    """A per-app object the services keep between requests (made on first use)."""
    found = current_app.extensions.get(name)
    if found is None:
        found = current_app.extensions.setdefault(name, create())
    return found
