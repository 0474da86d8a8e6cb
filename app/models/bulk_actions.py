"""Bulk actions: one admin's change to many cases at once (suspend, resume,
terminate, retry their incidents, move them to another version), done by the
job worker a chunk at a time (services/bulk_actions.py).

The cases are the ones the filter matched when it was asked (``instance_ids``,
in the order they are worked through), so cases started meanwhile are left
alone. ``done`` counts those worked on, whatever came of it; ``failures``
holds, in order, every case that was skipped or failed, with why.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import db

ACTIONS = ("suspend", "resume", "terminate", "retry", "migrate")


class BulkAction(db.Model):
    __tablename__ = "bulk_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(20))            # one of ACTIONS
    reason: Mapped[str | None] = mapped_column(sa.Text)            # kept in each case's audit trail
    target_version: Mapped[int | None]                             # "migrate": the version to move to
    instance_ids: Mapped[list]                                     # [id, ...] captured when asked
    # The filter that found them ({field: text}), to say what was asked for.
    filters: Mapped[dict]
    done: Mapped[int] = mapped_column(default=0)
    # [{"instance_id", "outcome": "skipped" | "failed", "message"}, ...]
    failures: Mapped[list]
    requested_by: Mapped[str] = mapped_column(sa.String(100))
    requested_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
