"""GET /health: is the service up and its database reachable (no token needed)."""
from __future__ import annotations

from app.services import health

from .blueprints import ApiBlueprint
from .schemas import HealthSchema

blp = ApiBlueprint("meta", __name__, description="About the service", public=True)


@blp.route("/health")
@blp.doc(security=[])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="The database does not answer")
def health_check():
    """For load balancers and monitors: 200 when the database answers, else 503."""
    if health.database_ok():
        return {"status": "ok", "database": "ok"}
    return {"status": "error", "database": "error"}, 503
