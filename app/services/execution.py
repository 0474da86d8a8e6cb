"""Applying an engine run to the database, in the caller's transaction.

After the engine advances a workflow, this module writes everything that
changed beside the state: the audit events of the steps taken, the
human-task index (tasks that opened, tasks that closed without being
completed), the instance's status and data, and an incident when a step
failed. It is the one place where engine results meet the tables.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from app.engine import task_timing
from app.engine.model import TaskMeta
from app.engine.runtime import WorkflowRun
from app.engine.sandbox import SandboxedScriptEngine
from app.models import HumanTask, Incident, Instance

from . import rows
from .audit import record as audit
from .job_rows import drop_timer_job, new_message_job, new_service_job, set_message_waits, set_timer_job
from .context import now, setting
from .processes import LoadedProcess

TIMER_RECHECK = timedelta(seconds=1)
MAX_BUSINESS_KEY = 200   # characters, as the column holds

_engines: dict[float, SandboxedScriptEngine] = {}
_engines_lock = threading.Lock()


class _AppClock:
    """The running app's clock, asked at each use: engines are shared across apps
    (tests build many), and timers must see the injected clock, not the wall's."""

    def now(self) -> datetime:
        return now()


def script_engine() -> SandboxedScriptEngine:
    timeout = float(setting("BATON_SCRIPT_TIMEOUT", 2.0))
    with _engines_lock:
        if timeout not in _engines:
            _engines[timeout] = SandboxedScriptEngine(timeout=timeout, clock=_AppClock())
        return _engines[timeout]


def start_run(process: LoadedProcess, data: dict, start_event: str | None = None) -> WorkflowRun:
    """A new run; ``start_event``: the message or timer start event that starts it (None: a person does)."""
    return WorkflowRun.start(process.spec, process.subprocess_specs, process.flavour, data,
                             script_engine=script_engine(), start_event=start_event)


def restore_run(instance: Instance, process: LoadedProcess) -> WorkflowRun:
    return WorkflowRun.restore(instance.state, process.spec, process.subprocess_specs, process.flavour,
                               script_engine=script_engine())


def save_run(session, instance: Instance, process: LoadedProcess, run: WorkflowRun, *,
             actor: str | None, at: datetime) -> None:
    """Write the run's new state and everything derived from it.

    ``instance`` is either new (not yet in the session) or locked with its
    open tasks loaded (``queries.lock_instance``). Its row and the task index
    are written with Core statements (see ``rows``); the audit events go out
    in one INSERT at commit.
    """
    new = sa.inspect(instance).transient
    known_tasks = [] if new else instance.open_tasks
    # First: describing a call may fail its task (a parameter that does not evaluate).
    calls = run.take_service_calls()
    timer_due = run.next_timer_due() if run.status == "running" else None
    if timer_due is not None and timer_due <= at:
        # The run had its chance to fire it and did not: look again shortly,
        # never in a tight loop of jobs that are always due.
        timer_due = at + TIMER_RECHECK
    message_waits = run.waiting_messages() if run.status == "running" else []
    sent_messages = run.take_sent_messages()
    steps = list(instance.completed_steps or [])
    seen = set(steps)
    for step in run.take_step_log():
        state = step.state.lower()   # the engine reports SpiffWorkflow's names: COMPLETED, CANCELLED, ERROR
        details = {"name": step.name, "type": step.type}
        details.update({k: v for k, v in (("item", step.item), ("instances", step.instances)) if v is not None})
        audit(session, instance, f"step_{state}", at, actor, step.bpmn_id, details)
        if state == "completed" and step.bpmn_id not in seen:
            seen.add(step.bpmn_id)
            steps.append(step.bpmn_id)
    # Everything is read from the run before dump(), which prunes its task tree.
    status = run.status
    failure = run.failure if status == "failed" and instance.status != "failed" else None
    task_plan = _plan_task_index(instance, known_tasks, process, run, at)
    changes: dict[str, Any] = {"completed_steps": steps, "data": run.data, "updated_at": at}
    if business_key := _business_key(instance, process, run.data):
        changes["business_key"] = business_key
    if status == "completed":
        changes.update(status="completed", ended_at=at)
    elif failure is not None:
        changes["status"] = "failed"
    elif status == "running" and instance.status == "running":
        changes["status"] = "running"   # as it was, or again after a retry (incidents.retry)
    changes["state"] = run.dump()
    if new:
        for key, value in changes.items():
            setattr(instance, key, value)
        rows.insert(session, [instance])   # the task rows below need its id
    else:
        rows.update(session, instance, **changes)
    open_tasks = _write_task_index(session, instance, task_plan, at)
    for call in calls:
        session.add(new_service_job(instance.id, call, at))
    if timer_due is not None:
        set_timer_job(session, instance.id, timer_due, at)
    if message_waits or (run.waited_for_messages and not new):
        set_message_waits(session, instance.id, message_waits, at, replace=not new)
    for message in sent_messages:
        session.add(new_message_job(instance.id, message, at))
    if status == "completed":
        if not new:
            drop_timer_job(session, instance.id)   # a timer it no longer waits on would fire for nothing
        audit(session, instance, "instance_completed", at, actor)
    elif failure is not None:
        session.add(Incident(instance_id=instance.id, element=failure.element, message=failure.message,
                             line=failure.line, attempts=1, created_at=at))
        audit(session, instance, "incident_opened", at, actor, failure.element,
              {"message": failure.message, "line": failure.line})
    # The caller usually shows the instance next; its open tasks are known here.
    set_committed_value(instance, "open_tasks", sorted(open_tasks, key=lambda t: (t.created_at, t.id)))
    skip_incident_lookup(instance)


def skip_incident_lookup(instance: Instance) -> None:
    """Open incidents exist only on failed instances and on failed ones an admin
    suspended (terminating resolves them), so other instances need no query."""
    if instance.status not in ("failed", "suspended"):
        set_committed_value(instance, "open_incidents", [])


def _plan_task_index(instance: Instance, known_tasks: list[HumanTask], process: LoadedProcess,
                     run: WorkflowRun, at: datetime) -> tuple[list, list, list]:
    """What the task index needs after the run: the open rows to close, the open
    rows that stay, and the newly ready tasks with their meta and who may work on them."""
    ready = {t.id: t for t in run.human_tasks()}
    # Rows closed earlier in this transaction (the task just completed) are
    # still among the known ones, so their state is checked on the objects.
    open_rows = {t.id: t for t in known_tasks if t.state == "open"}
    closing = [row for task_id, row in open_rows.items() if task_id not in ready]
    staying = [row for task_id, row in open_rows.items() if task_id in ready]
    opening = []
    for task in ready.values():
        if task.id not in open_rows:
            meta = process.tasks.get(task.bpmn_id) or TaskMeta(bpmn_id=task.bpmn_id, name=task.name)
            opening.append((task, meta, resolve_rules(run, task.id, meta, instance.started_by),
                            _resolve_timing(run, task.id, meta, at)))
    return closing, staying, opening


def _write_task_index(session, instance: Instance, plan: tuple[list, list, list], at: datetime) -> list[HumanTask]:
    """Close and open index rows as planned; returns the instance's open tasks."""
    closing, staying, opening = plan
    for row in closing:
        close_task(session, row, "cancelled", at)
        audit(session, instance, "task_cancelled", at, None, row.bpmn_id, {"task_id": row.id})
    new_rows, candidates = [], []
    for task, meta, (assignee, groups, users), (due, urgency) in opening:
        new_rows.append(HumanTask(
            id=task.id, instance_id=instance.id, definition_key=instance.definition_key,
            bpmn_id=task.bpmn_id, name=meta.name or task.name, lane=task.lane or meta.lane,
            assignee=assignee, candidate_groups=groups, candidate_users=users, state="open",
            priority=urgency, due_at=due, created_at=at))
        candidates += [{"task_id": task.id, "group_name": g, "username": None, "created_at": at} for g in groups]
        candidates += [{"task_id": task.id, "group_name": None, "username": u, "created_at": at} for u in users]
        audit(session, instance, "task_opened", at, None, task.bpmn_id,
              {"task_id": task.id, "assignee": assignee, "candidate_groups": groups, "candidate_users": users})
    rows.insert(session, new_rows)
    rows.insert_candidates(session, candidates)
    return staying + new_rows


def _business_key(instance: Instance, process: LoadedProcess, data: dict) -> str | None:
    """The business key the process gives itself (its ``businessKeyVariable``,
    e.g. the reference INC-000042 it numbered itself with), once that variable
    has a value; a key the instance already has, from its starter, stays."""
    name = process.business_key_variable
    value = data.get(name) if name and not instance.business_key else None
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()[:MAX_BUSINESS_KEY]
    return None


def close_task(session, row: HumanTask, state: str, at: datetime, by: str | None = None) -> None:
    """Close an open task: ``completed`` by someone (who becomes its assignee if
    it had none), or ``cancelled``. Its candidates go: they exist only while it is open."""
    rows.update(session, row, state=state, completed_at=at, completed_by=by, assignee=row.assignee or by)
    rows.delete_candidates(session, row.id)


def resolve_rules(run: WorkflowRun, task_id: str, meta: TaskMeta, starter: str):
    """Who the task belongs to: assignee, candidate groups and users.

    Values written as ``${...}`` are expressions over the task's data (Camunda
    style); anything else is taken literally. Explicit candidates win over the
    lane; a task with no rule at all belongs to the instance's starter.
    """
    assignee = _first(_resolve(run, task_id, meta.assignee)) if meta.assignee else None
    groups = _resolve_all(run, task_id, meta.candidate_groups)
    users = _resolve_all(run, task_id, meta.candidate_users)
    if not groups and not users:
        if meta.lane:
            groups = [meta.lane]
        elif not assignee:
            users = [starter]
    return assignee, groups, users


def _resolve_timing(run: WorkflowRun, task_id: str, meta: TaskMeta, at: datetime) -> tuple[datetime | None, int]:
    """The task's due moment and priority; a rule whose value makes no sense
    leaves the task without a due date, or at the default priority."""
    due, urgency = None, task_timing.DEFAULT_PRIORITY
    if meta.due_date:
        try:
            due = task_timing.due_at(_value(run, task_id, meta.due_date), at)
        except Exception:  # noqa: BLE001 — a bad expression or value: no due date
            due = None
    if meta.priority:
        try:
            urgency = task_timing.priority(_value(run, task_id, meta.priority))
        except Exception:  # noqa: BLE001
            urgency = task_timing.DEFAULT_PRIORITY
    return due, urgency


def _value(run: WorkflowRun, task_id: str, value: str):
    return run.evaluate(task_id, value) if task_timing.is_expression(value) else value


def _resolve(run: WorkflowRun, task_id: str, value: str) -> list[str]:
    if "${" not in value:
        return [value]
    try:
        result: Any = run.evaluate(task_id, value)
    except Exception:  # noqa: BLE001 — a bad rule leaves the task to its other candidates
        return []
    if result is None:
        return []
    if isinstance(result, (list, tuple, set)):
        return [str(v) for v in result if v]
    return [s.strip() for s in str(result).split(",") if s.strip()]


def _resolve_all(run: WorkflowRun, task_id: str, values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(v for v in _resolve(run, task_id, value) if v not in out)
    return out


def _first(values: list[str]) -> str | None:
    return values[0] if values else None
