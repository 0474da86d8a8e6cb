"""The reads of the hot paths (show an instance, start one, work on a task).

Each statement is built once, at import, with bound parameters: building a
statement and computing its cache key costs SQLAlchemy more than SQLite
takes to run it, and ``session.get`` builds one on every call.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from app.database import fresh
from app.models import DefinitionVersion, HumanTask, Instance, TaskCandidate

from .errors import NotFound

_INSTANCE = sa.select(Instance).where(Instance.id == sa.bindparam("id"))
# Shown with its open tasks, in one statement (rows of an unlocked read can all
# come from one snapshot; see _LOCKED for why a locked read cannot).
_INSTANCE_TO_SHOW = _INSTANCE.options(joinedload(Instance.open_tasks))
# Reads run statement by statement (database.py): a page that shows both where a
# case stands (its row) and where its workflow waits (its state) reads them in
# one statement, or a step the worker finishes in between shows in one and not the other.
_INSTANCE_TO_SHOW_WITH_STATE = _INSTANCE_TO_SHOW.options(undefer(Instance.state))
_WITH_PROCESS = (undefer(Instance.state), joinedload(Instance.definition, innerjoin=True))
_INSTANCE_WITH_STATE = _INSTANCE.options(*_WITH_PROCESS)

_OPEN_TASKS = (sa.select(HumanTask)
               .where(HumanTask.instance_id == sa.bindparam("id"), HumanTask.state == "open")
               .order_by(HumanTask.created_at, HumanTask.id))

# A use case that steps or changes an instance reads it with its state and its
# definition (for the process), and locks it for the rest of the transaction:
# on PostgreSQL by FOR UPDATE, OF instance only since the definition is joined
# (and must not be locked); on SQLite BEGIN IMMEDIATE already holds the lock.
# Rows read before the lock may be stale, so these overwrite the session's.
# Its open tasks are read by a second statement, after the lock: on PostgreSQL
# a statement that waited for a lock sees the locked row as now committed,
# but any row it joins as it was when the statement began.
_LOCKED = fresh(sa.select(Instance).options(*_WITH_PROCESS).with_for_update(of=Instance))
_LOCKED_BY_ID = _LOCKED.where(Instance.id == sa.bindparam("id"))
# A task's instance in one statement; a task never moves to another instance.
_LOCKED_BY_TASK = _LOCKED.where(Instance.id == sa.select(HumanTask.instance_id)
                                .where(HumanTask.id == sa.bindparam("task_id")).scalar_subquery())
_FRESH_OPEN_TASKS = fresh(_OPEN_TASKS)
_FRESH_TASK = fresh(sa.select(HumanTask).where(HumanTask.id == sa.bindparam("id")))

_LATEST_DEFINITION = (sa.select(DefinitionVersion).where(DefinitionVersion.key == sa.bindparam("key"))
                      .order_by(DefinitionVersion.version.desc()).limit(1))
_DEFINITION_VERSION = sa.select(DefinitionVersion).where(
    DefinitionVersion.key == sa.bindparam("key"), DefinitionVersion.version == sa.bindparam("version"))


# Ids and version numbers are 32-bit columns. A bigger number, say from a URL,
# matches nothing; PostgreSQL would refuse it outright, so it is never sent.
MAX_ID = 2**31 - 1


def _storable(number: int) -> bool:
    return 0 < number <= MAX_ID


def instance(session: Session, instance_id: int) -> Instance | None:
    """An instance to show, with its open tasks."""
    if not _storable(instance_id):
        return None
    return session.execute(_INSTANCE_TO_SHOW, {"id": instance_id}).unique().scalar_one_or_none()


def instance_to_show_with_state(session: Session, instance_id: int) -> Instance | None:
    """An instance to show, with its open tasks and its workflow state, as of one moment."""
    if not _storable(instance_id):
        return None
    return session.execute(_INSTANCE_TO_SHOW_WITH_STATE, {"id": instance_id}).unique().scalar_one_or_none()


def instance_with_state(session: Session, instance_id: int) -> Instance | None:
    """An instance with what it takes to restore its workflow, unlocked."""
    if not _storable(instance_id):
        return None
    return session.execute(_INSTANCE_WITH_STATE, {"id": instance_id}).scalar()


def lock_instance(session: Session, instance_id: int | None = None, *, task_id: str | None = None) -> Instance:
    """The instance (by its id, or the instance of a task), locked for this
    transaction, with its open tasks as they are now.

    Every use case that locks an instance shows it or its tasks afterwards,
    and a step needs the open tasks to keep the task index in sync, so they
    are read here, once.
    """
    if task_id is None:
        found = session.execute(_LOCKED_BY_ID, {"id": instance_id}).scalar() if _storable(instance_id) else None
    else:
        found = session.execute(_LOCKED_BY_TASK, {"task_id": task_id}).scalar()
    if found is None:
        raise NotFound(f"There is no task {task_id}." if task_id is not None else
                       f"There is no instance {instance_id}.")
    set_committed_value(found, "open_tasks",
                        session.execute(_FRESH_OPEN_TASKS, {"id": found.id}).scalars().all())
    return found


def task(session: Session, task_id: str) -> HumanTask | None:
    """One task as it is now, whatever its state."""
    return session.execute(_FRESH_TASK, {"id": task_id}).scalar()


def definition(session: Session, key: str, version: int | None) -> DefinitionVersion | None:
    """A version of a definition, by default the latest."""
    if version is None:
        return session.execute(_LATEST_DEFINITION, {"key": key}).scalar()
    if not _storable(version):
        return None
    return session.execute(_DEFINITION_VERSION, {"key": key, "version": version}).scalar()


def claimable_task_ids(actor):
    """The ids of open tasks the actor is a candidate for (by name or group)."""
    return sa.select(TaskCandidate.task_id).where(sa.or_(
        TaskCandidate.username == actor.username, TaskCandidate.group_name.in_(actor.group_names)))
