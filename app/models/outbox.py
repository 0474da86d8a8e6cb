"""The outbox: messages to people (the ``notify`` hook writes them), one row
per recipient, shown on the recipient's Messages page and, where Baton has an
SMTP server, also sent by email."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import db

EMAIL_STATUSES = ("not_sent", "sent", "failed")


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        # "My messages, newest first" (id breaks ties between messages of one instant).
        sa.Index("ix_outbox_message_recipient_created", "recipient", "created_at", "id"),
        # The unread count in the navigation, on every page a signed-in person opens.
        sa.Index("ix_outbox_message_recipient_unread", "recipient", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The username, not a foreign key: a message stays what was said to that
    # person, as the audit trail keeps actors by name.
    recipient: Mapped[str] = mapped_column(sa.String(100))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # The case it is about. SET NULL rather than CASCADE: what a person was told
    # stays in their messages even if the case is ever deleted; only the link goes.
    instance_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("instance.id", ondelete="SET NULL"), index=True)
    # What sent it, e.g. "task:<uuid>" for the notify hook: a hook call run
    # again (its worker died before it could report) finds its messages here
    # and does not send them twice.
    source: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    email_status: Mapped[str] = mapped_column(sa.String(20), default="not_sent")
    email_error: Mapped[str | None] = mapped_column(sa.Text)
