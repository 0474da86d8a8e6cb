"""Every shipped process and every MIWG corpus model can be described."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from app.engine.bundle import load_bundle
from app.engine.documentation import FormField, Hook, Timer, describe
from app.services.bundles import collect_bundle
from app.services.processes import meta_to_dict

REPO = Path(__file__).resolve().parents[3]
SHIPPED = sorted(p.name for p in (REPO / "bpmn").iterdir() if p.is_dir())
CORPUS = REPO.parent / "shared" / "corpus" / "miwg"
CORPUS_FILES = sorted(CORPUS.glob("*/*.bpmn")) if CORPUS.is_dir() else []
FLOW_NODE = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
             "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent",
             "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
             "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway")


@cache
def shipped(process: str):
    """A shipped process described as deployed (with its meta), like `baton deploy bpmn/<process>`."""
    files = collect_bundle(REPO / "bpmn" / process)
    (model,) = load_bundle(files).processes
    return describe({n: d.decode() for n, d in files.items()}, model.spec.file, model.key, meta_to_dict(model))


def flow_node_ids(xml: bytes, key: str) -> list[str]:
    process = next(p for p in etree.fromstring(xml).iter("{*}process") if p.get("id") == key)
    return [el.get("id") for el in process.iter() if isinstance(el.tag, str)
            and etree.QName(el).localname in FLOW_NODE and el.get("id")]


@pytest.mark.parametrize("process", SHIPPED)
def test_every_shipped_process_is_described(process):
    doc = shipped(process)
    xml = (REPO / "bpmn" / process / doc.bpmn_file).read_bytes()
    # Each flow node once, the start event first.
    assert sorted(s.id for s in doc.steps) == sorted(flow_node_ids(xml, doc.key))
    assert doc.steps[0].bpmn_type == "startEvent"
    assert doc.name and doc.documentation and doc.start_form
    assert all(s.form for s in doc.steps if s.bpmn_type == "userTask")
    assert all(s.decision for s in doc.steps if s.bpmn_type == "businessRuleTask")


def test_known_facts_of_the_incident_process():
    doc = shipped("incident")
    table = doc.step("decide-priority").decision
    assert (table.decision_id, table.hit_policy, table.inputs) == ("incident_priority", "UNIQUE", ("Impact", "Urgency"))
    assert len(table.rules) == 9 and table.rules[0].outputs[0] == '"P1"'
    assert FormField("triage_decision", "Decision", "choice", True, (
        "Resolved with a known fix: the requester confirms it", "Assign to the resolver group: no known fix"),
        description="Did you restore the service yourself with a known fix, or does it need the resolvers?"
    ) in doc.step("triage-incident").form
    assert Timer("no-answer", "No answer in 3 days", "duration", '"P3D"', True) in doc.step("confirm-fix").timers
    assert doc.step("resolution-target-passed").timers[0].interrupting is False
    assert doc.step("number-incident").hook.name == "store"
    assert doc.step("resolve-incident").lane == "resolver"


@pytest.mark.skipif(not CORPUS_FILES, reason=f"MIWG corpus not found at {CORPUS}")
def test_every_corpus_model_is_described():
    for path in CORPUS_FILES:
        data = path.read_bytes()
        doc = describe({path.name: data}, path.name, "")   # no key: the first (executable) process
        assert sorted(s.id for s in doc.steps) == sorted(flow_node_ids(data, doc.key)), path


@pytest.mark.skipif(not CORPUS_FILES, reason=f"MIWG corpus not found at {CORPUS}")
def test_a_camunda_corpus_model():
    path = CORPUS / "reference" / "C.9.1.bpmn"
    doc = describe({path.name: path.read_bytes()}, path.name, "requestDocument_en")
    assert doc.step("SendTask_RequestDocument").hook == Hook("emailService")
    assert Timer("BoundaryEvent_1", "daily", "cycle", "R6/P1D", False) in doc.step("ReceiveTask_WaitForDocument").timers
