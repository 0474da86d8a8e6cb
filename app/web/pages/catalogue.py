"""The service catalogue: what a person can ask for. (A first page; the
catalogue proper, with categories and start forms, builds on it.)"""
from __future__ import annotations

from flask import render_template

from app.services.users import Caller

from . import bp
from .auth import login_required


@bp.route("/catalogue")
@login_required
def catalogue(caller: Caller):
    return render_template("catalogue/index.html", services=[])
