"""The shipped process ``problem`` ("Manage a problem").

Driven through Baton's services the way its users and its neighbours drive it:
a problem manager raises a problem by hand, or incident handling reports one
with the message ``problem_reported``; a resolver finds the root cause; the
problem manager records the known error (published to the knowledge base,
the knowledge owners told), raises a change request with the message
``change_requested`` when a change is needed and waits for ``change_closed``
(correlated on ``problem_ref``; a reminder every 30 days), verifies and
closes, telling whoever raised it by hand. The problem manager who reviewed
the report (or, for a problem raised by hand, who first recorded its known
error) owns the problem: its later problem-manager steps are assigned to
them. One test per path through the diagram, each checking the path taken,
who was asked to do what, what people were told and the data at the end; then
the forms, the message contract and the diagram itself (``baton validate``: test_library.py).

The change-request process is written by someone else at the same time, so
these tests send ``change_closed`` themselves, through the messages service,
as change-request will; a small stand-in process (``STAND_IN``) shows that
``change_requested`` starts whatever process listens for it, with the payload
the contract names.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from lxml import etree

from app.engine.bundle import load_bundle
from app.models import Instance, Job, MessageWait, OutboxMessage, db
from app.services import deployments, instances, tasks
from app.services.errors import Conflict, Forbidden, InvalidData, NotFound
from app.web.pages.rich_text import fill_template

from .conftest import REPO, bundle_of
from .diagram_checks import NS, diagram_problems, flow_nodes
from .driver import Desk
from .form_checks import undescribed_fields

PROCESS = "problem"
BPMN_FILE = REPO / "bpmn" / PROCESS / "problem.bpmn"

# The diagram's steps on each path, in the order they are taken.
REPORTED = ["problem-reported", "review-reported-problem", "new-problem-gateway"]
ALREADY_KNOWN = REPORTED + ["already-known"]
LOGGED = ["problem-raised", "number-problem", "log-problem", "register-problem"]
ANALYSED = ["analyse-root-cause", "record-known-error", "publish-known-error", "tell-knowledge-owners",
            "change-needed-gateway"]
NO_CHANGE = ["ready-to-verify"]
CHANGE_WAIT = ["describe-change", "raise-change-request"]
CHANGE = CHANGE_WAIT + ["wait-for-change-outcome", "note-change-outcome", "ready-to-verify"]
# The reminder timer (every-30-days) stays on the waiting task while it fires: each
# firing runs this path, and the timer itself is cancelled when the outcome arrives.
REMINDER = ["remind-problem-managers", "reminder-sent"]
VERIFIED = ["verify-resolution", "solved-gateway"]
CLOSED = ["close-problem", "update-known-error", "raised-by-hand-gateway"]
RAISER_TOLD = CLOSED + ["tell-who-raised-it", "raiser-told"]      # raised by hand: its raiser is told
NOBODY_TOLD = CLOSED + ["problem-closed"]                         # reported by incident handling
BY_HAND = ["problem-raised-by-hand"]


@dataclass
class People:
    manager: object      # problem-manager
    manager2: object     # problem-manager
    resolver: object     # resolver
    knowledge: object    # knowledge-owner
    desk: object         # service-desk: sees none of this work
    neighbour: object    # the account the neighbours' messages (incident, change request) come from here


@pytest.fixture
def people(make_user) -> People:
    return People(manager=make_user("pete.problems", "problem-manager"),
                  manager2=make_user("paula.problems", "problem-manager"),
                  resolver=make_user("rita.resolver", "resolver"),
                  knowledge=make_user("kim.knowledge", "knowledge-owner"),
                  desk=make_user("sam.desk", "service-desk"),
                  neighbour=make_user("integration"))


@pytest.fixture
def desk(deployed_desk) -> Desk:
    return deployed_desk(PROCESS, "Manage a problem")


RAISED = {"service": "VPN", "summary": "VPN drops every evening at 18:00",
          "description": "Since the 3rd, about 40 remote users lose the VPN every evening around 18:00.",
          "priority": "high"}
REPORT = {"service": "Email", "summary": "Mailboxes stop syncing on phones", "incident_ref": "INC-000042"}
REVIEWED = {"decision": "new", "summary": "Phones stop syncing mail after the certificate renewal",
            "description": "Since Monday phones of all departments stop syncing mail a few hours after sign-in.",
            "priority": "medium"}
ANALYSIS = {"root_cause": "The renewed certificate lacks the intermediate CA, so phones reject the server.",
            "workaround": "Remove and add the mail account on the phone again.",
            "fix_proposal": "Install the full certificate chain on the mail gateways."}
KNOWN_ERROR = {"known_error_title": "Phones stop syncing mail: incomplete certificate chain",
               "workaround": "Remove the mail account on the phone and add it again.", "change_needed": True}
CHANGE_FORM = {"change_title": "Install the full certificate chain on the mail gateways",
               "change_description": "Add the intermediate CA certificate to both mail gateways and restart them.",
               "change_type": "normal"}


# --- helpers -----------------------------------------------------------------------

def report(desk: Desk, people: People, **changes):
    """Incident handling's message, as the incident process sends it; returns the started instance."""
    delivery = desk.message(people.neighbour, "problem_reported", data={**REPORT, **changes})
    assert delivery.delivered_to == [] and len(delivery.started) == 1
    return desk.reload(delivery.started[0])


def change_closed(desk: Desk, people: People, problem_ref: str, outcome: str, summary: str):
    """Change management's answer, as the change-request process sends it."""
    return desk.message(people.neighbour, "change_closed", correlation={"problem_ref": problem_ref},
                        data={"problem_ref": problem_ref, "outcome": outcome, "summary": summary})


def inboxes(desk: Desk, people: People, instance) -> dict[str, list[str]]:
    """What each person sees of this problem in their inbox."""
    return {name: desk.inbox(user, instance) for name, user in vars(people).items()}


def only(name: str, steps: list[str], *, owner: bool = False) -> dict[str, list[str]]:
    """The inboxes when only ``name`` (and people of the same group, unless the
    steps are assigned to ``name`` as the problem's ``owner``) have something to do."""
    found = {person: [] for person in ("manager", "manager2", "resolver", "knowledge", "desk", "neighbour")}
    found[name] = steps
    if name == "manager" and not owner:
        found["manager2"] = steps
    return found


def outbox_messages(username: str) -> list[OutboxMessage]:
    """The messages ``username`` was sent, oldest first (subject and body)."""
    db.session.remove()
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == username)
                                   .order_by(OutboxMessage.id)))


def waits(instance) -> list[tuple[str, str, dict]]:
    """The message events the instance waits at: (element, message, expected correlation)."""
    db.session.remove()
    return [(w.element, w.name, w.correlation) for w in db.session.scalars(
        sa.select(MessageWait).where(MessageWait.instance_id == instance.id).order_by(MessageWait.id))]


def sent_messages(instance) -> list[dict]:
    """The messages the instance sent that still wait for delivery."""
    db.session.remove()
    return [j.params for j in db.session.scalars(
        sa.select(Job).where(Job.kind == "message", Job.instance_id == instance.id).order_by(Job.id))]


def analyse(desk: Desk, people: People, instance, **changes):
    return desk.work(people.resolver, instance, "analyse-root-cause", {**ANALYSIS, **changes})


def to_waiting(desk: Desk, people: People, instance):
    """From the analysis to waiting for the change's outcome."""
    instance = analyse(desk, people, instance)
    instance = desk.work(people.manager, instance, "record-known-error", KNOWN_ERROR)
    return desk.work(people.manager, instance, "describe-change", CHANGE_FORM)


# --- raised by hand, no change needed -----------------------------------------------

def test_raised_by_hand_without_a_change_is_accepted_with_its_workaround(desk, people, clock):
    started_at = clock.now()
    instance = desk.start(people.manager, {**RAISED, "incident_ref": "INC-000007"})
    assert instance.status == "running"
    assert instance.data["problem_ref"] == "PRB-000001" and instance.business_key == "PRB-000001"
    assert instance.data["logged_at"] == started_at.isoformat()
    # Who raised it is noted; raising it does not make them its owner.
    assert (instance.data["raised_by"], instance.data["problem_manager"]) == ("pete.problems", None)
    assert desk.path(instance) == BY_HAND + LOGGED
    # Started by hand, it does not wait for a report as well (one start event per instance).
    assert waits(instance) == []

    # In the problem register at once, with the status "open".
    assert desk.records("problems") == {"PRB-000001": {
        "problem_ref": "PRB-000001", "service": "VPN", "summary": "VPN drops every evening at 18:00",
        "description": RAISED["description"], "priority": "high", "incident_ref": "INC-000007",
        "raised_by": "pete.problems", "status": "open", "logged_at": started_at.isoformat()}}
    assert desk.records("sequences") == {"problem": {"last": 1}}

    # Only the resolvers are asked; a high priority is due in 2 days and urgent.
    assert inboxes(desk, people, instance) == only("resolver", ["analyse-root-cause"])
    analysis = desk.task(people.resolver, instance, "analyse-root-cause")
    assert (analysis.name, analysis.lane, analysis.candidate_groups) == ("Find the root cause", "resolver",
                                                                         ["resolver"])
    assert analysis.due_at == started_at + timedelta(days=2)
    assert analysis.priority == 80
    for user in (people.manager, people.knowledge, people.desk):
        with pytest.raises(Forbidden):
            tasks.claim(analysis.id, user)

    clock.advance(days=1)
    instance = analyse(desk, people, instance, root_cause="The nightly backup fills the firewall's session table.",
                       workaround="Reconnect the VPN client after 18:10.")
    # No owner yet: any problem manager may record the known error, and whoever does owns the problem.
    assert inboxes(desk, people, instance) == only("manager", ["record-known-error"])
    recording = desk.task(people.manager, instance, "record-known-error")
    assert (recording.lane, recording.assignee, recording.candidate_groups, recording.due_at) == (
        "problem-manager", None, ["problem-manager"], clock.now() + timedelta(days=2))
    detail = tasks.get_task(recording.id, people.manager)
    assert "This problem has no owner yet: when you complete this step, you become its owner" in \
        fill_template(detail.instructions, detail.data)
    # The form shows the resolver's workaround, to be edited for the knowledge base.
    assert desk.data_of(people.manager, instance, "record-known-error")["workaround"] == \
        "Reconnect the VPN client after 18:10."
    instance = desk.work(people.manager, instance, "record-known-error", {
        "known_error_title": "VPN drops at 18:00 while the backup runs",
        "workaround": "Reconnect the VPN client after 18:10; sessions opened then are not dropped.",
        "change_needed": False})

    # Published to the knowledge base, and the knowledge owners told.
    published_at = clock.now().isoformat()
    assert desk.records("known-errors") == {"PRB-000001": {
        "problem_ref": "PRB-000001", "title": "VPN drops at 18:00 while the backup runs", "service": "VPN",
        "root_cause": "The nightly backup fills the firewall's session table.",
        "workaround": "Reconnect the VPN client after 18:10; sessions opened then are not dropped.",
        "status": "open", "published_at": published_at}}
    assert desk.outbox("kim.knowledge") == [
        "Known error PRB-000001 published: VPN drops at 18:00 while the backup runs"]
    assert desk.outbox("pete.problems") == [] and desk.outbox("rita.resolver") == []

    # No change needed: straight to the verification, no change request sent. It goes to the
    # owner, pete, who recorded the known error; paula cannot take it from him.
    assert instance.data["problem_manager"] == "pete.problems"
    assert inboxes(desk, people, instance) == only("manager", ["verify-resolution"], owner=True)
    assert sent_messages(instance) == [] and waits(instance) == []
    verification = desk.task(people.manager, instance, "verify-resolution")
    assert (verification.assignee, verification.due_at) == ("pete.problems", clock.now() + timedelta(days=14))
    shown = desk.data_of(people.manager, instance, "verify-resolution")
    assert "change_result" not in shown and "change_title" not in shown
    for other in (people.manager2, people.resolver):
        with pytest.raises(Forbidden):
            tasks.complete(verification.id, {"verification": "solved", "verification_notes": "Fine."}, other)

    # pete goes on holiday: he hands the step back, paula takes it over and becomes the owner.
    clock.advance(days=14)
    tasks.unclaim(verification.id, people.manager)
    assert inboxes(desk, people, instance) == only("manager", ["verify-resolution"])
    instance = desk.work(people.manager2, instance, "verify-resolution", {
        "verification": "accepted", "verification_notes": "The backup cannot move this quarter; the workaround works."})

    assert instance.status == "completed"
    assert instance.data["problem_manager"] == "paula.problems"
    assert desk.path(instance) == BY_HAND + LOGGED + ANALYSED + NO_CHANGE + VERIFIED + RAISER_TOLD
    assert desk.who_did_what(instance) == [
        ("analyse-root-cause", "rita.resolver", ["resolver"]),
        ("record-known-error", "pete.problems", ["problem-manager"]),
        ("verify-resolution", "paula.problems", ["problem-manager"])]
    closed_at = clock.now().isoformat()
    assert desk.records("problems")["PRB-000001"] == {
        "problem_ref": "PRB-000001", "service": "VPN", "summary": "VPN drops every evening at 18:00",
        "description": RAISED["description"], "priority": "high", "incident_ref": "INC-000007",
        "raised_by": "pete.problems", "status": "accepted", "logged_at": started_at.isoformat(),
        "root_cause": "The nightly backup fills the firewall's session table.",
        "known_error": "VPN drops at 18:00 while the backup runs", "change": None, "change_outcome": None,
        "verification_notes": "The backup cannot move this quarter; the workaround works.",
        "closed_by": "paula.problems", "closed_at": closed_at}
    assert desk.records("known-errors")["PRB-000001"]["status"] == "accepted"
    assert desk.records("known-errors")["PRB-000001"]["closed_at"] == closed_at
    assert inboxes(desk, people, instance) == only("manager", [])
    # pete raised it, so he is told how it ended; nobody else is.
    assert desk.outbox("pete.problems") == ["PRB-000001 closed as accepted: VPN drops every evening at 18:00"]
    assert desk.outbox("paula.problems") == [] and desk.outbox("rita.resolver") == []
    (told,) = [m for m in outbox_messages("pete.problems")]
    assert told.body == (
        "The problem you raised, PRB-000001 (VPN drops every evening at 18:00, on VPN), is closed as accepted by "
        "paula.problems.\n\nRoot cause: The nightly backup fills the firewall's session table.\n\n"
        "Known error: VPN drops at 18:00 while the backup runs\n"
        "Workaround: Reconnect the VPN client after 18:10; sessions opened then are not dropped.\n\n"
        "Verification: The backup cannot move this quarter; the workaround works.")


def test_a_low_priority_problem_without_an_incident_is_due_in_ten_days(desk, people, clock):
    instance = desk.start(people.manager, {**RAISED, "priority": "low"})
    assert instance.data["incident_ref"] is None
    assert desk.records("problems")["PRB-000001"]["incident_ref"] is None
    analysis = desk.task(people.resolver, instance, "analyse-root-cause")
    assert (analysis.due_at, analysis.priority) == (clock.now() + timedelta(days=10), 20)
    # References count up across problems.
    second = desk.start(people.manager2, {**RAISED, "priority": "medium", "summary": "Printers lose their queue"})
    assert second.data["problem_ref"] == "PRB-000002"
    analysis = desk.task(people.resolver, second, "analyse-root-cause")
    assert (analysis.due_at, analysis.priority) == (clock.now() + timedelta(days=5), 50)


# --- reported by incident handling, with a change -----------------------------------

@pytest.mark.also_on_postgres
def test_reported_by_incident_handling_and_solved_by_a_change(desk, people, clock):
    instance = report(desk, people)
    assert instance.status == "running"
    assert instance.started_by == "integration"
    assert {k: instance.data[k] for k in REPORT} == REPORT
    # Started by the message alone: the plain start event's path does not run.
    assert desk.path(instance) == ["problem-reported"]
    assert "problem_ref" not in instance.data and desk.records("sequences") == {}

    assert inboxes(desk, people, instance) == only("manager", ["review-reported-problem"])
    review = desk.task(people.manager, instance, "review-reported-problem")
    assert (review.name, review.lane, review.due_at) == ("Review reported problem", "problem-manager",
                                                         clock.now() + timedelta(days=2))
    detail = tasks.get_task(review.id, people.manager)
    assert fill_template(detail.instructions, detail.data).startswith(
        "Incident handling reported recurring incidents on **Email** (last one: INC-000042).")
    assert fill_template(detail.instructions, {**detail.data, "reason": "3 incidents in 30 days"}).startswith(
        "Incident handling reported recurring incidents on **Email** (last one: INC-000042): 3 incidents in 30 days.")
    assert detail.data["summary"] == REPORT["summary"]
    instance = desk.work(people.manager, instance, "review-reported-problem", REVIEWED)
    assert instance.data["problem_ref"] == "PRB-000001"
    # The reviewer owns the problem; a reported problem was raised by nobody in particular.
    assert (instance.data["problem_manager"], instance.data["raised_by"]) == ("pete.problems", None)
    assert desk.records("problems")["PRB-000001"]["incident_ref"] == "INC-000042"
    assert desk.records("problems")["PRB-000001"]["summary"] == REVIEWED["summary"]
    analysis = desk.task(people.resolver, instance, "analyse-root-cause")
    assert (analysis.due_at, analysis.priority) == (clock.now() + timedelta(days=5), 50)

    instance = analyse(desk, people, instance)
    # The known error is recorded by the owner, and by nobody else.
    assert inboxes(desk, people, instance) == only("manager", ["record-known-error"], owner=True)
    recording = desk.task(people.manager, instance, "record-known-error")
    assert recording.assignee == "pete.problems"
    detail = tasks.get_task(recording.id, people.manager)
    assert "You own this problem, so this step is yours." in fill_template(detail.instructions, detail.data)
    with pytest.raises(Conflict):
        tasks.claim(recording.id, people.manager2)
    with pytest.raises(Forbidden):
        tasks.complete(recording.id, KNOWN_ERROR, people.manager2)
    instance = desk.work(people.manager, instance, "record-known-error", KNOWN_ERROR)
    assert desk.outbox("kim.knowledge") == [f"Known error PRB-000001 published: {KNOWN_ERROR['known_error_title']}"]

    # A change is needed: the owner describes it, and nobody else is asked.
    assert inboxes(desk, people, instance) == only("manager", ["describe-change"], owner=True)
    instance = desk.work(people.manager, instance, "describe-change", CHANGE_FORM)

    # change_requested went out as the contract says, and the problem waits for change_closed.
    assert sent_messages(instance) == [{"name": "change_requested", "correlation": {"problem_ref": "PRB-000001"},
                                        "data": {"problem_ref": "PRB-000001", "title": CHANGE_FORM["change_title"],
                                                 "description": CHANGE_FORM["change_description"],
                                                 "change_type": "normal"}}]
    assert waits(instance) == [("wait-for-change-outcome", "change_closed", {"problem_ref": "PRB-000001"})]
    assert inboxes(desk, people, instance) == only("manager", [])
    assert desk.path(instance)[-2:] == CHANGE_WAIT

    clock.advance(days=12)
    delivery = change_closed(desk, people, "PRB-000001", "implemented", "Chain installed on both gateways.")
    assert (delivery.delivered_to, delivery.started) == ([instance.id], [])
    instance = desk.reload(instance)
    assert instance.data["change_outcome"] == {"problem_ref": "PRB-000001", "outcome": "implemented",
                                               "summary": "Chain installed on both gateways."}
    assert (instance.data["change_result"], instance.data["change_result_summary"]) == (
        "implemented", "Chain installed on both gateways.")
    assert waits(instance) == []
    received = desk.events(instance, "message_received")
    assert [(e.element, e.data["name"], e.data["correlation"]) for e in received] == [
        ("wait-for-change-outcome", "change_closed", {"problem_ref": "PRB-000001"})]

    assert inboxes(desk, people, instance) == only("manager", ["verify-resolution"], owner=True)
    shown = desk.data_of(people.manager, instance, "verify-resolution")
    assert (shown["change_title"], shown["change_result"]) == (CHANGE_FORM["change_title"], "implemented")
    instance = desk.work(people.manager, instance, "verify-resolution", {
        "verification": "solved", "verification_notes": "No sync incidents in the two weeks since the change."})

    assert instance.status == "completed"
    assert desk.path(instance) == REPORTED + LOGGED + ANALYSED + CHANGE + VERIFIED + NOBODY_TOLD
    assert desk.who_did_what(instance) == [
        ("review-reported-problem", "pete.problems", ["problem-manager"]),
        ("analyse-root-cause", "rita.resolver", ["resolver"]),
        ("record-known-error", "pete.problems", ["problem-manager"]),
        ("describe-change", "pete.problems", ["problem-manager"]),
        ("verify-resolution", "pete.problems", ["problem-manager"])]
    record = desk.records("problems")["PRB-000001"]
    assert {k: record[k] for k in ("status", "incident_ref", "known_error", "change", "change_outcome")} == {
        "status": "solved", "incident_ref": "INC-000042", "known_error": KNOWN_ERROR["known_error_title"],
        "change": CHANGE_FORM["change_title"], "change_outcome": "implemented"}
    assert desk.records("known-errors")["PRB-000001"]["status"] == "solved"
    assert desk.records("problems")["PRB-000001"]["closed_by"] == "pete.problems"
    # Nobody was reminded (the outcome came within 30 days), and nobody raised it by hand to be told.
    assert desk.outbox("pete.problems") == [] and desk.outbox("paula.problems") == []


def test_a_reported_problem_that_is_already_known_ends_at_the_review(desk, people):
    instance = report(desk, people, summary="VPN drops again")
    instance = desk.work(people.manager, instance, "review-reported-problem", {
        **REVIEWED, "decision": "duplicate", "duplicate_of": "PRB-000007",
        "review_notes": "The same evening drops as PRB-000007."})
    assert instance.status == "completed"
    assert desk.path(instance) == ALREADY_KNOWN
    assert desk.who_did_what(instance) == [("review-reported-problem", "pete.problems", ["problem-manager"])]
    assert instance.data["duplicate_of"] == "PRB-000007"
    # No reference used up, nothing registered or published.
    assert "problem_ref" not in instance.data
    assert desk.records("sequences") == {} and desk.records("problems") == {} and desk.records("known-errors") == {}
    assert inboxes(desk, people, instance) == only("manager", [])
    # The next problem is PRB-000001.
    assert desk.start(people.manager, RAISED).data["problem_ref"] == "PRB-000001"


def test_each_report_starts_its_own_problem_and_a_hand_started_one_does_not_catch_it(desk, people):
    by_hand = desk.start(people.manager, RAISED)
    first = report(desk, people)
    second = report(desk, people, service="VPN", incident_ref="INC-000043")
    assert len({by_hand.id, first.id, second.id}) == 3
    assert desk.path(desk.reload(by_hand)) == BY_HAND + LOGGED
    assert desk.events(by_hand, "message_received") == []
    for reported in (first, second):
        assert desk.path(reported) == ["problem-reported"]
        assert desk.inbox(people.manager, reported) == ["review-reported-problem"]
    assert desk.reload(second).data["incident_ref"] == "INC-000043"


# --- the change outcome ---------------------------------------------------------------

def test_an_outcome_for_another_problem_is_not_delivered(desk, people):
    first = to_waiting(desk, people, desk.start(people.manager, RAISED))
    second = to_waiting(desk, people, desk.start(people.manager, {**RAISED, "summary": "Printers lose their queue"}))
    assert waits(first) == [("wait-for-change-outcome", "change_closed", {"problem_ref": "PRB-000001"})]
    assert waits(second) == [("wait-for-change-outcome", "change_closed", {"problem_ref": "PRB-000002"})]

    # A problem nobody is waiting for: refused, and nothing moves.
    with pytest.raises(NotFound):
        change_closed(desk, people, "PRB-000099", "implemented", "Done.")
    # The second problem's outcome reaches the second problem only.
    delivery = change_closed(desk, people, "PRB-000002", "rejected", "The CAB rejected it: too risky now.")
    assert delivery.delivered_to == [second.id]

    first, second = desk.reload(first), desk.reload(second)
    assert "change_outcome" not in first.data
    assert waits(first) == [("wait-for-change-outcome", "change_closed", {"problem_ref": "PRB-000001"})]
    assert desk.events(first, "message_received") == []
    assert desk.inbox(people.manager, first) == []
    assert second.data["change_result"] == "rejected"
    assert desk.inbox(people.manager, second) == ["verify-resolution"]

    # The first one's own outcome still reaches it.
    assert change_closed(desk, people, "PRB-000001", "implemented", "Done.").delivered_to == [first.id]
    assert desk.inbox(people.manager, first) == ["verify-resolution"]


def test_the_problem_managers_are_reminded_every_30_days_while_the_change_is_open(desk, people, clock):
    instance = to_waiting(desk, people, desk.start(people.manager, RAISED))
    reminder = f"PRB-000001 still waits for its change: {CHANGE_FORM['change_title']}"

    desk.advance(days=29, hours=23, minutes=59, seconds=59)
    assert desk.outbox("pete.problems") == []
    desk.advance(seconds=1)            # exactly 30 days after the wait began
    assert desk.outbox("pete.problems") == [reminder]
    assert desk.outbox("paula.problems") == [reminder]
    assert desk.outbox("rita.resolver") == [] and desk.outbox("kim.knowledge") == [
        f"Known error PRB-000001 published: {KNOWN_ERROR['known_error_title']}"]
    # Nothing was cancelled: the problem still waits for the outcome, and nobody has a task.
    instance = desk.reload(instance)
    assert instance.status == "running"
    assert waits(instance) == [("wait-for-change-outcome", "change_closed", {"problem_ref": "PRB-000001"})]
    assert inboxes(desk, people, instance) == only("manager", [])

    desk.advance(days=30)
    assert desk.outbox("pete.problems") == [reminder] * 2
    desk.advance(days=30)
    assert desk.outbox("pete.problems") == [reminder] * 3

    desk.advance(days=10)
    assert change_closed(desk, people, "PRB-000001", "implemented", "Done at last.").delivered_to == [instance.id]
    instance = desk.work(people.manager, instance, "verify-resolution",
                        {"verification": "solved", "verification_notes": "Quiet since the change."})
    assert instance.status == "completed"
    assert desk.path(instance) == BY_HAND + LOGGED + ANALYSED + CHANGE_WAIT + REMINDER * 3 + CHANGE[2:] \
        + VERIFIED + RAISER_TOLD
    assert [e.element for e in desk.events(instance, "step_cancelled")] == ["every-30-days"]
    # The reminders stop with the outcome; pete, who raised the problem, is told it is closed.
    closed = "PRB-000001 closed as solved: VPN drops every evening at 18:00"
    assert desk.outbox("pete.problems") == [reminder] * 3 + [closed]
    (told,) = [m for m in outbox_messages("pete.problems") if m.subject == closed]
    assert f"Change: {CHANGE_FORM['change_title']}. Done at last.\n\n" in told.body
    desk.advance(days=60)
    assert desk.outbox("pete.problems") == [reminder] * 3 + [closed]


# --- not solved: back to the analysis ------------------------------------------------------

def test_a_rolled_back_change_sends_the_problem_back_to_the_resolvers(desk, people, clock):
    instance = to_waiting(desk, people, desk.start(people.manager, RAISED))
    change_closed(desk, people, "PRB-000001", "rolled_back", "The gateways would not start; rolled back.")
    instance = desk.work(people.manager, instance, "verify-resolution", {
        "verification": "not_solved", "verification_notes": "The change was rolled back; phones still fail."})

    # Back to the resolvers, who see why; due again by the priority.
    assert inboxes(desk, people, instance) == only("resolver", ["analyse-root-cause"])
    assert desk.task(people.resolver, instance, "analyse-root-cause").due_at == clock.now() + timedelta(days=2)
    shown = desk.data_of(people.resolver, instance, "analyse-root-cause")
    assert shown["verification_notes"] == "The change was rolled back; phones still fail."
    assert shown["root_cause"] == ANALYSIS["root_cause"]

    instance = analyse(desk, people, instance, root_cause="The gateways also need the new cipher settings.",
                       workaround="Use webmail on the phone.")
    instance = desk.work(people.manager, instance, "record-known-error",
                        {**KNOWN_ERROR, "workaround": "Use webmail on the phone."})
    # The knowledge base holds the new analysis; the knowledge owners are told again.
    known_error = desk.records("known-errors")["PRB-000001"]
    assert known_error["root_cause"] == "The gateways also need the new cipher settings."
    assert known_error["workaround"] == "Use webmail on the phone."
    assert len(desk.outbox("kim.knowledge")) == 2
    instance = desk.work(people.manager, instance, "describe-change",
                         {**CHANGE_FORM, "change_title": "Certificate chain and cipher settings",
                          "change_type": "emergency"})
    # A second change request for the same problem, with the same reference.
    assert sent_messages(instance)[-1]["data"] == {
        "problem_ref": "PRB-000001", "title": "Certificate chain and cipher settings",
        "description": CHANGE_FORM["change_description"], "change_type": "emergency"}
    change_closed(desk, people, "PRB-000001", "implemented", "Both settings in place.")
    instance = desk.work(people.manager, instance, "verify-resolution",
                         {"verification": "solved", "verification_notes": "Phones sync again."})

    assert instance.status == "completed"
    assert desk.path(instance) == (BY_HAND + LOGGED + ANALYSED + CHANGE + VERIFIED
                                   + ANALYSED + CHANGE + VERIFIED + RAISER_TOLD)
    assert [step for step, _, _ in desk.who_did_what(instance)] == [
        "analyse-root-cause", "record-known-error", "describe-change", "verify-resolution"] * 2
    record = desk.records("problems")["PRB-000001"]
    assert (record["status"], record["change"], record["change_outcome"]) == (
        "solved", "Certificate chain and cipher settings", "implemented")


@pytest.mark.parametrize("rounds", [3])
def test_not_solved_loops_back_as_often_as_needed(desk, people, rounds):
    instance = desk.start(people.manager, RAISED)
    for n in range(rounds):
        instance = analyse(desk, people, instance, root_cause=f"Cause number {n + 1}, found in the logs.")
        instance = desk.work(people.manager, instance, "record-known-error", {**KNOWN_ERROR, "change_needed": False})
        instance = desk.work(people.manager, instance, "verify-resolution", {
            "verification": "not_solved", "verification_notes": f"Round {n + 1}: the drops go on."})
        assert inboxes(desk, people, instance) == only("resolver", ["analyse-root-cause"])
    instance = analyse(desk, people, instance, root_cause="The real cause, at last.")
    instance = desk.work(people.manager, instance, "record-known-error", {**KNOWN_ERROR, "change_needed": False})
    instance = desk.work(people.manager, instance, "verify-resolution",
                         {"verification": "solved", "verification_notes": "Fixed by the resolvers' setting."})
    assert instance.status == "completed"
    assert desk.path(instance) == (BY_HAND + LOGGED + (ANALYSED + NO_CHANGE + VERIFIED) * (rounds + 1) + RAISER_TOLD)
    assert len(desk.outbox("kim.knowledge")) == rounds + 1
    assert desk.records("known-errors")["PRB-000001"]["root_cause"] == "The real cause, at last."
    assert desk.records("problems")["PRB-000001"]["status"] == "solved"


# --- the message contract ----------------------------------------------------------------

# Stands in for change-request: starts on change_requested, as the contract says,
# and keeps the payload as its data.
STAND_IN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="stand-in-defs"
                  targetNamespace="http://baton.example/tests">
  <bpmn:message id="change_requested" name="change_requested" />
  <bpmn:process id="change-stand-in" name="Change request (stand-in)" isExecutable="true">
    <bpmn:startEvent id="requested"><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="change_requested" /></bpmn:startEvent>
    <bpmn:userTask id="assess" name="Assess">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="requested" targetRef="assess" />
    <bpmn:sequenceFlow id="f2" sourceRef="assess" targetRef="done" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_change_requested_starts_the_process_that_listens_for_it(desk, people, make_user):
    owner = make_user("change-owner", role="owner")
    deployments.deploy({"change-stand-in.bpmn": STAND_IN}, owner, source="test")
    problem = to_waiting(desk, people, desk.start(people.manager, RAISED))
    assert sent_messages(problem) == []            # delivered: the job is done
    db.session.remove()
    (change,) = db.session.scalars(sa.select(Instance).where(Instance.definition_key == "change-stand-in"))
    assert change.started_by == "system"
    assert {k: change.data[k] for k in ("problem_ref", "title", "description", "change_type")} == {
        "problem_ref": "PRB-000001", "title": CHANGE_FORM["change_title"],
        "description": CHANGE_FORM["change_description"], "change_type": "normal"}
    assert waits(problem) == [("wait-for-change-outcome", "change_closed", {"problem_ref": "PRB-000001"})]


# --- the forms ----------------------------------------------------------------------------

@pytest.mark.parametrize("data, fields", [
    ({"summary": "VPN drops", "description": "Every evening at six.", "priority": "high"}, {"service"}),
    ({**RAISED, "service": "V", "summary": "Drop"}, {"service", "summary"}),
    ({**RAISED, "description": "Bad", "priority": "urgent"}, {"description", "priority"}),
    ({**RAISED, "incident_ref": "42", "owner": "me"}, {"incident_ref", "owner"}),
    ({**RAISED, "description": "x" * 4001, "summary": "x" * 121}, {"description", "summary"}),
])
def test_the_raise_form_refuses_bad_input(desk, people, data, fields):
    with pytest.raises(InvalidData) as refused:
        instances.start_instance(PROCESS, people.manager, data=data)
    assert set(refused.value.fields) == fields
    assert instances.list_instances(people.manager) == []


def test_the_step_forms_refuse_bad_input(desk, people):
    instance = report(desk, people)
    review = desk.task(people.manager, instance, "review-reported-problem")
    tasks.claim(review.id, people.manager)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(review.id, {"decision": "maybe", "summary": "Mail", "priority": "high"}, people.manager)
    assert set(refused.value.fields) == {"decision", "summary", "description"}
    with pytest.raises(InvalidData) as refused:
        tasks.complete(review.id, {**REVIEWED, "decision": "duplicate", "duplicate_of": "7"}, people.manager)
    assert set(refused.value.fields) == {"duplicate_of"}
    instance = desk.work(people.manager, instance, "review-reported-problem", REVIEWED)

    analysis = desk.task(people.resolver, instance, "analyse-root-cause")
    tasks.claim(analysis.id, people.resolver)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(analysis.id, {"root_cause": "Dunno", "fix_proposal": "x" * 4001}, people.resolver)
    assert set(refused.value.fields) == {"root_cause", "workaround", "fix_proposal"}
    instance = desk.work(people.resolver, instance, "analyse-root-cause", ANALYSIS)

    recording = desk.task(people.manager, instance, "record-known-error")
    tasks.claim(recording.id, people.manager)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(recording.id, {"known_error_title": "Mail", "workaround": "Restart the phone.",
                                      "change_needed": "yes"}, people.manager)
    assert set(refused.value.fields) == {"known_error_title", "change_needed"}
    instance = desk.work(people.manager, instance, "record-known-error", KNOWN_ERROR)

    describe = desk.task(people.manager, instance, "describe-change")
    tasks.claim(describe.id, people.manager)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(describe.id, {"change_title": "Fix", "change_description": "Fix it", "change_type": "urgent"},
                       people.manager)
    assert set(refused.value.fields) == {"change_title", "change_description", "change_type"}
    instance = desk.work(people.manager, instance, "describe-change", CHANGE_FORM)
    change_closed(desk, people, "PRB-000001", "implemented", "Done.")

    verification = desk.task(people.manager, instance, "verify-resolution")
    tasks.claim(verification.id, people.manager)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(verification.id, {"verification": "fixed"}, people.manager)
    assert set(refused.value.fields) == {"verification", "verification_notes"}
    # Refused input changes nothing: the step is still open, and the problem still running.
    assert desk.task(people.manager, instance, "verify-resolution").state == "open"
    assert desk.reload(instance).status == "running"


# --- the diagram --------------------------------------------------------------------------

def test_every_human_step_has_a_lane_documentation_instructions_and_a_form():
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name, model.category) == (PROCESS, "Manage a problem", "Incidents & problems")
    assert model.description and model.startable
    assert list(model.start_form.schema["properties"]) == ["service", "summary", "description", "priority",
                                                           "incident_ref"]
    assert {k: t.lane for k, t in model.tasks.items()} == {
        "review-reported-problem": "problem-manager", "analyse-root-cause": "resolver",
        "record-known-error": "problem-manager", "describe-change": "problem-manager",
        "verify-resolution": "problem-manager"}
    # The person raising a problem is noted; the problem manager who reviews or works on it owns it.
    assert model.initiator == "raised_by"
    assert {k: (t.assignee, t.completed_by_variable) for k, t in model.tasks.items()} == {
        "review-reported-problem": (None, "problem_manager"), "analyse-root-cause": (None, None),
        "record-known-error": ("${problem_manager}", "problem_manager"),
        "describe-change": ("${problem_manager}", "problem_manager"),
        "verify-resolution": ("${problem_manager}", "problem_manager")}
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form, task.bpmn_id
        assert undescribed_fields(task.form) == [], task.bpmn_id


def test_the_diagram_is_documented_and_keeps_to_the_message_contract():
    assert diagram_problems(BPMN_FILE) == []
    root = etree.parse(str(BPMN_FILE)).getroot()
    process = root.find("bpmn:process", NS)
    assert [lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)] == [
        "resolver", "problem-manager"]
    ids = {n.get("id") for n in flow_nodes(process)}
    steps = set(ALREADY_KNOWN + BY_HAND + LOGGED + ANALYSED + CHANGE + REMINDER + VERIFIED + RAISER_TOLD
                + NOBODY_TOLD)
    steps.add("every-30-days")
    assert ids == steps
    # The contract: three messages, correlated on problem_ref under the key "problem".
    assert sorted(m.get("name") for m in root.findall("bpmn:message", NS)) == [
        "change_closed", "change_requested", "problem_reported"]
    key = root.find("bpmn:collaboration/bpmn:correlationKey", NS)
    assert (key.get("name"), key.findtext("bpmn:correlationPropertyRef", namespaces=NS)) == ("problem", "problem_ref")
    prop = root.find("bpmn:correlationProperty", NS)
    assert prop.get("id") == "problem_ref"
    assert {(r.get("messageRef"), r.findtext("bpmn:formalExpression", namespaces=NS)) for r in prop} == {
        ("change_requested", "problem_ref"), ("change_closed", "problem_ref")}

