"""Message events in the engine: what a run waits for and the correlation it
expects, delivering a message to the task the host chose, and the messages a
run sends to others. Both dialects, through the stored spec."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.bundle import load_bundle
from app.engine.messages import start_messages
from app.engine.runtime import TaskNotReady, WorkflowRun
from app.engine.start_events import UnknownStartEvent
from app.engine.sandbox import SandboxedScriptEngine
from app.engine.serializer import dump_spec, load_spec

DATA = Path(__file__).parent / "data" / "messages"


class Case:
    def __init__(self, file: str, data: dict | None = None, start_event: str | None = None):
        [model] = load_bundle({file: (DATA / file).read_bytes()}).processes
        self.model = model
        self.spec_json = dump_spec(model)
        spec, subs = load_spec(self.spec_json)
        self.run = WorkflowRun.start(spec, subs, model.flavour, data, script_engine=SandboxedScriptEngine(),
                                     start_event=start_event)

    def reload(self) -> WorkflowRun:
        spec, subs = load_spec(self.spec_json)
        self.run = WorkflowRun.restore(self.run.dump(), spec, subs, self.model.flavour,
                                       script_engine=SandboxedScriptEngine())
        return self.run

    def deliver(self, name: str, data: dict, correlation: dict | None = None) -> None:
        [wait] = [w for w in self.run.waiting_messages() if w.name == name]
        self.run.deliver_message(wait.task_id, name, data, correlation or {})

    def open_tasks(self) -> list[str]:
        return sorted(t.bpmn_id for t in self.run.human_tasks())


def test_a_waiting_catch_event_reports_the_correlation_it_expects_from_the_instance_data():
    case = Case("spiff_ticket_waits.bpmn", {"ticket_id": 7})
    [wait] = case.reload().waiting_messages()
    assert (wait.name, wait.bpmn_id, wait.correlation) == ("ticket_update", "supplier_update", {"ticket_id": 7})


def test_a_delivered_message_goes_into_its_message_variable_and_the_case_moves_on():
    case = Case("spiff_ticket_waits.bpmn", {"ticket_id": 7})
    case.reload()
    case.deliver("ticket_update", {"status": "fixed"}, {"ticket_id": 7})
    assert case.open_tasks() == ["review"]
    [review] = case.reload().human_tasks()
    assert review.data == {"ticket_id": 7, "update": {"status": "fixed"}}
    assert case.run.waiting_messages() == []


def test_the_instance_remembers_a_correlation_it_received_over_its_own_data():
    case = Case("spiff_ticket_waits.bpmn", {})          # the instance holds no ticket id
    [wait] = case.run.waiting_messages()
    assert wait.correlation == {}                       # cannot tell: the host compares variables
    case.deliver("ticket_update", {"status": "fixed"}, {"ticket_id": 9})
    assert case.reload().workflow.correlations == {"ticket": {"ticket_id": 9}}


def test_a_send_task_reports_its_message_with_the_correlation_it_computed():
    case = Case("spiff_ticket_sends.bpmn", {"ticket_id": 7, "status": "fixed"})
    assert case.run.status == "completed"
    [sent] = case.run.take_sent_messages()
    assert (sent.name, sent.data, sent.correlation) == ("ticket_update", {"ticket_id": 7, "status": "fixed"},
                                                        {"ticket_id": 7})
    assert case.run.take_sent_messages() == []          # each once


def test_a_camunda_boundary_message_interrupts_the_task_and_its_data_become_variables():
    case = Case("camunda_request.bpmn", {"ref": "A1"})
    assert case.open_tasks() == ["approve"]
    case.reload()
    case.deliver("request_cancelled", {"reason": "no longer needed"})
    assert case.run.status == "completed"
    assert case.run.data == {"ref": "A1", "reason": "no longer needed"}
    steps = {(s.bpmn_id, s.state) for s in case.run.take_step_log()}
    assert {("approve", "CANCELLED"), ("withdrawn", "COMPLETED")} <= steps


def test_a_camunda_receive_task_waits_after_the_human_step():
    case = Case("camunda_request.bpmn", {})
    [approve] = case.run.human_tasks()
    case.run.complete_task(approve.id, {"approved": True})
    assert [w.bpmn_id for w in case.reload().waiting_messages()] == ["await_delivery"]
    case.deliver("delivery_confirmed", {"serial": "SN-1"})
    assert case.run.status == "completed" and case.run.data["serial"] == "SN-1"


def test_a_message_start_event_is_listed_and_waits_for_its_message():
    case = Case("camunda_inbound_email.bpmn")
    assert not case.model.startable
    assert start_messages(case.model.spec) == {"email_received": "email_in"}
    case.deliver("email_received", {"sender": "ann@example.org"})
    [triage] = case.run.human_tasks()
    assert (triage.bpmn_id, triage.data) == ("triage", {"sender": "ann@example.org"})


def test_only_a_waiting_message_event_takes_a_message():
    case = Case("camunda_request.bpmn", {})
    [approve] = case.run.human_tasks()
    with pytest.raises(TaskNotReady):
        case.run.deliver_message(approve.id, "request_cancelled", {}, {})
    with pytest.raises(TaskNotReady):
        case.run.deliver_message("not-a-uuid", "request_cancelled", {}, {})


def test_a_person_starts_the_plain_start_event_and_no_message_can_start_it_again():
    case = Case("camunda_two_starts.bpmn")
    assert case.open_tasks() == ["describe"]
    assert case.run.waiting_messages() == []
    [describe] = case.run.human_tasks()
    case.run.complete_task(describe.id, {})
    assert case.run.status == "completed"


def test_a_message_start_event_starts_only_its_own_path():
    case = Case("camunda_two_starts.bpmn", start_event="from_monitoring")
    assert case.open_tasks() == []
    case.deliver("alert_raised", {"host": "db1"})
    assert case.open_tasks() == ["triage"]
    [triage] = case.run.human_tasks()
    case.run.complete_task(triage.id, {})
    assert case.run.status == "completed"
    assert {s.bpmn_id for s in case.run.take_step_log()}.isdisjoint({"by_hand", "describe"})


def test_starting_at_an_element_that_is_no_message_or_timer_start_is_refused():
    with pytest.raises(UnknownStartEvent):
        Case("camunda_two_starts.bpmn", start_event="by_hand")
