"""Reading deployed definitions and their versions."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.models import DefinitionVersion, db

from . import queries
from .errors import NotFound


def list_latest() -> list[DefinitionVersion]:
    """The newest version of every definition, by key."""
    newest = (sa.select(DefinitionVersion.key, sa.func.max(DefinitionVersion.version).label("v"))
              .group_by(DefinitionVersion.key).subquery())
    query = (sa.select(DefinitionVersion)
             .join(newest, sa.and_(DefinitionVersion.key == newest.c.key, DefinitionVersion.version == newest.c.v))
             .order_by(DefinitionVersion.key))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class ProcessVersions:
    key: str
    name: str                     # the newest version's name: the process's name now
    versions: tuple[int, ...]     # newest first


def with_versions() -> list[ProcessVersions]:
    """Every deployed process with its version numbers, by name (one query)."""
    rows = db.session.execute(sa.select(DefinitionVersion.key, DefinitionVersion.name, DefinitionVersion.version)
                              .order_by(DefinitionVersion.key, DefinitionVersion.version.desc())).all()
    by_key: dict[str, ProcessVersions] = {}
    for key, name, version in rows:
        known = by_key.get(key)
        by_key[key] = ProcessVersions(key, known.name if known else name, (*(known.versions if known else ()), version))
    return sorted(by_key.values(), key=lambda p: (p.name.lower(), p.key))


def versions(key: str) -> list[DefinitionVersion]:
    found = list(db.session.scalars(
        sa.select(DefinitionVersion).where(DefinitionVersion.key == key).order_by(DefinitionVersion.version)))
    if not found:
        raise NotFound(f"There is no process '{key}'.")
    return found


def get_version(key: str, version: int) -> DefinitionVersion:
    found = queries.definition(db.session(), key, version)
    if found is None:
        raise NotFound(f"There is no version {version} of process '{key}'.")
    return found


def bpmn_of(key: str, version: int) -> str:
    found = get_version(key, version)
    return found.files[found.bpmn_file]
