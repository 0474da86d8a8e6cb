"""Incidents: failed steps waiting for an admin, and retrying them."""
from __future__ import annotations

from app.services import incidents

from .auth import current_user
from .blueprints import ApiBlueprint
from .schemas import IncidentListQuery, IncidentSchema, InstanceSchema

blp = ApiBlueprint("incidents", __name__, description="Failed steps and their retry")


@blp.route("/incidents")
@blp.arguments(IncidentListQuery, location="query")
@blp.response(200, IncidentSchema(many=True))
@blp.errors(401, 422)
def list_incidents(query: dict):
    """Open incidents, oldest first (admins and auditors: all; others: of the instances they started)."""
    return incidents.open_incidents(current_user(), **query)


@blp.route("/incidents/<int(min=1, max=2147483647):incident_id>/retry", methods=["POST"])
@blp.response(200, InstanceSchema)
@blp.errors(401, 403, 404, 409)
def retry(incident_id: int):
    """Run the failed step again (admins); answers the instance as it is afterwards."""
    return incidents.retry(incident_id, current_user())
