"""Loops that last: a thousand rounds with flat state.

Plain SpiffWorkflow stalls in these loops (its task iterators stop at depth
1000: after ~333 rounds of a three-step loop, ~499 of a two-step one) and its
state grows with every round. Each test runs the loop as the database layer
will: restore, complete one task, dump, for every task of every round.
"""
from pathlib import Path

from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from app.engine.model import ProcessModel
from app.engine.runtime import WorkflowRun
from app.engine.serializer import dump_spec, load_spec

DATA = Path(__file__).parent / "data" / "runtime"


class StoredInstance:
    def __init__(self, name: str, data: dict):
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(DATA / f"{name}.bpmn"))
        model = ProcessModel(key=name, name=name, description="", flavour="spiff",
                             spec=parser.get_spec(name), subprocess_specs=parser.get_subprocess_specs(name))
        self.specs = load_spec(dump_spec(model))     # as stored once per definition version
        self.run = WorkflowRun.start(*self.specs, "spiff", data)
        self.state = self.run.dump()
        self.max_tasks = 0
        self.max_depth = 0

    def complete(self, bpmn_id: str, data: dict | None = None) -> WorkflowRun:
        run = WorkflowRun.restore(self.state, *self.specs, "spiff")
        task = next(t for t in run.human_tasks() if t.bpmn_id == bpmn_id)
        run.complete_task(task.id, data or {})
        self.state = run.dump()
        workflows = [run.workflow, *run.workflow.subprocesses.values()]
        self.max_tasks = max(self.max_tasks, sum(len(wf.tasks) for wf in workflows))
        self.max_depth = max(self.max_depth, *(t.depth for wf in workflows for t in wf.tasks.values()))
        self.run = run
        return run


def test_thousand_rounds_of_a_three_step_loop():
    instance = StoredInstance("loop_three_step", {"counter": 0, "limit": 1000})
    size = {}
    for n in range(1, 1001):
        run = instance.complete("review")
        assert run.status == ("completed" if n == 1000 else "running"), n
        size[n] = len(instance.state)
    assert instance.run.data["counter"] == 1000
    assert size[999] <= 1.5 * size[10]          # the last state still running
    assert size[1000] <= 1.5 * size[10]
    assert instance.max_tasks <= 12 and instance.max_depth <= 10


def test_two_step_loop_beyond_its_stall_point():
    instance = StoredInstance("loop_two_step", {"counter": 0, "limit": 600})
    for n in range(1, 601):
        run = instance.complete("review", {"counter": n})
        assert run.status == ("completed" if n == 600 else "running"), n
    assert instance.max_tasks <= 12


def test_loop_through_a_parallel_split_and_join():
    instance = StoredInstance("loop_parallel", {"counter": 0, "limit": 600})
    for n in range(600):
        first, second = ("a", "b") if n % 2 else ("b", "a")     # arrival order changes every round
        instance.complete(first, {f"{first}_round": n})
        run = instance.complete(second, {f"{second}_round": n})
        assert run.data["counter"] == n + 1
    assert instance.run.status == "completed"
    assert instance.max_tasks <= 25


def test_loop_with_a_waiting_non_interrupting_timer():
    instance = StoredInstance("loop_boundary", {"counter": 0, "limit": 600, "reminders": 0, "escalations": 0,
                                                "remind_after": "P1D", "escalate_after": "P30D"})
    for n in range(1, 601):
        run = instance.complete("review")
        if n < 600:
            assert {e.name for e in run.workflow.waiting_events()} == {"Remind", "Escalate"}
    assert instance.run.status == "completed"
    assert instance.run.data["counter"] == 600 and instance.run.data["reminders"] == 0
    assert instance.max_tasks <= 22


def test_loop_inside_a_subprocess():
    instance = StoredInstance("loop_subprocess", {"counter": 0, "limit": 600})
    for _ in range(600):
        instance.complete("review")
    run = instance.complete("close")
    assert run.status == "completed" and run.data["counter"] == 600
    assert instance.max_tasks <= 20
