"""Reference data: the store hook's collections (the asset register, its
chain of custody, the licence pool, people and their access) as read-only
pages for process owners, admins and auditors. ``/records/<collection>``
takes ``?field=&value=`` to show the records whose field equals the value."""
from __future__ import annotations

from flask import render_template, request

from app.services import reference_data
from app.services.errors import InvalidData
from app.services.users import Caller

from . import bp
from .auth import login_required

FILTER_LIMIT = 200


@bp.route("/records")
@login_required
def records(caller: Caller):
    return render_template("records/index.html", collections=reference_data.overview(caller))


@bp.route("/records/<collection>")
@login_required
def record_collection(collection: str, caller: Caller):
    field = request.args.get("field", "")[:FILTER_LIMIT]
    value = request.args.get("value", "")[:FILTER_LIMIT]
    try:
        found = reference_data.table(caller, collection, field, value)
    except InvalidData as refused:
        return render_template("records/collection.html", collection=collection, table=None, field=field,
                               value=value, error=" ".join(refused.fields.get("field", []))), 422
    return render_template("records/collection.html", collection=collection, table=found, field=found.field,
                           value=found.value, error=None)


@bp.route("/records/<collection>/<path:key>")
@login_required
def record(collection: str, key: str, caller: Caller):
    found = reference_data.record(caller, collection, key)
    return render_template("records/record.html", record=found, fields=reference_data.fields_of(found.value))
