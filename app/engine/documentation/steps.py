"""One flow node as documentation: what kind of step it is, and what the
diagram says about it (hook, timers, who works it, priority)."""
from __future__ import annotations

import json

from app.engine.bundle import element_label, extension_properties, split_list
from app.engine.model import TaskMeta
from app.engine.parser import camunda_hook_name, camunda_value
from app.engine.xml import CAMUNDA_NS, SPIFF_NS

from .model import Hook, Timer
from .order import BPMN, local_name

CAMUNDA = f"{{{CAMUNDA_NS}}}"
SPIFF = f"{{{SPIFF_NS}}}"

_KIND_WORDS = {
    "startEvent": "start event", "endEvent": "end event", "boundaryEvent": "boundary event",
    "intermediateCatchEvent": "intermediate catch event", "intermediateThrowEvent": "intermediate throw event",
    "task": "task", "userTask": "user task", "manualTask": "manual task", "scriptTask": "script task",
    "serviceTask": "service task", "businessRuleTask": "business rule task", "sendTask": "send task",
    "receiveTask": "receive task", "callActivity": "call activity", "subProcess": "subprocess",
    "transaction": "transaction", "adHocSubProcess": "ad hoc subprocess",
    "exclusiveGateway": "exclusive gateway", "inclusiveGateway": "inclusive gateway",
    "parallelGateway": "parallel gateway", "eventBasedGateway": "event-based gateway",
    "complexGateway": "complex gateway",
}
_TIMER_KINDS = (("timeDate", "date"), ("timeDuration", "duration"), ("timeCycle", "cycle"))


def label(element) -> str:
    return element_label(element) or element.get("id") or ""


def type_in_words(element) -> str:
    """e.g. "User task", "Timer boundary event (non-interrupting)", "Event subprocess"."""
    kind = local_name(element)
    words = _KIND_WORDS.get(kind, kind)
    if kind == "subProcess" and element.get("triggeredByEvent") == "true":
        words = "event subprocess"
    definitions = event_definitions(element)
    if definitions:
        what = definitions[0] if len(definitions) == 1 else "multiple"
        words = f"{what} {words}"
    if not interrupting(element):
        words += " (non-interrupting)"
    loop = element.find(f"{BPMN}multiInstanceLoopCharacteristics")
    if loop is not None:
        words += " (multi-instance, " + ("one after another)" if loop.get("isSequential") == "true"
                                          else "in parallel)")
    elif element.find(f"{BPMN}standardLoopCharacteristics") is not None:
        words += " (loop)"
    return words[:1].upper() + words[1:]


def event_definitions(element) -> list[str]:
    """The kinds of an event's definitions: "timer", "message", ..."""
    return [local_name(child)[:-len("EventDefinition")] for child in element
            if local_name(child).endswith("EventDefinition") and local_name(child) != "eventDefinition"]


def interrupting(element) -> bool:
    """False for a non-interrupting boundary event or event subprocess start."""
    if local_name(element) == "boundaryEvent":
        return element.get("cancelActivity") != "false"
    if local_name(element) == "startEvent":
        return element.get("isInterrupting") != "false"
    return True


def own_timers(element) -> tuple[Timer, ...]:
    """The timer definitions of an event, as written."""
    found = []
    attached = local_name(element) == "boundaryEvent" or (
        local_name(element) == "startEvent" and element.getparent().get("triggeredByEvent") == "true")
    for definition in element.iterfind(f"{BPMN}timerEventDefinition"):
        for tag, kind in _TIMER_KINDS:
            value = definition.find(f"{BPMN}{tag}")
            if value is not None:
                found.append(Timer(element.get("id"), label(element), kind, (value.text or "").strip(),
                                   interrupting(element) if attached else None))
    return tuple(found)


def hook_of(element) -> Hook | None:
    """What an automated step calls: a spiff operator, a Camunda hook, or its script."""
    kind = local_name(element)
    if kind == "scriptTask":
        script = element.find(f"{BPMN}script")
        resource = element.get(f"{CAMUNDA}resource")
        if script is not None:
            return Hook("script", (("script", (script.text or "").strip("\n")),))
        return Hook("script", (("resource", resource),)) if resource else None
    operator = element.find(f"{BPMN}extensionElements/{SPIFF}serviceTaskOperator")
    if operator is not None:
        parameters = tuple((p.get("id") or "", p.get("value") or "")
                           for p in operator.iterfind(f"{SPIFF}parameters/{SPIFF}parameter"))
        return Hook(operator.get("id") or "", parameters)
    name = camunda_hook_name(element) if kind in ("serviceTask", "sendTask") else None
    if name:
        inputs = element.iterfind(f"{BPMN}extensionElements/{CAMUNDA}inputOutput/{CAMUNDA}inputParameter")
        return Hook(name, tuple((p.get("name") or "", _as_text(camunda_value(p))) for p in inputs))
    return None


def _as_text(value) -> str:
    """A Camunda input parameter's value as written: text, or its map or list as JSON."""
    return value if isinstance(value, str) else json.dumps(_plain(value), ensure_ascii=False)


def _plain(value):
    """parser.camunda_value's {"map": {...}} / {"list": [...]} as the dict or list they stand for."""
    if isinstance(value, dict) and "map" in value:
        return {key: _plain(item) for key, item in value["map"].items()}
    if isinstance(value, dict) and "list" in value:
        return [_plain(item) for item in value["list"]]
    return value


def decision_id(element) -> str | None:
    """The decision a business rule task calls, in either dialect."""
    called = element.find(f"{BPMN}extensionElements/{SPIFF}calledDecisionId")
    ref = (called.text or "") if called is not None else (element.get(f"{CAMUNDA}decisionRef") or "")
    return ref.strip() or None


def human_rules(element, meta: TaskMeta | None) -> TaskMeta:
    """Who works a human task, its due date and priority: the version's meta when
    it has the task, else read from the XML as the bundle loader reads them."""
    if meta is not None:
        return meta
    props = extension_properties(element)

    def attribute(name: str) -> str | None:
        return (element.get(f"{CAMUNDA}{name}") or props.get(name) or "").strip() or None

    return TaskMeta(
        bpmn_id=element.get("id"), name=label(element), assignee=attribute("assignee"),
        candidate_groups=split_list(attribute("candidateGroups")),
        candidate_users=split_list(attribute("candidateUsers")),
        due_date=attribute("dueDate"), priority=attribute("priority"))


def who_in_words(rules: TaskMeta) -> str:
    """e.g. "assignee ${case_manager}; candidate groups: manager, it-director"; "" when the lane decides."""
    parts = [f"assignee {rules.assignee}"] if rules.assignee else []
    if rules.candidate_groups:
        parts.append("candidate groups: " + ", ".join(rules.candidate_groups))
    if rules.candidate_users:
        parts.append("candidate users: " + ", ".join(rules.candidate_users))
    return "; ".join(parts)


def instructions(element) -> str:
    found = element.find(f"{BPMN}extensionElements/{SPIFF}instructionsForEndUser")
    return (found.text or "").strip() if found is not None else ""
