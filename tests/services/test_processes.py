"""Deployed processes restored from the database as the runtime needs them."""
from __future__ import annotations

from app.models import DefinitionVersion, db
from app.services import instances, processes
from tests.support.bpmn import linear_process, script, user

START_FORM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://baton.example/tests">
  <bpmn:process id="ordered" isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="zeta_first_asked" label="Asked first" type="string"/>
        <camunda:formField id="alpha" label="Asked second" type="string"/>
        <camunda:formField id="middle_one" label="Asked third" type="long"/>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_form_keeps_the_order_of_its_fields(app_ctx, deploy):
    """PostgreSQL's jsonb reorders an object's keys; the fields must not move."""
    deploy({"ordered.bpmn": START_FORM})
    processes._cache.clear()
    db.session.expire_all()
    version = db.session.scalars(db.select(DefinitionVersion).where(DefinitionVersion.key == "ordered")).one()
    form = processes.load_process(version).start_form
    assert list(form.schema["properties"]) == ["zeta_first_asked", "alpha", "middle_one"]


def _numbered(pid: str) -> bytes:
    """start → "Number it" (a script giving the reference) → "Fix" → end; the
    process names the reference as its business key."""
    return linear_process(pid, script("number", "Number it", "ticket_ref = 'TCK-%06d' % 42"),
                          user("fix", "Fix"), properties={"businessKeyVariable": "ticket_ref"})


def test_a_process_gives_itself_its_business_key(app_ctx, deploy, make_user):
    deploy({"t.bpmn": _numbered("ticket")})
    ann = make_user("ann")
    instance = instances.start_instance("ticket", ann)
    assert instance.business_key == "TCK-000042"
    assert [i.business_key for i in instances.list_instances(ann)] == ["TCK-000042"]
    # A key the starter gave stays.
    assert instances.start_instance("ticket", ann, business_key="MAIL-7").business_key == "MAIL-7"


def test_the_fields_of_all_a_process_forms_by_name(app_ctx, deploy):
    deploy({"ordered.bpmn": START_FORM})
    version = db.session.scalars(db.select(DefinitionVersion).where(DefinitionVersion.key == "ordered")).one()
    fields = processes.load_process(version).fields
    assert set(fields) == {"zeta_first_asked", "alpha", "middle_one"}
    assert fields["middle_one"]["type"] == "integer" and fields["alpha"]["title"] == "Asked second"
