"""Service tasks wait for the worker: the engine describes the call (hook and
evaluated parameters) once, and moves on when the worker reports back."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.bundle import load_bundle
from app.engine.runtime import TaskNotReady, WorkflowRun
from app.engine.serializer import dump_spec, load_spec

DATA = Path(__file__).parent / "data" / "service_calls"


def start(file: str, data: dict) -> tuple[WorkflowRun, tuple]:
    [model] = load_bundle({file: (DATA / file).read_bytes()}).processes
    # Through the stored spec, as the services use it.
    spec, subs = load_spec(dump_spec(model))
    pair = (spec, subs, model.flavour)
    return WorkflowRun.start(*pair, data), pair


def reload(run: WorkflowRun, pair) -> WorkflowRun:
    return WorkflowRun.restore(run.dump(), *pair)


def test_a_spiff_service_task_waits_and_its_call_is_described_once():
    run, pair = start("spiff_lookup.bpmn", {"tag": "LT-7"})
    assert run.status == "running" and run.human_tasks() == []
    [call] = run.take_service_calls()
    assert (call.bpmn_id, call.name, call.hook, call.result_variable, call.retries) == \
        ("fetch", "Fetch the asset", "http", "asset", 3)
    assert call.params == {"url": "https://assets.example/LT-7", "method": "GET"}
    assert run.take_service_calls() == []          # described once, even after a restore
    run = reload(run, pair)
    assert run.take_service_calls() == [] and run.waiting_service_calls() == [call.task_id]
    assert run.waiting_steps() == {"fetch": "Fetch the asset"}      # the case page marks it

    run.finish_service_call(call.task_id, call.result_variable, {"owner": "ann"})
    assert run.status == "completed" and run.data["owner"] == "ann" and run.data["asset"] == {"owner": "ann"}


def test_a_camunda_external_task_names_its_hook_by_topic():
    run, _ = start("camunda_notify.bpmn", {"requester": "ann"})
    [call] = run.take_service_calls()
    assert (call.hook, call.params, call.result_variable) == \
        ("notify", {"to": "ann", "text": "Your request is done."}, "tell_result")


def test_camunda_maps_lists_and_the_result_variable_as_the_modeler_writes_them():
    run, _ = start("camunda_structured.bpmn", {"tag": "LT-7", "holder": "bob", "since": "2026-11-01"})
    [call] = run.take_service_calls()
    assert call.result_variable == "answer"
    assert call.params == {
        "url": "https://assets.example/register",
        "headers": {"X-Asset": "LT-7", "Accept": "application/json"},
        "json": {"tag": "LT-7", "holders": ["ann", "bob", {"since": "2026-11-01"}]},
        "timeout": 5,
    }


def test_a_failed_call_becomes_the_instance_failure_and_a_retry_asks_again():
    run, pair = start("spiff_lookup.bpmn", {"tag": "LT-7"})
    [call] = run.take_service_calls()
    run.fail_service_call(call.task_id, "http: 503 from assets.example")
    assert run.status == "failed"
    assert (run.failure.element, run.failure.message) == ("fetch", "http: 503 from assets.example")
    run = reload(run, pair)
    run.retry()
    assert run.status == "running"
    [again] = run.take_service_calls()
    assert again.task_id == call.task_id and again.params == call.params


def test_a_parameter_that_cannot_be_evaluated_fails_the_task():
    run, _ = start("spiff_lookup.bpmn", {})          # no "tag"
    assert run.take_service_calls() == []
    assert run.status == "failed" and run.failure.element == "fetch" and "tag" in run.failure.message


def test_people_cannot_complete_a_service_task():
    run, _ = start("spiff_lookup.bpmn", {"tag": "LT-7"})
    [call] = run.take_service_calls()
    with pytest.raises(TaskNotReady):
        run.complete_task(call.task_id, {"asset": {"owner": "me"}})
    with pytest.raises(TaskNotReady):
        run.finish_service_call("not-a-task", "x", {})


def test_a_bpmn_error_from_the_hook_takes_the_error_boundary_path():
    run, pair = start("licence_check.bpmn", {"product": "diagram editor"})
    [call] = run.take_service_calls()
    run = reload(run, pair)
    assert run.throw_service_error(call.task_id, "NO_LICENCE", "the pool is empty") is True
    assert run.status == "running" and run.waiting_service_calls() == []
    [buy] = run.human_tasks()
    assert buy.bpmn_id == "buy"
    assert (buy.data["error_code"], buy.data["error_message"]) == ("NO_LICENCE", "the pool is empty")
    steps = {(s.bpmn_id, s.state) for s in run.take_step_log()}
    assert ("assign", "CANCELLED") in steps and ("pool_empty", "COMPLETED") in steps


def test_a_bpmn_error_nothing_catches_is_reported():
    run, _ = start("licence_check.bpmn", {"product": "x"})
    [call] = run.take_service_calls()
    assert run.throw_service_error(call.task_id, "SOMETHING_ELSE") is False
    assert run.waiting_service_calls() == [call.task_id]


@pytest.mark.parametrize("code, open_tasks, reserved", [
    ("LOW_STOCK", ["fit", "reorder"], True),          # non-interrupting: both paths, the call's result kept
    ("DISCONTINUED", ["choose_other"], False),        # interrupting: the service task ends there
    ("NOBODY_CATCHES", ["fit"], True),                # an escalation is not a failure
])
def test_an_escalation_from_the_hook_starts_its_boundary_path(code, open_tasks, reserved):
    run, pair = start("stock_check.bpmn", {"part": "fan"})
    [call] = run.take_service_calls()
    run = reload(run, pair)
    caught = run.escalate_service_call(call.task_id, code, "only 2 left", call.result_variable, {"bin": "A3"})
    assert caught is (code != "NOBODY_CATCHES")
    assert run.status == "running" and run.waiting_service_calls() == []
    tasks = {t.bpmn_id: t for t in run.human_tasks()}
    assert sorted(tasks) == open_tasks
    if reserved:
        assert tasks["fit"].data["reservation"] == {"bin": "A3"}
    if code != "NOBODY_CATCHES":
        escalated = tasks["reorder" if code == "LOW_STOCK" else "choose_other"]
        assert (escalated.data["escalation_code"], escalated.data["escalation_message"]) == (code, "only 2 left")
