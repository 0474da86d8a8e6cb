"""How a run remembers a failed task: what went wrong is kept in the ERROR
task's ``internal_data`` (so it survives dump and restore), and finding the
task when SpiffWorkflow's exception does not name it."""
from __future__ import annotations

import traceback
from dataclasses import dataclass

from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

FAILURE_KEY = "baton_failure"


@dataclass(frozen=True)
class Failure:
    element: str             # bpmn id of the failed task
    name: str
    message: str
    line: int | None         # script line, when the error is in a script
    error_type: str


def task_in_traceback(exc: Exception, workflows) -> Task | None:
    # Errors raised while a task is being reached (TaskSpec._update, say a
    # timer whose duration does not parse) carry no task; SpiffWorkflow
    # names the task being worked on ``my_task`` throughout.
    ours = {id(wf) for wf in workflows}
    for frame, _ in reversed(list(traceback.walk_tb(exc.__traceback__))):
        task = frame.f_locals.get("my_task")
        if isinstance(task, Task) and id(task.workflow) in ours:
            return task
    return None


def with_task(exc: Exception, task) -> Exception:
    if getattr(exc, "task", None) is None:
        exc.task = task
    return exc


def reach_children(task) -> None:
    # What TaskSpec._on_complete does for a finished task's children; used to
    # retry a child whose update failed part-way through that loop.
    for child in task.children:
        if not child.has_state(TaskState.FINISHED_MASK):
            child.task_spec._update(child)
