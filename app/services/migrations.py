"""Moving running cases to another version of their process (admins only).

The engine decides whether a case can move and makes the move
(engine/migration.py); this module reads the case and the target version,
and writes the moved case in one transaction: the instance row points at the
new version, ``execution.save_run`` brings the task index, jobs and message
waits in line with the moved state, open tasks that stay take the new
version's name, lane and candidates (a claim stays), and an
``instance_migrated`` event goes into the trail.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from app.database import write_transaction
from app.engine.migration import MigrationPlan, apply_migration, plan_migration
from app.models import DefinitionVersion, Instance, Job, User, db

from . import permissions, queries, rows
from .audit import record as audit
from .context import now
from .errors import Conflict, NotFound
from .execution import resolve_rules, restore_run, save_run
from .processes import LoadedProcess, load_process

MOVABLE = ("running", "suspended", "failed")


@dataclass(frozen=True)
class MigrationCheck:
    instance_id: int
    from_version: int
    to_version: int
    can_move: bool
    reasons: tuple[str, ...]        # why not, in words, one per problem
    active_steps: tuple[str, ...]   # BPMN ids of the steps it is at now


def check(instance_id: int, version: int, caller: User) -> MigrationCheck:
    """The dry run for one case: whether it can move to ``version``; changes nothing."""
    _require_admin(caller)
    instance = _instance(db.session, instance_id, queries.instance_with_state)
    return _examine(instance, _target(db.session, instance, version))[0]


def check_many(instance_ids: list[int], version: int, caller: User) -> list[MigrationCheck]:
    """The dry run for several cases, one answer per id in the order given; an
    unknown case, or one whose process has no such version, cannot move."""
    _require_admin(caller)
    checks = []
    for instance_id in instance_ids:
        instance = queries.instance_with_state(db.session, instance_id)
        target = queries.definition(db.session, instance.definition_key, version) if instance else None
        if instance is None or target is None:
            reason = f"There is no instance {instance_id}." if instance is None else _no_version(instance, version)
            checks.append(MigrationCheck(instance_id, instance.definition_version if instance else 0, version,
                                         False, (reason,), ()))
        else:
            checks.append(_examine(instance, target)[0])
    return checks


def migrate(instance_id: int, version: int, caller: User) -> Instance:
    """Move the case to ``version`` of its process; Conflict (with ``reasons``) when it cannot."""
    _require_admin(caller)
    with write_transaction() as session:
        instance = _instance(session, instance_id, queries.lock_instance)
        target = _target(session, instance, version)
        result, plan, process = _examine(instance, target)
        if not result.can_move:
            raise Conflict(f"Instance {instance_id} cannot move to version {version}.", reasons=list(result.reasons))
        run = apply_migration(plan)
        at = now()
        if plan.requeued_calls:
            # Their calls changed: the worker makes the new version's call instead.
            session.execute(sa.delete(Job).where(Job.instance_id == instance.id, Job.kind == "service",
                                                 Job.task_id.in_(plan.requeued_calls)))
        rows.update(session, instance, definition_version_id=target.id, definition_key=target.key,
                    definition_version=target.version)
        set_committed_value(instance, "definition", target)
        audit(session, instance, "instance_migrated", at, caller.username, None,
              {"from_version": result.from_version, "to_version": result.to_version})
        if instance.status == "running":
            run.advance()    # anything the new version makes runnable at once (a join now complete)
        save_run(session, instance, process, run, actor=caller.username, at=at)
        _renew_open_tasks(session, instance, process, run)
    return instance


def _require_admin(caller: User) -> None:
    permissions.require_change_rights(caller)
    permissions.require_admin(caller)


def _instance(session, instance_id: int, read) -> Instance:
    instance = read(session, instance_id)
    if instance is None:
        raise NotFound(f"There is no instance {instance_id}.")
    return instance


def _target(session, instance: Instance, version: int) -> DefinitionVersion:
    target = queries.definition(session, instance.definition_key, version)
    if target is None:
        raise NotFound(_no_version(instance, version))
    return target


def _no_version(instance: Instance, version: int) -> str:
    return f"Process '{instance.definition_key}' has no version {version}."


def _examine(instance: Instance, target: DefinitionVersion) -> tuple[MigrationCheck, MigrationPlan | None,
                                                                    LoadedProcess]:
    """The check of one case against the target, the engine's plan (None when
    the case has ended) and the target's process."""
    current = instance.definition_version
    reasons: list[str] = []
    if instance.status not in MOVABLE:
        reasons.append(f"The case is {instance.status}: only running, suspended or failed cases can move.")
    if target.version == current:
        reasons.append(f"The case is already on version {current}.")
    process, plan = load_process(target), None
    old = load_process(instance.definition)
    if old.flavour != process.flavour:
        reasons.append(f"Version {current} is a {old.flavour} diagram and version {target.version} a "
                       f"{process.flavour} one: a case cannot move between the two.")
    elif instance.status in MOVABLE:
        plan = plan_migration(restore_run(instance, old), process.spec, process.subprocess_specs,
                              from_version=current, to_version=target.version)
        reasons.extend(plan.reasons)
    check = MigrationCheck(instance.id, current, target.version, not reasons, tuple(reasons),
                           plan.active_steps if plan else ())
    return check, plan, process


def _renew_open_tasks(session, instance: Instance, process: LoadedProcess, run) -> None:
    """Open tasks that stayed open through the move are described by the new
    version: its name, lane and candidates. Whoever claimed one keeps it."""
    ready = {t.id: t for t in run.human_tasks()}
    for row in instance.open_tasks:
        task = ready.get(row.id)
        meta = process.tasks.get(row.bpmn_id)
        if task is None or meta is None:
            continue
        assignee, groups, users = resolve_rules(run, row.id, meta, instance.started_by)
        changes = {"name": meta.name or task.name, "lane": task.lane or meta.lane,
                   "assignee": row.assignee or assignee, "candidate_groups": groups, "candidate_users": users}
        if all(getattr(row, key) == value for key, value in changes.items()):
            continue
        rows.update(session, row, **changes)
        rows.delete_candidates(session, row.id)
        rows.insert_candidates(session, [
            {"task_id": row.id, "group_name": g, "username": None, "created_at": row.created_at} for g in groups] + [
            {"task_id": row.id, "group_name": None, "username": u, "created_at": row.created_at} for u in users])
