"""Keep a workflow's live task tree bounded.

SpiffWorkflow keeps every task it ever ran in one tree: each loop iteration
adds a level, its iterators stop at depth 1000 (a three-step loop silently
stalls after ~333 rounds), every step walks the whole tree, and each task
stores its data again. Baton keeps history in its audit table, so the live
tree needs only what future execution reads. ``prune`` removes the rest; run
it before every dump (``WorkflowRun.dump`` does).

Which tasks future execution reads (SpiffWorkflow 3.2.0, checked in the code):

- Unfinished tasks (predicted, waiting, ready, started) and ERROR tasks: they
  are the live state ("live" below).
- The real parent of every live task. ``TaskSpec._update_hook`` merges
  ``parent.data`` into a task each time it is updated (waiting tasks are
  updated after every completed task), so re-parenting a live task to an
  older ancestor would merge stale values over current ones. Joins read
  ``parent.state``/``parent.task_spec`` to see which inputs have arrived.
- Every kept task of an unstructured join spec (parallel/inclusive gateway,
  the EndJoin) keeps its real parent: ``ParallelGateway`` and
  ``InclusiveGateway`` thresholds and ``UnstructuredJoin._run_hook`` read the
  parent's state, spec and data of every task of the spec that is not an
  ancestor of the one being updated.
- Pending join tokens: a CANCELLED task of an unstructured join spec that no
  COMPLETED task of that spec (outside its own line) has consumed yet. With
  three or more incoming flows the join task of an earlier branch is
  cancelled by the next arrival and waits, cancelled, for the firing one to
  count its parent as arrived and merge its data. Consumed ones go: left in
  the tree they make the join of a later loop iteration fire before all its
  branches have arrived (a SpiffWorkflow bug with parallel gateways in loops
  that this pruning fixes).
- The children of a live loop or multi-instance task: ``merge_child`` finds
  the loop task as ``child.parent``, and the completion condition looks the
  last merged child up among ``my_task.children``.
- For a live structured join (BoundaryEventJoin, StartEventJoin), the split
  it finds with ``find_ancestor`` and all of that split's children (main task
  and event tasks) under their real parent: its threshold reads them.
- The root (the workflow's ``task_tree``) and each of its children that leads
  to live tasks: ad hoc subprocesses treat the root's children as their
  branches.

Two kinds of task pile up on a step reminded by a repeating non-interrupting
timer (an overdue loan reminded daily for months), one of each per firing:

- A waiting BoundaryEventJoin under the timer: each firing adds a child for
  each of the event's outputs, the join included. It never fires: when the
  step ends, the join under the step itself is updated first, fires, and
  cancels the others (``Join._do_join``). Such spares are dropped, with
  anything under them, while the step and its own join are still there.
- A pending token of the process's EndJoin (the reminder's path ends at an
  end event, the process does not). The EndJoin waits for no token (it fires
  when nothing else is unfinished); its tokens only bring their paths' data
  into the final data, in arrival order. Of the tokens that arrived through
  one end event only the latest is kept: each later arrival's data overrides
  the earlier ones' values, so only a field set on an earlier arrival and
  never again would be missed.

Every other task goes; kept tasks hang under their nearest kept ancestor, so
ancestor relations among kept tasks hold and children keep their order.
Task data is not touched: each task holds its own copy and the serializer
writes it as a delta against whichever parent the task has when dumped.

A finished workflow keeps its root and ``last_task`` only; it still loads and
reports completed. Subprocesses are pruned the same way; a subprocess whose
task is gone or finished is deleted (its result was copied into the task when
it completed).
"""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, _EndJoin
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

LIVE_STATES = TaskState.NOT_FINISHED_MASK | TaskState.ERROR
_FINISHED_SUBPROCESS_TASK = TaskState.COMPLETED | TaskState.CANCELLED


def prune(workflow) -> None:
    """Drop every task and subprocess of a BpmnWorkflow that execution no longer needs."""
    _prune_tree(workflow)
    # Shallow subprocesses first, so a nested one sees whether its owner survived.
    for sp_id, sp in sorted(workflow.subprocesses.items(), key=lambda item: item[1].depth):
        owner = _owner_of(workflow, sp.parent_task_id)
        task = owner.tasks.get(sp.parent_task_id) if owner is not None else None
        if task is None or task.has_state(_FINISHED_SUBPROCESS_TASK):
            del workflow.subprocesses[sp_id]
        else:
            _prune_tree(sp)
    _forget_removed_waiting_events(workflow)


def _owner_of(top, task_id: UUID):
    if task_id in top.tasks:
        return top
    for sp in top.subprocesses.values():
        if task_id in sp.tasks:
            return sp
    return None


def _forget_removed_waiting_events(top) -> None:
    workflows = [top, *top.subprocesses.values()]
    manager = top.event_manager
    for task_id, task in list(manager.tasks.items()):
        if not any(task.workflow is wf and task_id in wf.tasks for wf in workflows):
            del manager.tasks[task_id]


# --- one tree ------------------------------------------------------------------

class _TreeIndex:
    """Pre-order positions of a tree, for ancestor tests without recursion
    (``Task.is_descendant_of`` recurses once per level)."""

    def __init__(self, root: Task):
        self.order: list[Task] = []
        self.start: dict[UUID, int] = {}
        self.end: dict[UUID, int] = {}
        tasks = root.workflow.tasks
        stack: list[tuple[Task, bool]] = [(root, False)]
        while stack:
            task, done = stack.pop()
            if done:
                self.end[task.id] = len(self.order) - 1
                continue
            self.start[task.id] = len(self.order)
            self.order.append(task)
            stack.append((task, True))
            stack.extend((tasks[c], False) for c in reversed(task._children) if c in tasks)

    def is_ancestor(self, a: Task | UUID, b: Task) -> bool:
        a_id = a if isinstance(a, UUID) else a.id
        return self.start[a_id] < self.start[b.id] <= self.end[a_id]

    def related(self, a: Task, b: Task) -> bool:
        return self.is_ancestor(a, b) or self.is_ancestor(b, a)


def _prune_tree(workflow) -> None:
    index = _TreeIndex(workflow.task_tree)
    spare = _spare_boundary_joins(index)
    live = [t for t in index.order if t.has_state(LIVE_STATES)
            and not any(index.is_ancestor(s, t) or s is t for s in spare)]
    if live:
        keep = _needed_tasks(workflow.task_tree, live, index)
    else:
        keep = {workflow.task_tree.id}
        if workflow.last_task is not None and workflow.last_task.id in workflow.tasks:
            keep.add(workflow.last_task.id)
    _rebuild(workflow, index, keep)


def _needed_tasks(root: Task, live: list[Task], index: _TreeIndex) -> set[UUID]:
    # Tasks whose parent must stay their parent (see the module docstring).
    anchored: list[Task] = []
    for task in live:
        anchored.append(task)
        spec = task.task_spec
        if isinstance(spec, LoopTask):
            anchored.extend(task.children)
        if isinstance(spec, Join) and spec.split_task is not None:
            split = _find_ancestor(task, spec.split_task)
            if split is not None:
                anchored.extend(split.children)
    anchored.extend(_pending_join_tokens(index))

    keep = {root.id, *_root_children_leading_to(root, live, index)}
    for task in anchored:
        keep.add(task.id)
        if task.parent is not None:
            keep.add(task.parent.id)
    # A kept join task keeps its real parent, whatever kept it (a live task's
    # parent, a pending token, ...); so does that parent if it is a join task.
    # Pre-order visits a parent before its children, hence the climb.
    for task in index.order:
        if task.id in keep and isinstance(task.task_spec, UnstructuredJoin):
            parent = task.parent
            while parent is not None:
                keep.add(parent.id)
                parent = parent.parent if isinstance(parent.task_spec, UnstructuredJoin) else None
    return keep


def _spare_boundary_joins(index: _TreeIndex) -> list[Task]:
    """Waiting BoundaryEventJoins that a non-interrupting boundary event added
    under itself, while the step it is attached to still has its own join
    (see the module docstring)."""
    spare = []
    for task in index.order:
        spec, parent = task.task_spec, task.parent
        if not (isinstance(spec, BoundaryEventJoin) and task.state == TaskState.WAITING and parent is not None
                and isinstance(parent.task_spec, BoundaryEvent) and not parent.task_spec.cancel_activity):
            continue
        split = parent.parent
        main = next((c for c in split.children if not isinstance(c.task_spec, BoundaryEvent)), None) \
            if split is not None else None
        if main is not None and main.has_state(TaskState.NOT_FINISHED_MASK) \
                and any(c.task_spec is spec for c in main.children):
            spare.append(task)
    return spare


def _find_ancestor(task: Task, spec_name: str) -> Task | None:
    # Task.find_ancestor, without one level of recursion per tree level.
    parent = task.parent
    while parent is not None and parent.task_spec.name != spec_name:
        parent = parent.parent
    return parent


def _pending_join_tokens(index: _TreeIndex) -> list[Task]:
    by_spec: dict[str, list[Task]] = {}
    for task in index.order:
        if isinstance(task.task_spec, UnstructuredJoin):
            by_spec.setdefault(task.task_spec.name, []).append(task)
    pending = []
    for tasks in by_spec.values():
        fired = [t for t in tasks if t.state == TaskState.COMPLETED]
        waiting = [t for t in tasks if t.state == TaskState.CANCELLED and not any(
            not index.related(t, f) for f in fired)]
        if waiting and isinstance(waiting[0].task_spec, _EndJoin):
            # Only the latest token through each end event (see the module docstring).
            latest: dict[str, Task] = {}
            for task in sorted(waiting, key=lambda t: t.last_state_change):
                latest[task.parent.task_spec.name if task.parent else ""] = task
            waiting = list(latest.values())
        pending.extend(waiting)
    return pending


def _root_children_leading_to(root: Task, live: list[Task], index: _TreeIndex) -> set[UUID]:
    return {c.id for c in root.children if any(c is t or index.is_ancestor(c, t) for t in live)}


def _rebuild(workflow, index: _TreeIndex, keep: set[UUID]) -> None:
    """Hang each kept task under its nearest kept ancestor; drop the others."""
    new_parent: dict[UUID, UUID | None] = {}
    new_children: dict[UUID, list[UUID]] = {tid: [] for tid in keep}
    nearest: list[UUID] = []           # kept ancestors of the current pre-order position
    for task in index.order:
        while nearest and not index.is_ancestor(nearest[-1], task):
            nearest.pop()
        if task.id in keep:
            parent_id = nearest[-1] if nearest else None
            new_parent[task.id] = parent_id
            if parent_id is not None:
                new_children[parent_id].append(task.id)
            nearest.append(task.id)

    for task_id in [tid for tid in workflow.tasks if tid not in keep]:
        del workflow.tasks[task_id]
    for task_id in keep:
        task = workflow.tasks[task_id]
        task._parent = new_parent.get(task_id)
        task._children = new_children[task_id]

    if workflow.last_task is not None and workflow.last_task.id not in keep:
        finished = [t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED]
        workflow.last_task = max(finished, key=lambda t: t.last_state_change, default=None)
