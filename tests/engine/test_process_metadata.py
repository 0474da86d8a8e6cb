"""What the catalogue reads from a diagram: the process's name, description
(its documentation), category (an extension property, spiff or Camunda),
whether a person can start it (a plain start event) and who may."""
from __future__ import annotations

import pytest

from app.engine.bundle import load_bundle
from app.engine.problems import InvalidBundle
from tests.support.bpmn import HEADER, linear_process, user

SPIFF_NS = 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '


def _with_process_extras(bpmn: bytes, extras: str) -> bytes:
    text = bpmn.decode()
    head, sep, rest = text.partition('isExecutable="true">\n')
    return (head + sep + extras + "\n" + rest).encode()


def test_a_spiff_category_property_and_the_documentation():
    bpmn = _with_process_extras(linear_process("laptop", user("review", "Review"), name="Laptop request"),
                                "<bpmn:documentation>Ask for a laptop.</bpmn:documentation>"
                                "<bpmn:extensionElements><spiffworkflow:properties>"
                                '<spiffworkflow:property name="category" value=" Assets &amp;  software "/>'
                                "</spiffworkflow:properties></bpmn:extensionElements>")
    bpmn = bpmn.replace(b"xmlns:camunda=", SPIFF_NS.encode() + b"xmlns:camunda=", 1)
    [model] = load_bundle({"laptop.bpmn": bpmn}).processes
    assert (model.name, model.description, model.category, model.startable) == \
        ("Laptop request", "Ask for a laptop.", "Assets & software", True)


def test_a_camunda_category_property():
    bpmn = _with_process_extras(linear_process("expense", user("approve", "Approve")),
                                "<bpmn:extensionElements><camunda:properties>"
                                '<camunda:property name="category" value="Cases"/>'
                                "</camunda:properties></bpmn:extensionElements>")
    [model] = load_bundle({"expense.bpmn": bpmn}).processes
    assert model.category == "Cases" and model.description == ""


def test_candidate_starters_as_a_spiff_property_or_camunda_attributes():
    spiff = _with_process_extras(linear_process("onboard", user("work", "Work")),
                                 "<bpmn:extensionElements><spiffworkflow:properties>"
                                 '<spiffworkflow:property name="candidateStarterGroups" value=" hr, it-ops "/>'
                                 "</spiffworkflow:properties></bpmn:extensionElements>")
    spiff = spiff.replace(b"xmlns:camunda=", SPIFF_NS.encode() + b"xmlns:camunda=", 1)
    [model] = load_bundle({"onboard.bpmn": spiff}).processes
    assert (model.starter_groups, model.starter_users) == (["hr", "it-ops"], [])
    camunda = linear_process("release", user("work", "Work")).replace(
        b'isExecutable="true"', b'isExecutable="true" camunda:candidateStarterUsers="rhea,quinn"', 1)
    [model] = load_bundle({"release.bpmn": camunda}).processes
    assert (model.starter_groups, model.starter_users) == ([], ["rhea", "quinn"])
    [anyone] = load_bundle({"open.bpmn": linear_process("open", user("work", "Work"))}).processes
    assert (anyone.starter_groups, anyone.starter_users) == ([], [])


def test_a_business_key_variable_property():
    bpmn = _with_process_extras(linear_process("ticket", user("fix", "Fix")),
                                "<bpmn:extensionElements><camunda:properties>"
                                '<camunda:property name="businessKeyVariable" value=" ticket_ref "/>'
                                "</camunda:properties></bpmn:extensionElements>")
    [model] = load_bundle({"ticket.bpmn": bpmn}).processes
    assert model.business_key_variable == "ticket_ref"
    with pytest.raises(InvalidBundle) as refused:
        load_bundle({"ticket.bpmn": bpmn.replace(b" ticket_ref ", b"ticket-ref")})
    [problem] = refused.value.problems
    assert (problem.file, problem.element) == ("ticket.bpmn", "ticket")
    assert problem.message == "businessKeyVariable 'ticket-ref' is not a variable name"


def test_a_process_started_by_a_message_is_not_startable_by_people():
    bpmn = (HEADER.format(pid="inbound") + """
  <bpmn:message id="m" name="ticket_mailed"/>
  <bpmn:process id="inbound" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>""").encode()
    [model] = load_bundle({"inbound.bpmn": bpmn}).processes
    assert model.startable is False and model.category == ""


def test_task_due_dates_and_priorities_are_kept_as_written():
    bpmn = linear_process("timed", user("work", "Work", camunda_dueDate="${deadline}", camunda_priority="70"))
    [model] = load_bundle({"timed.bpmn": bpmn}).processes
    assert (model.tasks["work"].due_date, model.tasks["work"].priority) == ("${deadline}", "70")
