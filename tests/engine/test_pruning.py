"""Pruning the live task tree (app/engine/pruning.py).

Most tests play the same scenario twice: on a plain SpiffWorkflow workflow
kept in memory (never pruned, never serialized) and through WorkflowRun with
prune + dump + restore between every action, as the database layer does. The
pruned run must end with the same data and the same completed elements,
while its tree stays small.
"""
from collections import Counter
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from app.engine.model import ProcessModel
from app.engine.pruning import prune
from app.engine.runtime import WorkflowRun, default_script_engine
from app.engine.serializer import dump_spec, dump_state, load_spec, load_state

DATA = Path(__file__).parent / "data" / "runtime"
READY = TaskState.READY


def specs(name: str):
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DATA / f"{name}.bpmn"))
    model = ProcessModel(key=name, name=name, description="", flavour="spiff",
                         spec=parser.get_spec(name), subprocess_specs=parser.get_subprocess_specs(name))
    return load_spec(dump_spec(model))


class Unpruned:
    """Plain SpiffWorkflow: one workflow object in memory for the whole scenario."""

    def __init__(self, name, data):
        self.workflow = BpmnWorkflow(*specs(name), script_engine=default_script_engine())
        self.workflow.task_tree.set_data(**data)
        self._settle()

    def _settle(self):
        workflow = self.workflow
        workflow.do_engine_steps()
        while workflow.get_next_task(state=READY, manual=False) is not None:
            workflow.do_engine_steps()

    def ready(self):
        return [t.task_spec.bpmn_id for t in self.workflow.get_tasks(state=READY, manual=True)]

    def complete(self, bpmn_id, data):
        task = next(t for t in self.workflow.get_tasks(state=READY, manual=True) if t.task_spec.bpmn_id == bpmn_id)
        task.set_data(**data)
        task.run()
        self._settle()

    def send(self, message_name):
        self.workflow.send_event(BpmnEvent(_message(self.workflow, message_name), {}))
        self._settle()

    def counter(self):
        return self.workflow.get_tasks(state=READY, manual=True)[0].data["counter"]

    def completed(self):
        workflows = [self.workflow, *self.workflow.subprocesses.values()]
        return Counter(t.task_spec.bpmn_id for wf in workflows for t in wf.tasks.values()
                       if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id)

    def data(self):
        return self.workflow.data


class Pruned:
    """Baton: state in, act, state out, at every action."""

    def __init__(self, name, data):
        self.specs = specs(name)
        run = WorkflowRun.start(*self.specs, "spiff", data)
        self.steps = []
        self._save(run)
        self.max_tasks = 0

    def _save(self, run):
        self.state = run.dump()
        self.steps += run.take_step_log()
        self.run = run

    def _load(self):
        return WorkflowRun.restore(self.state, *self.specs, "spiff")

    def ready(self):
        return [t.bpmn_id for t in self._load().human_tasks()]

    def complete(self, bpmn_id, data):
        run = self._load()
        run.complete_task(next(t.id for t in run.human_tasks() if t.bpmn_id == bpmn_id), data)
        self._save(run)
        self.max_tasks = max(self.max_tasks, tree_size(run.workflow))

    def send(self, message_name):
        run = self._load()
        run.workflow.send_event(BpmnEvent(_message(run.workflow, message_name), {}))
        run.advance()
        self._save(run)

    def counter(self):
        return self._load().human_tasks()[0].data["counter"]

    def completed(self):
        return Counter(e.bpmn_id for e in self.steps if e.state == "COMPLETED")

    def data(self):
        return self.run.workflow.data


def _message(workflow, name):
    gateway = workflow.get_next_task(state=TaskState.WAITING, spec_name="wait")
    return next(d for d in gateway.task_spec.event_definition.event_definitions if d.name == name)


def tree_size(workflow):
    return len(workflow.tasks) + sum(len(sp.tasks) for sp in workflow.subprocesses.values())


def depth(workflow):
    return max(t.depth for t in workflow.tasks.values())


def play_both(name, data, scenario):
    unpruned, pruned = Unpruned(name, dict(data)), Pruned(name, dict(data))
    for instance in (unpruned, pruned):
        scenario(instance)
    assert pruned.run.status == "completed" and unpruned.workflow.is_completed()
    assert pruned.data() == unpruned.data()
    assert pruned.completed() == unpruned.completed()
    return unpruned, pruned


def keep_completing(instance, choose_data, order=None, rounds=10_000):
    for _ in range(rounds):
        ready = instance.ready()
        if not ready:
            return
        for bpmn_id in (order(ready) if order else ready[:1]):
            instance.complete(bpmn_id, choose_data(bpmn_id))


# --- the same result as unpruned SpiffWorkflow ------------------------------------------

def test_three_step_loop_matches_unpruned():
    def scenario(i):
        n = iter(range(10_000))
        keep_completing(i, lambda _: {"note": {"round": next(n)}, "seen": [1, 2]})
    _, pruned = play_both("loop_three_step", {"counter": 0, "limit": 120}, scenario)
    assert pruned.max_tasks <= 12


def test_boundary_timers_fired_and_not_match_unpruned():
    # Every third round the interrupting timer fires as the task is reached,
    # every fifth the non-interrupting one does (its branch ends on its own).
    def data_for(counter):
        return {"escalate_after": "PT0S" if counter % 3 == 1 else "PT1H",
                "remind_after": "PT0S" if counter % 5 == 2 else "PT1H"}

    def scenario(i):
        keep_completing(i, lambda _: data_for(i.counter()))
    start = {"counter": 0, "limit": 90, "reminders": 0, "escalations": 0, "remind_after": "PT1H",
             "escalate_after": "PT1H"}
    _, pruned = play_both("loop_boundary", start, scenario)
    assert pruned.completed()["note_escalation"] == 30 and pruned.completed()["send_reminder"] > 10
    # Reminder branches end at their own end event, where SpiffWorkflow keeps
    # their join token until the process ends (and merges their data then):
    # that is all that grows, two tasks per reminder.
    assert "reminded_in_round" in pruned.data()
    assert pruned.max_tasks <= 22 + 2 * pruned.completed()["send_reminder"]


def test_multi_instance_in_a_loop_matches_unpruned():
    def scenario(i):
        keep_completing(i, lambda _: {"vote_cast": 1}, order=lambda ready: ready)
    _, pruned = play_both("loop_multiinstance", {"counter": 0, "limit": 100, "reviewers": ["ann", "bob"],
                                                 "tally": []}, scenario)
    assert pruned.data()["tally"] == [2] * 100
    assert pruned.max_tasks <= 14


def test_event_based_gateway_in_a_loop_matches_unpruned():
    def scenario(i):
        for n in range(90):
            i.complete("review", {"fast_after": "PT0S" if n % 3 else "PT1H"})
            if n % 3 == 0:
                i.send("go")
    _, pruned = play_both("loop_event_gateway", {"counter": 0, "limit": 90, "fast_after": "PT1H",
                                                  "slow_after": "PT1H"}, scenario)
    assert pruned.completed()["go"] == 30 and pruned.completed()["fast"] == 60
    assert "slow" not in pruned.completed()


def test_loop_inside_a_subprocess_matches_unpruned():
    def scenario(i):
        keep_completing(i, lambda _: {})
    _, pruned = play_both("loop_subprocess", {"counter": 0, "limit": 120}, scenario)
    assert pruned.max_tasks <= 20
    assert pruned.run.workflow.subprocesses == {}       # finished: deleted


def test_parallel_loop_in_a_fixed_order_matches_unpruned():
    def scenario(i):
        keep_completing(i, lambda b: {f"{b}_said": b}, order=lambda ready: ready)
    _, pruned = play_both("loop_parallel3", {"counter": 0, "limit": 20}, scenario)
    assert pruned.max_tasks <= 30


def test_inclusive_gateways_error_boundary_and_sequential_multi_instance_in_a_loop():
    def data_for(n):
        return {"want_a": n % 2 == 0, "want_b": n % 3 == 0, "fail_check": n % 4 == 1, "items": [1, 2, 3][: n % 4]}

    def scenario(i):
        keep_completing(i, lambda _: data_for(i.counter()))
    start = {"counter": 0, "limit": 30, "failures": 0, "item_total": 0, "items": [],
             "want_a": True, "want_b": False, "fail_check": False}
    unpruned, pruned = Unpruned("loop_mixed", dict(start)), Pruned("loop_mixed", dict(start))
    scenario(unpruned)
    scenario(pruned)
    assert pruned.run.status == "completed"
    assert pruned.data() == unpruned.data()
    assert pruned.data()["failures"] == 8 and pruned.data()["item_total"] == 63
    # The inclusive join fires once a round when pruned; unpruned, stale join
    # tasks from earlier rounds make it fire once more in rounds with two
    # branches (the extra firing's continuation is then dropped).
    assert pruned.completed()["merge"] == 30 < unpruned.completed()["merge"]
    assert {k: v for k, v in pruned.completed().items() if k != "merge"} == \
           {k: v for k, v in unpruned.completed().items() if k != "merge"}
    assert pruned.max_tasks <= 30


# --- parallel joins in loops --------------------------------------------------------------

def test_unpruned_spiffworkflow_fires_a_looping_join_early():
    """Why stale join tasks must go: SpiffWorkflow counts a cancelled join
    task left by an earlier round as an arrived branch."""
    unpruned = Unpruned("loop_parallel", {"counter": 0, "limit": 5})
    unpruned.complete("b", {})
    unpruned.complete("a", {})          # round 1: b first
    unpruned.complete("a", {})          # round 2: a first, and the join fires without b
    assert sorted(unpruned.ready()) == ["a", "b", "b"]


def test_three_branch_join_waits_for_every_branch_in_every_round():
    rounds = 60
    instance = Pruned("loop_parallel3", {"counter": 0, "limit": rounds})
    orders = ["abc", "acb", "bac", "bca", "cab", "cba"]
    for n in range(rounds):
        first, second, third = orders[n % len(orders)]
        instance.complete(first, {f"{first}{n}": True})
        instance.complete(second, {f"{second}{n}": True})
        # With the first branch's join task cancelled by the second, it waits
        # in the stored state for the third: without it the join never fires.
        assert instance.ready() == [third]
        assert instance.run.data["counter"] == n
        instance.complete(third, {f"{third}{n}": True})
    assert instance.run.status == "completed"
    data = instance.data()
    assert data["counter"] == rounds
    # Every branch's data reached the join in every round.
    assert {f"{b}{n}" for b in "abc" for n in range(rounds)} <= set(data)
    assert instance.max_tasks <= 30


def test_loop_beside_a_long_lived_branch_matches_unpruned():
    def scenario(i):
        for n in range(100):
            i.complete("review", {"last_review": n})
        i.complete("hold", {"held": True})
    play_both("loop_beside_hold", {"counter": 0, "limit": 100}, scenario)


def test_loop_beside_a_long_lived_branch_stays_small():
    instance = Pruned("loop_beside_hold", {"counter": 0, "limit": 400})
    for n in range(400):
        assert sorted(instance.ready()) == ["hold", "review"]
        instance.complete("review", {"last_review": n})
    assert instance.ready() == ["hold"] and instance.run.status == "running"
    assert instance.max_tasks <= 20 and depth(instance.run.workflow) <= 10
    instance.complete("hold", {"held": True})
    data = instance.data()
    assert instance.run.status == "completed"
    # (counter is 0 here: at a join SpiffWorkflow lets the branch that arrives
    # last overwrite what it also holds, and hold still has the start value.)
    assert (data["last_review"], data["held"]) == (399, True)


# --- what stays in the tree --------------------------------------------------------------

def test_loop_tree_keeps_root_start_the_gateway_and_what_is_ahead():
    instance = Pruned("loop_three_step", {"counter": 0, "limit": 50})
    for _ in range(5):
        instance.complete("review", {})
    workflow = load_state(instance.state, *instance.specs, "spiff")
    review = workflow.get_next_task(state=READY)
    assert review.task_spec.name == "review"
    path = []
    task = review
    while task is not None:
        path.append(task.task_spec.name)
        task = task.parent
    # review's real parent (the gateway that chose it) stays; so do the root
    # and the start event it leads from; the history in between is gone.
    assert path == ["review", "more", "start", "Start"]
    assert all(t.has_state(TaskState.NOT_FINISHED_MASK) for t in workflow.tasks.values()
               if t.task_spec.name not in path[1:])


def test_data_survives_reparenting():
    instance = Pruned("loop_multiinstance", {"counter": 0, "limit": 30, "reviewers": ["ann", "bob"], "tally": []})
    for n in range(25):
        for bpmn_id in instance.ready():
            instance.complete(bpmn_id, {"vote_cast": 1, "extra": {"n": n, "items": list(range(n % 4))}})
        before = instance.run.workflow           # pruned, in memory, then dumped
        after = load_state(instance.state, *instance.specs, "spiff")
        assert set(after.tasks) == set(before.tasks)
        for task_id, task in before.tasks.items():
            assert after.tasks[task_id].data == task.data
            assert after.tasks[task_id]._parent == task._parent


def test_deleted_keys_stay_deleted_after_reparenting():
    instance = Pruned("runtime_basics", {"divisor": 2})
    instance.complete("triage", {"scratch": 1})
    workflow = load_state(instance.state, *instance.specs, "spiff")
    approve = workflow.get_next_task(state=READY)
    assert approve.data == {"divisor": 2, "scratch": 1, "share": 5.0}      # the script's 'del partial' held


def test_completed_workflow_is_pruned_to_root_and_end():
    instance = Pruned("loop_three_step", {"counter": 0, "limit": 2})
    instance.complete("review", {})
    instance.complete("review", {"last": True})
    workflow = load_state(instance.state, *instance.specs, "spiff")
    assert [t.task_spec.name for t in workflow.tasks.values()] == ["Start", "End"]
    assert workflow.is_completed() and workflow.last_task.task_spec.name == "End"
    restored = WorkflowRun.restore(instance.state, *instance.specs, "spiff")
    assert restored.status == "completed" and restored.data == {"counter": 2, "limit": 2, "last": True}


def test_last_task_is_a_surviving_task():
    instance = Pruned("loop_three_step", {"counter": 0, "limit": 50})
    for _ in range(3):
        instance.complete("review", {})
    workflow = instance.run.workflow
    assert workflow.last_task.id in workflow.tasks
    assert load_state(instance.state, *instance.specs, "spiff").last_task.task_spec.name == "more"


def test_finished_call_activity_is_deleted_and_its_result_kept():
    instance = Pruned("runtime_call", {})
    assert len(instance.run.workflow.subprocesses) == 1
    instance.complete("inner", {"answer": 42})
    assert instance.run.workflow.subprocesses == {}
    workflow = load_state(instance.state, *instance.specs, "spiff")
    assert workflow.get_next_task(state=READY).data == {"answer": 42, "answered": True}


def test_prune_is_idempotent_and_harmless_on_a_new_workflow():
    workflow = BpmnWorkflow(*specs("loop_parallel"))
    workflow.task_tree.set_data(counter=0, limit=3)
    workflow.do_engine_steps()
    prune(workflow)
    first = dump_state(workflow, "spiff")
    prune(workflow)
    assert dump_state(workflow, "spiff") == first
    assert sorted(t.task_spec.bpmn_id for t in workflow.get_tasks(state=READY, manual=True)) == ["a", "b"]
