"""The application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import database
from .clock import SystemClock
from .config import default_instance_path, settings_from_env


def create_app(config: dict | None = None) -> Flask:
    instance_path = Path((config or {}).get("INSTANCE_PATH") or default_instance_path())
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    app.config.update(settings_from_env(instance_path))
    app.config["BATON_CLOCK"] = SystemClock()
    app.config.update(config or {})
    instance_path.mkdir(parents=True, exist_ok=True)

    database.init_app(app)

    from .web import init_app as init_web

    init_web(app)
    return app
