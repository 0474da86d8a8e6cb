"""Running due jobs: the worker's side of service tasks.

A job is claimed with a lease in one short transaction, its hook is called
with no transaction open (a slow outside system holds no lock), and its
outcome is applied to the instance in a second transaction — but only if this
worker still holds the lease: a worker that took too long has lost the job to
another and must not apply it twice.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of
workers on any number of hosts share the table; on SQLite the write lock
(BEGIN IMMEDIATE) serialises claims.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.database import write_transaction
from app.engine.runtime import RunNotActive, TaskNotReady
from app.hooks import BpmnError, HookContext, HookFailed, call_hook, default_registry
from app.hooks.context import hook_secrets
from app.models import Job, db

from . import queries
from .audit import record as audit
from .context import now, setting
from .execution import restore_run, save_run
from .processes import load_process

BACKOFF_BASE = timedelta(seconds=10)   # 10 s, 20 s, 40 s, ... between attempts
MAX_BACKOFF = timedelta(hours=1)
SUSPENDED_RECHECK = timedelta(minutes=1)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str               # "service" or "timer"
    instance_id: int
    task_id: str
    element: str
    hook: str
    params: dict
    result_variable: str
    attempt: int            # this attempt, from 1
    max_attempts: int
    lease_until: datetime


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_due(worker: str, limit: int = 10) -> list[ClaimedJob]:
    """Lease up to ``limit`` due jobs to ``worker``, oldest first."""
    with write_transaction() as session:
        at = now()
        query = (sa.select(Job).where(Job.due_at <= at, sa.or_(Job.locked_until.is_(None), Job.locked_until < at))
                 .order_by(Job.due_at, Job.id).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        jobs = list(session.scalars(query))
        lease_until = at + timedelta(seconds=float(setting("BATON_JOB_LEASE_SECONDS", 300)))
        for job in jobs:
            job.locked_by, job.locked_until = worker, lease_until
        return [ClaimedJob(id=j.id, kind=j.kind, instance_id=j.instance_id, task_id=j.task_id, element=j.element, hook=j.hook,
                           params=j.params, result_variable=j.result_variable, attempt=j.attempts + 1,
                           max_attempts=j.max_attempts, lease_until=lease_until) for j in jobs]


def run_job(job: ClaimedJob, worker: str) -> str:
    """Call the job's hook and apply the outcome; returns what happened
    ("done", "retry", "incident", "lost", "waiting", "dropped")."""
    context = HookContext(instance_id=job.instance_id, task_id=job.task_id, element=job.element,
                          attempt=job.attempt, now=now(),
                          secrets=hook_secrets(setting("BATON_HOOK_SECRETS"), os.environ))
    status = _instance_status(job.instance_id)
    if status != "running":
        return _hold(job, worker, status)
    if job.kind == "timer":
        return _fire_timers(job, worker)
    try:
        result: Any = call_hook(default_registry, job.hook, job.params, context)
    except BpmnError as error:
        return _bpmn_error(job, worker, error)
    except HookFailed as failure:
        return _failed(job, worker, f"{job.hook}: {failure}", retryable=failure.retryable)
    return _succeeded(job, worker, result)


def run_due(worker: str, limit: int = 10) -> int:
    """Claim and run what is due now, once; returns how many jobs ran."""
    jobs = claim_due(worker, limit)
    for job in jobs:
        run_job(job, worker)
    return len(jobs)


def next_due_at() -> datetime | None:
    """When the earliest job falls due (leased ones included: a lease runs out too)."""
    free_at = sa.case((Job.locked_until > Job.due_at, Job.locked_until), else_=Job.due_at)
    return db.session.scalar(sa.select(sa.func.min(free_at, type_=Job.due_at.type)))


def seconds_until_due(limit: float) -> float:
    """How long an idle worker may sleep: until the next job falls due, at most ``limit``."""
    due = next_due_at()
    if due is None:
        return limit
    return min(limit, max(0.0, (due - now()).total_seconds()))


def _instance_status(instance_id: int) -> str | None:
    return db.session.scalar(sa.text("SELECT status FROM instance WHERE id = :id"), {"id": instance_id})


def _hold(job: ClaimedJob, worker: str, status: str | None) -> str:
    """The instance is suspended (wait) or ended (drop the job)."""
    with write_transaction() as session:
        row = _still_ours(session, job, worker)
        if row is None:
            return "lost"
        if status == "suspended":
            row.locked_by = row.locked_until = None
            row.due_at = now() + SUSPENDED_RECHECK
            return "waiting"
        session.delete(row)
        return "dropped"


def _succeeded(job: ClaimedJob, worker: str, result: Any) -> str:
    with write_transaction() as session:
        row = _still_ours(session, job, worker)
        if row is None:
            return "lost"
        instance, process, run = _locked_run(session, job.instance_id)
        at = now()
        try:
            run.finish_service_call(job.task_id, job.result_variable, result)
        except (TaskNotReady, RunNotActive):
            session.delete(row)        # the task was cancelled or the case ended meanwhile
            return "dropped"
        audit(session, instance, "service_call_succeeded", at, None, job.element,
              {"hook": job.hook, "attempt": job.attempt})
        session.delete(row)
        save_run(session, instance, process, run, actor=None, at=at)
        return "done"


def _fire_timers(job: ClaimedJob, worker: str) -> str:
    """Fire what is due and run on; save_run writes the job for the next timer, if any."""
    with write_transaction() as session:
        row = _still_ours(session, job, worker)
        if row is None:
            return "lost"
        session.delete(row)
        session.flush()      # before save_run may write the instance's next timer job
        instance, process, run = _locked_run(session, job.instance_id)
        try:
            run.fire_due_timers()
        except RunNotActive:
            return "dropped"
        save_run(session, instance, process, run, actor=None, at=now())
        return "done"


def _bpmn_error(job: ClaimedJob, worker: str, error: BpmnError) -> str:
    """A modelled failure: the service task's error boundary event takes the
    case on; with no boundary event to catch it, it is an incident."""
    with write_transaction() as session:
        row = _still_ours(session, job, worker)
        if row is None:
            return "lost"
        instance, process, run = _locked_run(session, job.instance_id)
        try:
            caught = run.throw_service_error(job.task_id, error.code, error.message)
        except (TaskNotReady, RunNotActive):
            session.delete(row)
            return "dropped"
        if caught:
            at = now()
            audit(session, instance, "service_call_error", at, None, job.element,
                  {"hook": job.hook, "code": error.code, "message": error.message})
            session.delete(row)
            save_run(session, instance, process, run, actor=None, at=at)
            return "error_caught"
    return _failed(job, worker, f"BPMN error {error} (no error boundary event catches it)", retryable=False)


def _failed(job: ClaimedJob, worker: str, message: str, *, retryable: bool) -> str:
    with write_transaction() as session:
        row = _still_ours(session, job, worker)
        if row is None:
            return "lost"
        at = now()
        instance = queries.lock_instance(session, job.instance_id)
        audit(session, instance, "service_call_failed", at, None, job.element,
              {"hook": job.hook, "attempt": job.attempt, "message": message})
        if retryable and job.attempt < job.max_attempts:
            row.attempts, row.last_error = job.attempt, message
            row.locked_by = row.locked_until = None
            row.due_at = at + min(BACKOFF_BASE * 2 ** (job.attempt - 1), MAX_BACKOFF)
            return "retry"
        process = load_process(instance.definition)
        run = restore_run(instance, process)    # the instance is locked above, for the audit event
        session.delete(row)
        try:
            run.fail_service_call(job.task_id, f"{message} (after {job.attempt} attempt"
                                               f"{'' if job.attempt == 1 else 's'})")
        except (TaskNotReady, RunNotActive):
            return "dropped"
        save_run(session, instance, process, run, actor=None, at=at)
        return "incident"


def _locked_run(session, instance_id: int):
    """The instance locked for this transaction, its process and its restored run."""
    instance = queries.lock_instance(session, instance_id)
    process = load_process(instance.definition)
    return instance, process, restore_run(instance, process)


def _still_ours(session, job: ClaimedJob, worker: str) -> Job | None:
    row = session.get(Job, job.id, with_for_update=True)
    if row is None or row.locked_by != worker or row.locked_until is None or row.locked_until < now():
        return None
    return row
