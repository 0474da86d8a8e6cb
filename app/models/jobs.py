"""Jobs: work the worker does later, outside any person's request.

A job is written in the same transaction as the state that needs it (a service
task that became ready), so a job exists exactly when the instance waits for
it. Workers claim due jobs with a lease (``locked_by``/``locked_until``); a
worker that dies loses its lease and the job is claimed again.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class Job(db.Model):
    __tablename__ = "job"
    # The worker's question: what is due and not leased, oldest first.
    __table_args__ = (sa.Index("ix_job_due", "due_at", "locked_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))          # "service", "timer", "message", "start" or "bulk"
    # The instance it works on ("start": none yet; "message": the one that sent it).
    instance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    # For "start" jobs (timer start events): the version whose instances it starts.
    definition_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("definition_version.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36))        # the waiting task in the workflow
    element: Mapped[str] = mapped_column(sa.String(200))       # its BPMN id
    hook: Mapped[str] = mapped_column(sa.String(200))
    params: Mapped[dict]
    result_variable: Mapped[str] = mapped_column(sa.String(200))
    attempts: Mapped[int] = mapped_column(default=0)           # made so far
    max_attempts: Mapped[int]
    due_at: Mapped[datetime]
    locked_by: Mapped[str | None] = mapped_column(sa.String(200))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
