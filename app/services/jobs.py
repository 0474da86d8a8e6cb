"""Running due jobs: what the worker does with each kind.

``service``: the hook is called with no transaction open (a slow outside
system holds no lock), and its outcome applied to the instance in a second
transaction, if this worker still holds the job's lease (job_claims.py).
``timer``: the instance's due timers fire. ``message``: a message one
instance sent is delivered to the others (messages.py). ``start``: a timer
start event starts an instance (schedules.py). ``bulk``: an admin's action on many
instances, a chunk per claim (bulk_actions.py).
"""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.database import write_transaction
from app.engine.runtime import RunNotActive, TaskNotReady
from app.hooks import BpmnError, BpmnEscalation, HookContext, HookFailed, call_hook, default_registry
from app.hooks.context import hook_secrets
from app.models import db

from . import bulk_actions, messages, queries, schedules
from .audit import record as audit
from .context import now, setting
from .execution import restore_run, save_run
from .job_claims import ClaimedJob, claim_due, seconds_until_due, still_ours, worker_name  # noqa: F401 - the worker's API
from .processes import load_process

BACKOFF_BASE = timedelta(seconds=10)   # 10 s, 20 s, 40 s, ... between attempts
MAX_BACKOFF = timedelta(hours=1)
SUSPENDED_RECHECK = timedelta(minutes=1)


def run_job(job: ClaimedJob, worker: str) -> str:
    """Call the job's hook and apply the outcome; returns what happened
    ("done", "retry", "incident", "lost", "waiting", "dropped")."""
    if job.kind == "start":
        return schedules.run_start_job(job, worker)
    if job.kind == "message":
        return messages.run_message_job(job, worker)
    if job.kind == "bulk":
        return bulk_actions.run_bulk_job(job, worker)
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
    except BpmnEscalation as escalation:
        return _escalated(job, worker, escalation)
    except HookFailed as failure:
        return _failed(job, worker, f"{job.hook}: {failure}", retryable=failure.retryable)
    return _succeeded(job, worker, result)


def run_due(worker: str, limit: int = 10) -> int:
    """Claim and run up to ``limit`` jobs due now, one at a time (each job's
    lease starts when it does); returns how many ran."""
    ran = 0
    while ran < limit:
        claimed = claim_due(worker, 1)
        if not claimed:
            break
        run_job(claimed[0], worker)
        ran += 1
    return ran


def _instance_status(instance_id: int) -> str | None:
    return db.session.scalar(sa.text("SELECT status FROM instance WHERE id = :id"), {"id": instance_id})


def _hold(job: ClaimedJob, worker: str, status: str | None) -> str:
    """The instance is suspended (wait) or ended (drop the job)."""
    with write_transaction() as session:
        row = still_ours(session, job, worker)
        if row is None:
            return "lost"
        if status == "suspended":
            row.locked_by = row.locked_until = None
            row.due_at = now() + SUSPENDED_RECHECK
            return "waiting"
        session.delete(row)
        return "dropped"


def _succeeded(job: ClaimedJob, worker: str, result: Any) -> str:
    def finish(run):
        run.finish_service_call(job.task_id, job.result_variable, result)
        return {"attempt": job.attempt}
    return _answer(job, worker, finish, "service_call_succeeded", "done")


def _escalated(job: ClaimedJob, worker: str, escalation: BpmnEscalation) -> str:
    """A modelled escalation: its boundary event's path starts; the call
    itself succeeded unless an interrupting boundary event ended the task."""
    def escalate(run):
        caught = run.escalate_service_call(job.task_id, escalation.code, escalation.message,
                                           job.result_variable, escalation.result)
        return {"code": escalation.code, "message": escalation.message, "caught": caught}
    return _answer(job, worker, escalate, "service_call_escalated", "escalated")


def _answer(job: ClaimedJob, worker: str, apply, event: str, outcome: str) -> str | None:
    """Apply the hook's answer to the instance, if the job is still ours:
    ``apply(run)`` returns the audit event's details, or None when the run
    does not take the answer (then nothing changes and this returns None)."""
    with write_transaction() as session:
        row = still_ours(session, job, worker)
        if row is None:
            return "lost"
        instance, process, run = _locked_run(session, job.instance_id)
        try:
            details = apply(run)
        except (TaskNotReady, RunNotActive):
            session.delete(row)        # the task was cancelled or the case ended meanwhile
            return "dropped"
        if details is None:
            return None
        at = now()
        audit(session, instance, event, at, None, job.element, {"hook": job.hook, **details})
        session.delete(row)
        save_run(session, instance, process, run, actor=None, at=at)
        return outcome


def _fire_timers(job: ClaimedJob, worker: str) -> str:
    """Fire what is due and run on; save_run writes the job for the next timer, if any."""
    with write_transaction() as session:
        row = still_ours(session, job, worker)
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
    def throw(run):
        if run.throw_service_error(job.task_id, error.code, error.message):
            return {"code": error.code, "message": error.message}
        return None
    outcome = _answer(job, worker, throw, "service_call_error", "error_caught")
    if outcome is not None:
        return outcome
    return _failed(job, worker, f"BPMN error {error} (no error boundary event catches it)", retryable=False)


def _failed(job: ClaimedJob, worker: str, message: str, *, retryable: bool) -> str:
    with write_transaction() as session:
        row = still_ours(session, job, worker)
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
