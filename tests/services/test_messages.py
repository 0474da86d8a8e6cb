"""Messages into running cases, through the service on a real database:
correlation by the diagram's properties and by instance variables, message
start events, a message id applied once, messages one process sends reaching
another through the worker, and bad input refused with nothing changed."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Instance, Job, MessageReceipt, MessageWait, db
from app.services import instances, jobs, messages, tasks
from app.services.errors import Forbidden, InvalidData, NotFound

DATA = Path(__file__).parents[1] / "engine" / "data" / "messages"


def _file(name: str) -> dict[str, bytes]:
    return {name: (DATA / name).read_bytes()}


@pytest.fixture
def ann(make_user):
    return make_user("ann", "managers", "service-desk")


@pytest.fixture
def tickets(app_ctx, deploy, ann):
    """Three tickets waiting for their supplier's update (ids 7, 8 and one without)."""
    deploy(_file("spiff_ticket_waits.bpmn"))
    started = [instances.start_instance("ticket_waits", ann, data=data).id
               for data in ({"ticket_id": 7}, {"ticket_id": 8}, {})]
    db.session.remove()
    return started


def _instance(instance_id: int) -> Instance:
    db.session.remove()
    return db.session.get(Instance, instance_id)


def _open_task_names(instance_id: int) -> list[str]:
    return [t.bpmn_id for t in _instance(instance_id).open_tasks]


def _events(instance_id: int, type_: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.instance_id == instance_id, AuditEvent.type == type_)))


def test_a_message_reaches_only_the_instance_whose_correlation_matches(tickets, ann):
    t7, t8, _ = tickets
    result = messages.send_message(ann, "ticket_update", correlation={"ticket_id": 8}, data={"status": "fixed"})
    assert (result.delivered_to, result.started, result.duplicate) == ([t8], [], False)
    assert _open_task_names(t8) == ["review"] and _open_task_names(t7) == []
    [event] = _events(t8, "message_received")
    assert (event.element, event.actor, event.data["name"]) == ("supplier_update", "ann", "ticket_update")
    # The index follows: t8 waits no more, t7 still does.
    assert sorted(db.session.scalars(sa.select(MessageWait.instance_id))) == sorted([t7, tickets[2]])


def test_a_property_the_instance_cannot_tell_is_compared_with_its_variables(tickets, ann):
    _, _, without_id = tickets
    # The third ticket holds no ticket_id: only a variable of the same name could match, and none does.
    with pytest.raises(NotFound):
        messages.send_message(ann, "ticket_update", correlation={"ticket_id": 9})
    assert _open_task_names(without_id) == []


def test_without_correlation_every_waiting_instance_gets_the_message(tickets, ann):
    result = messages.send_message(ann, "ticket_update", data={"status": "closed"})
    assert sorted(result.delivered_to) == sorted(tickets)
    assert all(_open_task_names(i) == ["review"] for i in tickets)


def test_a_message_nothing_waits_for_is_not_found_and_changes_nothing(tickets, ann):
    with pytest.raises(NotFound, match="ticket_update"):
        messages.send_message(ann, "ticket_update", correlation={"ticket_id": 99}, message_id="m-1")
    with pytest.raises(NotFound, match="no_such_message"):
        messages.send_message(ann, "no_such_message")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageReceipt)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageWait)) == 3


def test_the_same_message_id_is_applied_once(tickets, ann):
    t7 = tickets[0]
    first = messages.send_message(ann, "ticket_update", correlation={"ticket_id": 7}, message_id="supplier-42")
    again = messages.send_message(ann, "ticket_update", correlation={"ticket_id": 7}, message_id="supplier-42")
    assert first.delivered_to == again.delivered_to == [t7]
    assert (first.duplicate, again.duplicate) == (False, True)
    assert len(_events(t7, "message_received")) == 1


def test_a_boundary_message_cancels_the_task_it_is_attached_to(app_ctx, deploy, ann):
    deploy(_file("camunda_request.bpmn"))
    request = instances.start_instance("camunda_request", ann, data={"ref": "A1"}).id
    other = instances.start_instance("camunda_request", ann, data={"ref": "B2"}).id
    # No correlation properties in the diagram: matched by the instance's variables, as Camunda does.
    result = messages.send_message(ann, "request_cancelled", correlation={"ref": "A1"}, data={"reason": "dup"})
    assert result.delivered_to == [request]
    done = _instance(request)
    assert (done.status, done.data["reason"]) == ("completed", "dup")
    assert _open_task_names(other) == ["approve"]


def test_a_receive_task_waits_until_its_message_comes(app_ctx, deploy, ann):
    deploy(_file("camunda_request.bpmn"))
    request = instances.start_instance("camunda_request", ann, data={"ref": "A1"}).id
    [approve] = _instance(request).open_tasks
    tasks.complete(approve.id, {}, ann)
    # The boundary event went with its task; only the receive task waits now.
    with pytest.raises(NotFound):
        messages.send_message(ann, "request_cancelled", correlation={"ref": "A1"})
    messages.send_message(ann, "delivery_confirmed", correlation={"ref": "A1"}, data={"serial": "SN-1"})
    assert _instance(request).status == "completed"


def test_a_message_start_event_starts_the_latest_version(app_ctx, deploy, ann):
    deploy(_file("camunda_inbound_email.bpmn"))
    result = messages.send_message(ann, "email_received", data={"sender": "bob@example.org"})
    [started] = result.started
    instance = _instance(started)
    assert (instance.definition_key, instance.started_by, instance.status) == ("camunda_inbound_email", "ann", "running")
    [triage] = instance.open_tasks
    assert triage.bpmn_id == "triage" and triage.candidate_groups == ["service-desk"]
    [event] = _events(started, "instance_started")
    assert event.data["message"] == "email_received"


def test_a_message_sent_by_one_process_reaches_another_through_the_worker(tickets, deploy, ann, clock):
    t7 = tickets[0]
    deploy(_file("spiff_ticket_sends.bpmn"))
    sender = instances.start_instance("ticket_sends", ann, data={"ticket_id": 7, "status": "fixed"}).id
    assert _instance(sender).status == "completed"
    assert _open_task_names(t7) == []                     # not yet: the worker delivers it
    assert jobs.run_due("w1") == 1
    assert _open_task_names(t7) == ["review"]
    [review] = _instance(t7).open_tasks
    assert tasks.get_task(review.id, ann).data["update"] == {"ticket_id": 7, "status": "fixed"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_a_sent_message_nobody_waits_for_is_tried_again_then_noted_on_the_sender(app_ctx, deploy, ann, clock):
    deploy(_file("spiff_ticket_sends.bpmn"))
    sender = instances.start_instance("ticket_sends", ann, data={"ticket_id": 5, "status": "fixed"}).id
    outcomes = []
    for _ in range(3):
        [job] = jobs.claim_due("w1")
        outcomes.append(jobs.run_job(job, "w1"))
        clock.advance(timedelta(minutes=5))
    assert outcomes == ["retry", "retry", "undelivered"]
    [note] = _events(sender, "message_undelivered")
    assert note.data["name"] == "ticket_update" and note.data["attempts"] == 3


def test_bad_input_is_refused_field_by_field(tickets, ann):
    with pytest.raises(InvalidData) as refused:
        messages.send_message(ann, "", correlation=["x"], data={"_secret": 1}, message_id="")
    assert set(refused.value.fields) == {"name", "correlation", "data._secret", "message_id"}
    assert _open_task_names(tickets[0]) == []


def test_auditors_may_not_send_messages(tickets, make_user):
    with pytest.raises(Forbidden):
        messages.send_message(make_user("audrey", role="auditor"), "ticket_update")


def test_a_terminated_instance_waits_for_no_message(tickets, ann):
    t7 = tickets[0]
    instances.change_status(t7, "terminate", ann)
    assert t7 not in db.session.scalars(sa.select(MessageWait.instance_id)).all()
    with pytest.raises(NotFound):
        messages.send_message(ann, "ticket_update", correlation={"ticket_id": 7})


def test_an_instance_a_person_started_is_not_started_again_by_the_message(app_ctx, deploy, ann):
    deploy(_file("camunda_two_starts.bpmn"))
    by_hand = instances.start_instance("camunda_two_starts", ann, data={}).id
    assert _open_task_names(by_hand) == ["describe"]
    result = messages.send_message(ann, "alert_raised", data={"host": "db1"})
    assert result.delivered_to == [] and len(result.started) == 1
    assert _open_task_names(result.started[0]) == ["triage"]
    assert _open_task_names(by_hand) == ["describe"]


def test_an_event_based_gateway_waits_for_its_message_and_its_timer(app_ctx, deploy, ann, clock):
    runtime = Path(__file__).parents[1] / "engine" / "data" / "runtime"
    deploy({"gateway.bpmn": (runtime / "loop_event_gateway.bpmn").read_bytes()})
    case = instances.start_instance("loop_event_gateway", ann, data={
        "counter": 0, "limit": 5, "fast_after": "PT1H", "slow_after": "PT2H"}).id
    [review] = _instance(case).open_tasks
    tasks.complete(review.id, {}, ann)
    [wait] = db.session.scalars(sa.select(MessageWait)).all()
    assert (wait.name, wait.element) == ("go", "go")
    [timer] = db.session.scalars(sa.select(Job).where(Job.kind == "timer")).all()
    assert timer.due_at == clock.now() + timedelta(hours=1)

    assert messages.send_message(ann, "go", data={"note": "now"}).delivered_to == [case]
    instance = _instance(case)
    assert instance.data["counter"] == 1 and [t.bpmn_id for t in instance.open_tasks] == ["review"]
    assert db.session.scalars(sa.select(MessageWait)).all() == []

    [review] = instance.open_tasks
    tasks.complete(review.id, {}, ann)
    clock.advance(hours=1)
    assert jobs.run_due("w1") == 1
    assert _instance(case).data["counter"] == 2
