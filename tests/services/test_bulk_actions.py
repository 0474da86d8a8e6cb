"""Bulk actions, carried out by the worker: the cases captured when asked are
worked through a chunk per claim, each through the services as the admin who
asked (so their reason is in each case's history), with the skipped and
failed ones recorded; and the per-case actions and the migration dry run
the Instances page offers."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, BulkAction, Instance, Job, db
from app.services import bulk_actions, instances, jobs, tasks
from app.services.errors import Conflict, Forbidden, InvalidData
from app.services.instance_search import InstanceFilter
from tests.support.bpmn import linear_process, script, user

ALPHA = InstanceFilter(process="alpha")


@pytest.fixture
def admin(app_ctx, make_user):
    return make_user("root", role="admin")


@pytest.fixture
def started(admin, deploy, make_user):
    """start(n) → ids of n new cases of alpha, each waiting at its one user task."""
    ann = make_user("ann")
    deploy({"alpha.bpmn": linear_process("alpha", user("check", "Check"))})

    def start(n: int) -> list[int]:
        return [instances.start_instance("alpha", ann).id for _ in range(n)]
    return start


def _bulk(bulk_id: int) -> BulkAction:
    db.session.remove()
    return db.session.get(BulkAction, bulk_id)


def _statuses(ids: list[int]) -> list[str]:
    db.session.remove()
    return [db.session.get(Instance, i).status for i in ids]


def test_a_bulk_suspend_is_done_a_chunk_per_claim_and_skips_what_it_cannot(admin, started, monkeypatch):
    monkeypatch.setattr(bulk_actions, "CHUNK", 2)
    ids = started(5)
    instances.change_status(ids[1], "suspend", admin)
    bulk = bulk_actions.start(admin, "suspend", ALPHA, reason="maintenance window")
    later = started(1)                           # started after the ask: not touched
    assert (bulk.instance_ids, bulk.done, _statuses(ids)[0]) == (ids, 0, "running")

    progress = []
    for _ in range(3):
        assert jobs.run_due("w1", limit=1) == 1
        found = _bulk(bulk.id)
        progress.append((found.done, found.finished_at is not None))
    assert progress == [(2, False), (4, False), (5, True)]
    assert jobs.run_due("w1") == 0 and db.session.scalars(sa.select(Job)).all() == []

    assert _statuses(ids + later) == ["suspended"] * 5 + ["running"]
    assert _bulk(bulk.id).failures == [{"instance_id": ids[1], "outcome": "skipped",
                                        "message": "Cannot suspend an instance that is suspended."}]
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == ids[4],
                                                           AuditEvent.type == "instance_suspended")).one()
    assert (event.actor, event.data) == ("root", {"reason": "maintenance window"})


def test_cases_gone_or_refused_are_recorded_as_failures(admin, started, make_user):
    ids = started(1)
    bulk = bulk_actions.start(admin, "terminate", ALPHA, reason="duplicates", instance_ids=[ids[0], 999_999])
    jobs.run_due("w1")
    found = _bulk(bulk.id)
    assert found.done == 2 and found.finished_at is not None
    assert found.failures == [{"instance_id": 999_999, "outcome": "failed", "message": "There is no instance 999999."}]
    assert _statuses(ids) == ["terminated"]

    # The admin who asked is no longer one when the worker gets to it: nothing is done.
    boss = make_user("boss", role="admin")
    asked = bulk_actions.start(boss, "resume", InstanceFilter(), instance_ids=ids)
    make_user("boss", role="user")
    jobs.run_due("w1")
    assert [f["outcome"] for f in _bulk(asked.id).failures] == ["failed"]


def test_what_a_bulk_action_needs_and_who_may_ask(admin, started, make_user):
    started(1)
    with pytest.raises(InvalidData) as refused:
        bulk_actions.start(admin, "terminate", ALPHA, reason="  ")
    assert list(refused.value.fields) == ["reason"]
    with pytest.raises(InvalidData):
        bulk_actions.start(admin, "explode", ALPHA)
    with pytest.raises(Conflict):
        bulk_actions.start(admin, "suspend", InstanceFilter(process="nothing"))
    assert bulk_actions.preview(admin, "suspend", ALPHA) == 1
    for person in (make_user("audrey", role="auditor"), make_user("dave")):
        for attempt in (lambda: bulk_actions.start(person, "suspend", ALPHA),
                        lambda: bulk_actions.preview(person, "suspend", ALPHA),
                        lambda: bulk_actions.act_on(1, "suspend", person),
                        lambda: bulk_actions.dry_run(person, 1, ALPHA)):
            with pytest.raises(Forbidden):
                attempt()
    assert db.session.scalars(sa.select(BulkAction)).all() == []


def test_retrying_failed_cases_one_or_in_bulk(admin, deploy, started):
    running = started(1)[0]
    deploy({"boom.bpmn": linear_process("boom", script("first", "First step", "x = 1 / 0"))})
    failed = [instances.start_instance("boom", admin).id for _ in range(2)]
    assert _statuses(failed) == ["failed", "failed"]

    bulk_actions.act_on(failed[0], "retry", admin)           # fails again: a new incident
    assert len(db.session.get(Instance, failed[0]).open_incidents) == 1
    with pytest.raises(Conflict, match="no open incidents"):
        bulk_actions.act_on(running, "retry", admin)

    bulk = bulk_actions.start(admin, "retry", InstanceFilter(), instance_ids=[failed[1], running])
    jobs.run_due("w1")
    assert _bulk(bulk.id).failures == [{"instance_id": running, "outcome": "skipped",
                                        "message": "It has no open incidents to retry."}]
    retried = db.session.scalars(sa.select(AuditEvent.instance_id).where(AuditEvent.type == "incident_retried"))
    assert sorted(retried) == sorted(failed)


def test_the_migration_dry_run_then_moving_those_that_can(admin, deploy, make_user):
    ann = make_user("ann")
    deploy({"two.bpmn": linear_process("two", user("a", "A"), user("b", "B"))})
    at_a = instances.start_instance("two", ann).id
    at_b = instances.start_instance("two", ann)
    tasks.complete(at_b.open_tasks[0].id, {}, ann)
    at_b = at_b.id
    deploy({"two.bpmn": linear_process("two", user("a", "A"), user("c", "C"))})

    checked = bulk_actions.dry_run(admin, 2, InstanceFilter(process="two"))
    assert (checked.total, checked.movable) == (2, [at_a])
    [cannot] = [c for c in checked.checks if not c.can_move]
    assert cannot.instance_id == at_b and cannot.active_steps == ("b",) and "b" in " ".join(cannot.reasons)
    assert bulk_actions.dry_run(admin, 2, InstanceFilter(), instance_id=at_a).movable == [at_a]

    bulk = bulk_actions.start(admin, "migrate", InstanceFilter(process="two"), version=2,
                              instance_ids=[at_a, at_b])
    jobs.run_due("w1")
    found = _bulk(bulk.id)
    assert found.target_version == 2 and [f["instance_id"] for f in found.failures] == [at_b]
    assert found.failures[0]["message"].startswith(f"Instance {at_b} cannot move to version 2.")
    db.session.remove()
    assert [db.session.get(Instance, i).definition_version for i in (at_a, at_b)] == [2, 1]
