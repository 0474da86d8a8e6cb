"""Marshmallow schemas of every request and response body of the API.

The views name these classes in their decorators, which build one instance
each at import: constructing a schema costs more than dumping with it, and
the API answers many small requests.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models.instances import STATUSES
from app.services.tasks import SCOPES

MAX_INT = 2**31 - 1          # ids and versions are 32-bit columns; bigger numbers match nothing
MAX_PAGE = 1000
TASK_STATES = ("open", "completed")


class Text(fields.String):
    """A string a database can store: no NUL characters."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("invalid")
        return text


def _id_field(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_INT), **kwargs)


# --- errors -------------------------------------------------------------------------------

class ProblemSchema(Schema):
    file = fields.String()
    line = fields.Integer(allow_none=True)
    element = fields.String(allow_none=True)
    message = fields.String()


class ErrorSchema(Schema):
    error = fields.String(metadata={"description": "a stable code: not_found, invalid_data, ..."})
    message = fields.String()
    field_messages = fields.Dict(data_key="fields", keys=fields.String(),
                                 metadata={"description": "invalid_data: each field's messages"})
    problems = fields.List(fields.Nested(ProblemSchema), metadata={"description": "invalid_deployment"})
    reasons = fields.List(fields.String(), metadata={"description": "conflict of a migration: why the "
                                                                   "instance cannot move, one per problem"})


# --- definitions ----------------------------------------------------------------------------

class DeployedDefinitionSchema(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    new = fields.Boolean()


class DeploymentSchema(Schema):
    deployment_id = fields.Integer(allow_none=True, metadata={"description": "null when nothing changed"})
    definitions = fields.List(fields.Nested(DeployedDefinitionSchema))


class DefinitionSummarySchema(Schema):
    key = fields.String()
    name = fields.String()
    latest_version = fields.Integer(attribute="version")
    description = fields.String()
    category = fields.String(metadata={"description": "where the catalogue lists it"})
    startable = fields.Boolean(metadata={"description": "false when it starts on a message or timer"})


class DefinitionVersionSchema(Schema):
    version = fields.Integer()
    deployed_at = fields.DateTime()
    deployed_by = fields.String()
    hash = fields.String(attribute="content_hash")
    deployment_id = fields.Integer()


class DefinitionSchema(Schema):
    key = fields.String()
    name = fields.String()
    versions = fields.List(fields.Nested(DefinitionVersionSchema))


# --- tasks --------------------------------------------------------------------------------

class TaskSchema(Schema):
    id = fields.String()
    instance_id = fields.Integer()
    definition_key = fields.String()
    name = fields.String(attribute="bpmn_id", metadata={"description": "the task's BPMN id"})
    label = fields.String(attribute="name", metadata={"description": "the task's name in the diagram"})
    lane = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String())
    candidate_users = fields.List(fields.String())
    state = fields.String(metadata={"description": "open, completed or cancelled"})
    due_at = fields.DateTime(allow_none=True)
    priority = fields.Integer(metadata={"description": "0-100, higher is more urgent; 50 unless the diagram says"})
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)


class FormSchema(Schema):
    schema = fields.Dict(metadata={"description": "JSON Schema of the form"})
    ui_schema = fields.Dict(metadata={"description": "rjsf UI schema"})


class TaskDetailSchema(TaskSchema):
    """A task with what it takes to work on it; dumps a ``services.tasks.TaskDetail``."""

    form = fields.Nested(FormSchema, allow_none=True)
    data = fields.Dict()
    instructions = fields.String()
    documentation = fields.String()

    _OWN = frozenset(("form", "data", "instructions", "documentation"))

    def get_attribute(self, obj, attr, default):
        return super().get_attribute(obj if attr in self._OWN else obj.task, attr, default)


# --- instances ------------------------------------------------------------------------------

class DefinitionRefSchema(Schema):
    key = fields.String()
    version = fields.Integer()


class IncidentSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    element = fields.String(allow_none=True)
    message = fields.String()
    line = fields.Integer(allow_none=True)
    attempts = fields.Integer()
    created_at = fields.DateTime()


class InstanceSummarySchema(Schema):
    """Dumps a ``models.Instance``; ``definition`` comes from the columns the
    instance copies from its definition, so showing it loads no definition."""

    id = fields.Integer()
    definition = fields.Nested(DefinitionRefSchema)
    status = fields.String(metadata={"enum": list(STATUSES)})
    business_key = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    started_by = fields.String()
    updated_at = fields.DateTime()

    def get_attribute(self, obj, attr, default):
        if attr == "definition":
            return {"key": obj.definition_key, "version": obj.definition_version}
        return super().get_attribute(obj, attr, default)


class InstanceSchema(InstanceSummarySchema):
    data = fields.Dict()
    open_tasks = fields.List(fields.Nested(TaskSchema))
    incidents = fields.List(fields.Nested(IncidentSchema), attribute="open_incidents")
    completed_steps = fields.List(fields.String(), metadata={"description": "BPMN ids, in order"})


class AuditEventSchema(Schema):
    at = fields.DateTime()
    type = fields.String()
    actor = fields.String(allow_none=True)
    element = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)


# --- request bodies and query strings ----------------------------------------------------------

class StartInstanceBody(Schema):
    data = fields.Dict(load_default=None, allow_none=True, metadata={"description": "the start data"})
    business_key = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    version = _id_field(load_default=None, allow_none=True, metadata={"description": "default: the latest"})


class CompleteTaskBody(Schema):
    data = fields.Dict(load_default=None, allow_none=True, metadata={"description": "the form's fields"})


class MigrateBody(Schema):
    version = _id_field(required=True, metadata={"description": "the version of the same process to move to"})


class StatusChangeBody(Schema):
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PageQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INT))


class InstanceListQuery(PageQuery):
    definition = Text(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    business_key = Text(load_default=None)


class TaskListQuery(PageQuery):
    scope = fields.String(load_default="all", validate=validate.OneOf(SCOPES))
    instance = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_INT))
    state = fields.String(load_default="open", validate=validate.OneOf(TASK_STATES))


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok or error"})
    database = fields.String(metadata={"description": "ok or error"})


class IncidentListQuery(PageQuery):
    pass


class MessageBody(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=200),
                metadata={"description": "the message's name, as the diagram's bpmn:message names it"})
    correlation = fields.Dict(keys=Text(), load_default=None, allow_none=True,
                              metadata={"description": "the diagram's correlation properties by id, and their values"})
    data = fields.Dict(load_default=None, allow_none=True, metadata={"description": "the message's data"})
    message_id = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200),
                      metadata={"description": "a message id seen before is not applied again"})


class MessageDeliverySchema(Schema):
    delivered_to = fields.List(fields.Integer(), metadata={"description": "instances the message was delivered to"})
    started = fields.List(fields.Integer(), metadata={"description": "instances it started"})
    duplicate = fields.Boolean(metadata={"description": "true when the message id was seen before: "
                                                       "the first answer, nothing applied now"})
