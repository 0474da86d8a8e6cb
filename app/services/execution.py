"""Applying an engine run to the database, in the caller's transaction.

After the engine advances a workflow, this module writes everything that
changed beside the state: the audit events of the steps taken, the
human-task index (tasks that opened, tasks that closed without being
completed), the instance's status and data, and an incident when a step
failed. It is the one place where engine results meet the tables.
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from app.engine.model import TaskMeta
from app.engine.runtime import WorkflowRun
from app.engine.sandbox import SandboxedScriptEngine
from app.models import HumanTask, Incident, Instance, TaskCandidate

from .audit import record as audit
from .context import setting
from .processes import LoadedProcess

_engines: dict[float, SandboxedScriptEngine] = {}
_engines_lock = threading.Lock()


def script_engine() -> SandboxedScriptEngine:
    timeout = float(setting("BATON_SCRIPT_TIMEOUT", 2.0))
    with _engines_lock:
        if timeout not in _engines:
            _engines[timeout] = SandboxedScriptEngine(timeout=timeout)
        return _engines[timeout]


def start_run(process: LoadedProcess, data: dict) -> WorkflowRun:
    return WorkflowRun.start(process.spec, process.subprocess_specs, process.flavour, data,
                             script_engine=script_engine())


def restore_run(instance: Instance, process: LoadedProcess) -> WorkflowRun:
    return WorkflowRun.restore(instance.state, process.spec, process.subprocess_specs, process.flavour,
                               script_engine=script_engine())


def save_run(session, instance: Instance, process: LoadedProcess, run: WorkflowRun, *,
             actor: str | None, at: datetime) -> None:
    """Write the run's new state and everything derived from it.

    Everything is added first and flushed once at commit (no autoflush), so
    the instance row is written once and the inserts go out in batches.
    """
    with session.no_autoflush:
        steps = list(instance.completed_steps or [])
        seen = set(steps)
        for step in run.take_step_log():
            state = step.state.lower()   # the engine reports SpiffWorkflow's names: COMPLETED, CANCELLED, ERROR
            audit(session, instance, f"step_{state}", at, actor, step.bpmn_id,
                  {"name": step.name, "type": step.type})
            if state == "completed" and step.bpmn_id not in seen:
                seen.add(step.bpmn_id)
                steps.append(step.bpmn_id)
        instance.completed_steps = steps
        open_tasks = _sync_task_index(session, instance, process, run, at)
        instance.data = run.data
        instance.updated_at = at
        if run.status == "completed":
            instance.status, instance.ended_at = "completed", at
            audit(session, instance, "instance_completed", at, actor)
        elif run.status == "failed" and instance.status != "failed":
            failure = run.failure
            instance.status = "failed"
            session.add(Incident(instance=instance, element=failure.element, message=failure.message,
                                 line=failure.line, attempts=1, created_at=at))
            audit(session, instance, "incident_opened", at, actor, failure.element,
                  {"message": failure.message, "line": failure.line})
        instance.state = run.dump()
    # The caller usually shows the instance next; its open tasks are known here.
    set_committed_value(instance, "open_tasks", sorted(open_tasks, key=lambda t: (t.created_at, t.id)))
    skip_incident_lookup(instance)


def skip_incident_lookup(instance: Instance) -> None:
    """Open incidents exist only on failed instances and on failed ones an admin
    suspended (terminating resolves them), so other instances need no query."""
    if instance.status not in ("failed", "suspended"):
        set_committed_value(instance, "open_incidents", [])


def _sync_task_index(session, instance: Instance, process: LoadedProcess, run: WorkflowRun,
                     at: datetime) -> list[HumanTask]:
    """Open index rows for new ready tasks, close rows whose task went away;
    returns the instance's open tasks."""
    # Rows closed earlier in this transaction are still 'open' in the database
    # (nothing is flushed yet), so their state is checked on the objects.
    rows = session.scalars(sa.select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.state == "open")) if instance.id is not None else []
    open_rows = {t.id: t for t in rows if t.state == "open"}
    ready = {t.id: t for t in run.human_tasks()}
    for task_id, row in open_rows.items():
        if task_id not in ready:
            close_task(session, row, "cancelled", at)
            audit(session, instance, "task_cancelled", at, None, row.bpmn_id, {"task_id": row.id})
    still_open = [row for task_id, row in open_rows.items() if task_id in ready]
    for task_id, task in ready.items():
        if task_id in open_rows:
            continue
        meta = process.tasks.get(task.bpmn_id) or TaskMeta(bpmn_id=task.bpmn_id, name=task.name)
        assignee, groups, users = _resolve_rules(run, task.id, meta, instance.started_by)
        row = HumanTask(
            id=task.id, instance=instance, definition_key=instance.definition_key,
            bpmn_id=task.bpmn_id, name=meta.name or task.name, lane=task.lane or meta.lane,
            assignee=assignee, candidate_groups=groups, candidate_users=users, state="open",
            created_at=at)
        session.add(row)
        session.add_all([TaskCandidate(task_id=row.id, group_name=g, created_at=at) for g in groups])
        session.add_all([TaskCandidate(task_id=row.id, username=u, created_at=at) for u in users])
        audit(session, instance, "task_opened", at, None, task.bpmn_id,
              {"task_id": row.id, "assignee": assignee, "candidate_groups": groups, "candidate_users": users})
        still_open.append(row)
    return still_open


def close_task(session, row: HumanTask, state: str, at: datetime, by: str | None = None) -> None:
    row.state, row.completed_at, row.completed_by = state, at, by
    session.execute(sa.delete(TaskCandidate).where(TaskCandidate.task_id == row.id))


def _resolve_rules(run: WorkflowRun, task_id: str, meta: TaskMeta, starter: str):
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
