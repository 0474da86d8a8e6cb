"""Message events: what an instance waits for, delivering a message to it, and
the messages it sends to other instances.

Correlation is the host's job (SpiffWorkflow accepts any message of the right
name while an instance has no correlations yet), so the engine reports, for
each waiting message event, the correlation values the instance expects, and
delivers a message only to the task the host chose. A correlation property's
expected value is, in this order: the value the instance already holds for it
(set when it sent or received a message before), or its retrieval expression
evaluated over the waiting task's data. The services fall back to the
instance's variable of the same name (Camunda's correlation by process
variables) when neither gives a value.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from app.engine.serializer import jsonable


@dataclass(frozen=True)
class MessageWait:
    task_id: str             # the waiting task's uuid
    bpmn_id: str
    name: str                # the message's name
    correlation: dict        # {property: expected value}; properties it cannot tell are absent


@dataclass(frozen=True)
class SentMessage:
    """A message a process sent (send task, throw or end event) that nothing in
    the same instance caught: the host delivers it to other instances."""
    name: str
    data: Any
    correlation: dict        # {property: value}


def message_definitions(task) -> list[MessageEventDefinition]:
    """The messages a waiting task catches: its own, or, for an event-based
    gateway (which the library makes wait in place of its catch events), those
    of its message catch events."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MessageEventDefinition):
        return [definition]
    if isinstance(definition, MultipleEventDefinition):
        return [d for d in definition.event_definitions if isinstance(d, MessageEventDefinition)]
    return []


def is_message_event(task) -> bool:
    return bool(message_definitions(task))


def waiting(task, evaluate) -> list[MessageWait]:
    return [_waiting(task, definition, evaluate) for definition in message_definitions(task)]


def _waiting(task, definition, evaluate) -> MessageWait:
    known = _correlations_of(task)
    expected = {}
    for prop in definition.correlation_properties:
        value = next((known[key][prop.name] for key in prop.correlation_keys
                      if prop.name in known.get(key, {})), _MISSING)
        if value is _MISSING:
            try:
                value = evaluate(task, prop.retrieval_expression)
            except Exception:   # noqa: BLE001 - the instance does not hold it (yet)
                continue
        expected[prop.name] = jsonable(value)
    return MessageWait(task_id=str(task.id), bpmn_id=_element(task, definition), name=definition.name,
                       correlation=expected)


def _element(task, definition) -> str:
    """The catch event's BPMN id (for a gateway: the catch event after it)."""
    spec = task.task_spec
    if spec.event_definition is definition:
        return spec.bpmn_id
    index = spec.event_definition.event_definitions.index(definition)
    return spec.outputs[index].bpmn_id


def deliver(task, name: str, data: Any, correlation: dict) -> None:
    """Give the message ``name`` to this waiting task (the host matched its
    correlation). Raises LookupError when the task does not catch it.

    The library's ``catch`` would compute correlations again from the payload
    with the retrieval expressions, which fails when the payload does not hold
    them (correlation values arrive beside the data here). So the payload is
    stored as the library stores it, the correlation is remembered on the
    instance, and the event marked caught, without that evaluation. An
    event-based gateway catches through the library (it re-reads the event
    when it runs): there the correlation values join the payload, so the
    retrieval expressions find them."""
    definition = next((d for d in message_definitions(task) if d.name == name), None)
    if definition is None:
        raise LookupError(f"the task does not wait for message {name!r}")
    keyed = _keyed(definition, correlation)
    through_gateway = task.task_spec.event_definition is not definition
    payload = deepcopy({**correlation, **data} if through_gateway and isinstance(data, dict) else data)
    if hasattr(definition, "result_var"):
        # Camunda's own message class (a diagram using camunda:expression or
        # camunda:resultVariable) keeps the payload in this shape.
        payload = {"payload": payload, "result_var": definition.result_var}
    elif getattr(definition, "message_var", "") is None:
        # SpiffArena's class without a messageVariable would drop the data:
        # it becomes the task's variables instead, as with plain BPMN.
        task.set_data(**deepcopy(data))
    event = BpmnEvent(definition, payload=payload, correlations=keyed)
    _correlations_of(task).update(keyed)
    if through_gateway:
        task.task_spec.catch(task, event)
    else:
        definition.update_internal_data(task, event)
        EventDefinition.catch(definition, task, event)
    task.task_spec._update(task)


def sent(event: BpmnEvent) -> SentMessage | None:
    if not isinstance(event.event_definition, MessageEventDefinition):
        return None
    flat = {prop: value for values in (event.correlations or {}).values() for prop, value in values.items()}
    return SentMessage(name=event.event_definition.name, data=jsonable(event.payload), correlation=jsonable(flat))


def start_messages(spec) -> dict[str, str]:
    """The messages that start a process: message name → its start event's BPMN id."""
    return {t.event_definition.name: t.bpmn_id for t in sorted(spec.task_specs.values(), key=lambda t: t.name)
            if isinstance(t, StartEvent) and isinstance(t.event_definition, MessageEventDefinition)}


def _correlations_of(task) -> dict:
    return task.workflow.correlations


def _keyed(definition, correlation: dict) -> dict:
    """{property: value} → the library's {correlation key: {property: value}}."""
    keyed: dict[str, dict] = {}
    for prop in definition.correlation_properties:
        if prop.name in correlation:
            for key in prop.correlation_keys:
                keyed.setdefault(key, {})[prop.name] = correlation[prop.name]
    return keyed


_MISSING = object()
