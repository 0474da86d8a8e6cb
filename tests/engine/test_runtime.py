"""Advancing workflows and reporting what they wait for (app/engine/runtime.py)."""
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from app.engine import runtime
from app.engine.runtime import (
    RunNotActive, StepEvent, StepLimitExceeded, TaskNotReady, WorkflowRun, default_script_engine, element_type,
)

DATA = Path(__file__).parent / "data" / "runtime"


def specs(name: str):
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DATA / f"{name}.bpmn"))
    return parser.get_spec(name), parser.get_subprocess_specs(name)


def start(name: str, data=None) -> tuple[WorkflowRun, tuple]:
    spec_pair = specs(name)
    return WorkflowRun.start(*spec_pair, "spiff", data), spec_pair


def reload(run: WorkflowRun, spec_pair) -> WorkflowRun:
    return WorkflowRun.restore(run.dump(), *spec_pair, "spiff")


def only_task(run: WorkflowRun):
    (task,) = run.human_tasks()
    return task


# --- start, human tasks, completing ------------------------------------------------

def test_start_applies_data_and_stops_at_the_first_human_task():
    run, _ = start("runtime_basics", {"divisor": 5, "requested": {"by": "ann"}})
    assert run.status == "running" and run.failure is None
    task = only_task(run)
    assert (task.bpmn_id, task.name, task.lane) == ("triage", "Triage the request", "Agents")
    assert task.data == {"divisor": 5, "requested": {"by": "ann"}}
    assert len(task.id) == 36
    assert [(e.bpmn_id, e.type, e.state) for e in run.take_step_log()] == [("start", "startEvent", "COMPLETED")]
    assert run.take_step_log() == []


def test_start_data_is_copied_not_shared():
    data = {"items": [1]}
    run, _ = start("runtime_basics", data)
    data["items"].append(2)
    assert only_task(run).data["items"] == [1]


def test_complete_task_merges_data_runs_and_logs_each_diagram_step():
    run, spec_pair = start("runtime_basics", {"divisor": 5})
    run.take_step_log()
    run = reload(run, spec_pair)
    run.complete_task(only_task(run).id, {"category": "hardware"}, actor="ann")

    approve = only_task(run)
    assert (approve.bpmn_id, approve.name, approve.lane) == ("approve", "approve", "Approvers")
    assert approve.data == {"divisor": 5, "category": "hardware", "share": 2.0}
    log = run.take_step_log()
    assert [(e.bpmn_id, e.name, e.type, e.state, e.actor) for e in log] == [
        ("triage", "Triage the request", "userTask", "COMPLETED", "ann"),
        ("compute", "Compute share", "scriptTask", "COMPLETED", None),
    ]
    assert all(isinstance(e, StepEvent) and e.at.tzinfo is timezone.utc for e in log)
    assert log[0].at <= log[1].at

    run.complete_task(approve.id, {})
    assert run.status == "completed"
    assert [(e.bpmn_id, e.type) for e in run.take_step_log()] == [("approve", "manualTask"), ("end", "endEvent")]
    assert run.data == {"divisor": 5, "category": "hardware", "share": 2.0}


def test_each_instance_of_a_multi_instance_step_is_logged_with_its_item():
    run, _ = start("loop_multiinstance", {"counter": 0, "limit": 1, "tally": [],
                                           "reviewers": [{"name": "ann", "role": "lead", "seats": [1]}, "bob"]})
    run.take_step_log()
    for task in run.human_tasks():
        run.complete_task(task.id, {"vote_cast": 1})
    votes = [(e.bpmn_id, e.item, e.instances) for e in run.take_step_log() if e.bpmn_id == "vote"]
    # Each instance names its item (a dict by its plain fields), then the step as a whole how many ran.
    assert votes == [("vote", "name: ann, role: lead", None), ("vote", "bob", None), ("vote", None, 2)]


def test_step_log_survives_until_dump_and_is_not_repeated_after_restore():
    run, spec_pair = start("runtime_basics", {"divisor": 5})
    run.complete_task(only_task(run).id, {})
    state = run.dump()           # the log is collected before pruning drops finished tasks
    assert [e.bpmn_id for e in run.take_step_log()] == ["start", "triage", "compute"]
    again = WorkflowRun.restore(state, *spec_pair, "spiff")
    assert again.take_step_log() == []


def test_completing_what_is_not_a_ready_human_task_is_refused():
    run, _ = start("runtime_basics", {"divisor": 5})
    triage = only_task(run)
    with pytest.raises(TaskNotReady, match="no human task"):
        run.complete_task("not-a-uuid", {})
    with pytest.raises(TaskNotReady, match="no human task"):
        run.complete_task("00000000-0000-0000-0000-000000000000", {})
    start_event = next(t for t in run.workflow.tasks.values() if t.task_spec.bpmn_id == "start")
    with pytest.raises(TaskNotReady):
        run.complete_task(str(start_event.id), {})
    run.complete_task(triage.id, {})
    with pytest.raises(TaskNotReady, match="COMPLETED, not READY"):
        run.complete_task(triage.id, {})


def test_completed_run_refuses_completion_and_reports_end_data():
    run, spec_pair = start("runtime_basics", {"divisor": 2})
    run.complete_task(only_task(run).id, {})
    approve = only_task(run)
    run.complete_task(approve.id, {"ok": True})
    run = reload(run, spec_pair)
    assert run.status == "completed" and run.human_tasks() == []
    assert run.data == {"divisor": 2, "share": 5.0, "ok": True}
    with pytest.raises(RunNotActive, match="completed"):
        run.complete_task(approve.id, {})


def test_data_is_json_safe():
    run, _ = start("runtime_basics", {"divisor": 1, "due": date(2024, 5, 1)})
    run.complete_task(only_task(run).id, {"seen": datetime(2024, 5, 2, 8, 0, tzinfo=timezone.utc)})
    json.dumps(run.data)
    assert run.data["due"] == "2024-05-01" and run.data["seen"] == "2024-05-02T08:00:00+00:00"
    assert only_task(run).data["due"] == "2024-05-01"


def test_evaluate_an_expression_against_a_task():
    run, _ = start("runtime_basics", {"divisor": 4, "team": "desk"})
    task = only_task(run)
    assert run.evaluate(task.id, "team + '-leads'") == "desk-leads"
    assert run.evaluate(task.id, "divisor * 2") == 8
    with pytest.raises(TaskNotReady):
        run.evaluate("00000000-0000-0000-0000-000000000000", "1")


# --- failures -------------------------------------------------------------------

def test_script_error_leaves_the_task_in_error_and_the_run_failed():
    run, spec_pair = start("runtime_basics", {"divisor": 0})
    run.complete_task(only_task(run).id, {"category": "x"})
    assert run.status == "failed"
    failure = run.failure
    assert (failure.element, failure.name, failure.line) == ("compute", "Compute share", 2)
    assert failure.error_type == "ZeroDivisionError" and "division by zero" in failure.message
    assert run.human_tasks() == []
    assert [(e.bpmn_id, e.state) for e in run.take_step_log()][-1] == ("compute", "ERROR")

    run = reload(run, spec_pair)           # the failure is part of the stored state
    assert run.status == "failed" and run.failure == failure
    with pytest.raises(RunNotActive, match="failed at compute"):
        run.complete_task("00000000-0000-0000-0000-000000000000", {})


def test_retry_runs_the_failed_task_again_from_its_parents_data():
    run, spec_pair = start("runtime_basics", {"divisor": 0})
    run.complete_task(only_task(run).id, {})
    run = reload(run, spec_pair)
    failed = next(t for t in run.workflow.tasks.values() if t.task_spec.bpmn_id == "compute")
    failed.parent.data["divisor"] = 4                   # an admin fixes the data
    run.retry()
    assert run.status == "running" and run.failure is None
    approve = only_task(run)
    assert approve.bpmn_id == "approve" and approve.data["share"] == 2.5 and "partial" not in approve.data
    assert [(e.bpmn_id, e.state) for e in run.take_step_log()][-1] == ("compute", "COMPLETED")
    with pytest.raises(RunNotActive, match="nothing to retry"):
        run.retry()


def test_error_while_reaching_a_task_fails_the_run_and_retry_reaches_it_again():
    # The boundary timer's duration is an expression; a bad one fails when
    # the user task (and its timers) are reached, not when a task runs.
    run, spec_pair = start("loop_boundary", {"counter": 0, "limit": 2, "reminders": 0, "escalations": 0,
                                             "remind_after": "PT1H", "escalate_after": "PT1H"})
    run.complete_task(only_task(run).id, {"remind_after": "not a duration"})
    assert run.status == "failed"
    assert run.failure.element == "remind"
    assert run.failure.message == "Invalid duration"
    run = reload(run, spec_pair)
    failed = next(t for t in run.workflow.tasks.values() if t.task_spec.bpmn_id == "remind")
    failed.parent.data["remind_after"] = "PT1H"         # an admin fixes the data
    run.retry()
    assert run.status == "running" and only_task(run).bpmn_id == "review"


# --- subprocesses, events, engines ---------------------------------------------------

def test_human_tasks_inside_a_called_process():
    run, spec_pair = start("runtime_call", {"question": "why?"})
    inner = only_task(run)
    assert (inner.bpmn_id, inner.name, inner.data) == ("inner", "Answer the question", {"question": "why?"})
    run = reload(run, spec_pair)
    run.complete_task(inner.id, {"answer": "because"})
    wrap_up = only_task(run)
    assert wrap_up.bpmn_id == "wrap_up"
    assert wrap_up.data == {"question": "why?", "answer": "because", "answered": True}
    assert [e.bpmn_id for e in run.take_step_log()] == ["inner", "note", "a_end", "ask"]


def test_interrupting_timer_cancels_the_user_task_in_the_log():
    run, _ = start("loop_boundary", {"counter": 0, "limit": 2, "reminders": 0, "escalations": 0,
                                     "remind_after": "PT1H", "escalate_after": "PT1H"})
    run.complete_task(only_task(run).id, {"escalate_after": "PT0S"})
    log = [(e.bpmn_id, e.type, e.state) for e in run.take_step_log()]
    assert ("escalate", "boundaryEvent", "COMPLETED") in log
    assert ("review", "userTask", "CANCELLED") in log
    assert ("remind", "boundaryEvent", "CANCELLED") in log
    assert run.status == "completed" and run.data["escalations"] == 1


def test_element_types_of_wrapped_tasks():
    spec, _ = specs("loop_multiinstance")
    assert element_type(spec.task_specs["vote"]) == "userTask"
    assert element_type(spec.task_specs["more"]) == "exclusiveGateway"


def test_script_engine_defaults_to_the_sandbox_when_there_is_one():
    engine = default_script_engine()
    try:
        from app.engine.sandbox import SandboxedScriptEngine
    except ImportError:
        assert type(engine) is PythonScriptEngine
    else:
        assert isinstance(engine, SandboxedScriptEngine)


def test_given_script_engine_is_used_after_restore():
    engine = PythonScriptEngine()
    spec_pair = specs("runtime_basics")
    run = WorkflowRun.start(*spec_pair, "spiff", {"divisor": 1}, script_engine=engine)
    again = WorkflowRun.restore(run.dump(), *spec_pair, "spiff", script_engine=engine)
    assert again.workflow.script_engine is engine


def test_a_loop_without_wait_state_runs_past_the_iterator_depth_limit():
    run, _ = start("loop_automatic", {"counter": 0, "limit": 1500})       # 3000 engine steps in one advance
    assert run.status == "completed" and run.data["counter"] == 1500
    log = run.take_step_log()
    assert sum(e.bpmn_id == "count" for e in log) == 1500                  # pruning mid-run loses no step


def test_a_loop_that_never_waits_is_stopped(monkeypatch):
    monkeypatch.setattr(runtime, "MAX_ROUNDS", 50)
    with pytest.raises(StepLimitExceeded, match="50 engine rounds"):
        start("loop_automatic", {"counter": 0, "limit": 10**9})
