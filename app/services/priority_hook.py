"""The built-in ``raise_priority`` hook: an escalation path (a non-interrupting
timer on a step, say) makes the step's open task more urgent in everyone's
inbox, without touching the work itself.

    element   the BPMN id of the step whose open task(s) in this case to raise,
              or a list of them (every step still open when a deadline passes)
    priority  0-100; a task already more urgent keeps its priority

Returns ``{"raised": [task ids]}`` (empty when the step is no longer open:
the work got done meanwhile, which is no failure). Importing this module
registers it (app/worker.py's ``load_hooks`` does).
"""
from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from app.database import write_transaction
from app.engine.task_timing import PRIORITY_RANGE
from app.hooks import HookContext, HookFailed, hook
from app.models import HumanTask

from .audit import record as audit
from .context import now
from .queries import lock_instance

PARAMETERS = ("element", "priority")
MIN_PRIORITY, MAX_PRIORITY = PRIORITY_RANGE


@hook("raise_priority")
def raise_priority(params: dict, context: HookContext) -> dict:
    elements, priority = _checked(params)
    if not isinstance(context.instance_id, int):
        raise HookFailed("raise_priority hook: runs only for a case (no instance given)", retryable=False)
    with write_transaction() as session:
        instance = lock_instance(session, context.instance_id)
        raised = []
        for task in session.scalars(sa.select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.bpmn_id.in_(elements), HumanTask.state == "open")
                .order_by(HumanTask.id)):
            if task.priority < priority:
                audit(session, instance, "task_priority_raised", now(), None, task.bpmn_id,
                      {"task_id": task.id, "from": task.priority, "to": priority})
                task.priority = priority
                raised.append(task.id)
        return {"raised": raised}


def _checked(params) -> tuple[list[str], int]:
    if not isinstance(params, Mapping):
        raise HookFailed(f"raise_priority hook: parameters must be a mapping, got {type(params).__name__}",
                         retryable=False)
    unknown = sorted(str(name) for name in params if name not in PARAMETERS)
    if unknown:
        raise HookFailed(f"raise_priority hook: unknown parameter(s) {', '.join(map(repr, unknown))} "
                         f"(known: {', '.join(PARAMETERS)})", retryable=False)
    element, priority = params.get("element"), params.get("priority")
    elements = [element] if isinstance(element, str) else element
    if not isinstance(elements, (list, tuple)) or not elements \
            or not all(isinstance(e, str) and e.strip() for e in elements):
        raise HookFailed("raise_priority hook: parameter 'element' must be a step's BPMN id or a list of them",
                         retryable=False)
    if isinstance(priority, bool) or not isinstance(priority, int) or not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise HookFailed(f"raise_priority hook: parameter 'priority' must be a whole number from {MIN_PRIORITY} "
                         f"to {MAX_PRIORITY}, got {priority!r}", retryable=False)
    return [e.strip() for e in elements], priority
