"""Moving a running workflow onto another version of its process.

SpiffWorkflow does the alignment and the move (``SpiffWorkflow.bpmn.util.diff``:
``diff_workflow`` pairs each task spec of the old version with one of the new,
``migrate_workflow`` swaps the specs and re-predicts the open branches). Baton
adds its own rule on top, in words a person can act on: every step the case is
at now (a human or service task, a timer or message it waits on, a boundary
event of a waiting step, a subprocess it is inside, a failed step) must exist
in the new version under the same BPMN id, as the same kind of element.

The move is tried on a copy when it is planned, then restored under the new
specs, so a plan that says "can move" has already been proven to load; the
dry run and the real move are the same work, and the caller's run is left as
it was either way.

What the move keeps: the task ids (a person's open task keeps its index row
and claim), each waiting task's data, and the internal data where timers keep
their due time (a timer already waiting keeps the due time it was given). A
waiting service task whose definition changed is handed to the worker again
(``requeued_calls``), so the call made is the new version's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from app.engine import serializer
from app.engine.runtime import WorkflowRun
from app.engine.service_calls import QUEUED_KEY, is_service_task
from app.engine.steps import element_type

# The states of a step the case is at now.
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
# The states migrate_workflow resets (its default), whose data the move keeps.
_RESET = TaskState.READY | TaskState.WAITING


class MigrationError(Exception):
    """The move could not be made (the new version's tree would not hold together)."""


@dataclass(frozen=True)
class MigrationPlan:
    reasons: tuple[str, ...]          # why the run cannot move, one per problem; empty: it can
    active_steps: tuple[str, ...]     # BPMN ids of the steps it is at now
    requeued_calls: tuple[str, ...] = ()   # ids of waiting service tasks whose call changed
    moved: WorkflowRun | None = field(default=None, repr=False, compare=False)   # the run on the new version

    @property
    def can_move(self) -> bool:
        return not self.reasons


def plan_migration(run: WorkflowRun, new_spec, new_subprocess_specs: dict, *,
                   from_version: int, to_version: int) -> MigrationPlan:
    """Whether ``run`` can move to the process ``new_spec`` (with its
    subprocess specs), why not, and if it can the moved run. ``run`` is dumped
    (which prunes it) but otherwise unchanged."""
    copy = _copy(run)
    workflow = copy.workflow
    top_diff, sp_diffs = diff_workflow(serializer.registry(run.flavour), workflow, new_spec,
                                       new_subprocess_specs)
    diffs = [(workflow, top_diff), *((sp, sp_diffs[sp_id]) for sp_id, sp in workflow.subprocesses.items())]
    active, reasons = [], []
    for wf, diff in diffs:
        for task in _active_tasks(wf):
            active.append(task.task_spec.bpmn_id)
            reason = _refusal(task, diff, from_version, to_version)
            if reason and reason not in reasons:
                reasons.append(reason)
    requeued = tuple(str(t.id) for wf, diff in diffs if diff is not None for t in diff.changed
                     if is_service_task(t.task_spec) and t.state == TaskState.READY)
    plan = MigrationPlan(reasons=tuple(reasons), active_steps=tuple(dict.fromkeys(active)), requeued_calls=requeued)
    if reasons:
        return plan
    try:
        moved = _move(copy, diffs, new_spec, new_subprocess_specs, set(requeued))
    except MigrationError as exc:
        return MigrationPlan(reasons=(str(exc),), active_steps=plan.active_steps)
    except Exception as exc:   # noqa: BLE001 - SpiffWorkflow refusing the tree (say, a timer that no longer evaluates)
        return MigrationPlan(reasons=(f"The move failed in the engine: {exc}",), active_steps=plan.active_steps)
    return MigrationPlan(reasons=(), active_steps=plan.active_steps, requeued_calls=requeued, moved=moved)


def apply_migration(plan: MigrationPlan) -> WorkflowRun:
    """The run on the new version, as planned (MigrationError if it cannot move)."""
    if plan.moved is None:
        raise MigrationError(" ".join(plan.reasons) or "The case cannot be moved.")
    return plan.moved


# --- the rule ----------------------------------------------------------------------

def _active_tasks(workflow):
    return [t for t in workflow.tasks.values() if t.has_state(ACTIVE) and t.task_spec.bpmn_id]


def _refusal(task, diff, from_version: int, to_version: int) -> str | None:
    spec = task.task_spec
    where = "failed" if task.state == TaskState.ERROR else "waiting"
    step = f"The step {_label(spec)}"
    if diff is None:
        return (f"{step} {where} in version {from_version} is inside the subprocess "
                f"'{task.workflow.spec.name}', which version {to_version} does not have.")
    new = diff.alignment.get(task)
    if new is None or new.bpmn_id != spec.bpmn_id:
        return f"{step} {where} in version {from_version} does not exist in version {to_version}."
    old_type, new_type = element_type(spec), element_type(new)
    if old_type != new_type:
        return (f"{step} is {_words(old_type)} in version {from_version} but {_words(new_type)} "
                f"in version {to_version}.")
    split = next((s for s in new.inputs if isinstance(s, BoundaryEventSplit)), None)
    if split is not None and (task.parent is None or task.parent.task_spec.name != split.name):
        # The new events would have to start watching a step already reached:
        # SpiffWorkflow arms them only when the step is reached.
        events = ", ".join(_label(s) for s in split.outputs if s is not new)
        return (f"{step} has boundary events in version {to_version} that it lacks in version "
                f"{from_version} ({events}).")
    return None


def _label(spec) -> str:
    return f"'{spec.bpmn_name}' ({spec.bpmn_id})" if spec.bpmn_name else f"'{spec.bpmn_id}'"


def _words(element: str) -> str:
    """'userTask' → 'a user task', 'endEvent' → 'an end event'."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", element).lower()
    return f"{'an' if words[0] in 'aeio' else 'a'} {words}"


# --- the move ------------------------------------------------------------------------

def _copy(run: WorkflowRun) -> WorkflowRun:
    workflow = run.workflow
    return WorkflowRun.restore(run.dump(), workflow.spec, workflow.subprocess_specs, run.flavour,
                               script_engine=workflow.script_engine)


def _move(copy: WorkflowRun, diffs, new_spec, new_subprocess_specs: dict, requeued: set[str]) -> WorkflowRun:
    top = copy.workflow
    for wf, diff in diffs:
        kept = {t.id: (t.data, t.internal_data) for t in wf.tasks.values() if t.has_state(_RESET)}
        migrate_workflow(diff, wf, new_spec if wf is top else new_subprocess_specs[wf.spec.name])
        for task_id, (data, internal) in kept.items():
            task = wf.tasks.get(task_id)
            if task is not None:
                task.data, task.internal_data = data, internal
                if str(task_id) in requeued:
                    task.internal_data.pop(QUEUED_KEY, None)
        _repredict_started(wf)
        _repoint_finished(wf)
    top.subprocess_specs = new_subprocess_specs
    state = serializer.dump_state(top, copy.flavour)
    try:
        return WorkflowRun.restore(state, new_spec, new_subprocess_specs, copy.flavour,
                                   script_engine=top.script_engine)
    except Exception as exc:   # noqa: BLE001 - any failure to load means the move does not hold
        raise MigrationError(f"The case's state does not fit the new version ({exc}).") from None


def _repredict_started(workflow) -> None:
    """A started step (a subprocess the case is inside) keeps the steps predicted
    after it by the old version: predict them again from the new one."""
    for task in list(workflow.tasks.values()):
        if task.id in workflow.tasks and task.state == TaskState.STARTED and \
                all(c.has_state(TaskState.PREDICTED_MASK) for c in task.children):
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.STARTED)


def _repoint_finished(workflow) -> None:
    """A finished step kept in the tree (the one that led to a waiting step)
    whose spec the new version lacks: it stands for whatever leads to its open
    children in the new version, so joins and restores find a spec they know."""
    specs = workflow.spec.task_specs
    for task in list(workflow.tasks.values()):
        if specs.get(task.task_spec.name) is task.task_spec:
            continue
        if not task.has_state(TaskState.FINISHED_MASK):
            raise MigrationError(f"The step {_label(task.task_spec)} has no place in the new version.")
        inputs = [set(c.task_spec.inputs) for c in task.children]
        common = set.intersection(*inputs) if inputs else set()
        if not common:
            raise MigrationError(f"The finished step {_label(task.task_spec)} has no place in the new version.")
        task.task_spec = sorted(common, key=lambda s: s.name)[0]
