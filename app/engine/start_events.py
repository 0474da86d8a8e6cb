"""Which start event starts an instance: exactly one, as in Camunda.

A process may have several start events: a plain one for people (the
catalogue's start form), a message start event for other systems, a timer
start event for a schedule. SpiffWorkflow would run every one of them in each
instance (the plain one at once, the others waiting inside it), so an
instance started by a person would still catch the next message, and one
started by a message would also run the plain path. Here, before a workflow's
first step, all start events but the chosen one are cancelled:

- none chosen (a person starts it): its plain start events run; message and
  timer start events are cancelled, unless there is no plain one (then the
  instance waits at them, as SpiffWorkflow would have it);
- a message start event: it alone waits for its message (the host delivers it);
- a timer start event: it alone runs, and passes at once (start_timers.mark_fired).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from app.engine import start_timers


class UnknownStartEvent(ValueError):
    """The process has no start event of that id and kind."""


def choose(workflow, bpmn_id: str | None) -> None:
    """Let only the start event ``bpmn_id`` (None: the plain ones) start this
    workflow, which has not run yet."""
    starts = [t for t in workflow.tasks.values()
              if isinstance(t.task_spec, StartEvent) and t.workflow is workflow]
    if bpmn_id is None:
        plain = [t for t in starts if isinstance(t.task_spec.event_definition, NoneEventDefinition)]
        chosen = plain or starts
    else:
        chosen = [t for t in starts if t.task_spec.bpmn_id == bpmn_id]
        if not chosen or not isinstance(chosen[0].task_spec.event_definition,
                                        (MessageEventDefinition, TimerEventDefinition)):
            raise UnknownStartEvent(f"the process has no message or timer start event '{bpmn_id}'")
        if isinstance(chosen[0].task_spec.event_definition, TimerEventDefinition):
            start_timers.mark_fired(chosen[0])
    for task in starts:
        if task not in chosen:
            task.cancel()
