"""Starting instances, reading them, and the admin's life-cycle actions."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.database import write_transaction
from app.models import (
    AuditEvent, DefinitionVersion, HumanTask, Incident, Instance, Job, MessageWait, OutboxMessage, User, db)

from . import case_progress, permissions, queries
from .case_progress import Progress
from .context import now
from .errors import Conflict, InvalidData, NotFound
from .audit import record as audit
from .execution import MAX_BUSINESS_KEY, close_task, restore_run, save_run, skip_incident_lookup, start_run
from .answers import check_answers
from .payloads import check_payload
from .processes import load_process

MAX_LIST = 1000


def start_instance(key: str, actor: User, *, data: Any = None, business_key: str | None = None,
                   version: int | None = None) -> Instance:
    permissions.require_change_rights(actor)
    data = {} if data is None else data
    definition = _definition(key, version)
    process = load_process(definition)
    permissions.require_may_start(actor, process.starters)
    if process.start_form is not None:
        errors = check_answers(process.start_form, data)
    else:
        errors = check_payload(data)
    if errors:
        raise InvalidData(errors)
    if business_key is not None and (not isinstance(business_key, str) or len(business_key) > MAX_BUSINESS_KEY):
        raise InvalidData({"business_key": [f"Must be text of at most {MAX_BUSINESS_KEY} characters."]})
    if process.initiator:
        data = {**data, process.initiator: actor.username}
    # A new instance is nobody else's yet: the engine runs before the write lock is taken.
    run = start_run(process, data)
    with write_transaction() as session:
        at = now()
        instance = new_instance(definition, started_by=actor.username, data=data, business_key=business_key, at=at)
        audit(session, instance, "instance_started", at, actor.username, None,
              {"data": data, "version": definition.version, "business_key": business_key})
        save_run(session, instance, process, run, actor=actor.username, at=at)
    return instance


def new_instance(definition: DefinitionVersion, *, started_by: str, data: dict, at,
                 business_key: str | None = None) -> Instance:
    """The row of an instance being started (``save_run`` inserts it)."""
    return Instance(
        definition_version_id=definition.id, definition=definition, definition_key=definition.key,
        definition_version=definition.version, status="running", business_key=business_key, data=data,
        completed_steps=[], started_at=at, started_by=started_by, updated_at=at)


def _definition(key: str, version: int | None) -> DefinitionVersion:
    found = queries.definition(db.session(), key, version)
    if found is None:
        what = f"version {version} of process '{key}'" if version is not None else f"process '{key}'"
        raise NotFound(f"There is no {what}.")
    return found


def get_instance(instance_id: int, actor: User) -> Instance:
    return _readable(instance_id, actor)[0]


def _readable(instance_id: int, actor: User, read=queries.instance) -> tuple[Instance, bool | None]:
    """The instance if the actor may read it (NotFound, Forbidden), and whether
    they hold a task of it (None: not looked up, as reading did not need it)."""
    instance = read(db.session(), instance_id)
    if instance is None:
        raise NotFound(f"There is no instance {instance_id}.")
    # The lookups are queries; most readers (starter, admin, auditor) need none.
    holds_task = None
    if not permissions.may_see_instance(actor, instance):
        holds_task = _holds_a_task(actor, instance.id)
        if not (holds_task or _was_told_about(actor, instance.id)):
            raise permissions.Forbidden("You may not see this instance.")
    skip_incident_lookup(instance)
    return instance, holds_task


def _holds_a_task(actor: User, instance_id: int) -> bool:
    """Does the actor hold, may claim, or did they complete any task of the instance?"""
    visible = _visible_task_filter(actor)
    return db.session.scalar(
        sa.select(HumanTask.id).where(HumanTask.instance_id == instance_id, visible).limit(1)) is not None


def _was_told_about(actor: User, instance_id: int) -> bool:
    """Was the actor sent a message about the instance? A manager alerted to a
    case follows its link to read it, without a task of their own in it."""
    return db.session.scalar(
        sa.select(OutboxMessage.id).where(OutboxMessage.instance_id == instance_id,
                                          OutboxMessage.recipient == actor.username).limit(1)) is not None


def _visible_task_filter(actor: User):
    return sa.or_(HumanTask.assignee == actor.username, HumanTask.completed_by == actor.username,
                  HumanTask.id.in_(queries.claimable_task_ids(actor)))


def list_instances(actor: User, *, definition: str | None = None, status: str | None = None,
                   business_key: str | None = None, limit: int = 100, offset: int = 0) -> list[Instance]:
    query = sa.select(Instance)
    if definition:
        query = query.where(Instance.definition_key == definition)
    if status:
        query = query.where(Instance.status == status)
    if business_key:
        query = query.where(Instance.business_key == business_key)
    if not permissions.reads_everything(actor):
        mine = sa.select(HumanTask.instance_id).where(_visible_task_filter(actor))
        query = query.where(sa.or_(Instance.started_by == actor.username, Instance.id.in_(mine)))
    query = query.order_by(Instance.id.desc()).limit(min(max(limit, 1), MAX_LIST)).offset(max(offset, 0))
    return list(db.session.scalars(query))


def history(instance_id: int, actor: User) -> list[AuditEvent]:
    get_instance(instance_id, actor)
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)))


_TRANSITIONS = {
    "suspend": ({"running", "failed"}, "suspended", "instance_suspended"),
    "resume": ({"suspended"}, None, "instance_resumed"),
    "terminate": ({"running", "suspended", "failed"}, "terminated", "instance_terminated"),
}


def change_status(instance_id: int, action: str, actor: User, reason: str | None = None) -> Instance:
    """Suspend, resume or terminate an instance (admins, and the person who started it)."""
    allowed_from, target, event = _TRANSITIONS[action]
    permissions.require_change_rights(actor)
    with write_transaction() as session:
        instance = queries.lock_instance(session, instance_id)
        if not (permissions.is_admin(actor) or instance.started_by == actor.username):
            raise permissions.Forbidden(f"Only admins and the person who started it may {action} an instance.")
        if instance.status not in allowed_from:
            raise Conflict(f"Cannot {action} an instance that is {instance.status}.", status=instance.status)
        at = now()
        if action == "resume":
            target = "failed" if instance.open_incidents else "running"
        instance.status = target
        instance.updated_at = at
        if action == "terminate":
            instance.ended_at = at
            for row in instance.open_tasks:
                close_task(session, row, "cancelled", at)
            set_committed_value(instance, "open_tasks", [])
            session.execute(sa.update(Incident).where(Incident.instance_id == instance.id,
                                                      Incident.resolved_at.is_(None)).values(resolved_at=at))
            session.execute(sa.delete(Job).where(Job.instance_id == instance.id))
            session.execute(sa.delete(MessageWait).where(MessageWait.instance_id == instance.id))
        audit(session, instance, event, at, actor.username, None, {"reason": reason} if reason else None)
    return instance


# --- reading cases on pages ---------------------------------------------------

@dataclass(frozen=True)
class CaseFile:
    """An instance with its whole audit trail, oldest event first."""

    instance: Instance
    events: list[AuditEvent]
    # The case's variables, working ones included, are for the people who work
    # on it and those who read everything; whoever only started it, or was told
    # about it, sees where it stands and its history.
    shows_data: bool
    # Where a running case waits on no person (a timer, a message, a step the
    # worker runs): {BPMN id: name}, read from its state.
    waiting_at: dict[str, str] = field(default_factory=dict)


def case_file(instance_id: int, actor: User) -> CaseFile:
    """What the instance page shows, behind one permission check (NotFound,
    Forbidden as ``get_instance``)."""
    instance, events, shows_data = _read_case(instance_id, actor, queries.instance_to_show_with_state)
    return CaseFile(instance=instance, events=events, shows_data=shows_data, waiting_at=_waiting_at(instance))


def audit_trail(instance_id: int, actor: User) -> CaseFile:
    """The instance and every event of it, for those who may read its data (the
    events hold what people entered); nothing is restored to find where it waits."""
    instance, events, shows_data = _read_case(instance_id, actor)
    if not shows_data:
        raise permissions.Forbidden("The audit trail holds the data people entered: it is for those who work on the case, "
                        "admins and auditors.")
    return CaseFile(instance=instance, events=events, shows_data=True, waiting_at={})


def _read_case(instance_id: int, actor: User, read=queries.instance) -> tuple[Instance, list[AuditEvent], bool]:
    """The instance, its events, and whether the actor may read its data."""
    instance, holds_task = _readable(instance_id, actor, read)
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.id))
    shows_data = permissions.reads_everything(actor) or (
        holds_task if holds_task is not None else _holds_a_task(actor, instance.id))
    return instance, list(events), shows_data


def _waiting_at(instance: Instance) -> dict[str, str]:
    if instance.status != "running":
        return {}
    return restore_run(instance, load_process(instance.definition)).waiting_steps()


@dataclass(frozen=True)
class StartedCase:
    instance: Instance   # with its definition, open tasks and open incidents loaded
    progress: Progress


@dataclass(frozen=True)
class StartedCases:
    cases: list[StartedCase]
    total: int           # how many the person started in all, for paging


def started_by(actor: User, *, limit: int = 50, offset: int = 0) -> StartedCases:
    """The instances the actor started, newest first, with how far each has come.

    A fixed number of statements whatever the page holds: the count, the page
    with its definitions joined, its open tasks and its open incidents (one
    statement each), and at most one for processes not drawn before.
    """
    mine = Instance.started_by == actor.username
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Instance).where(mine)) or 0
    found: list[Instance] = []
    if offset < total:
        found = list(db.session.scalars(
            sa.select(Instance).where(mine)
            .options(joinedload(Instance.definition, innerjoin=True), selectinload(Instance.open_tasks),
                     selectinload(Instance.open_incidents))
            .order_by(Instance.started_at.desc(), Instance.id.desc())
            .limit(min(max(limit, 1), MAX_LIST)).offset(max(offset, 0))))
    progress = case_progress.progress_of(found)
    return StartedCases(cases=[StartedCase(i, progress[i.id]) for i in found], total=total)
