"""Appending to the audit trail.

Events are collected while a use case runs and written in one multi-row
INSERT just before its transaction commits: a step can produce a dozen
events, and one statement costs far less than twelve. They still commit or
roll back with everything else.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import AuditEvent, Instance

_PENDING = "baton.audit.pending"
_INSERT = AuditEvent.__table__.insert()   # built once: a new statement would need a new cache key


def record(session: Session, instance: Instance, type_: str, at: datetime, actor: str | None,
           element: str | None = None, data: dict | None = None) -> None:
    """Queue an event; ``instance`` may still be unsaved (its id is read at commit)."""
    session.info.setdefault(_PENDING, []).append((instance, type_, at, actor, element, data))


@sa.event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()   # the rows the events refer to go first
    # A Core executemany: one statement for all rows (the ORM's bulk insert
    # would split the rows by which values are None).
    session.connection().execute(_INSERT, [
        {"instance_id": instance.id, "at": at, "type": type_, "actor": actor, "element": element, "data": data}
        for instance, type_, at, actor, element, data in pending])


@sa.event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
