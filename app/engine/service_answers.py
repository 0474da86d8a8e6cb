"""A run's side of the worker's service calls: which calls a run hands out,
and the worker's answers coming back (a result, a failure, a BPMN error or
an escalation). Mixed into ``WorkflowRun`` (runtime.py), whose helpers these
methods use: ``_task``, ``_require_running``, ``_guarded``, ``_advance``,
``_record_failure`` and ``_waiting_tasks``.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from app.engine.failures import FAILURE_KEY, with_task
from app.engine.run_errors import TaskNotReady
from app.engine.serializer import jsonable
from app.engine.service_calls import QUEUED_KEY, ServiceCall, describe, error_boundary_for, is_service_task


class ServiceCallAnswers:
    def take_service_calls(self) -> list[ServiceCall]:
        """The service tasks that became ready since the last call, each once
        (the caller writes a job for each). A parameter that cannot be
        evaluated fails its task instead."""
        calls = []
        for task in self._waiting_tasks():
            if not is_service_task(task.task_spec) or task.internal_data.get(QUEUED_KEY):
                continue
            try:
                call = describe(task, self.workflow.script_engine.evaluate)
                call = replace(call, params=jsonable(call.params))
            except Exception as exc:   # noqa: BLE001 - recorded on the task: an incident
                task.error()
                self._record_failure(with_task(exc, task))
                continue
            task.internal_data[QUEUED_KEY] = True
            calls.append(call)
        return calls

    def waiting_service_calls(self) -> list[str]:
        """Ids of the service tasks waiting for the worker."""
        return [str(t.id) for t in self._waiting_tasks() if is_service_task(t.task_spec)]

    def finish_service_call(self, task_id: str, result_variable: str, result: Any) -> None:
        """The hook answered: its result goes into the task's data and the case moves on."""
        task = self._waiting_service_task(task_id)
        task.data[result_variable] = deepcopy(result)
        task.internal_data.pop(QUEUED_KEY, None)
        if self._guarded(task.complete):
            self._advance()

    def fail_service_call(self, task_id: str, message: str) -> None:
        """The hook failed for good (retries used up): the task fails, an incident."""
        task = self._waiting_service_task(task_id)
        task.internal_data.pop(QUEUED_KEY, None)
        task.error()
        task.internal_data[FAILURE_KEY] = {"message": message, "error_type": "ServiceCallFailed",
                                            "line": None, "phase": "run"}

    def throw_service_error(self, task_id: str, code: str, message: str = "") -> bool:
        """The hook raised a BPMN error: an error boundary event on the service
        task that catches ``code`` (or any code) takes the case on its path, with
        ``error_code`` and ``error_message`` in the data. False when none catches
        it; the caller then treats it as a failure."""
        task = self._waiting_service_task(task_id)
        catcher = error_boundary_for(task, code)
        if catcher is None:
            return False
        task.internal_data.pop(QUEUED_KEY, None)
        self._catch_on_boundary(catcher, error_code=code, error_message=message)
        return True

    def escalate_service_call(self, task_id: str, code: str, message: str, result_variable: str,
                              result: Any) -> bool:
        """The hook raised an escalation: an escalation boundary event that
        catches ``code`` starts its path (``escalation_code``/``_message`` in
        its data). An interrupting one ends the service task; otherwise, and
        when nothing catches it (an escalation is not a failure), the task
        completes with ``result``. True when a boundary event caught it."""
        task = self._waiting_service_task(task_id)
        catcher = error_boundary_for(task, code, escalation=True)
        if catcher is not None:
            interrupting = catcher.task_spec.cancel_activity
            if interrupting:
                task.internal_data.pop(QUEUED_KEY, None)
            self._catch_on_boundary(catcher, escalation_code=code, escalation_message=message)
            if interrupting or self.status != "running":
                return True
        self.finish_service_call(task_id, result_variable, result)
        return catcher is not None

    def _catch_on_boundary(self, catcher, **data) -> None:
        # Set on the boundary event itself: its data is what the path after it starts with.
        catcher.set_data(**data)
        event = BpmnEvent(catcher.task_spec.event_definition)
        if self._guarded(lambda: (catcher.task_spec.catch(catcher, event), catcher.task_spec._update(catcher))):
            self._advance()

    def _waiting_service_task(self, task_id: str):
        self._require_running()
        task = self._task(task_id)
        if task is None or not is_service_task(task.task_spec) or task.state != TaskState.READY:
            raise TaskNotReady(f"no service task {task_id} waiting in this instance")
        return task
