"""The built-in ``raise_priority`` hook: a non-interrupting SLA timer makes the
open step more urgent in the inbox, and the work itself goes on."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.hooks import HookContext, HookFailed
from app.models import HumanTask, db
from app.services import instances, tasks
from app.services.priority_hook import raise_priority
from app.worker import run_once

BPMN = Path(__file__).parent / "data" / "sla_escalation.bpmn"


def test_an_sla_breach_raises_the_open_task_and_the_work_goes_on(app, app_ctx, deploy, make_user, clock):
    deploy({"sla.bpmn": BPMN.read_bytes()})
    ann = make_user("ann")
    case = instances.start_instance("sla", ann, data={})
    [task] = case.open_tasks
    assert task.priority == 50
    clock.advance(minutes=61)
    assert run_once(app) == 2                      # the timer, then the hook
    db.session.remove()
    assert db.session.get(HumanTask, task.id).priority == 90
    done = tasks.complete(task.id, {}, ann)
    assert done.status == "completed"
    events = [e.type for e in instances.history(case.id, ann)]
    assert "task_priority_raised" in events


def test_a_list_of_steps_raises_those_still_open(app_ctx, deploy, make_user, clock):
    deploy({"sla.bpmn": BPMN.read_bytes()})
    case = instances.start_instance("sla", make_user("ann"), data={})
    [task] = case.open_tasks
    context = HookContext(instance_id=case.id, task_id="t", element="e", attempt=1, now=clock.now(), secrets={})
    assert raise_priority({"element": ["resolve", "closed-already"], "priority": 80}, context) == \
        {"raised": [task.id]}
    db.session.remove()
    assert db.session.get(HumanTask, task.id).priority == 80


@pytest.mark.parametrize("params, named", [
    ({"priority": 90}, "element"),
    ({"element": [], "priority": 90}, "element"),
    ({"element": ["resolve", 7], "priority": 90}, "element"),
    ({"element": "resolve", "priority": 101}, "priority"),
    ({"element": "resolve", "priority": "high"}, "priority"),
    ({"element": "resolve", "priority": 90, "colour": "red"}, "colour"),
])
def test_bad_parameters_fail_for_good(app_ctx, clock, params, named):
    context = HookContext(instance_id=1, task_id="t", element="e", attempt=1, now=clock.now(), secrets={})
    with pytest.raises(HookFailed) as failed:
        raise_priority(params, context)
    assert failed.value.retryable is False and named in failed.value.message
