"""Processes that start on a schedule: a timer start event is a ``start`` job
row written with the deployment; the worker starts one NEW instance per
firing, by the injected clock, and moves the job on or removes it. A new
version replaces the schedule; unchanged content keeps it; a schedule that
cannot be made is refused at deploy; the rows survive a restart."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app import create_app, worker
from app.models import AuditEvent, DefinitionVersion, Instance, Job, db
from app.services import deployments, jobs, processes, tasks
from app.services.errors import InvalidDeployment
from app.services.schedules import SCHEDULER
from tests.engine.test_start_timers import HOUR, T0, bpmn   # the diagrams, and the clock fixture's start


def start_jobs() -> list[Job]:
    db.session.remove()
    return list(db.session.scalars(sa.select(Job).where(Job.kind == "start").order_by(Job.id)))


def started() -> list[Instance]:
    db.session.remove()
    return list(db.session.scalars(sa.select(Instance).order_by(Instance.id)))


def versions_started() -> list[int]:
    return [i.definition_version for i in started()]


@pytest.mark.parametrize("file", ["camunda_hourly.bpmn", "spiff_hourly.bpmn"])
def test_a_cycle_starts_a_new_instance_at_each_firing_n_times(app_ctx, deploy, clock, file):
    key = file.removesuffix(".bpmn")
    [deployed] = deploy({file: bpmn(file)})
    [job] = start_jobs()
    version = db.session.scalar(sa.select(DefinitionVersion).where(DefinitionVersion.key == key))
    assert (job.definition_version_id, job.instance_id, job.element) == (version.id, None, "every_hour")
    assert job.due_at == T0 + HOUR and job.params["starts_left"] == 3 and not version.startable

    clock.advance(minutes=59)
    assert jobs.run_due("w1") == 0 and started() == []            # none before it is due
    for n in (1, 2, 3):
        clock.set(T0 + n * HOUR)
        assert jobs.run_due("w1") == 1
        assert len(started()) == n
        assert [j.due_at for j in start_jobs()] == ([T0 + (n + 1) * HOUR] if n < 3 else [])
    clock.advance(days=2)
    assert jobs.run_due("w1") == 0 and len(started()) == 3          # R3: three, then no more

    for instance in started():
        assert (instance.definition_key, instance.definition_version) == (key, deployed.version)
        assert instance.started_by == SCHEDULER and instance.status == "running"
        assert [t.bpmn_id for t in instance.open_tasks] == ["check"]
    first = started()[0]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.instance_id == first.id,
                                                          AuditEvent.type == "instance_started"))
    assert (event.actor, event.element) == (SCHEDULER, "every_hour")
    assert event.data["timer"] == {"kind": "cycle", "expression": "R3/PT1H" if "camunda" in file else '"R3/PT1H"',
                                   "due_at": (T0 + HOUR).isoformat()}
    assert event.data["version"] == deployed.version


def test_the_worker_loop_starts_scheduled_instances(app, app_ctx, deploy, clock):
    deploy({"hourly.bpmn": bpmn("spiff_hourly.bpmn")})
    clock.advance(hours=1)
    assert worker.run_once(app, "w1") == 1
    [instance] = started()
    assert instance.data == {"round_started": True}               # the script after the start ran


@pytest.mark.parametrize("file, due", [
    ("camunda_once.bpmn", datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)),
    ("spiff_once.bpmn", datetime(2026, 1, 5, 11, 0, tzinfo=timezone.utc)),
])
def test_a_date_starts_one_instance_at_that_date(app_ctx, deploy, clock, file, due):
    deploy({file: bpmn(file)})
    clock.set(due - timedelta(minutes=1))
    assert jobs.run_due("w1") == 0 and started() == []
    clock.set(due)
    assert jobs.run_due("w1") == 1 and len(started()) == 1
    assert start_jobs() == []
    clock.advance(days=400)
    assert jobs.run_due("w1") == 0 and len(started()) == 1


def test_a_date_already_past_starts_at_the_next_round(app_ctx, deploy):
    deploy({"once.bpmn": bpmn("camunda_once.bpmn", ("2026-01-05T12:00:00Z", "2025-12-24T09:00:00Z"))})
    assert jobs.run_due("w1") == 1 and len(started()) == 1


def test_a_duration_starts_one_instance_that_long_after_deployment(app_ctx, deploy, clock):
    clock.advance(minutes=10)                                     # deployed at 9:10
    deploy({"later.bpmn": bpmn("camunda_later.bpmn")})
    [job] = start_jobs()
    assert job.due_at == T0 + timedelta(minutes=40)
    clock.advance(minutes=29)
    assert jobs.run_due("w1") == 0
    clock.advance(minutes=1)
    assert jobs.run_due("w1") == 1 and len(started()) == 1 and start_jobs() == []


def test_a_new_version_replaces_the_schedule(app_ctx, deploy, clock):
    deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn")})
    clock.advance(hours=1)
    jobs.run_due("w1")
    clock.advance(minutes=30)
    [v2] = deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn", ("R3/PT1H", "R2/PT2H"))})
    assert v2.version == 2 and v2.new
    [job] = start_jobs()                                          # v1's job is gone
    assert job.due_at == clock.now() + 2 * HOUR and job.params["expression"] == "R2/PT2H"
    clock.advance(hours=5)
    while jobs.run_due("w1"):
        pass
    assert versions_started() == [1, 2]                           # v1 started no more after v2 came


def test_a_new_version_without_a_start_timer_ends_the_schedule(app_ctx, deploy, clock):
    deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn")})
    timer = '<bpmn:timerEventDefinition id="every_hour_timer">'
    by_hand = bpmn("camunda_hourly.bpmn").decode()
    by_hand = by_hand[:by_hand.index(timer)] + by_hand[by_hand.index("</bpmn:timerEventDefinition>") + 28:]
    [v2] = deploy({"hourly.bpmn": by_hand.encode()})
    assert v2.version == 2 and start_jobs() == []
    clock.advance(days=1)
    assert jobs.run_due("w1") == 0 and started() == []


def test_deploying_unchanged_content_keeps_the_schedule(app_ctx, deploy, clock):
    deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn")})
    clock.advance(hours=1)
    jobs.run_due("w1")
    [before] = start_jobs()
    clock.advance(minutes=20)
    [same] = deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn")})
    assert not same.new
    [after] = start_jobs()
    assert (after.id, after.due_at, after.params) == (before.id, T0 + 2 * HOUR, before.params)


def test_another_process_deployed_leaves_the_schedule_alone(app_ctx, deploy):
    deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn")})
    deploy({"later.bpmn": bpmn("camunda_later.bpmn")})
    assert [j.element for j in start_jobs()] == ["every_hour", "soon"]


@pytest.mark.parametrize("file, element, value", [
    ("camunda_cron.bpmn", "at_nine", "'0 0 9 * * ?'"),
    ("spiff_needs_data.bpmn", "when_asked", "'start_at'"),
])
def test_a_start_timer_that_cannot_be_scheduled_is_refused_and_nothing_stored(app_ctx, deploy, file, element, value):
    with pytest.raises(InvalidDeployment) as refused:
        deploy({file: bpmn(file)})
    [problem] = refused.value.problems
    assert (problem.file, problem.element) == (file, element) and value in problem.message
    assert deployments.validate({file: bpmn(file)}) == [problem]       # the check without deploying says so too
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DefinitionVersion)) == 0
    assert start_jobs() == []


def test_a_job_whose_lease_ran_out_starts_nothing(app, app_ctx, deploy, clock):
    deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn")})
    clock.advance(hours=1)
    [slow] = jobs.claim_due("w1")
    clock.advance(seconds=float(app.config.get("BATON_JOB_LEASE_SECONDS", 300)) + 1)
    [taken_over] = jobs.claim_due("w2")
    assert jobs.run_job(slow, "w1") == "lost" and started() == []
    assert jobs.run_job(taken_over, "w2") == "done" and len(started()) == 1


def test_a_job_replaced_by_a_new_version_meanwhile_starts_nothing(app_ctx, deploy, clock):
    deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn")})
    clock.advance(hours=1)
    [claimed] = jobs.claim_due("w1")
    deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn", ("R3/PT1H", "R3/PT2H"))})
    assert jobs.run_job(claimed, "w1") == "lost" and started() == []


def test_a_scheduled_instance_is_worked_on_like_any_other(app_ctx, deploy, make_user, clock):
    deploy({"later.bpmn": bpmn("camunda_later.bpmn")})            # check: camunda:assignee="ann"
    ann = make_user("ann")
    clock.advance(minutes=30)
    jobs.run_due("w1")
    [instance] = started()
    done = tasks.complete(instance.open_tasks[0].id, {"counted": 12}, ann)
    assert done.status == "completed" and done.data == {"counted": 12}


def test_overdue_starts_fire_after_a_restart(app, deploy, clock, tmp_path):
    with app.app_context():
        deploy({"hourly.bpmn": bpmn("camunda_hourly.bpmn")})
        db.engine.dispose()
    processes._cache.clear()               # nothing of the first app survives in memory
    clock.advance(hours=2, minutes=30)     # the worker was down when +1h and +2h were due

    restarted = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "INSTANCE_PATH": str(tmp_path / "again"), "BATON_CLOCK": clock})
    with restarted.app_context():
        assert worker.run_once(restarted, "w2") == 1
        assert len(started()) == 1             # the overdue start, once: missed ones are not made up for
        [job] = start_jobs()
        assert (job.due_at, job.params["starts_left"]) == (T0 + 3 * HOUR, 1)
        clock.set(T0 + 3 * HOUR)
        assert worker.run_once(restarted, "w2") == 1
        assert len(started()) == 2 and start_jobs() == []
        db.engine.dispose()
