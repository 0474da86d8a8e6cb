"""Timer start events: instances started on a schedule, by the job worker.

A process version with timer start events has one ``start`` job per event:
its row holds when the next instance starts (``due_at``) and what is left of
the schedule (``params``, see engine/start_timers.Schedule). The jobs are
written in the deployment's transaction (``replace_schedule``); a new version
of a process replaces the older versions' schedule, as in Camunda, and
deploying unchanged content (no new version) leaves it alone. A due job
starts a NEW instance of its version, its timer start event passed at once,
and moves on to the next start or goes after the last (``run_start_job``).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.database import write_transaction
from app.engine.start_timers import Schedule, first_schedule, start_timers
from app.models import DefinitionVersion, Job, db

from .audit import record as audit
from .context import now
from .execution import save_run, script_engine, start_run
from .instances import new_instance
from .job_claims import ClaimedJob, still_ours
from .people import SCHEDULE_STARTER
from .processes import load_process

SCHEDULER = SCHEDULE_STARTER     # who starts the instances a timer starts


def replace_schedule(session, version: DefinitionVersion, spec, at: datetime) -> None:
    """In the deployment's transaction: the start jobs of a newly deployed
    ``version`` (whose process is ``spec``) replace those of its process's older versions."""
    session.flush()          # the new version's id
    older = sa.select(DefinitionVersion.id).where(DefinitionVersion.key == version.key,
                                                  DefinitionVersion.id != version.id)
    session.execute(sa.delete(Job).where(Job.kind == "start", Job.definition_version_id.in_(older)))
    for timer in start_timers(spec):
        # The deploy checks (engine/bundle.py) refused any timer this could fail on.
        schedule = first_schedule(spec, timer, at, script_engine())
        if schedule is not None:
            session.add(Job(kind="start", definition_version_id=version.id, instance_id=None, task_id="",
                            element=timer.bpmn_id, hook="", params=schedule.to_params(), result_variable="",
                            attempts=0, max_attempts=1, due_at=schedule.due_at, created_at=at))


def run_start_job(job: ClaimedJob, worker: str) -> str:
    """Start the instance a due start job stands for ("done"), unless the job
    was lost meanwhile (its lease ran out, or a new version replaced it: "lost")."""
    definition = db.session.get(DefinitionVersion, job.definition_version_id)
    if definition is None:
        return "lost"        # the version is gone, and its jobs with it
    process = load_process(definition)
    # A new instance is nobody else's yet: the engine runs before the write
    # lock is taken, as for start_instance, and its run is dropped if the job was lost.
    run = start_run(process, {}, start_event=job.element)
    with write_transaction() as session:
        row = still_ours(session, job, worker)
        if row is None:
            return "lost"
        at = now()
        fired = Schedule.from_params(row.element, row.due_at, row.params)
        instance = new_instance(definition, started_by=SCHEDULER, data={}, at=at)
        audit(session, instance, "instance_started", at, SCHEDULER, job.element,
              {"data": {}, "version": definition.version, "business_key": None,
               "timer": {"kind": fired.timer.kind, "expression": fired.timer.expression,
                         "due_at": fired.due_at.isoformat()}})
        save_run(session, instance, process, run, actor=SCHEDULER, at=at)
        _move_on(session, row, fired.after_firing(at))
    return "done"


def _move_on(session, row: Job, schedule: Schedule | None) -> None:
    """The job waits for the next start, or goes after the last."""
    if schedule is None:
        session.delete(row)
        return
    row.due_at, row.params = schedule.due_at, schedule.to_params()
    row.locked_by = row.locked_until = None
