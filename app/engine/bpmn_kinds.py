"""The kinds of BPMN flow node, by element name, for the readers of diagrams
that walk the XML themselves (the case page's graph, the documentation)."""
from __future__ import annotations

ACTIVITIES = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"})
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
                    "boundaryEvent"})
GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
                      "complexGateway"})
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
