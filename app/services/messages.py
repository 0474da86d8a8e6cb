"""Messages into running cases: correlating a message to the instances that
wait for it, starting the processes it starts, and delivering the messages
one process sends to the others.

A message is ``name`` + ``correlation`` ({property: value}) + ``data``. It is
delivered to every running instance with a waiting message event of that name
whose expected correlation values all match (message_wait holds them; a
property the event does not declare is compared with the instance's variable
of that name, as Camunda correlates by process variables), and it starts an
instance of the latest version of every process with a message start event of
that name. A message with an id is applied once: the answer given the first
time is kept (message_receipt) and given again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.database import write_transaction
from app.engine.messages import SentMessage, start_messages
from app.engine.runtime import RunNotActive, TaskNotReady, WorkflowRun
from app.models import DefinitionVersion, Instance, MessageReceipt, MessageWait, User, db

from . import permissions, queries
from .audit import record as audit
from .context import now
from .errors import InvalidData, NotFound
from .execution import restore_run, save_run, start_run
from .instances import new_instance
from .job_claims import ClaimedJob, still_ours
from .payloads import check_payload
from .people import MESSAGE_STARTER
from .processes import load_process

SENT_MESSAGE_BACKOFF = timedelta(seconds=10)
_ABSENT = object()


@dataclass
class Delivery:
    delivered_to: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    duplicate: bool = False              # the message id was seen before: nothing was applied now


def send_message(actor: User, name: Any, *, correlation: Any = None, data: Any = None,
                 message_id: Any = None) -> Delivery:
    """``POST /messages``: deliver, or start, or NotFound when nothing waits for it."""
    permissions.require_change_rights(actor)
    name, correlation, data, message_id = _checked(name, correlation, data, message_id)
    try:
        with write_transaction() as session:
            if message_id is not None:
                seen = session.get(MessageReceipt, message_id)
                if seen is not None:
                    return Delivery(list(seen.delivered_to), list(seen.started), duplicate=True)
                # Written first: a second request with this id waits for this
                # one's transaction (PostgreSQL), then fails on the key.
                receipt = MessageReceipt(message_id=message_id, name=name, delivered_to=[], started=[],
                                         received_at=now())
                session.add(receipt)
                session.flush()
            result = correlate(session, name, correlation, data, actor=actor.username, message_id=message_id)
            if not result.delivered_to and not result.started:
                raise NotFound(f"Nothing waits for message '{name}'"
                               + (f" with correlation {correlation}" if correlation else "")
                               + ", and no process starts on it.")
            if message_id is not None:
                receipt.delivered_to, receipt.started = result.delivered_to, result.started
            return result
    except IntegrityError:
        # The same id, applied meanwhile by a concurrent request: its answer stands.
        db.session.rollback()
        seen = db.session.get(MessageReceipt, message_id) if message_id is not None else None
        if seen is None:
            raise
        return Delivery(list(seen.delivered_to), list(seen.started), duplicate=True)


def correlate(session, name: str, correlation: dict, data: dict, *, actor: str | None,
              message_id: str | None = None) -> Delivery:
    """Deliver and start within the caller's transaction."""
    result = Delivery()
    for instance_id, waits in _waiting(session, name):
        if _deliver(session, instance_id, waits, correlation, data, actor, message_id):
            result.delivered_to.append(instance_id)
    for definition in _starting_definitions(session, name):
        result.started.append(_start(session, definition, name, correlation, data, actor, message_id))
    return result


def run_message_job(job: ClaimedJob, worker: str) -> str:
    """Deliver a message an instance sent (a job written by save_run)."""
    sent = SentMessage(name=job.params["name"], data=job.params.get("data"),
                       correlation=job.params.get("correlation") or {})
    with write_transaction() as session:
        row = still_ours(session, job, worker)
        if row is None:
            return "lost"
        data = sent.data if isinstance(sent.data, dict) else {"message": sent.data}
        result = correlate(session, sent.name, sent.correlation, data, actor=None)
        if result.delivered_to or result.started:
            session.delete(row)
            return "done"
        if job.attempt < job.max_attempts:
            row.attempts, row.locked_by, row.locked_until = job.attempt, None, None
            row.due_at = now() + SENT_MESSAGE_BACKOFF * 2 ** (job.attempt - 1)
            return "retry"
        sender = session.get(Instance, job.instance_id)
        if sender is not None:
            audit(session, sender, "message_undelivered", now(), None, job.element,
                  {"name": sent.name, "correlation": sent.correlation, "attempts": job.attempt})
        session.delete(row)
        return "undelivered"


# --- delivering ------------------------------------------------------------------

def _waiting(session, name: str) -> list[tuple[int, list[MessageWait]]]:
    """The instances waiting for ``name``, in id order (the order they are locked in)."""
    by_instance: dict[int, list[MessageWait]] = {}
    for wait in session.scalars(sa.select(MessageWait).where(MessageWait.name == name)
                                .order_by(MessageWait.instance_id, MessageWait.id)):
        by_instance.setdefault(wait.instance_id, []).append(wait)
    return list(by_instance.items())


def _deliver(session, instance_id: int, waits: list[MessageWait], correlation: dict, data: dict,
             actor: str | None, message_id: str | None) -> bool:
    # Most mismatches show in the index alone; the instance is read (and
    # locked) only when its variables are needed or the message is for it.
    if not any(_matches(w.correlation, None, correlation) is not False for w in waits):
        return False
    instance = queries.lock_instance(session, instance_id)
    if instance.status != "running":
        return False
    wait = next((w for w in waits if _matches(w.correlation, instance.data or {}, correlation)), None)
    if wait is None:
        return False
    process = load_process(instance.definition)
    run = restore_run(instance, process)
    try:
        run.deliver_message(wait.task_id, wait.name, data, correlation)
    except (TaskNotReady, RunNotActive):
        return False          # the index was behind: the event is no longer waiting
    at = now()
    audit(session, instance, "message_received", at, actor, wait.element,
          {"name": wait.name, "correlation": correlation, "data": data, "message_id": message_id})
    save_run(session, instance, process, run, actor=actor, at=at)
    return True


def _matches(expected: dict, variables: dict | None, correlation: dict) -> bool | None:
    """Does the message's correlation fit what the instance expects? None when
    that depends on the instance's variables and they were not given."""
    undecided = False
    for prop, value in correlation.items():
        if prop in expected:
            if expected[prop] != value:
                return False
        elif variables is None:
            undecided = True
        elif variables.get(prop, _ABSENT) != value:
            return False
    return None if undecided else True


# --- starting --------------------------------------------------------------------

def _starting_definitions(session, name: str) -> list[DefinitionVersion]:
    """The latest version of each process that a message ``name`` starts."""
    newest = (sa.select(DefinitionVersion.key, sa.func.max(DefinitionVersion.version).label("version"))
              .group_by(DefinitionVersion.key).subquery())
    latest = session.scalars(sa.select(DefinitionVersion).join(
        newest, sa.and_(DefinitionVersion.key == newest.c.key, DefinitionVersion.version == newest.c.version))
        .order_by(DefinitionVersion.key))
    return [d for d in latest if name in start_messages(load_process(d).spec)]


def _start(session, definition: DefinitionVersion, name: str, correlation: dict, data: dict,
           actor: str | None, message_id: str | None) -> int:
    process = load_process(definition)
    run: WorkflowRun = start_run(process, {}, start_event=start_messages(process.spec)[name])
    wait = next(w for w in run.waiting_messages() if w.name == name)
    run.deliver_message(wait.task_id, wait.name, data, correlation)
    at = now()
    instance = new_instance(definition, started_by=actor or MESSAGE_STARTER, data=data, at=at)
    audit(session, instance, "instance_started", at, actor, wait.bpmn_id,
          {"message": name, "correlation": correlation, "data": data, "message_id": message_id,
           "version": definition.version})
    save_run(session, instance, process, run, actor=actor, at=at)
    return instance.id


# --- input -----------------------------------------------------------------------

def _checked(name: Any, correlation: Any, data: Any, message_id: Any) -> tuple[str, dict, dict, str | None]:
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors["name"] = ["Must be the message's name: text of 1 to 200 characters."]
    correlation = {} if correlation is None else correlation
    if not isinstance(correlation, dict):
        errors["correlation"] = ["Must be an object of correlation property ids and their values."]
    data = {} if data is None else data
    for field_name, messages in check_payload(data).items():
        errors["data" if field_name == "_form" else f"data.{field_name}"] = messages
    if message_id is not None and (not isinstance(message_id, str) or not message_id.strip()
                                   or len(message_id) > 200):
        errors["message_id"] = ["Must be text of 1 to 200 characters."]
    if errors:
        raise InvalidData(errors)
    return name.strip(), correlation, data, message_id
