"""Timers through the job table: a waiting instance has one timer job, due
when its earliest timer is; the worker fires it by the injected clock, and the
case takes the timer's path. Due times are rows, so a restart loses nothing."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.models import Instance, Job, db
from app.services import instances, jobs, tasks

TIMERS = Path(__file__).parents[1] / "engine" / "data" / "timers"


def _timer_jobs() -> list[Job]:
    db.session.remove()
    return list(db.session.scalars(sa.select(Job).where(Job.kind == "timer")))


def _open(instance_id: int) -> list[str]:
    db.session.remove()
    return [t.bpmn_id for t in db.session.get(Instance, instance_id).open_tasks]


def test_an_overdue_review_is_chased(app_ctx, deploy, make_user, clock):
    deploy({"review.bpmn": (TIMERS / "spiff_interrupting.bpmn").read_bytes()})
    started = instances.start_instance("spiff_interrupting", make_user("ann"))
    [job] = _timer_jobs()
    assert job.due_at == clock.now() + timedelta(hours=1)

    clock.advance(minutes=59)
    assert jobs.run_due("w1") == 0 and _open(started.id) == ["review"]
    clock.advance(minutes=1, seconds=1)
    assert jobs.run_due("w1") == 1
    assert _open(started.id) == ["chase"]            # the review was withdrawn, the chase opened
    assert _timer_jobs() == []


def test_a_review_done_in_time_leaves_nothing_to_fire(app_ctx, deploy, make_user, clock):
    deploy({"review.bpmn": (TIMERS / "spiff_interrupting.bpmn").read_bytes()})
    ann = make_user("ann")
    started = instances.start_instance("spiff_interrupting", ann)
    tasks.complete(started.open_tasks[0].id, {}, ann)
    db.session.remove()
    assert db.session.get(Instance, started.id).status == "completed"
    assert _timer_jobs() == []                       # the completed case leaves no timer job behind
    clock.advance(hours=2)
    assert jobs.run_due("w1") == 0


def test_a_cycle_keeps_one_job_for_its_next_firing(app_ctx, deploy, make_user, clock):
    deploy({"cycle.bpmn": (TIMERS / "camunda_cycle.bpmn").read_bytes()})
    started = instances.start_instance("camunda_cycle", make_user("ann"))
    [first] = _timer_jobs()
    assert first.due_at == clock.now() + timedelta(hours=1)
    clock.advance(hours=1, seconds=1)
    assert jobs.run_due("w1") == 1
    [second] = _timer_jobs()                         # the next repetition, an hour on
    assert second.due_at == first.due_at + timedelta(hours=1)
    assert _open(started.id) == ["review", "chase"]
    clock.advance(hours=1)
    assert jobs.run_due("w1") == 1
    assert _open(started.id) == ["review", "chase", "chase"] and _timer_jobs() == []   # R2: twice, then done


def test_a_timer_fires_when_the_clock_reaches_its_due_time_exactly(app, app_ctx, deploy, make_user, clock):
    from app.worker import run_once

    deploy({"review.bpmn": (TIMERS / "spiff_interrupting.bpmn").read_bytes()})
    started = instances.start_instance("spiff_interrupting", make_user("ann"))
    clock.advance(hours=1)                           # exactly the job's due time
    assert run_once(app) == 1                        # it fires, once: no job left due again and again
    assert _open(started.id) == ["chase"] and _timer_jobs() == []
