"""The BPMN diagram behind an instance, for pages that draw it with bpmn-js.

The API serves a definition's XML by key and version to any token holder;
pages load it by instance instead, so the check is the instance's own: who
may see the case may see the drawing of its process.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.models import DefinitionVersion, Instance, db

from .instances import get_instance
from .users import Caller


@dataclass(frozen=True)
class Diagram:
    xml: str
    # Changes whenever the XML could: a version's content never changes.
    etag: str


# The XML sits in a deferred column of the version; one statement reads just it.
_FILES = sa.select(DefinitionVersion.files, DefinitionVersion.bpmn_file, DefinitionVersion.content_hash) \
    .where(DefinitionVersion.id == sa.bindparam("id"))


def instance_diagram(instance_id: int, actor: Caller) -> Diagram:
    """The BPMN XML of the version the instance runs on (NotFound, Forbidden as get_instance)."""
    instance: Instance = get_instance(instance_id, actor)
    row = db.session.execute(_FILES, {"id": instance.definition_version_id}).one()
    return Diagram(xml=row.files[row.bpmn_file], etag=f"{row.content_hash}-{row.bpmn_file}")
