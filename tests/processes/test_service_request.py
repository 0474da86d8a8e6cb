"""The shipped process ``service-request`` ("Request a service").

Driven through Baton's services the way its users drive it: a requester fills
the start form, a service-desk agent triages, a manager approves costs above
500, the service desk fulfils. One test per path through the diagram, each
checking the path taken, who was asked to do what, that the forms refuse bad
input, and the final data and status; then the diagram itself against the
bar in PROCESSES.md (``baton validate``: test_library.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from lxml import etree

from app.engine.bundle import load_bundle
from app.services import instances, tasks
from app.services.errors import Forbidden, InvalidData

from .conftest import REPO, bundle_of
from .diagram_checks import NS, diagram_problems, flow_nodes
from .form_checks import shown_fields

PROCESS = "service-request"
BPMN_FILE = REPO / "bpmn" / PROCESS / "service-request.bpmn"

# The diagram's steps on each path, in the order they are taken.
TRIAGED = ["request-submitted", "classify-request", "triage-request", "accepted-gateway"]
DECLINED = TRIAGED + ["request-declined"]
FULFILLED_WITHOUT_APPROVAL = TRIAGED + [
    "needs-approval-gateway", "ready-to-fulfil", "fulfil-request", "request-fulfilled"]
FULFILLED_AFTER_APPROVAL = TRIAGED + [
    "needs-approval-gateway", "approve-cost", "approved-gateway", "ready-to-fulfil", "fulfil-request",
    "request-fulfilled"]
COST_NOT_APPROVED = TRIAGED + [
    "needs-approval-gateway", "approve-cost", "approved-gateway", "cost-not-approved"]
ALL_STEPS = set(FULFILLED_AFTER_APPROVAL + DECLINED + COST_NOT_APPROVED)


@dataclass
class People:
    requester: object
    agent: object       # service-desk
    manager: object     # manager
    outsider: object    # neither: finance


@pytest.fixture
def people(make_user) -> People:
    return People(requester=make_user("rita.requester"),
                  agent=make_user("sam.desk", "service-desk"),
                  manager=make_user("maria.manager", "manager"),
                  outsider=make_user("otto.outsider", "finance"))


@pytest.fixture
def deployed(deploy_process):
    result = deploy_process(PROCESS)
    assert [(d.key, d.name, d.version, d.new) for d in result.definitions] == [
        (PROCESS, "Request a service", 1, True)]
    return result


REQUEST = {"summary": "Access to the finance share",
           "details": "I joined the controlling team and need to read the monthly reports.",
           "category": "access", "cost_estimate": 0}


def submit(requester, **changes):
    return instances.start_instance(PROCESS, requester, data={**REQUEST, **changes})


def inbox(user, instance) -> list[str]:
    """The steps of this instance that ``user`` may claim."""
    return [t.bpmn_id for t in tasks.list_tasks(user, scope="candidate", instance_id=instance.id)]


def the_task(user, instance, bpmn_id: str):
    found = [t for t in tasks.list_tasks(user, scope="all", instance_id=instance.id) if t.bpmn_id == bpmn_id]
    assert len(found) == 1, f"{user.username} does not see exactly one open {bpmn_id}: {found}"
    return found[0]


def work(user, instance, bpmn_id: str, data: dict):
    """Claim the task from the inbox and complete it, as a person does in the browser."""
    task = the_task(user, instance, bpmn_id)
    tasks.claim(task.id, user)
    return tasks.complete(task.id, data, user)


def path_taken(instance, actor) -> list[str]:
    """The diagram's steps the instance completed, from the audit trail; the
    instance's own list of completed steps must tell the same story."""
    from_audit = [e.element for e in instances.history(instance.id, actor)
                  if e.type == "step_completed" and e.element in ALL_STEPS]
    assert [s for s in instance.completed_steps if s in ALL_STEPS] == from_audit
    return from_audit


def who_did_what(instance, actor) -> list[tuple[str, str, list[str]]]:
    """(step, who completed it, which groups were asked) for every human step."""
    trail = instances.history(instance.id, actor)
    asked = {e.element: e.data["candidate_groups"] for e in trail if e.type == "task_opened"}
    return [(e.element, e.actor, asked[e.element]) for e in trail if e.type == "task_completed"]


def assert_refused(call, exception, *args):
    with pytest.raises(exception):
        call(*args)


# ---- the four paths ----------------------------------------------------------

def test_triage_is_due_in_a_day_and_approval_in_two(deployed, people, clock):
    instance = submit(people.requester, cost_estimate=900)
    triage = the_task(people.agent, instance, "triage-request")
    assert triage.due_at == clock.now() + timedelta(days=1)
    clock.advance(hours=3)
    instance = work(people.agent, instance, "triage-request", {"decision": "accept"})
    approval = the_task(people.manager, instance, "approve-cost")
    assert approval.due_at == clock.now() + timedelta(days=2)
    # No "needed by": the fulfilment has no due date.
    instance = work(people.manager, instance, "approve-cost", {"approved": True})
    assert the_task(people.agent, instance, "fulfil-request").due_at is None


def test_declined_at_triage(deployed, people):
    instance = submit(people.requester, category="other", summary="Paint my office blue",
                      details="The walls are grey.")
    assert instance.status == "running"
    assert instance.data["needs_approval"] is False
    assert instance.data["priority"] == "low"     # "other", with no date it is needed by

    # Only the service desk is asked to triage.
    assert inbox(people.agent, instance) == ["triage-request"]
    for user in (people.requester, people.manager, people.outsider):
        assert inbox(user, instance) == []
    triage = the_task(people.agent, instance, "triage-request")
    assert (triage.name, triage.lane, triage.candidate_groups) == ("Triage request", "service-desk",
                                                                   ["service-desk"])

    # Nobody else may work on it: not an outsider, not the requester, not a manager.
    for user in (people.outsider, people.requester, people.manager):
        with pytest.raises(Forbidden):
            tasks.claim(triage.id, user)
        with pytest.raises(Forbidden):
            tasks.complete(triage.id, {"decision": "accept"}, user)

    # The triage form refuses what is not a decision; the task stays open, unchanged.
    tasks.claim(triage.id, people.agent)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(triage.id, {"decision": "maybe", "notes": "x" * 2001}, people.agent)
    assert set(refused.value.fields) == {"decision", "notes"}
    with pytest.raises(InvalidData) as refused:
        tasks.complete(triage.id, {"notes": "Forgot to decide", "priority": "high"}, people.agent)
    assert set(refused.value.fields) == {"decision", "priority"}
    assert the_task(people.agent, instance, "triage-request").state == "open"
    assert instances.get_instance(instance.id, people.agent).status == "running"
    assert not [e for e in instances.history(instance.id, people.agent) if e.type == "task_completed"]

    instance = tasks.complete(triage.id, {"decision": "reject", "notes": "Facilities handle painting."},
                              people.agent)

    assert instance.status == "completed"
    assert path_taken(instance, people.requester) == DECLINED
    assert who_did_what(instance, people.requester) == [("triage-request", "sam.desk", ["service-desk"])]
    assert instance.data["decision"] == "reject"
    assert instance.data["notes"] == "Facilities handle painting."
    assert "approved" not in instance.data and "resolution" not in instance.data
    for user in (people.requester, people.agent, people.manager, people.outsider):
        assert inbox(user, instance) == []


def test_accepted_within_budget_is_fulfilled_without_approval(deployed, people):
    # 500 is the most the service desk may spend without asking.
    instance = submit(people.requester, category="software", summary="Licence for the diagram editor",
                      cost_estimate=500, needed_by="2026-02-02")
    assert instance.data["needs_approval"] is False
    assert instance.data["priority"] == "normal"

    instance = work(people.agent, instance, "triage-request", {"decision": "accept"})
    assert instance.status == "running"
    # No manager is asked; the service desk goes straight to the work.
    assert inbox(people.manager, instance) == []
    assert inbox(people.outsider, instance) == []
    assert inbox(people.agent, instance) == ["fulfil-request"]
    fulfil = the_task(people.agent, instance, "fulfil-request")
    assert (fulfil.lane, fulfil.candidate_groups) == ("service-desk", ["service-desk"])
    # Due when the requester needs it, by the end of that day.
    assert fulfil.due_at.isoformat() == "2026-02-02T23:59:59+00:00"

    with pytest.raises(Forbidden):
        tasks.complete(fulfil.id, {"resolution": "Done it"}, people.outsider)
    tasks.claim(fulfil.id, people.agent)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(fulfil.id, {"resolution": "ok", "time_spent_minutes": 2.5}, people.agent)
    assert set(refused.value.fields) == {"resolution", "time_spent_minutes"}
    with pytest.raises(InvalidData) as refused:
        tasks.complete(fulfil.id, {"time_spent_minutes": -1}, people.agent)
    assert set(refused.value.fields) == {"resolution", "time_spent_minutes"}
    assert the_task(people.agent, instance, "fulfil-request").state == "open"

    instance = tasks.complete(fulfil.id, {"resolution": "Assigned a licence from the pool and installed it.",
                                          "time_spent_minutes": 25}, people.agent)

    assert instance.status == "completed"
    assert path_taken(instance, people.requester) == FULFILLED_WITHOUT_APPROVAL
    assert who_did_what(instance, people.requester) == [
        ("triage-request", "sam.desk", ["service-desk"]),
        ("fulfil-request", "sam.desk", ["service-desk"])]
    assert {k: instance.data[k] for k in ("summary", "cost_estimate", "needed_by", "decision", "resolution",
                                          "time_spent_minutes")} == {
        "summary": "Licence for the diagram editor", "cost_estimate": 500, "needed_by": "2026-02-02",
        "decision": "accept", "resolution": "Assigned a licence from the pool and installed it.",
        "time_spent_minutes": 25}
    assert "approved" not in instance.data


@pytest.mark.also_on_postgres
def test_accepted_over_budget_is_approved_then_fulfilled(deployed, people):
    instance = submit(people.requester, category="hardware", summary="A second screen",
                      details="27 inch, for spreadsheets.", cost_estimate=649.9)
    assert instance.data["needs_approval"] is True
    assert instance.data["priority"] == "normal"

    instance = work(people.agent, instance, "triage-request", {"decision": "accept", "notes": "Standard model."})

    # Now a manager is asked, and only a manager.
    assert inbox(people.manager, instance) == ["approve-cost"]
    for user in (people.agent, people.outsider, people.requester):
        assert inbox(user, instance) == []
    approval = the_task(people.manager, instance, "approve-cost")
    assert (approval.name, approval.lane, approval.candidate_groups) == ("Approve cost", "manager", ["manager"])
    for user in (people.outsider, people.agent):
        with pytest.raises(Forbidden):
            tasks.complete(approval.id, {"approved": True}, user)
    tasks.claim(approval.id, people.manager)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(approval.id, {"approved": "yes please"}, people.manager)
    assert set(refused.value.fields) == {"approved"}
    with pytest.raises(InvalidData) as refused:
        tasks.complete(approval.id, {"comment": "Fine by me"}, people.manager)
    assert set(refused.value.fields) == {"approved"}

    instance = tasks.complete(approval.id, {"approved": True, "comment": "From the team budget."},
                              people.manager)
    assert instance.status == "running"
    assert inbox(people.agent, instance) == ["fulfil-request"]
    assert inbox(people.manager, instance) == []

    instance = work(people.agent, instance, "fulfil-request",
                    {"resolution": "Ordered and set up the screen at the desk.", "time_spent_minutes": 40})

    assert instance.status == "completed"
    assert path_taken(instance, people.requester) == FULFILLED_AFTER_APPROVAL
    assert who_did_what(instance, people.requester) == [
        ("triage-request", "sam.desk", ["service-desk"]),
        ("approve-cost", "maria.manager", ["manager"]),
        ("fulfil-request", "sam.desk", ["service-desk"])]
    assert {k: instance.data[k] for k in ("cost_estimate", "needs_approval", "decision", "approved", "comment",
                                          "resolution", "time_spent_minutes")} == {
        "cost_estimate": 649.9, "needs_approval": True, "decision": "accept", "approved": True,
        "comment": "From the team budget.", "resolution": "Ordered and set up the screen at the desk.",
        "time_spent_minutes": 40}


def test_over_budget_and_not_approved_ends_without_fulfilment(deployed, people):
    # Just above the limit; an access request comes first.
    instance = submit(people.requester, cost_estimate=500.01)
    assert instance.data["needs_approval"] is True
    assert instance.data["priority"] == "high"

    instance = work(people.agent, instance, "triage-request", {"decision": "accept"})
    assert inbox(people.manager, instance) == ["approve-cost"]
    instance = work(people.manager, instance, "approve-cost",
                    {"approved": False, "comment": "Use the free reader instead."})

    assert instance.status == "completed"
    assert path_taken(instance, people.requester) == COST_NOT_APPROVED
    assert who_did_what(instance, people.requester) == [
        ("triage-request", "sam.desk", ["service-desk"]),
        ("approve-cost", "maria.manager", ["manager"])]
    assert instance.data["approved"] is False
    assert instance.data["comment"] == "Use the free reader instead."
    assert "resolution" not in instance.data
    for user in (people.requester, people.agent, people.manager, people.outsider):
        assert inbox(user, instance) == []
    # The work was never handed to the service desk.
    opened = [e.element for e in instances.history(instance.id, people.requester) if e.type == "task_opened"]
    assert opened == ["triage-request", "approve-cost"]


# ---- the start form ----------------------------------------------------------

@pytest.mark.parametrize("data, fields", [
    ({"details": "No summary", "category": "access", "cost_estimate": -1}, {"summary", "cost_estimate"}),
    ({"summary": "Hi", "category": "access", "cost_estimate": 1_000_001}, {"summary", "cost_estimate"}),
    ({"summary": "A new phone", "category": "phone", "cost_estimate": 0, "needed_by": "next week"},
     {"category", "needed_by"}),
    ({"summary": "A new phone", "category": "hardware", "cost_estimate": "cheap", "owner": "me"},
     {"cost_estimate", "owner"}),
    ({"summary": "A new phone", "details": "x" * 4001, "cost_estimate": 0}, {"category", "details"}),
])
def test_the_request_form_refuses_bad_input(deployed, people, data, fields):
    with pytest.raises(InvalidData) as refused:
        instances.start_instance(PROCESS, people.requester, data=data)
    assert set(refused.value.fields) == fields
    assert instances.list_instances(people.requester) == []


@pytest.mark.parametrize("category, cost_estimate, needed_by, needs_approval, priority", [
    ("access", 0, None, False, "high"),
    ("access", 2500, "2026-01-09", True, "high"),
    ("hardware", 500, None, False, "normal"),
    ("software", 500.5, None, True, "normal"),
    ("other", 0, None, False, "low"),
    ("other", 0, "2026-01-09", False, "normal"),
])
def test_classify_request(deployed, people, category, cost_estimate, needed_by, needs_approval, priority):
    """The start form needs only summary, category and cost; "Classify request" copes
    with the optional date missing, and its result reaches the service desk."""
    data = {"summary": "Reset my VPN token", "category": category, "cost_estimate": cost_estimate}
    if needed_by:
        data["needed_by"] = needed_by
    instance = instances.start_instance(PROCESS, people.requester, data=data)
    assert instance.status == "running"
    assert (instance.data["needs_approval"], instance.data["priority"]) == (needs_approval, priority)
    assert inbox(people.agent, instance) == ["triage-request"]
    triage = tasks.get_task(the_task(people.agent, instance, "triage-request").id, people.agent)
    assert (triage.data["needs_approval"], triage.data["priority"]) == (needs_approval, priority)
    assert triage.instructions.startswith("Read the request")
    assert triage.form is not None and "decision" in triage.form.schema["properties"]


# ---- the diagram -------------------------------------------------------------

def test_every_human_step_has_a_lane_documentation_instructions_and_a_form():
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name) == (PROCESS, "Request a service")
    assert model.description
    assert model.start_form is not None
    assert list(model.start_form.schema["properties"]) == [
        "summary", "details", "category", "cost_estimate", "needed_by"]
    assert {k: t.lane for k, t in model.tasks.items()} == {
        "triage-request": "service-desk", "approve-cost": "manager", "fulfil-request": "service-desk"}
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form, task.bpmn_id
        assert "summary" in shown_fields(task.form), task.bpmn_id


def test_the_diagram_is_documented_and_laid_out_left_to_right():
    assert diagram_problems(BPMN_FILE) == []
    root = etree.parse(str(BPMN_FILE)).getroot()
    process = root.find("bpmn:process", NS)
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    assert [lane.get("name") for lane in lanes] == ["service-desk", "manager"]
    assert {n.get("id") for n in flow_nodes(process)} == ALL_STEPS | {"ready-to-fulfil"}

