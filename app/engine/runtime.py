"""Advancing a workflow to its next wait state, and reporting what it waits for.

A ``WorkflowRun`` wraps one BpmnWorkflow for the length of one transaction:
restore (or start), act (complete a task, deliver a message, fire timers,
answer a service call — service_answers.py —, retry), read what changed
(``take_step_log``, ``human_tasks``, ``status``), dump. It keeps no state of
its own beyond that and the step log (app/engine/steps.py): failures live in
the ERROR task's ``internal_data``, so they survive dump and restore.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from app.engine import messages, start_events
from app.engine.failures import FAILURE_KEY, Failure, reach_children, task_in_traceback
from app.engine.pruning import prune
from app.engine.serializer import dump_state, jsonable, load_state
from app.engine.service_calls import is_service_task
from app.engine.run_errors import RunNotActive, TaskNotReady  # noqa: F401 - re-exported
from app.engine.service_answers import ServiceCallAnswers
from app.engine.steps import StepEvent, StepLog, element_type  # noqa: F401 - element_type: re-exported
from app.engine.timers import due_time, now_for, workflow_now

PRUNE_EVERY_ROUNDS = 10       # in a loop with no wait state: bounds depth and the cost of each round
MAX_ROUNDS = 100_000          # a diagram that loops without ever waiting


@dataclass(frozen=True)
class HumanTask:
    id: str                  # the task's uuid
    bpmn_id: str
    name: str                # the diagram's label, or the bpmn id
    lane: str | None
    data: dict               # the task's data, JSON-safe


class StepLimitExceeded(Exception):
    """The diagram kept running without ever waiting (a loop with no wait state)."""


def default_script_engine():
    try:
        from app.engine.sandbox import SandboxedScriptEngine
    except ImportError:
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
        return PythonScriptEngine()
    return SandboxedScriptEngine()


class WorkflowRun(ServiceCallAnswers):
    def __init__(self, workflow: BpmnWorkflow, flavour: str):
        self.workflow = workflow
        self.flavour = flavour
        self._steps = StepLog(seen=self._states())
        # Whether the stored message index of the instance may hold rows to replace.
        self.waited_for_messages = any(messages.is_message_event(t) for t in workflow.event_manager.tasks.values())

    # --- creating -------------------------------------------------------------

    @classmethod
    def start(cls, spec, subprocess_specs, flavour: str, data: dict | None,
              script_engine=None, start_event: str | None = None) -> "WorkflowRun":
        """``start_event``: the message or timer start event that starts this
        instance; None when a person starts it (start_events.choose)."""
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine or default_script_engine())
        # The root task runs first and hands its data to the start event.
        workflow.task_tree.set_data(**deepcopy(data or {}))
        start_events.choose(workflow, start_event)
        run = cls(workflow, flavour)
        run._steps.mark_seen({})            # nothing reported yet: all the start finishes is new
        run.advance()
        return run

    @classmethod
    def restore(cls, state: str, spec, subprocess_specs, flavour: str, script_engine=None) -> "WorkflowRun":
        workflow = load_state(state, spec, subprocess_specs, flavour,
                              script_engine=script_engine or default_script_engine())
        return cls(workflow, flavour)

    def dump(self) -> str:
        self._collect_steps()               # before pruning drops the finished tasks
        prune(self.workflow)
        self._steps.mark_seen(self._states())
        return dump_state(self.workflow, self.flavour)

    # --- reading --------------------------------------------------------------

    @property
    def status(self) -> str:
        if self._error_tasks():
            return "failed"
        return "completed" if self.workflow.is_completed() else "running"

    @property
    def failure(self) -> Failure | None:
        task = min(self._error_tasks(), key=lambda t: t.last_state_change, default=None)
        if task is None:
            return None
        info = task.internal_data.get(FAILURE_KEY) or {}
        spec = task.task_spec
        return Failure(element=spec.bpmn_id or spec.name, name=spec.bpmn_name or spec.bpmn_id or spec.name,
                       message=info.get("message", "the task failed"), line=info.get("line"),
                       error_type=info.get("error_type", "unknown"))

    @property
    def data(self) -> dict:
        if self.workflow.is_completed():
            return jsonable(self.workflow.data)
        done = [t for t in self._tasks() if t.state == TaskState.COMPLETED]
        latest = max(done, key=lambda t: t.last_state_change, default=None)
        return jsonable(latest.data) if latest is not None else {}

    def human_tasks(self) -> list[HumanTask]:
        return [HumanTask(id=str(t.id), bpmn_id=t.task_spec.bpmn_id,
                          name=t.task_spec.bpmn_name or t.task_spec.bpmn_id,
                          lane=t.task_spec.lane, data=jsonable(t.data))
                for t in self._waiting_tasks() if not is_service_task(t.task_spec)]

    def next_timer_due(self) -> datetime | None:
        """The earliest due time (aware, UTC) among the timer events this run
        waits for, or None: the services keep one timer job for it.

        Read from the event manager's waiting tasks, as ``waiting_events()``
        does, but picking timers by class rather than by ``event_type`` (the
        class name, which differs for Baton's clocked timers). A timer whose
        value is not a time (a cycle with no repetitions left, which finishes
        at the next refresh) counts as due now."""
        dues = []
        for task in self.workflow.event_manager.tasks.values():
            definition = task.task_spec.event_definition
            # An event-based gateway waits with its catch events' definitions.
            for timer in getattr(definition, "event_definitions", [definition]):
                if isinstance(timer, TimerEventDefinition):
                    dues.append(due_time(timer.details(task).value) or now_for(task))
        return min(dues, default=None)

    def waiting_steps(self) -> dict[str, str]:
        """{BPMN id: name} of where the run waits on no person: a timer, a
        message, an automated step the worker has yet to answer. Boundary events
        are left out: they watch a step (an SLA timer on a task) rather than hold the case."""
        specs = [t.task_spec for t in self.workflow.event_manager.tasks.values()
                 if not isinstance(t.task_spec, BoundaryEvent)]
        specs += [t.task_spec for t in self._waiting_tasks() if is_service_task(t.task_spec)]
        return {s.bpmn_id: s.bpmn_name or s.bpmn_id for s in specs if s.bpmn_id}

    def waiting_messages(self) -> list[messages.MessageWait]:
        """The message events this run waits on, with the correlation each expects."""
        evaluate = self.workflow.script_engine.evaluate
        return [wait for t in self.workflow.event_manager.tasks.values() for wait in messages.waiting(t, evaluate)]

    def take_sent_messages(self) -> list[messages.SentMessage]:
        """Messages the run sent that nothing in it caught, each once (the host delivers them)."""
        return [m for m in map(messages.sent, self.workflow.get_events()) if m is not None]

    def evaluate(self, task_id: str, expression: str) -> Any:
        task = self._task(task_id)
        if task is None:
            raise TaskNotReady(f"no task {task_id} in this instance")
        return self.workflow.script_engine.evaluate(task, expression)

    def take_step_log(self) -> list[StepEvent]:
        self._collect_steps()
        return self._steps.take()

    # --- acting ---------------------------------------------------------------

    def complete_task(self, task_id: str, data: dict, actor: str | None = None) -> None:
        self._require_running()
        task = self._task(task_id)
        if task is None or not task.task_spec.manual or is_service_task(task.task_spec):
            raise TaskNotReady(f"no human task {task_id} in this instance")
        if task.state != TaskState.READY:
            raise TaskNotReady(f"task {task_id} ({task.task_spec.bpmn_id}) is "
                               f"{TaskState.get_name(task.state)}, not READY")
        task.set_data(**deepcopy(data))
        self._steps.note_actor(task.id, actor)
        if self._guarded(task.run):
            self._advance()

    def deliver_message(self, task_id: str, name: str, data: Any, correlation: dict) -> None:
        """The message ``name`` for the waiting task ``task_id`` (the host matched it)."""
        self._require_running()
        task = self._task(task_id)
        if task is None or task.id not in self.workflow.event_manager.tasks or \
                name not in {d.name for d in messages.message_definitions(task)}:
            raise TaskNotReady(f"no message event {task_id} waiting for {name!r} in this instance")
        if self._guarded(lambda: messages.deliver(task, name, data, correlation)):
            self._advance()

    def advance(self) -> None:
        """Run engine steps until only human tasks and events are left."""
        self._advance()

    def fire_due_timers(self) -> None:
        """Fire every timer due by the workflow's clock and run on to the next
        wait state (the timer job's work). A plain ``advance()`` does the same:
        each round of ``_advance`` ends with ``refresh_timers()``, and a timer
        that fired leaves READY engine work, so the next round runs its path;
        this method exists so that the services say what they mean, and it
        refuses a failed or completed run like the other actions do.

        One pass more when a timer is still due afterwards: a cycle whose last
        repetition just fired completes only at the refresh after (the
        library's bookkeeping), which would otherwise take another job."""
        self._require_running()
        self._advance()
        due = self.next_timer_due()
        if due is not None and due <= workflow_now(self.workflow) and self.status == "running":
            self._advance()

    def retry(self) -> None:
        """Run the failed tasks again (after an admin fixed the cause); simple version.

        A task that failed while running runs again from its parent's data (a
        script's partial changes are dropped; a human task keeps its form
        data). One that failed while being reached (say, a timer expression)
        is reached again."""
        errors = self._error_tasks()
        if not errors:
            raise RunNotActive("the instance has not failed: nothing to retry")
        for task in sorted(errors, key=lambda t: t.last_state_change):
            info = task.internal_data.pop(FAILURE_KEY, None) or {}
            if info.get("phase") == "update":
                task._set_state(info.get("state", TaskState.FUTURE))
                if not self._guarded(lambda: reach_children(task.parent)):
                    return
                continue
            if not task.task_spec.manual:
                task.data = deepcopy(task.parent.data)
            task._set_state(TaskState.READY)
            if is_service_task(task.task_spec):
                continue   # waits for the worker again: take_service_calls sees it as new
            if task.task_spec.manual and not self._guarded(task.run):
                return
        self._advance()

    def _advance(self) -> None:
        # Later code (timers, messages, service results) changes the workflow,
        # then calls this. Errors leave their task in ERROR (see failure).
        workflow = self.workflow
        progressed = False

        def one_round():
            # do_engine_steps without its loop, so that long automatic runs
            # can be pruned between rounds; fired timers run next round.
            nonlocal progressed
            progressed = workflow._do_engine_steps()
            workflow.refresh_timers()

        for rounds in range(1, MAX_ROUNDS + 1):
            ok = self._guarded(one_round)
            # Collect every round: a task reached in one round and cancelled in
            # the next (by an interrupting event) is then logged as cancelled.
            self._collect_steps()
            if not ok or (not progressed and not self._engine_work_ready()):
                return
            if rounds % PRUNE_EVERY_ROUNDS == 0:
                prune(workflow)
        raise StepLimitExceeded(f"still running after {MAX_ROUNDS} engine rounds without waiting")

    def _waiting_tasks(self):
        # READY tasks left for people or the worker. Read from the task dicts:
        # SpiffWorkflow's get_tasks walks the tree with a Python iterator, which
        # costs a step more than everything else here (measured by scripts/bench).
        return [t for t in self._tasks() if t.state == TaskState.READY and t.task_spec.manual]

    def _engine_work_ready(self) -> bool:
        return self.workflow.get_next_task(state=TaskState.READY, manual=False) is not None

    def _guarded(self, action) -> bool:
        """Run ``action``: False if a task failed (recorded on the task)."""
        try:
            action()
        except Exception as exc:
            self._record_failure(exc)
            return False
        return True

    def _record_failure(self, exc: Exception) -> None:
        task = getattr(exc, "task", None)
        if task is None or not task.has_state(TaskState.ERROR):
            # TaskSpec._run puts a task that raised in ERROR before re-raising.
            unexplained = [t for t in self._error_tasks() if FAILURE_KEY not in t.internal_data]
            task = unexplained[0] if unexplained else task or task_in_traceback(exc, self._workflows())
        if task is None:
            raise exc                        # not caused by a task: a bug, let the caller roll back
        info = {"message": str(exc), "error_type": getattr(exc, "error_type", None) or type(exc).__name__,
                "line": getattr(exc, "line_number", None) or None, "phase": "run"}
        if not task.has_state(TaskState.ERROR):
            # Failed while being reached (TaskSpec._update), not while running.
            info.update(phase="update", state=task.state)
            task._set_state(TaskState.ERROR)
        task.internal_data[FAILURE_KEY] = info

    def _require_running(self) -> None:
        if self.status == "failed":
            raise RunNotActive(f"the instance has failed at {self.failure.element}: "
                               f"{self.failure.message} (retry it first)")
        if self.status == "completed":
            raise RunNotActive("the instance has completed")

    # --- the step log -----------------------------------------------------------

    def _collect_steps(self) -> None:
        self._steps.collect(self._tasks())

    # --- helpers --------------------------------------------------------------

    def _workflows(self):
        return [self.workflow, *self.workflow.subprocesses.values()]

    def _tasks(self):
        return [t for wf in self._workflows() for t in wf.tasks.values()]

    def _states(self) -> dict[UUID, int]:
        return {t.id: t.state for t in self._tasks()}

    def _error_tasks(self):
        return [t for t in self._tasks() if t.state == TaskState.ERROR]

    def _task(self, task_id: str):
        try:
            uuid = UUID(str(task_id))
        except ValueError:
            return None
        return next((wf.tasks[uuid] for wf in self._workflows() if uuid in wf.tasks), None)
