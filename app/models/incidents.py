"""Incidents: a step that failed and waits for an admin."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db


class Incident(db.Model):
    __tablename__ = "incident"
    __table_args__ = (sa.Index("ix_incident_open", "resolved_at", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("instance.id", ondelete="CASCADE"))
    element: Mapped[str | None] = mapped_column(sa.String(200))
    message: Mapped[str] = mapped_column(sa.Text)
    line: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    instance: Mapped["Instance"] = relationship(lazy="noload")  # noqa: F821
