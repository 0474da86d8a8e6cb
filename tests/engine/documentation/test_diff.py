"""diff(): what changed between two versions, area by area, in words."""
from __future__ import annotations

import json

from app.engine.documentation import describe, diff

from .diagrams import APPROVAL_DMN, REVIEW_FORM, SPIFF_BODY, camunda_bundle, spiff_bundle

BASE = spiff_bundle()


def changes_to(new_files: dict[str, str], old_files: dict[str, str] = BASE) -> list[tuple]:
    """(kind, area, element_id, detail) of every change from old to new."""
    old_doc = describe(old_files, "docs.bpmn" if "docs.bpmn" in old_files else "buy.bpmn", "")
    new_doc = describe(new_files, "docs.bpmn" if "docs.bpmn" in new_files else "buy.bpmn", "")
    found = diff(old_doc, new_doc, "docs", 1, 2)
    assert (found.key, found.from_version, found.to_version) == ("docs", 1, 2)
    return [(c.kind, c.area, c.element_id, c.detail) for c in found.changes]


def edited(old: str, new: str, **kwargs) -> dict[str, str]:
    assert old in SPIFF_BODY, old
    return spiff_bundle(SPIFF_BODY.replace(old, new), **kwargs)


def test_identical_versions_have_no_changes():
    assert changes_to(spiff_bundle()) == []
    assert changes_to(camunda_bundle(), camunda_bundle()) == []


def test_a_renamed_task_is_one_changed_step():
    assert changes_to(edited('name="Review"', 'name="Review request"')) == [
        ("changed", "step", "review", "name: Review → Review request")]


def test_a_changed_condition():
    assert changes_to(edited("approved == True", "approved is True and amount &lt; 500")) == [
        ("changed", "condition", "f-yes", "condition: approved == True → approved is True and amount < 500")]


def test_form_fields_added_removed_and_made_required():
    form = json.loads(json.dumps(REVIEW_FORM))
    del form["properties"]["when"]
    form["properties"]["cost"] = {"type": "integer", "title": "Cost"}
    form["required"] = ["approved", "notes"]
    form["properties"]["size"]["enum"] = ["small", "medium", "large"]
    assert changes_to(spiff_bundle(review_form=form)) == [
        ("added", "form field", "review", "field Cost (whole number) added"),
        ("removed", "form field", "review", "field When (date) removed"),
        ("changed", "form field", "review", "required: no → yes"),
        ("changed", "form field", "review", "choices: small, large → small, medium, large")]


def test_a_step_moved_to_another_lane():
    moved = edited("<bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane>",
                   "<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>")
    moved = {**moved, "docs.bpmn": moved["docs.bpmn"].replace(
        '<bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>too-slow', "<bpmn:flowNodeRef>too-slow")}
    assert changes_to(moved) == [("changed", "step", "review", "lane: desk → requester")]


def test_lanes_and_the_process_itself():
    new = edited('name="desk"', 'name="service desk"')
    new = {**new, "docs.bpmn": new["docs.bpmn"].replace('name="Documented process"', 'name="Handled process"')
           .replace("How a request is handled.", "How a request is handled, step by step.")}
    found = changes_to(new)
    assert found[:3] == [("changed", "process", None, "name: Documented process → Handled process"),
                         ("changed", "lane", "lane-desk", "name: desk → service desk"),
                         ("changed", "step", "review", "lane: desk → service desk")]
    assert ("changed", "documentation", None, "process documentation changed") in found


def test_timers_changed():
    new = edited('"P2D"</bpmn:timeDuration>', '"P3D"</bpmn:timeDuration>')
    new = {**new, "docs.bpmn": new["docs.bpmn"].replace('cancelActivity="false"', "")
           .replace('value="P2D"', 'value="P1D"')}
    assert changes_to(new) == [
        ("changed", "step", "too-slow", "type: Timer boundary event (non-interrupting) → Timer boundary event"),
        ("changed", "timer", "review", "due date: P2D → P1D"),
        ("changed", "timer", "too-slow", 'duration: "P2D" → "P3D"'),
        ("changed", "timer", "too-slow", "interrupting: no → yes")]


def test_a_hook_parameter_changed_added_and_a_script_changed():
    new = edited("value=\"'Approved'\"/>", "value=\"'Yes!'\"/><spiffworkflow:parameter id=\"cc\" value=\"boss\"/>")
    new = {**new, "docs.bpmn": new["docs.bpmn"].replace("count + 1", "count + 2")}
    found = {(kind, area, element, detail) for kind, area, element, detail in changes_to(new)}
    assert found == {("changed", "hook", "tell", "parameter subject: 'Approved' → 'Yes!'"),
                     ("added", "hook", "tell", "parameter cc added: boss"),
                     ("changed", "hook", "tally", "script changed")}


def test_decision_rules_added_and_changed():
    rule = ('<rule id="medium"><inputEntry id="m1"><text>&lt; 500</text></inputEntry>'
            '<inputEntry id="m2"><text></text></inputEntry><outputEntry id="m3"><text>true</text></outputEntry></rule>')
    dmn = (APPROVAL_DMN.replace('<rule id="rest">', rule + '<rule id="rest">')
           .replace("<text>&lt; 100</text>", "<text>&lt; 200</text>"))
    assert changes_to(spiff_bundle(dmn=dmn)) == [
        ("added", "decision rule", "decide", "rule 2 added: when Amount < 500 then Approved true"),
        ("changed", "decision rule", "decide", "rule 1: Amount < 100 → < 200")]


def test_a_removed_step_and_its_flows():
    new = edited('<bpmn:sequenceFlow id="f4" sourceRef="tell" targetRef="work"/>',
                 '<bpmn:sequenceFlow id="f4" sourceRef="approved" targetRef="work"/>')
    body = new["docs.bpmn"]
    start, end = body.index('<bpmn:serviceTask id="tell"'), body.index("</bpmn:serviceTask>") + len("</bpmn:serviceTask>")
    body = body[:start] + body[end:]
    body = body.replace('targetRef="tell">', 'targetRef="work">')
    found = changes_to({**new, "docs.bpmn": body})
    assert ("removed", "step", "tell", "Service task in lane desk removed") in found
    assert ("changed", "flow", "f-yes", "to: Tell the requester → Do the work") in found
    assert ("changed", "flow", "f4", "from: Tell the requester → Approved?") in found
    old_doc, new_doc = describe(BASE, "docs.bpmn", ""), describe({**new, "docs.bpmn": body}, "docs.bpmn", "")
    marks = diff(old_doc, new_doc, "docs", 1, 2)
    assert marks.marks_before()["tell"] == "removed" and "tell" not in marks.marks_after()


def test_flows_added_and_removed_and_the_default_moved():
    new = edited('default="f-no"', 'default="f-yes"')
    new = {**new, "docs.bpmn": new["docs.bpmn"].replace(
        '<bpmn:sequenceFlow id="f9" sourceRef="too-slow" targetRef="late"/>',
        '<bpmn:sequenceFlow id="f10" sourceRef="too-slow" targetRef="late"/>')}
    assert changes_to(new) == [
        ("added", "flow", "f10", "flow added"), ("removed", "flow", "f9", "flow removed"),
        ("changed", "condition", "f-yes", "default flow: no → yes"),
        ("changed", "condition", "f-no", "default flow: yes → no")]


def test_camunda_who_and_hook_inputs():
    old = camunda_bundle()
    new = {**old, "buy.bpmn": old["buy.bpmn"].replace('camunda:candidateGroups="managers"',
                                                      'camunda:candidateGroups="managers, finance"')
           .replace("https://shop.example/orders", "https://shop.example/v2/orders")}
    assert changes_to(new, old) == [
        ("changed", "step", "approve",
         "who: assignee ${manager}; candidate groups: managers → assignee ${manager}; candidate groups: managers, finance"),
        ("changed", "hook", "order", "parameter url: https://shop.example/orders → https://shop.example/v2/orders")]
