"""Process instances: start, read, list, history, and the life-cycle actions."""
from __future__ import annotations

from app.services import instances, migrations

from .auth import current_user
from .blueprints import ApiBlueprint
from .schemas import (AuditEventSchema, InstanceListQuery, InstanceSchema, InstanceSummarySchema, MigrateBody,
                      StartInstanceBody, StatusChangeBody)

blp = ApiBlueprint("instances", __name__, description="Process instances")

INSTANCE = "<int(min=1, max=2147483647):instance_id>"


@blp.route("/definitions/<key>/instances", methods=["POST"])
@blp.arguments(StartInstanceBody, required=False)
@blp.response(201, InstanceSchema)
@blp.errors(400, 401, 403, 404, 422)
def start(body: dict, key: str):
    """Start an instance of the latest version, or of ``version``; it runs until it first waits."""
    return instances.start_instance(key, current_user(), data=body["data"],
                                    business_key=body["business_key"], version=body["version"])


@blp.route("/instances")
@blp.arguments(InstanceListQuery, location="query")
@blp.response(200, InstanceSummarySchema(many=True))
@blp.errors(401, 422)
def list_instances(query: dict):
    """The instances the caller may see, newest first."""
    return instances.list_instances(current_user(), **query)


@blp.route(f"/instances/{INSTANCE}")
@blp.response(200, InstanceSchema)
@blp.errors(401, 403, 404)
def get_instance(instance_id: int):
    """One instance with its open tasks, open incidents and the steps it has completed."""
    return instances.get_instance(instance_id, current_user())


@blp.route(f"/instances/{INSTANCE}/history")
@blp.response(200, AuditEventSchema(many=True))
@blp.errors(401, 403, 404)
def history(instance_id: int):
    """The instance's audit events, oldest first."""
    return instances.history(instance_id, current_user())


@blp.route(f"/instances/{INSTANCE}/suspend", methods=["POST"])
@blp.arguments(StatusChangeBody, required=False)
@blp.response(200, InstanceSchema)
@blp.errors(400, 401, 403, 404, 409, 422)
def suspend(body: dict, instance_id: int):
    """Suspend a running or failed instance: no task can be worked on until it resumes."""
    return instances.change_status(instance_id, "suspend", current_user(), reason=body["reason"])


@blp.route(f"/instances/{INSTANCE}/resume", methods=["POST"])
@blp.arguments(StatusChangeBody, required=False)
@blp.response(200, InstanceSchema)
@blp.errors(400, 401, 403, 404, 409, 422)
def resume(body: dict, instance_id: int):
    """Resume a suspended instance."""
    return instances.change_status(instance_id, "resume", current_user(), reason=body["reason"])


@blp.route(f"/instances/{INSTANCE}/terminate", methods=["POST"])
@blp.arguments(StatusChangeBody, required=False)
@blp.response(200, InstanceSchema)
@blp.errors(400, 401, 403, 404, 409, 422)
def terminate(body: dict, instance_id: int):
    """End an unfinished instance for good; its open tasks are cancelled."""
    return instances.change_status(instance_id, "terminate", current_user(), reason=body["reason"])


@blp.route(f"/instances/{INSTANCE}/migrate", methods=["POST"])
@blp.arguments(MigrateBody)
@blp.response(200, InstanceSchema)
@blp.errors(400, 401, 403, 404, 409, 422)
def migrate(body: dict, instance_id: int):
    """Move a running, suspended or failed instance to another version of its process (admins).

    Every step it is at must exist in that version; if not, 409 with
    ``reasons``, one sentence per step that stands in the way."""
    return migrations.migrate(instance_id, body["version"], current_user())
