"""Small hand-written bundles for the documentation tests: one in each dialect."""
from __future__ import annotations

import json

DEFINITIONS = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
               'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
               'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="test">')


def bpmn(body: str, pid: str = "docs", name: str = "Documented process") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{DEFINITIONS}\n'
            f'<bpmn:process id="{pid}" name="{name}" isExecutable="true">\n{body}\n</bpmn:process>\n'
            '</bpmn:definitions>\n')


# The spiff dialect: lanes, a form file, a service operator, a script, a
# decision, a boundary timer, a subprocess, a gateway with a condition and a
# default, and an event subprocess nobody flows into.
SPIFF_BODY = """
<bpmn:documentation>How a request is handled.</bpmn:documentation>
<bpmn:laneSet id="lanes">
  <bpmn:lane id="lane-requester" name="requester"><bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane>
  <bpmn:lane id="lane-desk" name="desk">
    <bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>too-slow</bpmn:flowNodeRef>
    <bpmn:flowNodeRef>decide</bpmn:flowNodeRef><bpmn:flowNodeRef>approved</bpmn:flowNodeRef>
    <bpmn:flowNodeRef>tell</bpmn:flowNodeRef><bpmn:flowNodeRef>work</bpmn:flowNodeRef>
    <bpmn:flowNodeRef>tally</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    <bpmn:flowNodeRef>escalated</bpmn:flowNodeRef><bpmn:flowNodeRef>late</bpmn:flowNodeRef>
  </bpmn:lane>
</bpmn:laneSet>
<bpmn:startEvent id="start" name="Request made">
  <bpmn:extensionElements><spiffworkflow:properties>
    <spiffworkflow:property name="formJsonSchemaFilename" value="request.json"/>
  </spiffworkflow:properties></bpmn:extensionElements>
  <bpmn:outgoing>f1</bpmn:outgoing>
</bpmn:startEvent>
<bpmn:userTask id="review" name="Review">
  <bpmn:documentation>Read it and say yes or no.</bpmn:documentation>
  <bpmn:extensionElements>
    <spiffworkflow:instructionsForEndUser>Review **{{ title }}**.</spiffworkflow:instructionsForEndUser>
    <spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="review.json"/>
      <spiffworkflow:property name="formUiSchemaFilename" value="review-ui.json"/>
      <spiffworkflow:property name="candidateGroups" value="desk, managers"/>
      <spiffworkflow:property name="dueDate" value="P2D"/>
      <spiffworkflow:property name="priority" value="70"/>
    </spiffworkflow:properties>
  </bpmn:extensionElements>
  <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
</bpmn:userTask>
<bpmn:boundaryEvent id="too-slow" name="Two days" attachedToRef="review" cancelActivity="false">
  <bpmn:outgoing>f9</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P2D"</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:endEvent id="late" name="Reminded"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
<bpmn:businessRuleTask id="decide" name="Decide">
  <bpmn:extensionElements><spiffworkflow:calledDecisionId>approval</spiffworkflow:calledDecisionId></bpmn:extensionElements>
  <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
</bpmn:businessRuleTask>
<bpmn:exclusiveGateway id="approved" name="Approved?" default="f-no">
  <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f-yes</bpmn:outgoing><bpmn:outgoing>f-no</bpmn:outgoing>
</bpmn:exclusiveGateway>
<bpmn:serviceTask id="tell" name="Tell the requester">
  <bpmn:extensionElements>
    <spiffworkflow:serviceTaskOperator id="notify" resultVariable="sent">
      <spiffworkflow:parameters>
        <spiffworkflow:parameter id="to" type="str" value="requester"/>
        <spiffworkflow:parameter id="subject" type="str" value="'Approved'"/>
      </spiffworkflow:parameters>
    </spiffworkflow:serviceTaskOperator>
  </bpmn:extensionElements>
  <bpmn:incoming>f-yes</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
</bpmn:serviceTask>
<bpmn:subProcess id="work" name="Do the work">
  <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
  <bpmn:startEvent id="work-start"><bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:scriptTask id="tally" name="Count it" scriptFormat="python">
    <bpmn:incoming>s1</bpmn:incoming><bpmn:outgoing>s2</bpmn:outgoing>
    <bpmn:script>count = count + 1</bpmn:script>
  </bpmn:scriptTask>
  <bpmn:endEvent id="work-end"><bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="s1" sourceRef="work-start" targetRef="tally"/>
  <bpmn:sequenceFlow id="s2" sourceRef="tally" targetRef="work-end"/>
</bpmn:subProcess>
<bpmn:endEvent id="end" name="Done"><bpmn:incoming>f5</bpmn:incoming><bpmn:incoming>f-no</bpmn:incoming></bpmn:endEvent>
<bpmn:subProcess id="escalated" name="On escalation" triggeredByEvent="true">
  <bpmn:startEvent id="escalation-start" name="Escalated" isInterrupting="false">
    <bpmn:outgoing>e1</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R/P1D"</bpmn:timeCycle></bpmn:timerEventDefinition>
  </bpmn:startEvent>
  <bpmn:endEvent id="escalation-end"><bpmn:incoming>e1</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="e1" sourceRef="escalation-start" targetRef="escalation-end"/>
</bpmn:subProcess>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="decide"/>
<bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="approved"/>
<bpmn:sequenceFlow id="f-yes" name="Yes" sourceRef="approved" targetRef="tell">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved == True</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f-no" name="No" sourceRef="approved" targetRef="end"/>
<bpmn:sequenceFlow id="f4" sourceRef="tell" targetRef="work"/>
<bpmn:sequenceFlow id="f5" sourceRef="work" targetRef="end"/>
<bpmn:sequenceFlow id="f9" sourceRef="too-slow" targetRef="late"/>
"""

REQUEST_FORM = {"type": "object", "required": ["title"], "properties": {
    "title": {"type": "string", "title": "Title"},
    "amount": {"type": "number", "title": "Amount"}}}
REVIEW_FORM = {"type": "object", "required": ["approved"], "properties": {
    "notes": {"type": "string", "title": "Notes"},
    "approved": {"type": "boolean", "title": "Approve?"},
    "size": {"type": "string", "title": "Size", "enum": ["small", "large"]},
    "when": {"type": "string", "format": "date", "title": "When"}}}
REVIEW_UI = {"ui:order": ["approved", "*"], "notes": {"ui:widget": "textarea"}}

APPROVAL_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="approval-defs" name="Approval" namespace="test">
  <decision id="approval" name="Approval rules">
    <decisionTable id="approval-table" hitPolicy="FIRST">
      <input id="in-amount" label="Amount"><inputExpression id="e1" typeRef="number"><text>amount</text></inputExpression></input>
      <input id="in-size"><inputExpression id="e2" typeRef="string"><text>size</text></inputExpression></input>
      <output id="out-approved" label="Approved" name="approved" typeRef="boolean"/>
      <rule id="small">
        <description>Small amounts pass.</description>
        <inputEntry id="r1a"><text>&lt; 100</text></inputEntry><inputEntry id="r1b"><text></text></inputEntry>
        <outputEntry id="r1c"><text>true</text></outputEntry>
      </rule>
      <rule id="rest">
        <inputEntry id="r2a"><text></text></inputEntry><inputEntry id="r2b"><text>"large"</text></inputEntry>
        <outputEntry id="r2c"><text>false</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def spiff_bundle(body: str = SPIFF_BODY, dmn: str = APPROVAL_DMN,
                 review_form: dict | None = None) -> dict[str, str]:
    return {"docs.bpmn": bpmn(body), "approval.dmn": dmn,
            "request.json": json.dumps(REQUEST_FORM), "review.json": json.dumps(review_form or REVIEW_FORM),
            "review-ui.json": json.dumps(REVIEW_UI)}


CAMUNDA_BODY = """
<bpmn:startEvent id="start">
  <bpmn:extensionElements><camunda:formData>
    <camunda:formField id="reason" label="Reason" type="string">
      <camunda:validation><camunda:constraint name="required"/></camunda:validation>
    </camunda:formField>
    <camunda:formField id="kind" label="Kind" type="enum">
      <camunda:value id="hw" name="Hardware"/><camunda:value id="sw" name="Software"/>
    </camunda:formField>
  </camunda:formData></bpmn:extensionElements>
  <bpmn:outgoing>f1</bpmn:outgoing>
</bpmn:startEvent>
<bpmn:userTask id="approve" name="Approve" camunda:assignee="${manager}" camunda:candidateGroups="managers"
    camunda:dueDate="P1D" camunda:priority="80" camunda:formKey="embedded:app:forms/approve.json">
  <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
</bpmn:userTask>
<bpmn:serviceTask id="order" name="Order it" camunda:type="external" camunda:topic="http">
  <bpmn:extensionElements><camunda:inputOutput>
    <camunda:inputParameter name="url">https://shop.example/orders</camunda:inputParameter>
    <camunda:inputParameter name="amount">${amount}</camunda:inputParameter>
    <camunda:inputParameter name="headers"><camunda:map><camunda:entry key="X-Kind">order</camunda:entry></camunda:map></camunda:inputParameter>
  </camunda:inputOutput></bpmn:extensionElements>
  <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
</bpmn:serviceTask>
<bpmn:serviceTask id="archive" name="Archive" camunda:delegateExpression="${archiver}">
  <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
</bpmn:serviceTask>
<bpmn:businessRuleTask id="decide" name="Decide" camunda:decisionRef="approval">
  <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
</bpmn:businessRuleTask>
<bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>
<bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="order"/>
<bpmn:sequenceFlow id="f3" sourceRef="order" targetRef="archive"/>
<bpmn:sequenceFlow id="f4" sourceRef="archive" targetRef="decide"/>
<bpmn:sequenceFlow id="f5" sourceRef="decide" targetRef="end">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${amount &gt; 100}</bpmn:conditionExpression>
</bpmn:sequenceFlow>
"""

APPROVE_FORM = {"type": "object", "properties": {"ok": {"type": "boolean", "title": "OK?"}}, "required": ["ok"]}


def camunda_bundle(body: str = CAMUNDA_BODY) -> dict[str, str]:
    return {"buy.bpmn": bpmn(body, pid="buy", name="Buy"), "approval.dmn": APPROVAL_DMN,
            "approve.json": json.dumps(APPROVE_FORM)}
