"""The shipped process ``incident`` ("Report an incident").

Driven through Baton's services the way its users drive it (tests/processes/
driver.py): a requester reports, the service desk triages, the resolver group
resolves, the requester confirms; the worker runs the hooks, timers and
messages while the injected clock moves. One test per path through the
diagram: the known fix at triage, the resolvers' fix, every priority and its
SLA timer escalating without interrupting the work, the major-incident status
updates beside the resolution, the 3-day silence, the reopening loop once and
several times (back to the resolver who resolved it, who may hand it over),
ticket tennis, and the ``problem_reported`` message to problem management (its
receiver is a stand-in deployed here, so these tests do not depend on the
``problem`` process). Only the person who reported an incident confirms the
fix, in the requester group or not, and they are told when it is received,
resolved and closed. Then the forms' validation and the diagram.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from lxml import etree

from app.engine.bundle import load_bundle
from app.models import Instance, Job, OutboxMessage, db
from app.services import deployments, instances, tasks
from app.services.errors import Conflict, Forbidden, InvalidData
from app.web.pages.rich_text import fill_template

from .conftest import REPO, bundle_of
from .diagram_checks import NS, diagram_problems
from .form_checks import shown_fields
from .driver import Desk

PROCESS = "incident"
BPMN_FILE = REPO / "bpmn" / PROCESS / "incident.bpmn"

# ---- the diagram's steps on each path, in the order the audit trail has them --------

REPORTED = ["incident-reported", "number-incident", "decide-priority", "register-incident",
            "tell-requester-received", "major-incident-gateway", "ready-to-triage"]
TRIAGED = ["triage-incident", "known-fix-gateway"]
RESOLVED_BY_RESOLVERS = ["ready-to-resolve", "resolve-incident", "resolved-gateway"]
RESTORED = ["fix-in-place", "service-restored", "note-resolution", "record-resolution",
            "find-recent-incidents", "check-recurring-cause", "recurring-gateway"]
NO_PROBLEM = ["ready-to-confirm", "tell-requester-resolved"]
PROBLEM = ["report-problem", "ready-to-confirm", "tell-requester-resolved"]
CONFIRMED = ["confirm-fix", "fixed-gateway", "ready-to-close", "record-closure", "tell-requester-closed",
             "incident-closed"]
NO_ANSWER = ["no-answer", "ready-to-close", "record-closure", "tell-requester-closed", "incident-closed"]
NOT_FIXED = ["confirm-fix", "fixed-gateway", "reopen-incident"]
RETURNED = ["count-return", "returned-too-often-gateway", "back-to-desk", "ready-to-triage"]
TICKET_TENNIS = ["count-return", "returned-too-often-gateway", "alert-lead-of-ticket-tennis", "back-to-desk",
                 "ready-to-triage"]
BREACH = ["resolution-target-passed", "alert-lead-of-breach", "make-resolution-urgent", "breach-escalated"]
STATUS_UPDATE = ["post-status-update", "send-status-update", "last-update-gateway"]

# What the service desk's and the resolvers' forms look like filled in.
KNOWN_FIX = {"triage_decision": "known_fix", "triage_notes": "Reset the Outlook profile; it connects again."}
ASSIGN = {"triage_decision": "assign", "triage_notes": "Webmail fails too: the mail server itself."}
FIXED_BY_RESOLVER = {"resolve_outcome": "resolved", "resolver_notes": "Renewed the mail server's certificate."}
RETURN = {"resolve_outcome": "return_to_desk", "resolver_notes": "Not the mail server: ask which laptop it is."}
FIXED = {"confirmation": "fixed"}
NOT_FIXED_ANSWER = {"confirmation": "not_fixed", "requester_comment": "The calendar still does not sync."}
UPDATE = {"status_phase": "investigating", "status_update": "Mail is down for everyone; the mail team is on it."}

# Impact and urgency giving each priority.
PRIORITY_INPUTS = {"P1": ("high", "high"), "P2": ("high", "medium"), "P3": ("medium", "medium"),
                   "P4": ("low", "low")}
BREACHED = "Resolution target passed: INC-{:06d} ({}) is not resolved"
# What the requester is told, and when.
RECEIVED = "Your incident INC-{:06d} is received: priority {}"
RESOLVED = "Your incident INC-{:06d} is resolved: please confirm the fix"
CLOSED_CONFIRMED = "Your incident INC-{:06d} is closed: you confirmed the fix"
CLOSED_NO_ANSWER = "Your incident INC-{:06d} is closed: no answer in 3 days"


@dataclass
class People:
    requester: object    # requester
    agent: object        # service-desk
    resolver: object     # resolver
    lead: object         # manager: leads the resolver group, and a stakeholder of major incidents
    director: object     # it-director: a stakeholder of major incidents
    outsider: object     # finance


@pytest.fixture
def people(make_user) -> People:
    return People(requester=make_user("alice", "requester"), agent=make_user("dave", "service-desk"),
                  resolver=make_user("rita", "resolver"), lead=make_user("mona", "manager"),
                  director=make_user("ivan", "it-director"), outsider=make_user("fiona", "finance"))


@pytest.fixture
def desk(deployed_desk, people) -> Desk:
    return deployed_desk(PROCESS, "Report an incident")


def report(desk: Desk, people: People, priority: str = "P4", **changes) -> Instance:
    impact, urgency = PRIORITY_INPUTS[priority]
    data = {"service": "E-mail and calendar", "impact": impact, "urgency": urgency,
            "summary": "Outlook cannot connect", "description": "Since 9:00 Outlook says: Trying to connect."}
    return desk.start(people.requester, {**data, **changes})


def everyone(people: People) -> list:
    return [people.requester, people.agent, people.resolver, people.lead, people.director, people.outsider]


def inboxes(desk: Desk, people: People, case) -> dict[str, list[str]]:
    """Who may work on what in this case, for everyone who has something."""
    return {u.username: desk.inbox(u, case) for u in everyone(people) if desk.inbox(u, case)}


def history(desk: Desk) -> dict:
    return desk.records("incident-history")


def problem_message_jobs() -> list[Job]:
    db.session.remove()
    return list(db.session.scalars(sa.select(Job).where(Job.kind == "message").order_by(Job.id)))


def told(desk: Desk, people: People) -> dict[str, list[str]]:
    """What everyone who was sent something was told (the subjects)."""
    return {u.username: desk.outbox(u.username) for u in everyone(people) if desk.outbox(u.username)}


def letter(username: str, subject: str) -> str:
    """The body of the message ``username`` was sent under ``subject``."""
    db.session.remove()
    return db.session.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.recipient == username, OutboxMessage.subject == subject)).one()


def fresh_task(desk: Desk, user, case, step: str):
    """The open step as the database holds it now: a hook (raise_priority) changed
    it in the worker's own transaction, and Desk.task keeps the session's rows."""
    desk.reload(case)
    return desk.task(user, case, step)


def close_it(desk: Desk, people: People, case) -> Instance:
    return desk.work(people.requester, case, "confirm-fix", FIXED)


# ---- first line: a known fix at triage ---------------------------------------------------

def test_a_known_fix_at_triage_goes_straight_to_the_confirmation(desk, people, clock, make_user):
    case = report(desk, people, "P4")
    assert case.status == "running"
    assert case.data["requester"] == "alice"            # the start event's initiator
    assert {k: case.data[k] for k in ("incident_ref", "priority", "resolution_target", "sla_due", "major_incident",
                                      "reported_at")} == {
        "incident_ref": "INC-000001", "priority": "P4", "resolution_target": "3 days",
        "sla_due": "2026-01-08T09:00:00+00:00", "major_incident": False, "reported_at": "2026-01-05T09:00:00+00:00"}

    # The requester learns the number and the priority; only the service desk is
    # asked, and it must triage a P4 within 4 hours.
    assert told(desk, people) == {"alice": [RECEIVED.format(1, "P4")]}
    assert letter("alice", RECEIVED.format(1, "P4")) == (
        "We have received your incident INC-000001: Outlook cannot connect (E-mail and calendar).\n\n"
        "Its priority is P4: we aim to resolve it within 3 days, by 2026-01-08 09:00 UTC.\n\n"
        "The service desk looks at it first. We will tell you when it is resolved; please quote INC-000001 "
        "when you contact the service desk about it.")
    assert inboxes(desk, people, case) == {"dave": ["triage-incident"]}
    triage = desk.task(people.agent, case, "triage-incident")
    assert (triage.name, triage.lane, triage.candidate_groups) == ("Triage the incident", "service-desk",
                                                                   ["service-desk"])
    assert (triage.due_at, triage.priority) == (clock.now() + timedelta(hours=4), 30)
    for user in (people.requester, people.resolver, people.outsider):
        with pytest.raises(Forbidden):
            tasks.claim(triage.id, user)

    case = desk.work(people.agent, case, "triage-incident", KNOWN_FIX)

    # Straight to the requester, who alone is asked to confirm: no resolver was ever asked.
    assert inboxes(desk, people, case) == {"alice": ["confirm-fix"]}
    confirm = desk.task(people.requester, case, "confirm-fix")
    assert (confirm.lane, confirm.candidate_groups, confirm.candidate_users, confirm.due_at) == (
        "requester", [], ["alice"], clock.now() + timedelta(days=3))
    # Another requester, the service desk and the resolvers neither see nor take it.
    bob = make_user("bob", "requester")
    assert desk.inbox(bob, case) == []
    for user in (bob, people.agent, people.resolver):
        with pytest.raises(Forbidden):
            tasks.claim(confirm.id, user)
        with pytest.raises(Forbidden):
            tasks.complete(confirm.id, FIXED, user)
    assert desk.task(people.requester, case, "confirm-fix").state == "open"
    assert told(desk, people) == {"alice": [RECEIVED.format(1, "P4"), RESOLVED.format(1)]}
    assert letter("alice", RESOLVED.format(1)).startswith(
        "Your incident INC-000001 (Outlook cannot connect, E-mail and calendar) is resolved. What was done:\n\n"
        + KNOWN_FIX["triage_notes"] + "\n\nPlease check")
    shown = desk.data_of(people.requester, case, "confirm-fix")
    assert (shown["resolution"], shown["resolved_by"]) == (KNOWN_FIX["triage_notes"], "service-desk")
    assert history(desk)["INC-000001"]["resolved_by"] == "service-desk"

    clock.advance(hours=2)
    case = close_it(desk, people, case)

    assert case.status == "completed"
    assert desk.path(case) == REPORTED + TRIAGED + RESTORED + NO_PROBLEM + CONFIRMED
    assert desk.who_did_what(case) == [("triage-incident", "dave", ["service-desk"]),
                                       ("confirm-fix", "alice", [])]
    assert history(desk) == {"INC-000001": {
        "incident_ref": "INC-000001", "service": "E-mail and calendar", "summary": "Outlook cannot connect",
        "priority": "P4", "reported_at": "2026-01-05T09:00:00+00:00", "resolved_at": "2026-01-05T09:00:00+00:00",
        "resolved_by": "service-desk", "resolution": KNOWN_FIX["triage_notes"], "recurring": False,
        "times_returned": 0, "times_reopened": 0, "closed_at": "2026-01-05T11:00:00+00:00", "closure": "confirmed"}}
    # The requester heard of every stage; nobody else was alerted and nothing went
    # to problem management.
    assert told(desk, people) == {"alice": [RECEIVED.format(1, "P4"), RESOLVED.format(1),
                                            CLOSED_CONFIRMED.format(1)]}
    assert letter("alice", CLOSED_CONFIRMED.format(1)) == (
        "Your incident INC-000001 (Outlook cannot connect, E-mail and calendar) is closed.\n\n"
        "You confirmed that it works again. Thank you.")
    assert problem_message_jobs() == []
    assert inboxes(desk, people, case) == {}


# ---- second line: the resolvers --------------------------------------------------------------

@pytest.mark.also_on_postgres
def test_without_a_known_fix_the_resolvers_restore_the_service(desk, people, clock):
    case = report(desk, people, "P3")
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)

    assert inboxes(desk, people, case) == {"rita": ["resolve-incident"]}
    resolve = desk.task(people.resolver, case, "resolve-incident")
    assert (resolve.name, resolve.lane, resolve.candidate_groups) == ("Resolve the incident", "resolver",
                                                                      ["resolver"])
    # Due by the resolution target of a P3: a day after the report.
    assert (resolve.due_at, resolve.priority) == (datetime.fromisoformat("2026-01-06T09:00:00+00:00"), 50)
    assert desk.data_of(people.resolver, case, "resolve-incident")["triage_notes"] == ASSIGN["triage_notes"]
    for user in (people.agent, people.requester, people.outsider):
        with pytest.raises(Forbidden):
            tasks.complete(resolve.id, FIXED_BY_RESOLVER, user)

    clock.advance(hours=5)
    case = desk.work(people.resolver, case, "resolve-incident", FIXED_BY_RESOLVER)
    assert inboxes(desk, people, case) == {"alice": ["confirm-fix"]}
    assert desk.data_of(people.requester, case, "confirm-fix")["resolution"] == FIXED_BY_RESOLVER["resolver_notes"]
    # Resolved within its target: the SLA timer went with the step, and nobody is
    # alerted; the requester is asked to confirm.
    desk.advance(days=2)
    assert told(desk, people) == {"alice": [RECEIVED.format(1, "P3"), RESOLVED.format(1)]}
    case = close_it(desk, people, case)

    assert case.status == "completed"
    assert desk.path(case) == REPORTED + TRIAGED + RESOLVED_BY_RESOLVERS + RESTORED + NO_PROBLEM + CONFIRMED
    assert desk.who_did_what(case) == [("triage-incident", "dave", ["service-desk"]),
                                       ("resolve-incident", "rita", ["resolver"]),
                                       ("confirm-fix", "alice", [])]
    entry = history(desk)["INC-000001"]
    assert {k: entry[k] for k in ("resolved_by", "resolution", "resolved_at", "recurring", "closure")} == {
        "resolved_by": "resolver", "resolution": FIXED_BY_RESOLVER["resolver_notes"],
        "resolved_at": "2026-01-05T14:00:00+00:00", "recurring": False, "closure": "confirmed"}
    assert problem_message_jobs() == []


# impact, urgency -> priority, triage within, resolve within, priority in the inbox
PRIORITY_MATRIX = [
    ("high", "high", "P1", timedelta(minutes=15), timedelta(hours=1), 90),
    ("high", "medium", "P2", timedelta(minutes=30), timedelta(hours=4), 70),
    ("medium", "high", "P2", timedelta(minutes=30), timedelta(hours=4), 70),
    ("high", "low", "P3", timedelta(hours=2), timedelta(days=1), 50),
    ("medium", "medium", "P3", timedelta(hours=2), timedelta(days=1), 50),
    ("low", "high", "P3", timedelta(hours=2), timedelta(days=1), 50),
    ("medium", "low", "P4", timedelta(hours=4), timedelta(days=3), 30),
    ("low", "medium", "P4", timedelta(hours=4), timedelta(days=3), 30),
    ("low", "low", "P4", timedelta(hours=4), timedelta(days=3), 30),
]


def test_the_priority_matrix(desk, people, clock):
    """The decision table: impact x urgency -> priority, and what the priority
    sets; only a P1 opens the major-incident path."""
    for impact, urgency, priority, triage_within, resolve_within, inbox_priority in PRIORITY_MATRIX:
        reported = clock.now()
        case = desk.start(people.requester, {"service": "Finance and ERP", "impact": impact, "urgency": urgency,
                                             "summary": "Invoices do not post",
                                             "description": "Error E42 on posting."})
        assert (case.data["priority"], case.data["major_incident"]) == (priority, priority == "P1"), (impact, urgency)
        expected = ["post-status-update", "triage-incident"] if priority == "P1" else ["triage-incident"]
        assert desk.inbox(people.agent, case) == expected
        triage = desk.task(people.agent, case, "triage-incident")
        assert (triage.due_at, triage.priority) == (reported + triage_within, inbox_priority), (impact, urgency)
        clock.advance(minutes=10)
        case = desk.work(people.agent, case, "triage-incident", ASSIGN)
        resolve = desk.task(people.resolver, case, "resolve-incident")
        # The resolution target counts from the report, not from the assignment.
        assert (resolve.due_at, resolve.priority) == (reported + resolve_within, inbox_priority), (impact, urgency)
    # Numbered in the order they were reported.
    assert case.data["incident_ref"] == case.business_key == f"INC-{len(PRIORITY_MATRIX):06d}"
    assert desk.records("sequences") == {"incident": {"last": len(PRIORITY_MATRIX)}}


# ---- the SLA timer -------------------------------------------------------------------------

@pytest.mark.parametrize("priority, target", [("P1", timedelta(hours=1)), ("P2", timedelta(hours=4)),
                                              ("P3", timedelta(days=1)), ("P4", timedelta(days=3))])
def test_a_passed_resolution_target_escalates_without_interrupting_the_work(desk, people, clock, priority, target):
    case = report(desk, people, priority)
    number = case.data["incident_number"]
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    resolve = desk.task(people.resolver, case, "resolve-incident")
    tasks.claim(resolve.id, people.resolver)

    desk.advance(target - timedelta(minutes=1))
    assert BREACHED.format(number, priority) not in desk.outbox("mona")
    assert fresh_task(desk, people.resolver, case, "resolve-incident").priority < 100

    desk.advance(minutes=1)

    # The lead is told, the work tops the inbox, and the resolver still holds it.
    assert BREACHED.format(number, priority) in desk.outbox("mona")
    assert desk.outbox("rita") == [] and desk.outbox("dave") == []
    still = fresh_task(desk, people.resolver, case, "resolve-incident")
    assert (still.id, still.assignee, still.priority, still.state) == (resolve.id, "rita", 100, "open")
    case = desk.reload(case)
    assert case.status == "running"
    assert desk.path(case, only=set(BREACH)) == BREACH
    [raised] = desk.events(case, "task_priority_raised")
    assert raised.element == "resolve-incident" and raised.data["to"] == 100

    # Later ticks of the clock do not escalate again.
    desk.advance(hours=6)
    assert desk.outbox("mona").count(BREACHED.format(number, priority)) == 1

    case = desk.work(people.resolver, case, "resolve-incident", FIXED_BY_RESOLVER)
    case = close_it(desk, people, case)
    assert case.status == "completed"
    assert history(desk)[f"INC-{number:06d}"]["resolved_by"] == "resolver"


# ---- the major incident ----------------------------------------------------------------------

def test_a_major_incident_keeps_stakeholders_informed_until_the_service_is_restored(desk, people, clock):
    case = report(desk, people, "P1", summary="E-mail is down for everyone")
    assert case.data["major_incident"] is True

    # Triage and the first status update, side by side.
    assert inboxes(desk, people, case) == {"dave": ["post-status-update", "triage-incident"]}
    update = desk.task(people.agent, case, "post-status-update")
    assert (update.name, update.lane, update.priority, update.due_at) == (
        "Post a status update", "service-desk", 95, clock.now() + timedelta(minutes=10))
    case = desk.work(people.agent, case, "post-status-update", UPDATE)
    subject = "Major incident INC-000001 (E-mail and calendar): investigating"
    assert desk.outbox("mona") == [subject] and desk.outbox("ivan") == [subject]
    assert desk.outbox("alice") == [RECEIVED.format(1, "P1")] and desk.outbox("rita") == []
    assert "It is a major incident" in letter("alice", RECEIVED.format(1, "P1"))

    # No new update is asked for until 30 minutes have passed.
    desk.advance(minutes=29)
    assert desk.inbox(people.agent, case) == ["triage-incident"]
    desk.advance(minutes=1)
    assert desk.inbox(people.agent, case) == ["post-status-update", "triage-incident"]
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    case = desk.work(people.agent, case, "post-status-update",
                     {"status_phase": "cause identified", "status_update": "An expired certificate; renewing it."})
    desk.advance(minutes=30)
    assert inboxes(desk, people, case) == {"dave": ["post-status-update"], "rita": ["resolve-incident"]}
    case = desk.work(people.agent, case, "post-status-update",
                     {"status_phase": "fix in progress", "status_update": "Certificate renewed, restarting."})
    desk.advance(minutes=30)
    assert desk.outbox("ivan") == [
        subject, "Major incident INC-000001 (E-mail and calendar): cause identified",
        "Major incident INC-000001 (E-mail and calendar): fix in progress"]

    # A fourth update is open when the resolver restores the service: it is
    # withdrawn, the stakeholders hear the service is back, the updates stop.
    case = desk.work(people.resolver, case, "resolve-incident", FIXED_BY_RESOLVER)
    restored = "Major incident INC-000001 (E-mail and calendar): service restored"
    assert desk.outbox("ivan")[-1] == restored and desk.outbox("mona")[-1] == restored
    assert inboxes(desk, people, case) == {"alice": ["confirm-fix"]}
    assert [e.element for e in desk.events(case, "task_cancelled")] == ["post-status-update"]
    desk.advance(hours=2)
    assert inboxes(desk, people, case) == {"alice": ["confirm-fix"]}
    assert len(desk.outbox("ivan")) == 4

    case = close_it(desk, people, case)
    assert case.status == "completed"
    assert desk.path(case, only=set(STATUS_UPDATE) | {"service-restored-heard", "announce-restoration",
                                                      "stakeholders-informed", "updates-ended"}) == (
        STATUS_UPDATE * 3 + ["service-restored-heard", "announce-restoration", "stakeholders-informed"])
    assert [s for s in desk.path(case) if s in RESTORED + CONFIRMED] == RESTORED + CONFIRMED
    assert desk.who_did_what(case) == [
        ("post-status-update", "dave", ["service-desk"]), ("triage-incident", "dave", ["service-desk"]),
        ("post-status-update", "dave", ["service-desk"]), ("post-status-update", "dave", ["service-desk"]),
        ("resolve-incident", "rita", ["resolver"]), ("confirm-fix", "alice", [])]
    # The lead also heard of the breached 1-hour target (the fix came after 90 minutes).
    assert BREACHED.format(1, "P1") in desk.outbox("mona")


def test_a_major_incident_fixed_at_triage_stops_the_updates_at_once(desk, people):
    case = report(desk, people, "P1")
    case = desk.work(people.agent, case, "triage-incident", KNOWN_FIX)
    # The first update was never posted: it is withdrawn, and the stakeholders hear it is over.
    assert inboxes(desk, people, case) == {"alice": ["confirm-fix"]}
    assert desk.outbox("ivan") == ["Major incident INC-000001 (E-mail and calendar): service restored"]
    assert desk.path(case, only={"post-status-update", "announce-restoration"}) == ["announce-restoration"]
    case = close_it(desk, people, case)
    assert case.status == "completed"


def test_the_service_desk_may_end_the_updates_itself(desk, people, clock):
    case = report(desk, people, "P1")
    case = desk.work(people.agent, case, "post-status-update", UPDATE)
    desk.advance(minutes=30)
    case = desk.work(people.agent, case, "post-status-update",
                     {"status_phase": "service restored", "status_update": "Mail works again via the backup server."})
    assert desk.outbox("ivan")[-1] == "Major incident INC-000001 (E-mail and calendar): service restored"
    desk.advance(hours=1)
    # No more updates; the incident itself is still being worked on.
    assert desk.inbox(people.agent, case) == ["triage-incident"]
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    case = desk.work(people.resolver, case, "resolve-incident", FIXED_BY_RESOLVER)
    # Nothing waits for the "service restored" signal any more: no second announcement.
    assert len(desk.outbox("ivan")) == 2
    assert desk.path(case, only={"updates-ended", "announce-restoration", "stakeholders-informed"}) == [
        "updates-ended", "stakeholders-informed"]
    case = close_it(desk, people, case)
    assert case.status == "completed"


# ---- the confirmation: silence, reopening ---------------------------------------------------

def test_three_days_of_silence_close_the_incident(desk, people, clock):
    case = report(desk, people, "P3")
    case = desk.work(people.agent, case, "triage-incident", KNOWN_FIX)
    desk.advance(days=3, minutes=-1)
    assert desk.reload(case).status == "running"
    assert inboxes(desk, people, case) == {"alice": ["confirm-fix"]}

    desk.advance(minutes=1)

    case = desk.reload(case)
    assert case.status == "completed"
    assert desk.path(case) == REPORTED + TRIAGED + RESTORED + NO_PROBLEM + NO_ANSWER
    assert desk.who_did_what(case) == [("triage-incident", "dave", ["service-desk"])]
    assert [e.element for e in desk.events(case, "task_cancelled")] == ["confirm-fix"]
    entry = history(desk)["INC-000001"]
    assert (entry["closure"], entry["closed_at"]) == ("no_answer", "2026-01-08T09:00:00+00:00")
    assert inboxes(desk, people, case) == {}
    assert told(desk, people) == {"alice": [RECEIVED.format(1, "P3"), RESOLVED.format(1),
                                            CLOSED_NO_ANSWER.format(1)]}
    assert "You did not answer within 3 days, so it was closed as fixed." in letter(
        "alice", CLOSED_NO_ANSWER.format(1))


def test_not_fixed_reopens_the_incident_for_the_resolvers(desk, people, clock):
    case = report(desk, people, "P2")
    case = desk.work(people.agent, case, "triage-incident", KNOWN_FIX)
    clock.advance(hours=6)
    confirm = desk.task(people.requester, case, "confirm-fix")
    tasks.claim(confirm.id, people.requester)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(confirm.id, {"confirmation": "maybe", "requester_comment": "x" * 2001}, people.requester)
    assert set(refused.value.fields) == {"confirmation", "requester_comment"}

    case = desk.work(people.requester, case, "confirm-fix", NOT_FIXED_ANSWER)

    # A desk fix that did not hold goes to the resolvers, with a fresh 4-hour target.
    assert inboxes(desk, people, case) == {"rita": ["resolve-incident"]}
    assert (case.data["times_reopened"], case.data["sla_due"], case.data["confirmation"]) == (
        1, "2026-01-05T19:00:00+00:00", None)
    # Nobody owns it yet (the service desk fixed it): the whole group is asked.
    resolve = desk.task(people.resolver, case, "resolve-incident")
    assert (resolve.due_at, resolve.assignee, resolve.candidate_groups) == (
        clock.now() + timedelta(hours=4), None, ["resolver"])
    assert desk.data_of(people.resolver, case, "resolve-incident")["requester_comment"] == \
        NOT_FIXED_ANSWER["requester_comment"]
    case = desk.work(people.resolver, case, "resolve-incident", FIXED_BY_RESOLVER)
    case = close_it(desk, people, case)

    assert case.status == "completed"
    assert desk.path(case) == (REPORTED + TRIAGED + RESTORED + NO_PROBLEM + NOT_FIXED + RESOLVED_BY_RESOLVERS
                               + RESTORED + NO_PROBLEM + CONFIRMED)
    assert desk.who_did_what(case) == [
        ("triage-incident", "dave", ["service-desk"]), ("confirm-fix", "alice", []),
        ("resolve-incident", "rita", ["resolver"]), ("confirm-fix", "alice", [])]
    assert desk.outbox("alice") == [RECEIVED.format(1, "P2"), RESOLVED.format(1), RESOLVED.format(1),
                                    CLOSED_CONFIRMED.format(1)]
    entry = history(desk)["INC-000001"]
    assert {k: entry[k] for k in ("resolved_by", "times_reopened", "closure", "resolved_at")} == {
        "resolved_by": "resolver", "times_reopened": 1, "closure": "confirmed",
        "resolved_at": "2026-01-05T15:00:00+00:00"}


def test_reopened_again_and_again_until_it_holds(desk, people, clock):
    case = report(desk, people, "P3")
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    rounds = 6
    for n in range(1, rounds + 1):
        case = desk.work(people.resolver, case, "resolve-incident",
                         {"resolve_outcome": "resolved", "resolver_notes": f"Attempt {n}: restarted the sync."})
        clock.advance(hours=1)
        case = desk.work(people.requester, case, "confirm-fix", NOT_FIXED_ANSWER)
        # Straight back to the resolver who resolved it: already theirs, not the group's to claim.
        assert inboxes(desk, people, case) == {"rita": ["resolve-incident"]}
        assert desk.task(people.resolver, case, "resolve-incident").assignee == "rita"
        assert case.data["times_reopened"] == n
    case = desk.work(people.resolver, case, "resolve-incident", FIXED_BY_RESOLVER)
    case = close_it(desk, people, case)

    assert case.status == "completed"
    resolution_round = RESOLVED_BY_RESOLVERS + RESTORED + NO_PROBLEM
    assert desk.path(case) == (REPORTED + TRIAGED + (resolution_round + NOT_FIXED) * rounds + resolution_round
                               + CONFIRMED)
    assert [step for step, *_ in desk.who_did_what(case)] == (
        ["triage-incident"] + ["resolve-incident", "confirm-fix"] * (rounds + 1))
    # One entry in the history, for the last resolution.
    assert list(history(desk)) == ["INC-000001"]
    assert history(desk)["INC-000001"]["times_reopened"] == rounds
    assert problem_message_jobs() == []
    assert desk.outbox("alice") == ([RECEIVED.format(1, "P3")] + [RESOLVED.format(1)] * (rounds + 1)
                                    + [CLOSED_CONFIRMED.format(1)])


def test_a_reporter_outside_the_requester_group_confirms_their_own_incident(desk, people):
    """Anyone may report an incident; the confirmation and the news go to whoever reported it."""
    fiona = people.outsider                             # finance, not in the requester group
    case = desk.start(fiona, {"service": "Finance and ERP", "impact": "medium", "urgency": "low",
                              "summary": "Invoices do not post", "description": "Error E42 on posting."})
    assert case.data["requester"] == "fiona"
    assert desk.data_of(people.agent, case, "triage-incident")["requester"] == "fiona"
    case = desk.work(people.agent, case, "triage-incident", KNOWN_FIX)

    assert inboxes(desk, people, case) == {"fiona": ["confirm-fix"]}
    with pytest.raises(Forbidden):                      # alice is a requester, but not this one's
        tasks.claim(desk.task(fiona, case, "confirm-fix").id, people.requester)
    case = desk.work(fiona, case, "confirm-fix", FIXED)

    assert case.status == "completed"
    assert desk.who_did_what(case) == [("triage-incident", "dave", ["service-desk"]),
                                       ("confirm-fix", "fiona", [])]
    assert told(desk, people) == {"fiona": [RECEIVED.format(1, "P4"), RESOLVED.format(1),
                                            CLOSED_CONFIRMED.format(1)]}


def test_a_reopened_incident_goes_back_to_its_resolver_who_may_hand_it_over(desk, people, make_user):
    rob = make_user("rob", "resolver")
    case = report(desk, people, "P3")
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    # Assigned by the service desk: the whole group may take it.
    assert desk.inbox(people.resolver, case) == desk.inbox(rob, case) == ["resolve-incident"]
    assert desk.task(rob, case, "resolve-incident").assignee is None
    case = desk.work(people.resolver, case, "resolve-incident", FIXED_BY_RESOLVER)
    assert case.data["assigned_resolver"] == "rita"
    case = desk.work(people.requester, case, "confirm-fix", NOT_FIXED_ANSWER)

    # Reopened: it is rita's at once; rob sees nothing and may not take it.
    resolve = desk.task(people.resolver, case, "resolve-incident")
    assert (resolve.assignee, resolve.candidate_groups) == ("rita", ["resolver"])
    assert desk.inbox(rob, case) == []
    with pytest.raises(Conflict):
        tasks.claim(resolve.id, rob)
    with pytest.raises(Forbidden):
        tasks.complete(resolve.id, FIXED_BY_RESOLVER, rob)
    text = fill_template(load_bundle(bundle_of(PROCESS)).processes[0].tasks["resolve-incident"].instructions,
                         desk.data_of(people.resolver, case, "resolve-incident"))
    assert "It comes back to you because you resolved it last" in text

    # Rita hands it over: released, it is the group's again, and rob takes it.
    tasks.unclaim(resolve.id, people.resolver)
    assert desk.inbox(rob, case) == ["resolve-incident"]
    case = desk.work(rob, case, "resolve-incident", FIXED_BY_RESOLVER)
    assert case.data["assigned_resolver"] == "rob"

    # Reopened once more: now rob's.
    case = desk.work(people.requester, case, "confirm-fix", NOT_FIXED_ANSWER)
    assert desk.task(rob, case, "resolve-incident").assignee == "rob"
    assert desk.inbox(people.resolver, case) == []
    case = desk.work(rob, case, "resolve-incident", FIXED_BY_RESOLVER)
    case = close_it(desk, people, case)

    assert case.status == "completed"
    assert [(step, who) for step, who, _ in desk.who_did_what(case)] == [
        ("triage-incident", "dave"), ("resolve-incident", "rita"), ("confirm-fix", "alice"),
        ("resolve-incident", "rob"), ("confirm-fix", "alice"), ("resolve-incident", "rob"), ("confirm-fix", "alice")]
    assert [e.data["assignee"] for e in desk.events(case, "task_opened") if e.element == "resolve-incident"] == [
        None, "rita", "rob"]
    assert desk.outbox("alice") == [RECEIVED.format(1, "P3")] + [RESOLVED.format(1)] * 3 + [
        CLOSED_CONFIRMED.format(1)]


# ---- ticket tennis ---------------------------------------------------------------------------

def test_returned_to_the_desk_once_and_twice_goes_back_to_triage(desk, people):
    case = report(desk, people, "P3")
    for n in (1, 2):
        case = desk.work(people.agent, case, "triage-incident", ASSIGN)
        # The whole group is asked, also after rita's return: returning gave it up.
        assert desk.task(people.resolver, case, "resolve-incident").assignee is None
        case = desk.work(people.resolver, case, "resolve-incident", RETURN)
        assert inboxes(desk, people, case) == {"dave": ["triage-incident"]}
        assert (case.data["times_returned"], case.data["assigned_resolver"]) == (n, None)
        shown = desk.data_of(people.agent, case, "triage-incident")
        assert (shown["resolver_notes"], shown["times_returned"]) == (RETURN["resolver_notes"], n)
        assert desk.task(people.agent, case, "triage-incident").priority == 50
    assert desk.outbox("mona") == []
    case = desk.work(people.agent, case, "triage-incident", KNOWN_FIX)
    case = close_it(desk, people, case)
    assert desk.path(case) == (REPORTED + (TRIAGED + RESOLVED_BY_RESOLVERS + RETURNED) * 2 + TRIAGED + RESTORED
                               + NO_PROBLEM + CONFIRMED)
    assert history(desk)["INC-000001"]["times_returned"] == 2


def test_returned_more_than_twice_escalates_to_the_resolver_lead(desk, people):
    case = report(desk, people, "P4")
    for _ in range(2):
        case = desk.work(people.agent, case, "triage-incident", ASSIGN)
        case = desk.work(people.resolver, case, "resolve-incident", RETURN)
    assert desk.outbox("mona") == []

    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    case = desk.work(people.resolver, case, "resolve-incident", RETURN)

    assert desk.outbox("mona") == ["Ticket tennis: INC-000001 (P4) returned to the service desk 3 times"]
    assert desk.outbox("dave") == [] and desk.outbox("rita") == []
    # Back with the service desk, now at the top of its inbox.
    assert inboxes(desk, people, case) == {"dave": ["triage-incident"]}
    assert desk.task(people.agent, case, "triage-incident").priority == 100

    # A fourth return escalates again; the resolvers also see it at the top.
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    assert desk.task(people.resolver, case, "resolve-incident").priority == 100
    case = desk.work(people.resolver, case, "resolve-incident", RETURN)
    assert desk.outbox("mona")[-1] == "Ticket tennis: INC-000001 (P4) returned to the service desk 4 times"

    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    case = desk.work(people.resolver, case, "resolve-incident", FIXED_BY_RESOLVER)
    case = close_it(desk, people, case)
    assert case.status == "completed"
    assert desk.path(case) == (REPORTED + (TRIAGED + RESOLVED_BY_RESOLVERS + RETURNED) * 2
                               + (TRIAGED + RESOLVED_BY_RESOLVERS + TICKET_TENNIS) * 2
                               + TRIAGED + RESOLVED_BY_RESOLVERS + RESTORED + NO_PROBLEM + CONFIRMED)
    assert history(desk)["INC-000001"]["times_returned"] == 4


# ---- problem management ----------------------------------------------------------------------

PROBLEM_INBOX = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="problem-inbox-definitions"
                  targetNamespace="https://baton.example.org/tests">
  <bpmn:message id="problem-reported" name="problem_reported" />
  <bpmn:process id="problem-inbox" name="Problem inbox (test stand-in for problem)" isExecutable="true">
    <bpmn:documentation>Receives problem_reported as problem management would.</bpmn:documentation>
    <bpmn:startEvent id="reported" name="Problem reported">
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:messageEventDefinition id="reported-message" messageRef="problem-reported" />
    </bpmn:startEvent>
    <bpmn:endEvent id="logged" name="Logged"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="reported" targetRef="logged" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def problem_inbox(make_user):
    """A stand-in for the ``problem`` process: it starts on ``problem_reported``."""
    owner = make_user("stand-in-owner", role="owner")
    deployments.deploy({"problem-inbox.bpmn": PROBLEM_INBOX}, owner, source="test")

    def started() -> list[dict]:
        db.session.remove()
        return [i.data for i in db.session.scalars(
            sa.select(Instance).where(Instance.definition_key == "problem-inbox").order_by(Instance.id))]
    return started


def test_a_recurring_cause_reports_a_problem(desk, people, problem_inbox):
    case = report(desk, people, "P3")
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    case = desk.work(people.resolver, case, "resolve-incident", {**FIXED_BY_RESOLVER, "recurring": True})

    assert problem_inbox() == [{
        "service": "E-mail and calendar", "incident_ref": "INC-000001", "summary": "Outlook cannot connect",
        "reason": "the resolver marked the cause as recurring"}]
    assert problem_message_jobs() == []         # delivered, so gone
    case = close_it(desk, people, case)
    assert desk.path(case) == REPORTED + TRIAGED + RESOLVED_BY_RESOLVERS + RESTORED + PROBLEM + CONFIRMED
    assert history(desk)["INC-000001"]["recurring"] is True
    assert case.data["problem_reported"] is True


def test_an_undelivered_problem_report_is_retried_then_noted(desk, people, clock):
    """Without a process that receives problem_reported (problem not deployed),
    the message waits in a job, is retried, and is finally noted as undelivered."""
    case = report(desk, people, "P3")
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    case = desk.work(people.resolver, case, "resolve-incident", {**FIXED_BY_RESOLVER, "recurring": True})

    [job] = problem_message_jobs()
    assert (job.instance_id, job.element, job.params["name"]) == (case.id, "problem_reported", "problem_reported")
    assert job.params["data"] == {"service": "E-mail and calendar", "incident_ref": "INC-000001",
                                  "summary": "Outlook cannot connect",
                                  "reason": "the resolver marked the cause as recurring"}
    assert job.attempts == 1                    # tried once at once: nothing receives it yet
    # The incident does not wait for problem management.
    assert inboxes(desk, people, case) == {"alice": ["confirm-fix"]}

    max_attempts = job.max_attempts             # the job row goes once it gives up
    for _ in range(max_attempts):
        desk.advance(minutes=5)
    assert problem_message_jobs() == []
    [note] = desk.events(case, "message_undelivered")
    assert (note.element, note.data["name"], note.data["attempts"]) == (
        "problem_reported", "problem_reported", max_attempts)
    case = close_it(desk, people, case)
    assert case.status == "completed"


@pytest.mark.also_on_postgres
def test_a_third_incident_on_a_service_within_30_days_reports_a_problem(desk, people, clock, problem_inbox):
    def incident_resolved_at_the_desk(service):
        case = report(desk, people, "P4", service=service)
        return desk.work(people.agent, case, "triage-incident", KNOWN_FIX)

    # One 31 days ago does not count; one on another service does not either.
    incident_resolved_at_the_desk("E-mail and calendar")
    clock.advance(days=31)
    incident_resolved_at_the_desk("E-mail and calendar")
    incident_resolved_at_the_desk("Printing and scanning")
    second = incident_resolved_at_the_desk("E-mail and calendar")
    assert (second.data["recent_incidents"], second.data["report_problem"]) == (2, False)
    assert problem_inbox() == []

    clock.advance(days=29)
    third = incident_resolved_at_the_desk("E-mail and calendar")

    assert third.data["recent_incidents"] == 3
    assert problem_inbox() == [{
        "service": "E-mail and calendar", "incident_ref": "INC-000005", "summary": "Outlook cannot connect",
        "reason": "3 incidents on E-mail and calendar in the last 30 days"}]
    assert desk.path(third, only={"report-problem"}) == ["report-problem"]
    assert sorted(history(desk)) == [f"INC-00000{n}" for n in range(1, 6)]


def test_a_problem_is_reported_once_per_incident(desk, people, problem_inbox):
    case = report(desk, people, "P3")
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    case = desk.work(people.resolver, case, "resolve-incident", {**FIXED_BY_RESOLVER, "recurring": True})
    case = desk.work(people.requester, case, "confirm-fix", NOT_FIXED_ANSWER)
    case = desk.work(people.resolver, case, "resolve-incident", {**FIXED_BY_RESOLVER, "recurring": True})
    case = close_it(desk, people, case)
    assert len(problem_inbox()) == 1
    assert desk.path(case, only={"report-problem", "recurring-gateway"}) == [
        "recurring-gateway", "report-problem", "recurring-gateway"]


# ---- the forms ---------------------------------------------------------------------------------

BAD_REPORTS = [
    ({"service": "The coffee machine", "impact": "low", "urgency": "low", "summary": "No coffee",
      "description": "It makes no coffee at all."}, {"service"}),
    ({"service": "E-mail and calendar", "impact": "everyone", "urgency": "now", "summary": "Down",
      "description": "short"}, {"impact", "urgency", "summary", "description"}),
    ({"service": "E-mail and calendar", "summary": "x" * 121, "description": "y" * 4001, "priority": "P1"},
     {"impact", "urgency", "summary", "description", "priority"}),
    ({}, {"service", "impact", "urgency", "summary", "description"}),
]


def test_the_report_form_refuses_bad_input(desk, people):
    for data, fields in BAD_REPORTS:
        with pytest.raises(InvalidData) as refused:
            instances.start_instance(PROCESS, people.requester, data=data)
        assert set(refused.value.fields) == fields
    assert instances.list_instances(people.requester) == []


BAD_ANSWERS = [
    ("triage-incident", {"triage_decision": "ignore", "triage_notes": "short"}, {"triage_decision", "triage_notes"}),
    ("triage-incident", {"triage_notes": "Forgot to decide anything."}, {"triage_decision"}),
    ("post-status-update", {"status_phase": "panicking", "status_update": "Hi"}, {"status_phase", "status_update"}),
    ("post-status-update", {"status_update": "x" * 4001}, {"status_phase", "status_update"}),
    ("resolve-incident", {"resolve_outcome": "resolved"}, {"resolver_notes"}),
    ("resolve-incident", {"resolve_outcome": "closed", "resolver_notes": "Done and dusted.", "recurring": "yes"},
     {"resolve_outcome", "recurring"}),
]


def test_the_work_forms_refuse_bad_input(desk, people):
    case = report(desk, people, "P1")
    for step, data, fields in BAD_ANSWERS:
        if step == "resolve-incident" and desk.inbox(people.resolver, case) == []:
            case = desk.work(people.agent, case, "triage-incident", ASSIGN)
        user = people.resolver if step == "resolve-incident" else people.agent
        task = desk.task(user, case, step)
        if task.assignee is None:
            tasks.claim(task.id, user)
        with pytest.raises(InvalidData) as refused:
            tasks.complete(task.id, data, user)
        assert set(refused.value.fields) == fields, step
        assert desk.task(user, case, step).state == "open"
    assert not desk.events(case, "task_completed")[1:]      # only the triage went through


# ---- the diagram ------------------------------------------------------------------------------

def test_every_human_step_has_a_lane_documentation_instructions_and_a_form(desk, people):
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name, model.category, model.startable) == (
        PROCESS, "Report an incident", "Incidents & problems", True)
    assert model.description.startswith("Report something in IT that has stopped working")
    assert list(model.start_form.schema["properties"]) == ["service", "impact", "urgency", "summary",
                                                            "description"]
    assert {k: t.lane for k, t in model.tasks.items()} == {
        "triage-incident": "service-desk", "post-status-update": "service-desk", "resolve-incident": "resolver",
        "confirm-fix": "requester"}
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form, task.bpmn_id
        assert "incident_ref" in shown_fields(task.form), task.bpmn_id

    # The instructions fill in from the case's data (they fall back to the raw
    # text when a name is missing): at each step, with the data it has then.
    case = report(desk, people, "P1")
    case = desk.work(people.agent, case, "post-status-update", UPDATE)
    desk.advance(minutes=30)
    for step, user in (("triage-incident", people.agent), ("post-status-update", people.agent)):
        text = fill_template(model.tasks[step].instructions, desk.data_of(user, case, step))
        assert "{{" not in text and "INC-000001" in text, step
    for _ in range(3):
        case = desk.work(people.agent, case, "triage-incident", ASSIGN)
        case = desk.work(people.resolver, case, "resolve-incident", RETURN)
    text = fill_template(model.tasks["triage-incident"].instructions,
                         desk.data_of(people.agent, case, "triage-incident"))
    assert "returned it 3 time(s)" in text and "{{" not in text
    case = desk.work(people.agent, case, "triage-incident", ASSIGN)
    case = desk.work(people.resolver, case, "resolve-incident", FIXED_BY_RESOLVER)
    text = fill_template(model.tasks["confirm-fix"].instructions, desk.data_of(people.requester, case, "confirm-fix"))
    assert FIXED_BY_RESOLVER["resolver_notes"] in text and "{{" not in text
    case = desk.work(people.requester, case, "confirm-fix", {"confirmation": "not_fixed"})
    text = fill_template(model.tasks["resolve-incident"].instructions,
                         desk.data_of(people.resolver, case, "resolve-incident"))
    assert 'reopened it 1 time(s); their last comment: "none"' in text and "{{" not in text
    assert "It comes back to you because you resolved it last" in text


def test_the_diagram_is_documented_and_laid_out_left_to_right():
    assert diagram_problems(BPMN_FILE) == []
    root = etree.parse(str(BPMN_FILE)).getroot()
    process = root.find("bpmn:process", NS)
    assert [lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)] == [
        "requester", "resolver", "service-desk"]
    # The inside of "Keep stakeholders informed" is documented and drawn too.
    sub = process.find("bpmn:subProcess", NS)
    drawn = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    for node in sub:
        if etree.QName(node).localname not in ("documentation", "incoming", "outgoing", "sequenceFlow"):
            assert node.findtext("bpmn:documentation", namespaces=NS).strip(), node.get("id")
            assert node.get("id") in drawn, node.get("id")

