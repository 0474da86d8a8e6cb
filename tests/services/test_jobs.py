"""Service tasks through the job table and the worker: the call happens
outside the request, failures are retried with backoff, then become an
incident; a worker that lost its lease does not apply its result."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.hooks import BpmnError, BpmnEscalation, HookFailed, hook
from app.models import AuditEvent, Incident, Instance, Job, db
from app.services import instances, jobs
from tests.support.bpmn import service_process

CALLS: list[tuple[str, dict]] = []
FAILURES_LEFT = {"n": 0}


@hook("test.echo")
def _echo(params, context):
    CALLS.append(("echo", params))
    return {"echoed": params, "attempt": context.attempt}


@hook("test.flaky")
def _flaky(params, context):
    CALLS.append(("flaky", params))
    if FAILURES_LEFT["n"] > 0:
        FAILURES_LEFT["n"] -= 1
        raise HookFailed("the service is down")
    return "ok"


@hook("test.refusing")
def _refusing(params, context):
    raise HookFailed("the record is locked for good", retryable=False)


@pytest.fixture(autouse=True)
def _fresh_counters():
    CALLS.clear()
    FAILURES_LEFT["n"] = 0


@pytest.fixture
def start(app_ctx, deploy, make_user):
    ann = make_user("ann")

    def run(hook_name: str, retries: str = "") -> int:
        deploy({"auto.bpmn": service_process("auto", hook_name, {"who": "requester"},
                                             retries=int(retries) if retries else None)})
        instance = instances.start_instance("auto", ann, data={"requester": "ann"})
        db.session.remove()
        return instance.id
    return run


def _instance(instance_id: int) -> Instance:
    db.session.remove()
    return db.session.get(Instance, instance_id)


def _events(instance_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.type).where(AuditEvent.instance_id == instance_id)
                                   .order_by(AuditEvent.id)))


def test_the_call_waits_for_the_worker_then_the_case_moves_on(start):
    instance_id = start("test.echo")
    # Starting did not call the hook: a job waits, with the parameters evaluated then.
    assert CALLS == []
    [job] = db.session.scalars(sa.select(Job)).all()
    assert (job.hook, job.element, job.params, job.attempts, job.max_attempts) == \
        ("test.echo", "call", {"who": "ann"}, 0, 4)
    assert _instance(instance_id).status == "running"

    assert jobs.run_due("w1") == 1
    assert CALLS == [("echo", {"who": "ann"})]
    instance = _instance(instance_id)
    assert instance.status == "completed"
    assert instance.data["answer"] == {"echoed": {"who": "ann"}, "attempt": 1}
    assert db.session.scalars(sa.select(Job)).all() == []
    assert "service_call_succeeded" in _events(instance_id)
    assert jobs.run_due("w1") == 0


def test_failures_are_retried_with_growing_waits(start, clock):
    FAILURES_LEFT["n"] = 2
    instance_id = start("test.flaky")
    assert jobs.run_due("w1") == 1                       # fails: again in 10 s
    assert jobs.run_due("w1") == 0
    clock.advance(seconds=9)
    assert jobs.run_due("w1") == 0
    clock.advance(seconds=1)
    assert jobs.run_due("w1") == 1                       # fails: again in 20 s
    clock.advance(seconds=19)
    assert jobs.run_due("w1") == 0
    clock.advance(seconds=1)
    assert jobs.run_due("w1") == 1                       # succeeds
    assert len(CALLS) == 3
    instance = _instance(instance_id)
    assert instance.status == "completed" and instance.data["answer"] == "ok"
    assert _events(instance_id).count("service_call_failed") == 2


def test_when_retries_run_out_the_case_gets_an_incident(start, clock):
    FAILURES_LEFT["n"] = 99
    instance_id = start("test.flaky", retries="1")
    jobs.run_due("w1")
    clock.advance(minutes=1)
    jobs.run_due("w1")
    assert len(CALLS) == 2
    instance = _instance(instance_id)
    assert instance.status == "failed"
    [incident] = db.session.scalars(sa.select(Incident)).all()
    assert incident.element == "call"
    assert incident.message == "test.flaky: the service is down (after 2 attempts)"
    assert db.session.scalars(sa.select(Job)).all() == []


def test_a_failure_a_retry_cannot_fix_is_an_incident_at_once(start):
    instance_id = start("test.refusing")
    jobs.run_due("w1")
    assert _instance(instance_id).status == "failed"
    assert "locked for good" in db.session.scalar(sa.select(Incident.message))


def test_an_unknown_hook_is_an_incident_that_names_it(start):
    instance_id = start("no.such.hook")
    jobs.run_due("w1")
    assert _instance(instance_id).status == "failed"
    assert "no.such.hook" in db.session.scalar(sa.select(Incident.message))


def test_a_worker_that_lost_its_lease_does_not_apply_its_result(start, clock, app):
    instance_id = start("test.echo")
    [slow] = jobs.claim_due("slow-worker")
    assert jobs.claim_due("w2") == []                    # leased: nobody else takes it
    clock.advance(timedelta(seconds=app.config["BATON_JOB_LEASE_SECONDS"] + 1))     # the slow worker is presumed dead
    [taken_over] = jobs.claim_due("w2")
    assert jobs.run_job(slow, "slow-worker") == "lost"   # it called, but may not apply the answer
    assert _instance(instance_id).status == "running"
    assert jobs.run_job(taken_over, "w2") == "done"
    assert _instance(instance_id).status == "completed" and len(CALLS) == 2
    assert _events(instance_id).count("service_call_succeeded") == 1


def test_a_suspended_case_keeps_its_job_waiting(start, clock, make_user):
    instance_id = start("test.echo")
    admin = make_user("root", role="admin")
    instances.change_status(instance_id, "suspend", admin)
    assert jobs.run_due("w1") == 1 and CALLS == []
    instances.change_status(instance_id, "resume", admin)
    clock.advance(minutes=1)
    jobs.run_due("w1")
    assert CALLS and _instance(instance_id).status == "completed"


def test_an_admin_retries_the_incident_and_the_call_is_made_again(start, make_user, clock):
    from app.services import incidents
    from app.services.errors import Conflict, Forbidden

    FAILURES_LEFT["n"] = 99
    instance_id = start("test.flaky", retries="0")
    jobs.run_due("w1")
    [incident] = incidents.open_incidents(make_user("root", role="admin"))
    with pytest.raises(Forbidden):
        incidents.retry(incident.id, make_user("ann"))

    FAILURES_LEFT["n"] = 0                                 # the service is back
    instance = incidents.retry(incident.id, make_user("root", role="admin"))
    assert instance.status == "running"
    assert incidents.open_incidents(make_user("root", role="admin")) == []
    with pytest.raises(Conflict):
        incidents.retry(incident.id, make_user("root", role="admin"))
    assert jobs.run_due("w1") == 1
    assert _instance(instance_id).status == "completed" and len(CALLS) == 2
    assert "incident_retried" in _events(instance_id)


def test_a_retry_that_fails_again_opens_a_new_incident(start, make_user):
    from app.services import incidents

    FAILURES_LEFT["n"] = 99
    start("test.flaky", retries="0")
    jobs.run_due("w1")
    admin = make_user("root", role="admin")
    [first] = incidents.open_incidents(admin)
    incidents.retry(first.id, admin)
    jobs.run_due("w1")
    [second] = incidents.open_incidents(admin)
    assert second.id != first.id and second.element == "call"


@hook("licences.take")
def _take_licence(params, context):
    raise BpmnError("NO_LICENCE", f"no {params['product']} licence left")


def test_a_bpmn_error_from_a_hook_takes_the_modelled_path(app_ctx, deploy, make_user):
    bpmn = Path(__file__).parents[1] / "engine" / "data" / "service_calls" / "licence_check.bpmn"
    deploy({"licence.bpmn": bpmn.read_bytes()})
    instance = instances.start_instance("licence", make_user("ann"), data={"product": "editor"})
    assert jobs.run_due("w1") == 1
    instance = _instance(instance.id)
    assert instance.status == "running" and [t.bpmn_id for t in instance.open_tasks] == ["buy"]
    assert instance.data["error_code"] == "NO_LICENCE"
    assert db.session.scalars(sa.select(Incident)).all() == [] and db.session.scalars(sa.select(Job)).all() == []
    assert "service_call_error" in _events(instance.id)


@hook("test.erroring")
def _erroring(params, context):
    raise BpmnError("OOPS", "not modelled")


def test_a_bpmn_error_nothing_catches_is_an_incident(start):
    instance_id = start("test.erroring")
    jobs.run_due("w1")
    assert _instance(instance_id).status == "failed"
    assert "OOPS" in db.session.scalar(sa.select(Incident.message))


@hook("stock.reserve")
def _reserve_part(params, context):
    raise BpmnEscalation("LOW_STOCK", f"the last {params['part']}", result={"bin": "A3"})


def test_an_escalation_from_a_hook_starts_its_path_and_the_call_still_succeeds(app_ctx, deploy, make_user):
    bpmn = Path(__file__).parents[1] / "engine" / "data" / "service_calls" / "stock_check.bpmn"
    deploy({"stock.bpmn": bpmn.read_bytes()})
    instance = instances.start_instance("stock", make_user("ann"), data={"part": "fan"})
    assert jobs.run_due("w1") == 1
    instance = _instance(instance.id)
    assert instance.status == "running"
    assert sorted(t.bpmn_id for t in instance.open_tasks) == ["fit", "reorder"]
    assert db.session.scalars(sa.select(Incident)).all() == [] and db.session.scalars(sa.select(Job)).all() == []
    assert "service_call_escalated" in _events(instance.id)


def test_an_idle_worker_sleeps_until_the_next_job_falls_due(start, clock, app):
    assert jobs.seconds_until_due(1.0) == 1.0              # nothing to do: the poll interval
    start("test.echo")
    assert jobs.seconds_until_due(1.0) == 0.0              # due now
    [job] = jobs.claim_due("w1")
    lease = app.config["BATON_JOB_LEASE_SECONDS"]
    assert jobs.seconds_until_due(lease * 2) == lease      # leased: free again when the lease runs out
    assert jobs.seconds_until_due(1.0) == 1.0
