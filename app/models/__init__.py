"""SQLAlchemy tables. One module per domain; this package re-exports them so
Alembic and services see one import."""
from .base import db
from .users import ApiToken, Group, User, user_groups
from .definitions import Deployment, DefinitionVersion
from .instances import Instance
from .tasks import HumanTask, TaskCandidate
from .audit import AuditEvent
from .incidents import Incident
from .jobs import Job
from .records import Record
from .outbox import OutboxMessage
from .messages import MessageReceipt, MessageWait
from .bulk_actions import BulkAction

__all__ = [
    "db", "ApiToken", "Group", "User", "user_groups", "Deployment", "DefinitionVersion",
    "Instance", "HumanTask", "TaskCandidate", "AuditEvent", "Incident", "Job",
    "OutboxMessage", "MessageReceipt", "MessageWait",
    "Record", "BulkAction",
]
