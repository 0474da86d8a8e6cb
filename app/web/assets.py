"""Static files as templates load them: ``{{ vendor("htmx.min.js") }}`` for the
front-end files from npm, ``{{ asset("css/baton.css") }}`` for Baton's own.

``scripts/assets`` copies them into the git-ignored ``app/static/vendor/``. A
name that is not there fails loudly in tests and in debug mode (so a page
that loads a file the script does not copy is caught at once), and is
logged in production, where a page without its diagram beats no page.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, url_for

VENDOR_FOLDER = "vendor"


class MissingAsset(RuntimeError):
    pass


def vendor_dir(app: Flask | None = None) -> Path:
    return Path((app or current_app).static_folder) / VENDOR_FOLDER


def vendor(name: str) -> str:
    """The URL of a vendor file, e.g. ``bpmn-js/bpmn-viewer.production.min.js``."""
    app = current_app
    path = vendor_dir(app) / name
    if not path.is_file():
        message = (f"front-end file '{name}' is missing from {vendor_dir(app)}: run scripts/assets "
                   "(and add the file to its copy list if it is new)")
        if app.testing or app.debug or app.config.get("BATON_STRICT_ASSETS"):
            raise MissingAsset(message)
        app.logger.error(message)
    # The modification time busts browser caches when scripts/assets copies a new version.
    version = int(path.stat().st_mtime) if path.is_file() else 0
    return url_for("static", filename=f"{VENDOR_FOLDER}/{name}", v=version)


def asset(name: str) -> str:
    """The URL of one of Baton's own static files, e.g. ``css/baton.css``."""
    path = Path(current_app.static_folder) / name
    version = int(path.stat().st_mtime) if path.is_file() else 0
    return url_for("static", filename=name, v=version)


def init_assets(app: Flask) -> None:
    app.jinja_env.globals.update(vendor=vendor, asset=asset)
