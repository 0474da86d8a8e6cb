"""Admins' actions on cases: on one case (``act_on``), or on every case a
filter matched, as a bulk action the job worker carries out.

A bulk action captures the ids of the matching cases when it is asked, and
writes one ``bulk`` job. Each claim of that job works through the next
CHUNK cases, each in its own transaction through the same services a person
uses (instances.change_status, incidents.retry, migrations.migrate) as the
admin who asked, so every case's audit trail says who did it and why. A case
a service refuses (already suspended, can't be moved) is recorded with the
refusal, and the rest go on. The job then records its progress and is due
again at once until the last case is done: one bulk action never holds the
worker long, and other jobs are claimed between its chunks.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from app.database import fresh, write_transaction
from app.models import BulkAction, Incident, Instance, Job, User, db
from app.models.bulk_actions import ACTIONS

from . import incidents, instances, migrations, permissions, users
from .context import now
from .errors import Conflict, InvalidData, NotFound, ServiceError
from .instance_search import InstanceFilter, matching_ids
from .job_claims import ClaimedJob, still_ours

CHUNK = 25
MAX_REASON = 1000
MAX_GIVEN_IDS = 10_000       # ids posted by a form (the dry run's movable cases)
MAX_DRY_RUN = 500            # cases a migration dry run checks at once
STATUS_ACTIONS = ("suspend", "resume", "terminate")

log = logging.getLogger(__name__)


# --- one case ------------------------------------------------------------------

def act_on(instance_id: int, action: str, caller: User, *, reason: str | None = None,
           version: int | None = None) -> Instance:
    """Suspend, resume, terminate (a reason required), retry its incidents, or
    migrate one case (admins). Conflict when the case is not in a state for it."""
    permissions.require_admin(caller)
    reason = checked_request(action, reason, version)
    if action in STATUS_ACTIONS:
        return instances.change_status(instance_id, action, caller, reason=reason)
    if action == "retry":
        return retry_incidents(instance_id, caller)
    return migrations.migrate(instance_id, version, caller)


def checked_request(action: str, reason: str | None, version: int | None) -> str | None:
    """The reason, trimmed (None when empty); InvalidData when the request lacks what its action needs."""
    reason = (reason or "").strip() or None
    errors: dict[str, list[str]] = {}
    if action not in ACTIONS:
        errors["action"] = [f"Not an action: choose one of {', '.join(ACTIONS)}."]
    if action == "terminate" and reason is None:
        errors["reason"] = ["Say why the cases are terminated: the reason is kept in their history."]
    if reason is not None and len(reason) > MAX_REASON:
        errors["reason"] = [f"At most {MAX_REASON} characters."]
    if action == "migrate" and (not isinstance(version, int) or version < 1):
        errors["to_version"] = ["Choose the version to move the cases to."]
    if errors:
        raise InvalidData(errors)
    return reason


def retry_incidents(instance_id: int, caller: User) -> Instance:
    """Retry a failed case: its failed step runs again (retrying one incident
    resolves all of the case's open incidents)."""
    permissions.require_admin(caller)
    incident_id = db.session.scalar(sa.select(Incident.id).where(
        Incident.instance_id == instance_id, Incident.resolved_at.is_(None)).order_by(Incident.id).limit(1))
    if incident_id is None:
        if db.session.get(Instance, instance_id) is None:
            raise NotFound(f"There is no instance {instance_id}.")
        raise Conflict("It has no open incidents to retry.")
    return incidents.retry(incident_id, caller)


# --- asking for a bulk action ---------------------------------------------------

def preview(caller: User, action: str, filters: InstanceFilter) -> int:
    """How many cases a bulk action on the filter would touch now (admins)."""
    permissions.require_admin(caller)
    if action not in (*STATUS_ACTIONS, "retry"):
        # Moving cases is asked for from the migration dry run, which shows which can move.
        raise InvalidData({"action": [f"Not an action: choose one of {', '.join(STATUS_ACTIONS)} or retry."]})
    return len(matching_ids(caller, filters))


def start(caller: User, action: str, filters: InstanceFilter, *, reason: str | None = None,
          version: int | None = None, instance_ids: list[int] | None = None) -> BulkAction:
    """Ask for ``action`` on every case the filter matches now, or on the cases
    given (the ones a migration dry run found movable); the worker does it."""
    permissions.require_admin(caller)
    reason = checked_request(action, reason, version)
    if instance_ids is None:
        ids = matching_ids(caller, filters)
    else:
        if len(instance_ids) > MAX_GIVEN_IDS:
            raise InvalidData({"ids": [f"At most {MAX_GIVEN_IDS} cases at once."]})
        ids = list(dict.fromkeys(instance_ids))
    if not ids:
        raise Conflict("No cases match: there is nothing to do.")
    with write_transaction() as session:
        at = now()
        bulk = BulkAction(action=action, reason=reason, target_version=version if action == "migrate" else None,
                          instance_ids=ids, filters=filters.args(), done=0, failures=[],
                          requested_by=caller.username, requested_at=at)
        session.add(bulk)
        session.flush()
        session.add(Job(kind="bulk", instance_id=None, definition_version_id=None, task_id="", element="", hook="",
                        params={"bulk_action_id": bulk.id}, result_variable="", attempts=0, max_attempts=1,
                        due_at=at, created_at=at))
    return bulk


def get(bulk_id: int, caller: User) -> BulkAction:
    """A bulk action and how far it has come (admins and auditors)."""
    if not permissions.reads_everything(caller):
        raise permissions.Forbidden("Bulk actions are for admins and auditors.")
    found = db.session.scalar(fresh(sa.select(BulkAction).where(BulkAction.id == bulk_id)))
    if found is None:
        raise NotFound(f"There is no bulk action {bulk_id}.")
    return found


# --- the migration dry run -----------------------------------------------------------

@dataclass(frozen=True)
class DryRun:
    version: int
    total: int                          # cases matched
    checks: list                        # migrations.MigrationCheck, one per case; empty when too many

    @property
    def too_many(self) -> bool:
        return self.total > MAX_DRY_RUN

    @property
    def movable(self) -> list[int]:
        return [c.instance_id for c in self.checks if c.can_move]


def dry_run(caller: User, version: int | None, filters: InstanceFilter, *,
            instance_id: int | None = None) -> DryRun:
    """Whether each case the filter matches (or the one case given) could move
    to ``version`` of its process, and why not; nothing changes (admins)."""
    permissions.require_admin(caller)
    checked_request("migrate", None, version)
    ids = [instance_id] if instance_id is not None else matching_ids(caller, filters)
    if len(ids) > MAX_DRY_RUN:
        return DryRun(version=version, total=len(ids), checks=[])
    return DryRun(version=version, total=len(ids), checks=migrations.check_many(ids, version, caller))


# --- the worker --------------------------------------------------------------------

def run_bulk_job(job: ClaimedJob, worker: str) -> str:
    """Work through the next CHUNK cases of the job's bulk action, then record
    the progress: "more" (due again now), "done", or "lost" when the lease or
    the chunk was another worker's meanwhile."""
    bulk_id = job.params["bulk_action_id"]
    bulk = db.session.scalar(fresh(sa.select(BulkAction).where(BulkAction.id == bulk_id)))
    if bulk is None or bulk.finished_at is not None:
        return _drop(job, worker)
    first = bulk.done
    chunk = bulk.instance_ids[first:first + CHUNK]
    actor = users.get_user(bulk.requested_by)
    outcomes = [_outcome(bulk, instance_id, actor) for instance_id in chunk]
    with write_transaction() as session:
        row = still_ours(session, job, worker)
        current = session.scalar(fresh(sa.select(BulkAction).where(BulkAction.id == bulk_id).with_for_update()))
        if row is None or current is None or current.done != first:
            return "lost"      # another worker took this chunk over: its record stands
        current.done = first + len(chunk)
        current.failures = [*current.failures, *(o for o in outcomes if o is not None)]
        at = now()
        if current.done >= len(current.instance_ids):
            current.finished_at = at
            session.delete(row)
            return "done"
        row.locked_by = row.locked_until = None
        row.due_at = at
        return "more"


def _outcome(bulk: BulkAction, instance_id: int, actor: User | None) -> dict | None:
    """None when the action was done on the case, else what came of it."""
    if actor is None or not actor.active:
        return _failure(instance_id, "failed", f"{bulk.requested_by} can no longer act in Baton.")
    try:
        act_on(instance_id, bulk.action, actor, reason=bulk.reason, version=bulk.target_version)
    except Conflict as refused:
        return _failure(instance_id, "skipped", refusal_text(refused))
    except ServiceError as error:
        return _failure(instance_id, "failed", error.message)
    except Exception as error:  # noqa: BLE001 - one broken case must not stop the others
        log.exception("bulk action %s: case %s failed", bulk.id, instance_id)
        return _failure(instance_id, "failed", f"Unexpected error: {type(error).__name__}.")
    return None


def refusal_text(refused: Conflict | InvalidData) -> str:
    """What a refusal says, in one line: the message and the reasons a
    migration gives, or each field's messages."""
    if isinstance(refused, InvalidData):
        return " ".join(m for messages in refused.fields.values() for m in messages)
    return " ".join([refused.message, *map(str, refused.details.get("reasons") or [])])


def _failure(instance_id: int, outcome: str, message: str) -> dict:
    return {"instance_id": instance_id, "outcome": outcome, "message": message}


def _drop(job: ClaimedJob, worker: str) -> str:
    with write_transaction() as session:
        row = still_ours(session, job, worker)
        if row is None:
            return "lost"
        session.delete(row)
        return "dropped"
