"""Service tasks as calls the worker makes: which hook, with which parameters.

The engine never runs a hook itself. A service task is parsed as ``manual``
(engine/parser.py), so SpiffWorkflow leaves it READY, as it leaves a user task
for a person. ``WorkflowRun.take_service_calls`` then describes each newly
ready one, with its parameters evaluated against the task's data at that
moment; the services layer writes those as job rows in the same transaction,
and the worker reports back with ``finish_service_call`` or
``fail_service_call``.

Spiff diagrams name the hook with ``spiffworkflow:serviceTaskOperator`` (its
parameters are Python expressions); Camunda diagrams with
``camunda:type="external" camunda:topic="hook"`` (input parameters are text,
or ``${...}`` expressions).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition, EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.util.task import TaskState

QUEUED_KEY = "baton_call_queued"   # in the task's internal_data: a job exists for it
DEFAULT_RETRIES = 3


@dataclass(frozen=True)
class ServiceCall:
    task_id: str
    bpmn_id: str
    name: str                 # the diagram's label
    hook: str                 # the hook's registered name
    params: dict[str, Any]    # evaluated, JSON-safe
    result_variable: str      # where the hook's answer goes in the task data
    retries: int              # attempts after the first, before an incident


def is_service_task(spec) -> bool:
    return isinstance(spec, ServiceTask)


def error_boundary_for(task, code: str, *, escalation: bool = False):
    """The waiting error (or escalation) boundary event on ``task`` that
    catches ``code``: one naming that code, else one catching every code; None
    if there is none."""
    kind = EscalationEventDefinition if escalation else ErrorEventDefinition
    siblings = [t for t in task.parent.children if t is not task and t.state == TaskState.WAITING
                and isinstance(getattr(t.task_spec, "event_definition", None), kind)]
    exact = [t for t in siblings if t.task_spec.event_definition.code == code]
    catch_all = [t for t in siblings if not t.task_spec.event_definition.code]
    return (exact or catch_all or [None])[0]


def describe(task, evaluate) -> ServiceCall:
    """The call a READY service task stands for; ``evaluate(task, expression)``
    is the script engine's. Raises what evaluating a parameter raises."""
    spec = task.task_spec
    camunda = (getattr(spec, "extensions", None) or {}).get("camunda")
    if camunda is not None:
        hook = camunda.get("topic") or ""
        params = {name: _camunda_param(task, value, evaluate)
                  for name, value in (camunda.get("inputParameters") or {}).items()}
        result_variable = camunda.get("resultVariable") or f"{spec.bpmn_id}_result"
        retries = None
    else:
        hook = spec.operation_name
        params = {name: evaluate(task, p["value"]) for name, p in (spec.operation_params or {}).items()}
        result_variable = spec.result_variable
        retries = spec.retries
    return ServiceCall(task_id=str(task.id), bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
                       hook=hook, params=params, result_variable=result_variable,
                       retries=_retries(retries))


def _camunda_param(task, value, evaluate):
    """A Camunda input parameter's value (parser.camunda_value): text as
    written unless it is an expression, maps and lists item by item."""
    if isinstance(value, dict) and "map" in value:
        return {key: _camunda_param(task, item, evaluate) for key, item in value["map"].items()}
    if isinstance(value, dict) and "list" in value:
        return [_camunda_param(task, item, evaluate) for item in value["list"]]
    return evaluate(task, value) if "${" in value else value


def _retries(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRIES
    return min(max(number, 0), 20)
