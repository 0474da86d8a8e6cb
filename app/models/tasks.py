"""The human-task index: open and completed user tasks, kept beside the state in
the same transaction, so the inbox never deserializes a workflow."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db


class HumanTask(db.Model):
    __tablename__ = "human_task"
    __table_args__ = (
        sa.Index("ix_human_task_assignee_state", "assignee", "state", "created_at"),
        sa.Index("ix_human_task_instance_state", "instance_id", "state"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)   # SpiffWorkflow's task id
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("instance.id", ondelete="CASCADE"))
    definition_key: Mapped[str] = mapped_column(sa.String(200))
    bpmn_id: Mapped[str] = mapped_column(sa.String(200))
    name: Mapped[str] = mapped_column(sa.String(300))
    lane: Mapped[str | None] = mapped_column(sa.String(200))
    assignee: Mapped[str | None] = mapped_column(sa.String(100))
    candidate_groups: Mapped[list]
    candidate_users: Mapped[list]
    state: Mapped[str] = mapped_column(sa.String(20), default="open")   # open | completed | cancelled
    priority: Mapped[int] = mapped_column(default=50)   # 0-100, higher is more urgent (Camunda's default)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(sa.String(100))

    instance: Mapped["Instance"] = relationship(lazy="noload")  # noqa: F821 — set when the task opens
    candidates: Mapped[list["TaskCandidate"]] = relationship(
        cascade="all, delete-orphan", lazy="noload", back_populates="task")


class TaskCandidate(db.Model):
    """Who may claim an open task: one row per group or user. Rows exist only while
    the task is open, so the candidate inbox is one indexed lookup."""

    __tablename__ = "task_candidate"
    __table_args__ = (
        # In inbox order, so each group's oldest claimable tasks are read straight
        # off the index (tasks.list_tasks, scope "candidate").
        sa.Index("ix_task_candidate_group", "group_name", "created_at", "task_id"),
        sa.Index("ix_task_candidate_user", "username", "created_at", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(sa.ForeignKey("human_task.id", ondelete="CASCADE"), index=True)
    group_name: Mapped[str | None] = mapped_column(sa.String(100))
    username: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime]

    task: Mapped[HumanTask] = relationship(back_populates="candidates")
