"""Messages: what running cases wait for, and which message ids were applied.

``message_wait`` indexes the message events instances wait on (intermediate
catch events, receive tasks, boundary events), with the correlation values each
expects, so a message finds its instances without deserialising any workflow.
It is rewritten with the instance's state, in the same transaction, as the
human-task index is.

``message_receipt`` remembers the ids of messages applied, with the answer
given, so the same message sent twice is applied once.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class MessageWait(db.Model):
    __tablename__ = "message_wait"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36))     # the waiting task in the workflow
    element: Mapped[str] = mapped_column(sa.String(200))    # its BPMN id
    name: Mapped[str] = mapped_column(sa.String(200), index=True)   # the message's name
    # {property: value} the instance expects; a property it cannot tell is absent.
    correlation: Mapped[dict]
    created_at: Mapped[datetime]


class MessageReceipt(db.Model):
    __tablename__ = "message_receipt"

    message_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    delivered_to: Mapped[list]
    started: Mapped[list]
    received_at: Mapped[datetime]
