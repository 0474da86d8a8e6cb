"""describe(): a version's files as documentation, in both dialects."""
from __future__ import annotations

import pytest

from app.engine.bundle import load_bundle
from app.engine.documentation import DecisionRule, FormField, Hook, Lane, OutgoingFlow, Timer, describe
from app.services.processes import meta_to_dict

from .diagrams import bpmn, camunda_bundle, spiff_bundle


def deployed(files: dict[str, str]):
    """describe() as the service calls it: with the meta a deployment stores."""
    (model,) = load_bundle({name: text.encode() for name, text in files.items()}).processes
    return describe(files, model.spec.file, model.key, meta_to_dict(model))


@pytest.fixture(scope="module")
def spiff():
    return deployed(spiff_bundle())


@pytest.fixture(scope="module")
def camunda():
    return deployed(camunda_bundle())


def test_steps_come_in_flow_order(spiff):
    # Breadth first from the start; a boundary event right after its step, a
    # subprocess's steps after it, the event subprocess nothing flows into last.
    assert [s.id for s in spiff.steps] == [
        "start", "review", "too-slow", "decide", "late", "approved", "tell", "end",
        "work", "work-start", "tally", "work-end", "escalated", "escalation-start", "escalation-end"]
    assert spiff.step("tally").container == "work" and spiff.step("work").container is None


def test_the_process_and_its_lanes(spiff):
    assert (spiff.key, spiff.name, spiff.documentation) == ("docs", "Documented process", "How a request is handled.")
    assert spiff.lanes == (Lane("lane-requester", "requester"), Lane("lane-desk", "desk"))
    assert spiff.step("start").lane == "requester"
    assert spiff.step("tally").lane == "desk"   # inside a subprocess: the subprocess's lane


def test_a_user_task_in_full(spiff):
    review = spiff.step("review")
    assert (review.name, review.type, review.bpmn_type) == ("Review", "User task", "userTask")
    assert review.documentation == "Read it and say yes or no."
    assert review.instructions == "Review **{{ title }}**."
    assert review.who == "candidate groups: desk, managers"
    assert review.priority == "70"
    # ui:order puts "approved" first; a textarea is long text; choices and formats in words.
    assert [(f.label, f.type, f.required, f.choices) for f in review.form] == [
        ("Approve?", "yes/no", True, ()), ("Notes", "long text", False, ()),
        ("Size", "choice", False, ("small", "large")), ("When", "date", False, ())]
    assert review.timers == (Timer("review", "Review", "due date", "P2D"),
                             Timer("too-slow", "Two days", "duration", '"P2D"', interrupting=False))
    assert review.outgoing == (OutgoingFlow("f2", "decide", "Decide"),)


def test_boundary_timer_gateway_and_start_form(spiff):
    boundary = spiff.step("too-slow")
    assert boundary.type == "Timer boundary event (non-interrupting)" and boundary.attached_to == "review"
    assert spiff.step("approved").outgoing == (
        OutgoingFlow("f-yes", "tell", "Tell the requester", "Yes", "approved == True", False),
        OutgoingFlow("f-no", "end", "Done", "No", None, True))
    assert spiff.start_form == (FormField("title", "Title", "text", True), FormField("amount", "Amount", "number", False))
    assert spiff.step("escalation-start").timers == (
        Timer("escalation-start", "Escalated", "cycle", '"R/P1D"', interrupting=False),)
    assert spiff.step("escalated").type == "Event subprocess"


def test_hooks_scripts_and_decisions(spiff):
    assert spiff.step("tell").hook == Hook("notify", (("to", "requester"), ("subject", "'Approved'")))
    assert spiff.step("tally").hook == Hook("script", (("script", "count = count + 1"),))
    table = spiff.step("decide").decision
    assert (table.decision_id, table.name, table.file, table.hit_policy) == (
        "approval", "Approval rules", "approval.dmn", "FIRST")
    assert table.inputs == ("Amount", "size") and table.outputs == ("Approved",)
    assert table.rules == (DecisionRule(1, ("< 100", "-"), ("true",), "Small amounts pass.", "small"),
                           DecisionRule(2, ("-", '"large"'), ("false",), "", "rest"))
    assert spiff.decision_tables == (table,)


def test_the_camunda_dialect(camunda):
    approve = camunda.step("approve")
    assert approve.who == "assignee ${manager}; candidate groups: managers"
    assert approve.priority == "80"
    assert approve.timers == (Timer("approve", "Approve", "due date", "P1D"),)
    assert approve.form == (FormField("ok", "OK?", "yes/no", True),)      # camunda:formKey naming a .json file
    assert camunda.start_form == (FormField("reason", "Reason", "text", True),
                                  FormField("kind", "Kind", "choice", False, ("Hardware", "Software")))
    assert camunda.step("order").hook == Hook("http", (
        ("url", "https://shop.example/orders"), ("amount", "${amount}"), ("headers", '{"X-Kind": "order"}')))
    assert camunda.step("archive").hook == Hook("archiver")   # a delegate expression names the hook
    assert camunda.step("decide").decision.decision_id == "approval"
    assert camunda.step("decide").outgoing[0].condition == "${amount > 100}"


def test_without_meta_the_xml_says_the_same():
    for files in (spiff_bundle(), camunda_bundle()):
        (model,) = load_bundle({n: t.encode() for n, t in files.items()}).processes
        assert describe(files, model.spec.file, model.key) == deployed(files)


def test_the_stored_meta_is_preferred():
    files = spiff_bundle()
    (model,) = load_bundle({n: t.encode() for n, t in files.items()}).processes
    meta = meta_to_dict(model)
    meta["tasks"]["review"]["form"] = {"schema": {"type": "object", "properties": {"x": {"type": "integer"}}}}
    meta["tasks"]["review"]["assignee"] = "ann"
    review = describe(files, "docs.bpmn", "docs", meta).step("review")
    assert review.form == (FormField("x", "x", "whole number", False),)
    assert review.who.startswith("assignee ann")


def test_a_file_without_an_executable_process_is_described_anyway():
    files = {"loose.bpmn": bpmn('<bpmn:task id="t" name="Something"/>').replace('isExecutable="true"', "")}
    doc = describe(files, "loose.bpmn", "not-there")
    assert doc.key == "docs" and [s.name for s in doc.steps] == ["Something"]


@pytest.mark.parametrize("files, message", [
    ({}, "no file"),
    ({"a.bpmn": "<not xml"}, "cannot be read"),
    ({"a.bpmn": bpmn("").replace('<bpmn:process id="docs" name="Documented process" isExecutable="true">\n\n'
                                 "</bpmn:process>", "")}, "holds no process"),
])
def test_what_cannot_be_described_says_why(files, message):
    with pytest.raises(ValueError, match=message):
        describe(files, "a.bpmn", "docs")


def test_meta_of_another_shape_falls_back_on_the_xml():
    files = spiff_bundle()
    odd = {"tasks": {"review": {"unexpected": 1}}, "start_form": {"no schema": True}}
    assert describe(files, "docs.bpmn", "docs", odd) == describe(files, "docs.bpmn", "docs")
