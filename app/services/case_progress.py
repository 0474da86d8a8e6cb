"""How far a case has come: the steps it finished, where it waits or failed,
the sequence flows it took (for the diagram), and a guess at what is left.

Read off what is stored already (the instance's completed steps, its open
tasks and incidents) and the process graph; no workflow is restored.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.models import HumanTask, Instance

from .process_graph import ProcessGraph, graph_for, graphs_for


@dataclass(frozen=True)
class Progress:
    steps_done: int                     # activities finished at least once (loops count once)
    steps_left: int | None              # about how many remain; None when it can't be told
    waiting_on: tuple[HumanTask, ...]   # open tasks, oldest first
    failed_at: tuple[str, ...]          # names of the steps that failed

    @property
    def finished_share(self) -> float | None:
        """0..1 for a progress bar; None when nothing can be said."""
        if self.steps_left is None:
            return None
        total = self.steps_done + self.steps_left
        return self.steps_done / total if total else None


def where_it_is(instance: Instance) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(completed, active, failed) BPMN ids, each listed once, in the order they happened."""
    failed = tuple(dict.fromkeys(i.element for i in instance.open_incidents if i.element))
    active = tuple(dict.fromkeys(t.bpmn_id for t in instance.open_tasks))
    completed = tuple(dict.fromkeys(instance.completed_steps or []))
    return completed, active, failed


def flows_taken(instance: Instance) -> tuple[str, ...]:
    """The ids of the sequence flows the case has gone along."""
    return _flows_taken(instance, graph_for(instance.definition))


def _flows_taken(instance: Instance, graph: ProcessGraph) -> tuple[str, ...]:
    completed, active, failed = where_it_is(instance)
    return graph.flows_taken(completed, (*completed, *active, *failed))


def progress_of(instances: Iterable[Instance]) -> dict[int, Progress]:
    """Each instance's progress by its id. The instances come with their
    definition, open tasks and open incidents loaded (``instances.started_by``);
    at most one query, for processes not read before."""
    instances = list(instances)
    graphs = graphs_for({i.definition.id: i.definition for i in instances}.values())
    return {i.id: _progress(i, graphs[i.definition.id]) for i in instances}


def _progress(instance: Instance, graph: ProcessGraph) -> Progress:
    completed, active, failed = where_it_is(instance)
    done = sum(1 for step in completed if graph.is_activity(step))
    if instance.status == "completed":
        left = 0
    elif instance.status == "terminated":
        left = None
    else:
        left = graph.steps_left((*active, *failed))
    names = graph.nodes
    return Progress(steps_done=done, steps_left=left, waiting_on=tuple(instance.open_tasks),
                    failed_at=tuple(names[f].name if f in names else f for f in failed))
