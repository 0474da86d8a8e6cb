"""Deployed process definitions. A version is immutable once written."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db


class Deployment(db.Model):
    """One act of deploying: a set of files, by someone, at some time."""

    __tablename__ = "deployment"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(sa.String(100))
    source: Mapped[str] = mapped_column(sa.String(20), default="api")


class DefinitionVersion(db.Model):
    __tablename__ = "definition_version"
    __table_args__ = (sa.UniqueConstraint("key", "version", name="uq_definition_version_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Where the catalogue lists it, and whether people start it at all (a process
    # that starts on a message or timer does not appear there).
    category: Mapped[str] = mapped_column(sa.String(100), default="")
    startable: Mapped[bool] = mapped_column(default=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    flavour: Mapped[str] = mapped_column(sa.String(20))
    deployment_id: Mapped[int] = mapped_column(sa.ForeignKey("deployment.id"))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(sa.String(100))
    # The big columns are deferred: every instance loads its definition, and only
    # the first load of a version (processes.load_process) or an export needs them.
    # The bundle as deployed: {file name: text}. BPMN, DMN and form files are UTF-8 text.
    files: Mapped[dict] = mapped_column(deferred=True)
    bpmn_file: Mapped[str] = mapped_column(sa.String(300))
    # The parsed SpiffWorkflow spec (serializer.dump_spec), stored once per version so
    # instances carry only their own state.
    spec_json: Mapped[str] = mapped_column(sa.Text, deferred=True)
    # Baton's own view: human tasks by BPMN id, start form (engine.model).
    meta: Mapped[dict] = mapped_column(deferred=True)

    deployment: Mapped[Deployment] = relationship()
