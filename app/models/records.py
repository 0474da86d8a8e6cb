"""Records: reference data that processes keep in Baton's own database (the
asset register, the licence pool), one JSON object per key in a named
collection. The ``store`` hook reads and writes them."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class Record(db.Model):
    __tablename__ = "record"
    # One record per key in a collection; the upsert in services/records.py relies on it.
    __table_args__ = (sa.UniqueConstraint("collection", "key", name="uq_record_collection_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection: Mapped[str] = mapped_column(sa.String(100), index=True)
    key: Mapped[str] = mapped_column(sa.String(200))
    value: Mapped[dict]                       # a JSON object (JSONB on PostgreSQL)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
