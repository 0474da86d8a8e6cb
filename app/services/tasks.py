"""The inbox and the work on human tasks: claim, unclaim, complete."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.database import write_transaction
from app.engine.model import Form
from app.engine.runtime import TaskNotReady
from app.models import HumanTask, Instance, TaskCandidate, User, db

from . import permissions, queries
from .context import now
from .errors import Conflict, Forbidden, InvalidData, NotFound
from .audit import record as audit
from .execution import close_task, restore_run, save_run
from .answers import check_answers
from .payloads import check_payload
from .processes import load_process

SCOPES = ("mine", "candidate", "all")
MAX_LIST = 1000


@dataclass
class TaskDetail:
    task: HumanTask
    form: Form | None
    data: dict
    instructions: str
    documentation: str
    # The process's fields by name (LoadedProcess.fields): how to show an
    # earlier answer the form names but does not ask for.
    known_fields: dict = field(default_factory=dict)


def list_tasks(actor: User, *, scope: str = "all", instance_id: int | None = None, state: str = "open",
               limit: int = 100, offset: int = 0) -> list[HumanTask]:
    """The tasks the caller may see, oldest first.

    ``mine``: assigned to the caller; ``candidate``: unassigned, and the caller
    may claim them; ``all``: both (admins and auditors: every task).
    """
    limit, offset = min(max(limit, 1), MAX_LIST), max(offset, 0)
    if scope == "candidate" and state == "open":
        return _claimable(actor, instance_id, limit, offset)
    query = sa.select(HumanTask).where(HumanTask.state == state)
    if instance_id is not None:
        query = query.where(HumanTask.instance_id == instance_id)
    mine = HumanTask.assignee == actor.username
    if state == "open":
        candidate = sa.and_(HumanTask.assignee.is_(None), HumanTask.id.in_(queries.claimable_task_ids(actor)))
    else:
        mine = sa.or_(mine, HumanTask.completed_by == actor.username)
        candidate = sa.false()
    if scope == "mine":
        query = query.where(mine)
    elif scope == "candidate":
        query = query.where(candidate)
    elif not permissions.reads_everything(actor):
        query = query.where(sa.or_(mine, candidate))
    query = query.order_by(HumanTask.created_at, HumanTask.id)
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def _claimable(actor: User, instance_id: int | None, limit: int, offset: int) -> list[HumanTask]:
    """The candidate inbox, paged from the index.

    A plain "tasks of any of my groups, oldest first" makes the database
    collect and sort every match (thousands with 100,000 open tasks) to return
    a page. Instead each group (and the user's own name) contributes its
    oldest ``offset + limit`` unclaimed tasks, read in order off
    ``ix_task_candidate_group``/``_user``, and only those few are merged.
    """
    window = offset + limit
    sources = [TaskCandidate.group_name == g for g in actor.group_names] + [TaskCandidate.username == actor.username]
    parts = []
    for source in sources:
        part = (sa.select(TaskCandidate.task_id, TaskCandidate.created_at)
                .join(HumanTask, HumanTask.id == TaskCandidate.task_id)
                .where(source, HumanTask.assignee.is_(None))
                .order_by(TaskCandidate.created_at, TaskCandidate.task_id).limit(window))
        if instance_id is not None:
            part = part.where(HumanTask.instance_id == instance_id)
        parts.append(sa.select(part.subquery()))
    merged = sa.union_all(*parts).subquery()
    page = db.session.execute(
        sa.select(merged.c.task_id, merged.c.created_at).distinct()
        .order_by(merged.c.created_at, merged.c.task_id).limit(limit).offset(offset)).all()
    ids = [row.task_id for row in page]
    if not ids:
        return []
    found = {t.id: t for t in db.session.scalars(sa.select(HumanTask).where(HumanTask.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _visible_task(task_id: str, actor: User) -> tuple[HumanTask, Instance]:
    task = db.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"There is no task {task_id}.")
    instance = queries.instance_with_state(db.session(), task.instance_id)
    if not permissions.may_see_task(actor, task, instance):
        raise Forbidden("This task is not yours to see.")
    return task, instance


def get_task(task_id: str, actor: User) -> TaskDetail:
    task, instance = _visible_task(task_id, actor)
    process = load_process(instance.definition)
    meta = process.tasks.get(task.bpmn_id)
    if task.state == "open" and instance.status in ("running", "suspended", "failed"):
        data = _task_data(instance, process, task.id)
    else:
        data = {}
    return TaskDetail(task=task, form=meta.form if meta else None, data=data,
                      instructions=meta.instructions if meta else "",
                      documentation=meta.documentation if meta else "",
                      known_fields=process.fields)


def _task_data(instance: Instance, process, task_id: str) -> dict:
    run = restore_run(instance, process)
    for ready in run.human_tasks():
        if ready.id == task_id:
            return ready.data
    return {}


def _locked_task(session, task_id: str, actor: User) -> tuple[HumanTask, Instance]:
    """The task and its instance, locked, checked open and workable by the actor."""
    permissions.require_change_rights(actor)
    instance = queries.lock_instance(session, task_id=task_id)
    # An open task is among the instance's open tasks, which the lock read anyway;
    # only a closed one (a refusal) needs a query of its own.
    task = next((t for t in instance.open_tasks if t.id == task_id), None)
    if task is None:
        task = queries.task(session, task_id)
    if not permissions.may_see_task(actor, task, instance):
        raise Forbidden("This task is not yours to see.")
    if task.state != "open":
        raise Conflict(f"The task is no longer open (it is {task.state}).", state=task.state)
    if instance.status != "running":
        raise Conflict(f"The instance is {instance.status}; its tasks cannot be worked on.", status=instance.status)
    return task, instance


def claim(task_id: str, actor: User) -> HumanTask:
    with write_transaction() as session:
        task, instance = _locked_task(session, task_id, actor)
        if task.assignee == actor.username:
            return task
        if task.assignee:
            raise Conflict(f"The task is already claimed by {task.assignee}.", assignee=task.assignee)
        if not permissions.may_work_on(actor, task):
            raise Forbidden("You are not a candidate for this task.")
        task.assignee = actor.username
        audit(session, instance, "task_claimed", now(), actor.username, task.bpmn_id, {"task_id": task.id})
    return task


def unclaim(task_id: str, actor: User) -> HumanTask:
    with write_transaction() as session:
        task, instance = _locked_task(session, task_id, actor)
        if task.assignee is None:
            return task
        if task.assignee != actor.username and not permissions.is_admin(actor):
            raise Forbidden(f"The task is claimed by {task.assignee}; only they or an admin may release it.")
        previous, task.assignee = task.assignee, None
        audit(session, instance, "task_unclaimed", now(), actor.username, task.bpmn_id,
              {"task_id": task.id, "previous_assignee": previous})
    return task


def complete(task_id: str, data: Any, actor: User) -> Instance:
    """Complete a task with the submitted data, validated against its form, and
    run the instance until it waits again. Nothing changes when the data is refused."""
    data = {} if data is None else data
    with write_transaction() as session:
        task, instance = _locked_task(session, task_id, actor)
        if not permissions.may_work_on(actor, task):
            raise Forbidden("You may not complete this task." if not task.assignee
                            else f"The task is claimed by {task.assignee}.")
        process = load_process(instance.definition)
        meta = process.tasks.get(task.bpmn_id)
        errors = check_answers(meta.form, data) if meta and meta.form else check_payload(data)
        if errors:
            raise InvalidData(errors)
        at = now()
        run = restore_run(instance, process)
        if meta and meta.completed_by_variable:
            data = {**data, meta.completed_by_variable: actor.username}
        try:
            run.complete_task(task.id, data, actor=actor.username)
        except TaskNotReady as exc:
            raise Conflict(f"The task cannot be completed now: {exc}") from None
        close_task(session, task, "completed", at, actor.username)
        audit(session, instance, "task_completed", at, actor.username, task.bpmn_id,
              {"task_id": task.id, "data": data})
        save_run(session, instance, process, run, actor=actor.username, at=at)
    return instance
