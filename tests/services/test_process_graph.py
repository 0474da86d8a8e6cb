"""The process graph behind the diagram's path and the progress estimate:
flows read from the XML, which of them a case took, and what is left."""
from __future__ import annotations

from app.services.process_graph import parse_graph
from tests.support.cases import REPAIR

# start → prepare (sub-process: inner_start → check → inner_end) → approve → end
NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="nested" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:subProcess id="prepare" name="Prepare">
      <bpmn:startEvent id="inner_start"/>
      <bpmn:userTask id="check" name="Check"/>
      <bpmn:endEvent id="inner_end"/>
      <bpmn:sequenceFlow id="i1" sourceRef="inner_start" targetRef="check"/>
      <bpmn:sequenceFlow id="i2" sourceRef="check" targetRef="inner_end"/>
    </bpmn:subProcess>
    <bpmn:userTask id="approve" name="Approve"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare"/>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="approve"/>
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_flows_and_steps_are_read_from_the_diagram():
    graph = parse_graph("repair.bpmn", REPAIR.decode())
    assert [(f.id, f.source, f.target) for f in graph.flows][:2] == [
        ("flow_reported_assess", "reported", "assess"), ("flow_assess_decide", "assess", "decide")]
    assert graph.nodes["decide"].kind == "exclusiveGateway" and graph.nodes["decide"].name == "Fixable?"
    assert graph.is_activity("fix") and graph.is_activity("replace") and not graph.is_activity("decide")
    assert not graph.is_activity("no-such-step")


def test_a_flow_is_taken_when_its_source_finished_and_its_target_was_reached():
    graph = parse_graph("repair.bpmn", REPAIR.decode())
    completed = ["reported", "assess", "decide"]
    assert graph.flows_taken(completed, [*completed, "fix"]) == (
        "flow_reported_assess", "flow_assess_decide", "flow_decide_fix")
    assert graph.flows_taken(["reported"], ["reported", "assess"]) == ("flow_reported_assess",)
    assert graph.flows_taken([], ["reported"]) == ()


def test_steps_left_is_the_shortest_way_to_an_end():
    graph = parse_graph("repair.bpmn", REPAIR.decode())
    assert graph.steps_left(["assess"]) == 2     # assess, then fix or replace
    assert graph.steps_left(["fix"]) == 1
    assert graph.steps_left([]) is None and graph.steps_left(["elsewhere"]) is None

    nested = parse_graph("nested.bpmn", NESTED)
    assert nested.nodes["check"].parent == "prepare" and nested.nodes["approve"].parent is None
    assert nested.steps_left(["check"]) == 3     # check, the sub-process itself, approve
    assert nested.steps_left(["approve"]) == 1


def test_an_unreadable_diagram_is_an_empty_graph():
    graph = parse_graph("broken.bpmn", "<bpmn:definitions")
    assert graph.flows == () and graph.nodes == {} and graph.steps_left(["x"]) is None
