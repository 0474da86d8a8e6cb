"""The audit trail: every change to an instance, appended in the same transaction."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("instance.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(sa.String(50))
    actor: Mapped[str | None] = mapped_column(sa.String(100))
    element: Mapped[str | None] = mapped_column(sa.String(200))
    data: Mapped[dict | None]
