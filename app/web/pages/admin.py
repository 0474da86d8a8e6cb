"""The admin page: open incidents (failed steps) and retrying them.

Admins retry; auditors read; everyone else reaches it only for the incidents
of the cases they started (services.incidents decides what each may see).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from app.services import incidents, permissions
from app.services.errors import Conflict
from app.services.users import Caller

from . import bp
from .auth import login_required


@bp.route("/admin")
@login_required
def admin(caller: Caller):
    return render_template("admin/index.html", incidents=incidents.open_incidents(caller, limit=500),
                           may_retry=permissions.is_admin(caller))


@bp.route("/admin/incidents/<int(max=2147483647):incident_id>/retry", methods=["POST"])
@login_required
def retry_incident(incident_id: int, caller: Caller):
    try:
        instance = incidents.retry(incident_id, caller)    # Forbidden, NotFound: the error pages
    except Conflict as conflict:
        flash(conflict.message, "warning")
    else:
        if instance.status == "failed":
            flash(f"Case {instance.id} failed again at the same step; see its new incident.", "warning")
        else:
            flash(f"Case {instance.id} runs again.", "success")
    return redirect(url_for("pages.admin"), code=303)
