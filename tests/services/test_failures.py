"""A script that fails, or tries to leave its sandbox, stops the instance with
an incident that names the step and the line; the request itself succeeds."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Incident, db
from app.services import instances, tasks
from tests.support.bpmn import linear_process, script, user


def _incident(instance_id: int) -> Incident:
    return db.session.scalars(sa.select(Incident).where(Incident.instance_id == instance_id)).one()


def test_a_failing_script_fails_the_instance_with_an_incident(app_ctx, deploy, make_user):
    deploy({"p.bpmn": linear_process("calc", user("enter", "Enter amount"),
                                     script("compute", "Compute total", "checked = True\ntotal = amount * 2"))})
    ann = make_user("ann")
    instance = instances.start_instance("calc", ann)

    after = tasks.complete(instance.open_tasks[0].id, {}, ann)   # no amount: line 2 fails

    assert after.status == "failed"
    incident = _incident(instance.id)
    assert incident.element == "compute" and incident.line == 2
    assert "amount" in incident.message and "NameError" in incident.message
    assert [i.id for i in instances.get_instance(instance.id, ann).open_incidents] == [incident.id]
    events = [e.type for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.id))]
    assert events[-1] == "incident_opened" and "task_completed" in events


def test_a_failing_script_at_start_still_creates_the_instance(app_ctx, deploy, make_user):
    deploy({"p.bpmn": linear_process("boom", script("first", "First step", "x = 1 / 0"))})
    instance = instances.start_instance("boom", make_user("ann"))
    assert instance.status == "failed"
    assert "ZeroDivisionError" in _incident(instance.id).message


@pytest.mark.parametrize("code, words", [
    ("x = ().__class__.__base__.__subclasses__()", "is not allowed"),
    ("import os\nx = os.getcwd()", "import"),
    ("x = __import__('os')", "__import__"),
    ("x = getattr(1, '__class__')", "__class__"),
    ("x = open('/etc/passwd').read()", "open"),
    ("while True:\n    pass", "longer than"),
])
def test_sandbox_escapes_in_a_diagram_are_refused(app_ctx, deploy, make_user, code, words):
    deploy({"p.bpmn": linear_process("escape", script("sneak", "Sneak out", code))})
    app_ctx.config["BATON_SCRIPT_TIMEOUT"] = 0.5
    instance = instances.start_instance("escape", make_user("ann"))
    assert instance.status == "failed"
    incident = _incident(instance.id)
    assert incident.element == "sneak"
    assert words in incident.message
    assert "x" not in instance.data
