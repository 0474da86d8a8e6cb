"""Pre- and post-scripts of user tasks (SpiffArena's extension) run in the
sandbox: the pre-script prepares what the person sees, the post-script works
on what they entered, and a failing one is an incident with its line."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from app.models import Incident, db
from app.services import instances, tasks

GREETING = (Path(__file__).parent / "data" / "greeting.bpmn").read_bytes()


def test_pre_script_prepares_and_post_script_follows_up(app_ctx, deploy, make_user):
    deploy({"greeting.bpmn": GREETING})
    ann = make_user("ann")
    instance = instances.start_instance("greeting", ann, data={"name": "Ann"})
    task = tasks.get_task(instance.open_tasks[0].id, ann)
    assert task.data["greeting"] == "Hello, Ann"
    done = tasks.complete(task.task.id, {"reply": "hi there"}, ann)
    assert done.status == "completed"
    assert done.data["shout"] == "HI THERE" and done.data["reply_length"] == 8


def test_a_failing_pre_script_is_an_incident_with_its_line(app_ctx, deploy, make_user):
    deploy({"greeting.bpmn": GREETING})
    instance = instances.start_instance("greeting", make_user("ann"))   # no name
    assert instance.status == "failed"
    incident = db.session.scalars(sa.select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.element == "answer" and incident.line == 1 and "name" in incident.message


def test_a_failing_post_script_is_an_incident(app_ctx, deploy, make_user):
    deploy({"greeting.bpmn": GREETING})
    ann = make_user("ann")
    instance = instances.start_instance("greeting", ann, data={"name": "Ann"})
    done = tasks.complete(instance.open_tasks[0].id, {"reply": 42}, ann)   # len(42) fails on line 1
    assert done.status == "failed"
    incident = db.session.scalars(sa.select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.element == "answer" and incident.line == 1 and "TypeError" in incident.message
