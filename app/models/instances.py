"""Running and finished process instances."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db
from .definitions import DefinitionVersion

STATUSES = ("running", "completed", "terminated", "suspended", "failed")


class Instance(db.Model):
    __tablename__ = "instance"
    __table_args__ = (
        sa.Index("ix_instance_key_status", "definition_key", "status"),
        sa.Index("ix_instance_started_by", "started_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_version_id: Mapped[int] = mapped_column(sa.ForeignKey("definition_version.id"), index=True)
    # The definition's key and version, copied from it: an instance is shown far more
    # often than it steps, and showing it then needs no join to definition_version.
    definition_key: Mapped[str] = mapped_column(sa.String(200))
    definition_version: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20))
    business_key: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    data: Mapped[dict]
    # The SpiffWorkflow state of this instance only (engine.serializer.dump_state), pruned.
    # Deferred: only stepping needs it (services.queries.lock_instance loads it), and
    # it is by far the biggest column.
    state: Mapped[str] = mapped_column(sa.Text, deferred=True)
    completed_steps: Mapped[list]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    started_by: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime]
    # Optimistic lock: every change bumps it and checks it, so two transactions can
    # never both apply a step to the same state.
    lock_version: Mapped[int] = mapped_column(default=1)

    # Loaded where a step needs the process (lock_instance joins it); showing an
    # instance uses definition_key and definition_version.
    definition: Mapped[DefinitionVersion] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


from .incidents import Incident  # noqa: E402  (the relationships below need both classes)
from .tasks import HumanTask  # noqa: E402

Instance.open_tasks = relationship(
    HumanTask, viewonly=True, lazy="select", order_by=[HumanTask.created_at, HumanTask.id],
    primaryjoin=sa.and_(HumanTask.instance_id == Instance.id, HumanTask.state == "open"))
Instance.open_incidents = relationship(
    Incident, viewonly=True, lazy="select", order_by=Incident.id,
    primaryjoin=sa.and_(Incident.instance_id == Instance.id, Incident.resolved_at.is_(None)))
