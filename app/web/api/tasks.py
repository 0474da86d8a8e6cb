"""Human tasks: the inbox, one task with its form, claim, unclaim, complete."""
from __future__ import annotations

from app.services import tasks

from .auth import current_user
from .blueprints import ApiBlueprint
from .schemas import CompleteTaskBody, InstanceSchema, TaskDetailSchema, TaskListQuery, TaskSchema

blp = ApiBlueprint("tasks", __name__, description="Human tasks")


@blp.route("/tasks")
@blp.arguments(TaskListQuery, location="query")
@blp.response(200, TaskSchema(many=True))
@blp.errors(401, 422)
def list_tasks(query: dict):
    """Tasks the caller may see: ``mine`` (assigned to them), ``candidate`` (they may claim), ``all``."""
    return tasks.list_tasks(current_user(), scope=query["scope"], instance_id=query["instance"],
                            state=query["state"], limit=query["limit"], offset=query["offset"])


@blp.route("/tasks/<task_id>")
@blp.response(200, TaskDetailSchema)
@blp.errors(401, 403, 404)
def get_task(task_id: str):
    """A task with its form (JSON Schema and UI schema, or null), its data and instructions."""
    return tasks.get_task(task_id, current_user())


@blp.route("/tasks/<task_id>/claim", methods=["POST"])
@blp.response(200, TaskSchema)
@blp.errors(401, 403, 404, 409)
def claim(task_id: str):
    """Take the task; 409 when someone else holds it."""
    return tasks.claim(task_id, current_user())


@blp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskSchema)
@blp.errors(401, 403, 404, 409)
def unclaim(task_id: str):
    """Give the task back to its candidates."""
    return tasks.unclaim(task_id, current_user())


@blp.route("/tasks/<task_id>/complete", methods=["POST"])
@blp.arguments(CompleteTaskBody, required=False)
@blp.response(200, InstanceSchema)
@blp.errors(400, 401, 403, 404, 409, 422)
def complete(body: dict, task_id: str):
    """Complete the task with the form's data; answers the instance after the step.

    422 ``invalid_data`` with each field's messages when the form refuses the
    data; then nothing has changed.
    """
    return tasks.complete(task_id, body["data"], current_user())
