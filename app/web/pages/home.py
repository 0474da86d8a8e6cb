"""The front door: the service catalogue is where people start."""
from __future__ import annotations

from flask import redirect, url_for

from . import bp


@bp.route("/")
def home():
    return redirect(url_for("pages.catalogue"))
