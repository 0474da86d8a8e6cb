"""The rows a run asks for beside its state (service calls, its next timer,
the messages it sent, the message events it waits on), written by
``execution.save_run`` in the transaction that made the instance wait for them."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.engine.messages import MessageWait as WaitingMessage, SentMessage
from app.engine.service_calls import ServiceCall
from app.models import Job, MessageWait

SENT_MESSAGE_ATTEMPTS = 3     # the receiver may not be waiting yet when a message is sent


def new_service_job(instance_id: int, call: ServiceCall, at: datetime) -> Job:
    return Job(kind="service", instance_id=instance_id, task_id=call.task_id, element=call.bpmn_id,
               hook=call.hook, params=call.params, result_variable=call.result_variable,
               attempts=0, max_attempts=call.retries + 1, due_at=at, created_at=at)


def set_timer_job(session, instance_id: int, due_at: datetime, at: datetime) -> None:
    """One timer job per waiting instance, due when its earliest timer is.

    Replaced whenever the instance saves while waiting on a timer. A job left
    behind when the instance stops waiting (its task was completed first) is
    not looked for on every save: it fires, finds nothing due, and goes; one
    left when the instance completes goes then (``drop_timer_job``).
    """
    drop_timer_job(session, instance_id)
    session.add(Job(kind="timer", instance_id=instance_id, task_id="", element="", hook="", params={},
                    result_variable="", attempts=0, max_attempts=1, due_at=due_at, created_at=at))


def drop_timer_job(session, instance_id: int) -> None:
    session.execute(sa.delete(Job).where(Job.instance_id == instance_id, Job.kind == "timer"))


def new_message_job(instance_id: int, message: SentMessage, at: datetime) -> Job:
    """Delivery of a message the instance sent (services.messages.run_message_job)."""
    return Job(kind="message", instance_id=instance_id, task_id="", element=message.name, hook="",
               params={"name": message.name, "data": message.data, "correlation": message.correlation},
               result_variable="", attempts=0, max_attempts=SENT_MESSAGE_ATTEMPTS, due_at=at, created_at=at)


def set_message_waits(session, instance_id: int, waits: list[WaitingMessage], at: datetime, *,
                      replace: bool) -> None:
    """The instance's rows in the message index: the events it waits on now."""
    if replace:
        session.execute(sa.delete(MessageWait).where(MessageWait.instance_id == instance_id))
    if waits:
        session.execute(sa.insert(MessageWait), [
            {"instance_id": instance_id, "task_id": w.task_id, "element": w.bpmn_id, "name": w.name,
             "correlation": w.correlation, "created_at": at} for w in waits])
