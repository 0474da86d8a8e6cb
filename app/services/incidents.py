"""Incidents: steps that failed for good (a script error, a service call out
of retries) and wait for an admin, who fixes the cause and retries."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from app.database import write_transaction
from app.engine.runtime import RunNotActive
from app.models import Incident, Instance, User, db

from . import permissions, queries
from .audit import record as audit
from .context import now
from .errors import Conflict, NotFound
from .execution import restore_run, save_run
from .processes import load_process

MAX_LIST = 1000


def open_incidents(actor: User, *, limit: int = 100, offset: int = 0) -> list[Incident]:
    """Open incidents, oldest first: every one for admins and auditors; for
    others, those of the instances they started."""
    query = sa.select(Incident).where(Incident.resolved_at.is_(None))
    if not permissions.reads_everything(actor):
        mine = sa.select(Instance.id).where(Instance.started_by == actor.username)
        query = query.where(Incident.instance_id.in_(mine))
    query = query.order_by(Incident.created_at, Incident.id)
    return list(db.session.scalars(query.limit(min(max(limit, 1), MAX_LIST)).offset(max(offset, 0))))


def retry(incident_id: int, actor: User) -> Instance:
    """Run the failed step again (admins). The incident is resolved; if the step
    fails again, a new incident opens with the new error."""
    permissions.require_admin(actor)
    with write_transaction() as session:
        incident = session.get(Incident, incident_id, with_for_update=True)
        if incident is None:
            raise NotFound(f"There is no incident {incident_id}.")
        if incident.resolved_at is not None:
            raise Conflict(f"Incident {incident_id} is resolved already.")
        instance = queries.lock_instance(session, incident.instance_id)
        if instance.status != "failed":
            raise Conflict(f"The instance is {instance.status}: resume it before retrying.",
                           status=instance.status)
        process = load_process(instance.definition)
        run = restore_run(instance, process)
        at = now()
        try:
            run.retry()
        except RunNotActive as exc:
            raise Conflict(str(exc)) from None
        for open_one in instance.open_incidents:
            open_one.resolved_at = at
        # Running again as far as save_run can tell: a step that fails again opens a new incident.
        set_committed_value(instance, "status", "running")
        audit(session, instance, "incident_retried", at, actor.username, incident.element,
              {"incident_id": incident.id, "message": incident.message})
        save_run(session, instance, process, run, actor=actor.username, at=at)
    return instance
