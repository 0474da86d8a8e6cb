"""The modeller's own drawing check: steps that nothing leads to.

SpiffWorkflow accepts a task, gateway or end event with no incoming sequence
flow and simply never reaches it, so deploying such a diagram works and the
step silently never runs. In a diagram drawn by hand that is always a slip
(a flow deleted, a shape dropped but not connected), so the modeller reports
it with the element, and refuses to deploy it, like any other problem.

Elements that are entered without an incoming flow are left alone: start
events, boundary events, link catch events, compensation handlers, event
sub-processes and the activities of an ad-hoc sub-process.
"""
from __future__ import annotations

from app.engine import bpmn_kinds, xml
from app.engine.problems import Problem

_B = f"{{{xml.BPMN_NS}}}"
# Start and boundary events are entered without a flow.
FLOW_NODES = {_B + t for t in bpmn_kinds.FLOW_NODES - {"startEvent", "boundaryEvent"}}
CONTAINERS = {_B + t for t in ("process", "subProcess", "transaction")}
MESSAGE = "nothing leads to this step, so it never runs: connect a sequence flow to it, or remove it"


def unreachable_steps(file: str, data: bytes) -> list[Problem]:
    """A problem for every step with no incoming sequence flow; [] for XML that
    does not parse (deploy's own checks say what is wrong with it)."""
    tree, problems = xml.parse_xml(file, data)
    if tree is None or problems:
        return []
    targets = {flow.get("targetRef") for flow in tree.iter(_B + "sequenceFlow")}
    found = []
    for container in tree.iter(*CONTAINERS):
        for element in container:
            if element.tag in FLOW_NODES and element.get("id") not in targets and not _entered_otherwise(element):
                found.append(xml.problem_at(file, element, MESSAGE))
    return found


def _entered_otherwise(element) -> bool:
    if element.get("isForCompensation") == "true" or element.get("triggeredByEvent") == "true":
        return True
    if element.tag == _B + "intermediateCatchEvent" and element.find(_B + "linkEventDefinition") is not None:
        return True
    return False
