"""Claiming due jobs with a lease, and checking a lease is still held.

A job is claimed with a lease in one short transaction; the work is done with
no transaction open; its outcome is applied only if the worker still holds
the lease (``still_ours``): a worker that took too long has lost the job to
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

import sqlalchemy as sa

from app.database import fresh, write_transaction
from app.models import Job, db

from .context import now, setting


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str               # "service", "timer", "message", "start" or "bulk"
    instance_id: int | None   # none for "start" jobs
    definition_version_id: int | None   # "start" jobs: the version to start
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
    """Lease up to ``limit`` due jobs to ``worker``, oldest first, each with one
    UPDATE ... RETURNING (the row chosen with SKIP LOCKED on PostgreSQL). A
    worker should claim only what it starts at once: the lease runs from the
    claim, so a job waiting behind slow ones in a batch could lose its lease
    before it starts (services/jobs.run_due claims one at a time)."""
    with write_transaction() as session:
        at = now()
        lease_until = at + timedelta(seconds=float(setting("BATON_JOB_LEASE_SECONDS", 300)))
        due = (sa.select(Job.id).where(Job.due_at <= at, sa.or_(Job.locked_until.is_(None), Job.locked_until < at))
               .order_by(Job.due_at, Job.id).limit(1))
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        # One row per statement, compared with "=": PostgreSQL may run an
        # "IN (... LIMIT n FOR UPDATE SKIP LOCKED)" subquery more than once
        # and so mark more rows than it returns.
        claim = (sa.update(Job).where(Job.id == due.scalar_subquery())
                 .values(locked_by=worker, locked_until=lease_until)
                 .returning(Job.id, Job.kind, Job.instance_id, Job.definition_version_id, Job.task_id, Job.element,
                            Job.hook, Job.params, Job.result_variable, Job.attempts, Job.max_attempts)
                 .execution_options(synchronize_session=False))
        claimed = []
        for _ in range(limit):
            row = session.execute(claim).first()
            if row is None:
                break
            claimed.append(ClaimedJob(
                id=row.id, kind=row.kind, instance_id=row.instance_id, definition_version_id=row.definition_version_id,
                task_id=row.task_id, element=row.element, hook=row.hook, params=row.params,
                result_variable=row.result_variable, attempt=row.attempts + 1, max_attempts=row.max_attempts,
                lease_until=lease_until))
        return claimed


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


def still_ours(session, job: ClaimedJob, worker: str) -> Job | None:
    """The job's row, locked, if ``worker`` still holds its lease. Read afresh:
    claims are Core statements, which leave a copy the session holds as it was."""
    row = session.scalars(fresh(sa.select(Job).where(Job.id == job.id).with_for_update())).one_or_none()
    if row is None or row.locked_by != worker or row.locked_until is None or row.locked_until < now():
        return None
    return row
