"""The built-in ``notify`` hook in a real process, run by the worker: the
message lands in each recipient's outbox, linked to the case, and the result
says who got it; a mistake in the diagram becomes an incident at once."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

import app.services.notify_hook  # noqa: F401 - registers "notify", as the worker's load_hooks does
from app.database import write_transaction
from app.hooks import HookContext, HookFailed, default_registry
from app.models import Group, Incident, Instance, Job, OutboxMessage, db
from app.services import instances, jobs, users
from app.services.errors import Forbidden
from app.services.notify_hook import notify_hook
from tests.support.bpmn import service_process


@pytest.fixture
def start(app_ctx, deploy):
    """start(params) → the id of a case of a process whose one service task
    calls notify with ``params`` (Python expressions over the case's data)."""
    users.add_user("ann", groups=["service-desk"])
    users.add_user("bob", groups=["service-desk"])
    users.add_user("dave")
    with write_transaction() as session:
        session.add(Group(name="night-shift"))

    def run(params: dict[str, str]) -> int:
        deploy({"notice.bpmn": service_process("notice", "notify", params)})
        case_id = instances.start_instance("notice", users.get_user("dave"),
                                           data={"summary": "Laptop X1 for Dave", "lines": ["a", "b"]}).id
        db.session.remove()
        return case_id
    return run


def _instance(instance_id: int) -> Instance:
    """The case as the worker left it (not the session's earlier copy)."""
    db.session.expire_all()
    return db.session.get(Instance, instance_id)


def _messages() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        sa.select(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body, OutboxMessage.instance_id)
        .order_by(OutboxMessage.id))]


def test_the_worker_loads_the_notify_hook():
    from app.worker import load_hooks

    load_hooks()
    assert "notify" in default_registry.names()


def test_a_case_notifies_a_group_and_a_person(start):
    instance_id = start({"groups": "'service-desk'", "to": "['dave', 'ann']",
                         "subject": "'New request'", "body": "'Please look at ' + summary + '\\n' + lines[1]"})
    assert _messages() == []                      # the worker sends it, not the start
    assert jobs.run_due("w1") == 1
    instance = _instance(instance_id)
    assert instance.status == "completed"
    ids = db.session.scalars(sa.select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
    assert instance.data["answer"] == {"notification_ids": ids, "recipients": ["dave", "ann", "bob"],
                                       "emailed": 0, "empty_groups": [], "inactive_users": []}
    assert _messages() == [(name, "New request", "Please look at Laptop X1 for Dave\nb", instance_id)
                           for name in ("dave", "ann", "bob")]
    assert db.session.scalars(sa.select(Job)).all() == []


def test_to_names_groups_as_group_colon_name_as_the_api_documents(start):
    instance_id = start({"to": "['dave', 'group:service-desk']", "groups": "'night-shift'",
                         "subject": "'Heads up'", "body": "'A case needs you.'"})
    assert jobs.run_due("w1") == 1
    answer = _instance(instance_id).data["answer"]
    assert (answer["recipients"], answer["empty_groups"]) == (["dave", "ann", "bob"], ["night-shift"])
    assert [m[0] for m in _messages()] == ["dave", "ann", "bob"]


def test_whoever_is_told_about_a_case_may_read_it(start):
    users.add_user("mona")
    instance_id = start({"to": "['mona']", "subject": "'High-risk case'", "body": "'Open the case in Baton.'"})
    mona, bob = users.get_user("mona"), users.get_user("bob")
    with pytest.raises(Forbidden):
        instances.get_instance(instance_id, mona)      # not yet told
    assert jobs.run_due("w1") == 1
    assert instances.get_instance(instance_id, mona).id == instance_id
    assert instances.history(instance_id, mona)[0].type == "instance_started"
    with pytest.raises(Forbidden):
        instances.get_instance(instance_id, bob)       # told nothing about it


def test_a_call_run_again_after_its_worker_died_sends_nothing_twice(start, clock, app):
    from datetime import timedelta

    instance_id = start({"to": "['dave', 'ann']", "subject": "'Hello'", "body": "'Twice?'"})
    [job] = jobs.claim_due("dead-worker")
    # The dead worker's call went out, but it never reported back.
    context = HookContext(instance_id=job.instance_id, task_id=job.task_id, element=job.element,
                          attempt=job.attempt, now=clock.now(), secrets={})
    notify_hook(job.params, context)
    clock.advance(timedelta(seconds=app.config["BATON_JOB_LEASE_SECONDS"] + 1))
    assert jobs.run_due("w2") == 1                # the lease ran out: another worker runs the call again
    assert _instance(instance_id).status == "completed"
    assert [m[0] for m in _messages()] == ["dave", "ann"]
    assert _instance(instance_id).data["answer"]["recipients"] == ["dave", "ann"]


def test_a_group_with_nobody_in_it_is_no_failure(start):
    instance_id = start({"groups": "['night-shift']", "subject": "'Tonight'", "body": "'Anyone?'"})
    jobs.run_due("w1")
    instance = _instance(instance_id)
    assert instance.status == "completed"
    assert instance.data["answer"]["recipients"] == [] and instance.data["answer"]["empty_groups"] == ["night-shift"]


@pytest.mark.parametrize("params, named", [
    ({"to": "['ann', 'zed']", "subject": "'Hi'", "body": "'Text'"}, "parameter 'to': No user named 'zed'."),
    ({"to": "'ghost'", "subject": "'Hi'", "body": "'Text'"}, "parameter 'to': No user named 'ghost'."),
    ({"groups": "42", "subject": "'Hi'", "body": "'Text'"}, "parameter 'groups': Give a name or a list"),
    ({"to": "'ann'", "body": "'Text'"}, "parameter 'subject': A subject is required."),
    ({"to": "'ann'", "subject": "'x' * 301", "body": "'Text'"}, "parameter 'subject': At most 300 characters"),
    ({"to": "'ann'", "subject": "'Hi'", "body": "'x' * 20001"}, "parameter 'body': At most 20000 characters"),
    ({"to": "'ann'", "subject": "'Hi'"}, "parameter 'body': A text is required."),
    ({"subject": "'Hi'", "body": "'Text'"}, "parameter 'to' or 'groups': Name at least one person or group."),
    ({"to": "None", "groups": "None", "subject": "'Hi'", "body": "'Text'"}, "parameter 'to' or 'groups'"),
    ({"group": "'service-desk'", "subject": "'Hi'", "body": "'Text'"}, "unknown parameter(s) 'group'"),
])
def test_a_mistake_in_the_parameters_is_an_incident_at_once(start, params, named):
    instance_id = start(params)
    assert jobs.run_due("w1") == 1
    assert _instance(instance_id).status == "failed"
    [incident] = db.session.scalars(sa.select(Incident)).all()
    assert incident.element == "call" and named in incident.message
    assert incident.message.endswith("(after 1 attempt)")        # not retried: it would fail the same way
    assert _messages() == []


def test_the_hook_refuses_parameters_that_are_not_a_mapping(app_ctx, clock):
    context = HookContext(instance_id=1, task_id="t", element="call", now=clock.now())
    with pytest.raises(HookFailed) as failed:
        notify_hook(["ann"], context)
    assert not failed.value.retryable and "must be a mapping" in failed.value.message
