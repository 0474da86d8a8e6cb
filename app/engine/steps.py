"""The step log: which tasks of a run finished (completed, cancelled, failed)
since it was last read, as events with the BPMN element each stands for."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

_REACHED = TaskState.WAITING | TaskState.READY | TaskState.STARTED


@dataclass(frozen=True)
class StepEvent:
    task_id: str
    bpmn_id: str
    name: str
    type: str                # 'userTask', 'scriptTask', 'exclusiveGateway', ...
    state: str               # 'COMPLETED', 'CANCELLED' or 'ERROR'
    at: datetime
    actor: str | None = None  # who completed it, for human tasks completed through complete_task
    # One instance of a multi-instance step: the item it was for ("system: email, level: standard"),
    # so a trail of five revocations says which five. The step as a whole: how many instances it ran.
    item: str | None = None
    instances: int | None = None


class StepLog:
    """Task states as of the last collection, and the events found since.

    ``collect`` compares the tasks' states with the ones it saw last; the
    owner calls it often enough (every engine round, before pruning) that no
    finished task is missed."""

    def __init__(self, seen: dict[UUID, int]):
        self._seen = seen
        self._events: list[StepEvent] = []
        self._actors: dict[UUID, str | None] = {}

    def note_actor(self, task_id: UUID, actor: str | None) -> None:
        """Who completed a human task, for its event."""
        self._actors[task_id] = actor

    def mark_seen(self, seen: dict[UUID, int]) -> None:
        """Take ``seen`` as the states already reported."""
        self._seen = seen

    def collect(self, tasks) -> None:
        finished = [t for t in tasks
                    if t.has_state(TaskState.FINISHED_MASK) and self._seen.get(t.id) != t.state
                    and self._is_reportable(t)]
        for task in sorted(finished, key=lambda t: t.last_state_change):
            spec = task.task_spec
            self._events.append(StepEvent(
                task_id=str(task.id), bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
                type=element_type(spec), state=TaskState.get_name(task.state),
                at=datetime.fromtimestamp(task.last_state_change, tz=timezone.utc),
                actor=self._actors.pop(task.id, None), item=_item_of(task),
                instances=_instances_of(task)))
        self._seen = {t.id: t.state for t in tasks}

    def take(self) -> list[StepEvent]:
        """The events collected so far, emptying the log."""
        events, self._events = self._events, []
        return events

    def _is_reportable(self, task) -> bool:
        if task.task_spec.bpmn_id is None:
            return False                     # Spiff's own specs: Start, End, EndJoin, event splits/joins
        if task.state == TaskState.CANCELLED:
            # Only what had been reached; a join cancelled by the branch that
            # fired it is bookkeeping, not an event.
            return bool(self._seen.get(task.id, 0) & _REACHED) and not isinstance(task.task_spec, UnstructuredJoin)
        return True


MAX_ITEM = 120


def _instances_of(task) -> int | None:
    """For a multi-instance step as a whole, how many instances it ran (its
    children also hold the step after it)."""
    spec = task.task_spec
    if not isinstance(spec, MultiInstanceTask):
        return None
    return sum(1 for child in task.children if child.task_spec.name == spec.task_spec)


def _item_of(task) -> str | None:
    """For one instance of a multi-instance step, its input item as a short text."""
    parent = task.parent.task_spec if task.parent is not None else None
    if not isinstance(parent, MultiInstanceTask) or parent.input_item is None:
        return None
    item = task.data.get(parent.input_item.bpmn_id)
    if isinstance(item, dict):
        text = ", ".join(f"{k}: {v}" for k, v in item.items() if isinstance(v, (str, int, float)) and v != "")
    elif isinstance(item, (str, int, float)):
        text = str(item)
    else:
        text = json.dumps(item, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_ITEM else text[:MAX_ITEM - 1] + "…"


# The BPMN elements behind task spec classes (and their subclasses).
_BPMN_ELEMENTS = {
    "UserTask", "ManualTask", "ScriptTask", "ServiceTask", "BusinessRuleTask", "SendTask", "ReceiveTask",
    "CallActivity", "ExclusiveGateway", "InclusiveGateway", "ParallelGateway", "EventBasedGateway",
    "StartEvent", "EndEvent", "BoundaryEvent", "IntermediateCatchEvent", "IntermediateThrowEvent",
}
_RENAMED = {"NoneTask": "task", "SubWorkflowTask": "subProcess", "EventSubprocess": "subProcess",
            "TransactionSubprocess": "transaction", "AdHocSubprocess": "adHocSubProcess"}


def element_type(spec) -> str:
    """The BPMN element a task spec stands for: 'userTask', 'exclusiveGateway', ..."""
    if isinstance(spec, LoopTask):
        # A loop or multi-instance marker: the element is the task it repeats.
        spec = spec._wf_spec.task_specs.get(spec.task_spec, spec)
    for cls in type(spec).__mro__:
        if cls.__name__ in _RENAMED:
            return _RENAMED[cls.__name__]
        if cls.__name__ in _BPMN_ELEMENTS:
            return cls.__name__[0].lower() + cls.__name__[1:]
    return type(spec).__name__
