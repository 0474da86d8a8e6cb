"""Cases for the instance page and My requests: a repair request that branches
at a gateway (for the flows a case took), and a calculation whose script fails
(for incidents). Their people sign in with PASSWORD."""
from __future__ import annotations

from app.models import db
from app.services import deployments, instances, tasks, users
from tests.support.bpmn import linear_process, script, user
from tests.support.pages import sign_in

PASSWORD = "secret"
PEOPLE = {   # name: (groups, role, display name)
    "olga": ([], "owner", "Olga Owner"),
    "dave": ([], None, "Dave Daniels"),        # starts the cases
    "erin": ([], None, "Erin Early"),          # starts cases too
    "alice": (["agents"], None, "Alice Agent"),  # assesses repairs
    "ivan": (["it"], None, "Ivan IT"),         # fixes them
    "fiona": (["finance"], None, "Fiona Finance"),  # has nothing to do with repairs
    "audrey": ([], "auditor", "Audrey Auditor"),
    "adam": ([], "admin", "Adam Admin"),
}
LONG_NOTES = "The screen flickers when the lid moves. " * 30

# start → assess (agents) → fixable? → fix (it) → fixed
#                                     ↘ replace (script) → replaced
REPAIR = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="Definitions_repair" targetNamespace="http://baton.example/tests">
  <bpmn:process id="repair" name="Repair request" isExecutable="true">
    <bpmn:startEvent id="reported" name="Fault reported">
      <bpmn:outgoing>flow_reported_assess</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="assess" name="Assess the fault" camunda:candidateGroups="agents">
      <bpmn:documentation>Look at the device and say whether it can be fixed.</bpmn:documentation>
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="fixable" label="Can it be fixed?" type="boolean"/>
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_reported_assess</bpmn:incoming>
      <bpmn:outgoing>flow_assess_decide</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="decide" name="Fixable?">
      <bpmn:incoming>flow_assess_decide</bpmn:incoming>
      <bpmn:outgoing>flow_decide_fix</bpmn:outgoing>
      <bpmn:outgoing>flow_decide_replace</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="fix" name="Fix it" camunda:candidateGroups="it">
      <bpmn:incoming>flow_decide_fix</bpmn:incoming>
      <bpmn:outgoing>flow_fix_fixed</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="replace" name="Order a replacement" scriptFormat="python">
      <bpmn:incoming>flow_decide_replace</bpmn:incoming>
      <bpmn:outgoing>flow_replace_replaced</bpmn:outgoing>
      <bpmn:script>ordered = True</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="fixed" name="Fixed">
      <bpmn:incoming>flow_fix_fixed</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:endEvent id="replaced" name="Replaced">
      <bpmn:incoming>flow_replace_replaced</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_reported_assess" sourceRef="reported" targetRef="assess"/>
    <bpmn:sequenceFlow id="flow_assess_decide" sourceRef="assess" targetRef="decide"/>
    <bpmn:sequenceFlow id="flow_decide_fix" sourceRef="decide" targetRef="fix">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${fixable}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_decide_replace" sourceRef="decide" targetRef="replace">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${!fixable}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_fix_fixed" sourceRef="fix" targetRef="fixed"/>
    <bpmn:sequenceFlow id="flow_replace_replaced" sourceRef="replace" targetRef="replaced"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_repair">
    <bpmndi:BPMNPlane id="Plane_repair" bpmnElement="repair">
      <bpmndi:BPMNShape id="reported_di" bpmnElement="reported"><dc:Bounds x="152" y="102" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="assess_di" bpmnElement="assess"><dc:Bounds x="240" y="80" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="decide_di" bpmnElement="decide" isMarkerVisible="true"><dc:Bounds x="395" y="95" width="50" height="50"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="fix_di" bpmnElement="fix"><dc:Bounds x="500" y="80" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="replace_di" bpmnElement="replace"><dc:Bounds x="500" y="210" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="fixed_di" bpmnElement="fixed"><dc:Bounds x="662" y="102" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="replaced_di" bpmnElement="replaced"><dc:Bounds x="662" y="232" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_reported_assess_di" bpmnElement="flow_reported_assess"><di:waypoint x="188" y="120"/><di:waypoint x="240" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_assess_decide_di" bpmnElement="flow_assess_decide"><di:waypoint x="340" y="120"/><di:waypoint x="395" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_decide_fix_di" bpmnElement="flow_decide_fix"><di:waypoint x="445" y="120"/><di:waypoint x="500" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_decide_replace_di" bpmnElement="flow_decide_replace"><di:waypoint x="420" y="145"/><di:waypoint x="420" y="250"/><di:waypoint x="500" y="250"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_fix_fixed_di" bpmnElement="flow_fix_fixed"><di:waypoint x="600" y="120"/><di:waypoint x="662" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_replace_replaced_di" bpmnElement="flow_replace_replaced"><di:waypoint x="600" y="250"/><di:waypoint x="662" y="250"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
# start → enter (the starter) → compute (fails on line 2 without an amount) → end
CALC = linear_process("calc", user("enter", "Enter amount"),
                      script("compute", "Compute total", "checked = True\ntotal = amount * 2"),
                      name="Calculation")
REPAIR_DATA = {"device": "Laptop", "notes": LONG_NOTES, "parts": ["screen", "hinge"], "size": {"inches": 14},
               "urgent": True, "cost": None, "remark": "<script>alert('x')</script>"}


def make_people_and_processes(app) -> None:
    """PEOPLE, and the repair and calculation processes deployed by Olga."""
    with app.app_context():
        for name, (groups, role, display) in PEOPLE.items():
            users.add_user(name, groups=groups, role=role, password=PASSWORD, display_name=display)
        deployments.deploy({"repair.bpmn": REPAIR}, users.get_user("olga"))
        deployments.deploy({"calc.bpmn": CALC}, users.get_user("olga"))
        db.session.remove()


def start_repair(app, starter: str = "dave", business_key: str | None = "REP-1", *, assessed_as=None,
                 fixed: bool = False, clock=None) -> dict:
    """A repair request started by ``starter``; assessed by Alice as fixable
    (``assessed_as=True``) or not, and fixed by Ivan, when asked. Returns
    {"instance_id", "task_ids": {bpmn_id: task id}}."""
    with app.app_context():
        instance = instances.start_instance("repair", users.get_user(starter), data=dict(REPAIR_DATA),
                                            business_key=business_key)
        found = {"instance_id": instance.id, "task_ids": {t.bpmn_id: t.id for t in instance.open_tasks}}
        if assessed_as is not None:
            if clock is not None:
                clock.advance(minutes=30)
            after = tasks.complete(found["task_ids"]["assess"], {"fixable": assessed_as}, users.get_user("alice"))
            found["task_ids"].update({t.bpmn_id: t.id for t in after.open_tasks})
        if fixed:
            if clock is not None:
                clock.advance(hours=2)
            tasks.complete(found["task_ids"]["fix"], {}, users.get_user("ivan"))
        db.session.remove()
    return found


def start_failing_calculation(app, starter: str = "dave") -> int:
    """A calculation whose script failed after the starter entered nothing; its id."""
    with app.app_context():
        instance = instances.start_instance("calc", users.get_user(starter), business_key="CALC-9")
        tasks.complete(instance.open_tasks[0].id, {}, users.get_user(starter))
        db.session.remove()
        return instance.id



def signed_in(client, name: str):
    """A fresh test client of the same app, signed in as one of PEOPLE."""
    fresh = client.application.test_client()
    assert sign_in(fresh, name, PASSWORD).status_code == 302
    return fresh
