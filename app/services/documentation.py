"""Process versions as documentation, and what changed between two versions.

Owners, auditors and admins read them. A version never changes, so its
documentation is built once (parsing its XML) and kept in a small in-process
cache, keyed by content as processes.py keys loaded processes: row ids repeat
across databases (tests, a restored backup).
"""
from __future__ import annotations

import sqlalchemy as sa

from app.engine.documentation import ProcessDoc, VersionDiff, describe, diff
from app.models import DefinitionVersion, User, db

from . import definitions
from .errors import Forbidden, InvalidData
from .version_cache import VersionCache

_cache: VersionCache[ProcessDoc] = VersionCache(64)

READER_ROLES = ("owner", "auditor", "admin")


def _require_reader(user: User) -> None:
    if user.role not in READER_ROLES:
        raise Forbidden("Only process owners, auditors and admins may read process documentation.")


def version_doc(key: str, version: int, caller: User) -> tuple[DefinitionVersion, ProcessDoc]:
    """One version and its documentation; NotFound for an unknown key or version."""
    _require_reader(caller)
    found = definitions.get_version(key, version)
    return found, doc_of(found)


def compare(key: str, from_version: int, to_version: int,
            caller: User) -> tuple[DefinitionVersion, DefinitionVersion, VersionDiff]:
    """What changed from one version of a process to another (either way round)."""
    _require_reader(caller)
    if from_version == to_version:
        raise InvalidData({"to": [f"Pick two different versions: both are version {to_version}."]},
                          "A version cannot be compared with itself.")
    bad = {name: [f"Versions are numbered from 1, got {number}."]
           for name, number in (("from", from_version), ("to", to_version)) if number < 1}
    if bad:
        raise InvalidData(bad, "Pick two versions of the process to compare.")
    older = definitions.get_version(key, from_version)
    newer = definitions.get_version(key, to_version)
    return older, newer, diff(doc_of(older), doc_of(newer), key, from_version, to_version)


def history(key: str, caller: User) -> list[DefinitionVersion]:
    """Every version of a process, oldest first; NotFound for an unknown key."""
    _require_reader(caller)
    return definitions.versions(key)


def processes(caller: User) -> list[tuple[DefinitionVersion, int]]:
    """The latest version of each process, by key, with how many versions it has."""
    _require_reader(caller)
    counts = dict(db.session.execute(
        sa.select(DefinitionVersion.key, sa.func.count()).group_by(DefinitionVersion.key)).all())
    return [(latest, counts.get(latest.key, 1)) for latest in definitions.list_latest()]


def doc_of(version: DefinitionVersion) -> ProcessDoc:
    """A version's documentation, built on first use and then kept."""
    # The files and meta are deferred columns: only a miss reads them.
    return _cache.get_or_build(
        (version.key, version.version, version.content_hash, version.bpmn_file),
        lambda: describe(version.files or {}, version.bpmn_file, version.key, version.meta or {}))
