"""The shipped process ``training-request`` ("Request training").

Driven through Baton's services the way its users drive it: an employee asks
for a course; Baton finds their manager in the people register, and only that
manager reviews it (the manager group when there is none), reminded every 3
days; the manager approves, rejects, or asks a question, which goes back to
the employee, who may change the request and answers, as often as needed;
the decision table "Finance check for training" says whether finance check
the budget (a threshold per currency and format); finance approve or decline;
HR book it; the morning after the course's last day the employee confirms
whether they attended, reminded every 7 days (HR told too from the fourth
reminder); every request ends with a record in "training-records" and a
notice to the employee and their manager.

One test per path, each checking the path taken (the audit trail), who was
asked to do what (the inboxes), what people were told (the outbox), the
store records and the data at the end; the question loop once, three times
and many times (the stored state stays flat); every timer fired by moving
the injected clock; then the decision table on its boundaries, the forms,
and the diagram (test_library.py runs ``baton validate`` on it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from lxml import etree

from app.engine.bundle import load_bundle
from app.models import Instance, OutboxMessage, db
from app.services import records, tasks
from app.services.catalogue import one_line
from app.services.errors import Forbidden, InvalidData

from .conftest import REPO, bundle_of, decision_table
from .diagram_checks import NS, diagram_problems
from .driver import Desk
from .form_checks import shown_fields, undescribed_fields

PROCESS = "training-request"
FOLDER = REPO / "bpmn" / PROCESS
BPMN_FILE = FOLDER / "training-request.bpmn"

# The clock starts on Monday 2026-01-05 at 09:00 UTC.
REQUEST = {"course_title": "Kubernetes Fundamentals (LFS258)", "provider": "The Linux Foundation",
           "course_format": "classroom", "start_date": "2026-02-16", "end_date": "2026-02-18",
           "cost": 1000, "currency": "EUR",
           "business_case": "Our team moves the order service to Kubernetes this year; I will run its clusters."}
ASKED_AT = datetime(2026, 2, 19, 9, 0, tzinfo=timezone.utc)      # the morning after the last day
BOOKING = {"start_date": "2026-02-16", "end_date": "2026-02-18", "booking_reference": "LF-2026-118734",
           "joining_instructions": "Room 4.12 at the Dublin office, 09:00 each day."}
ATTENDED = {"attended": True, "feedback": "Modules 3 and 4 were exactly what the cluster work needs.",
            "rating": 4, "certificate_reference": "LF-CKA-2026-004211"}
MISSED = {"attended": False, "feedback": "The order service went down on the first day; I stayed to fix it."}

# The diagram's steps on each part of a path, in the order they are taken.
OPENED = ["training-requested", "number-request", "find-manager", "open-request"]
REVIEW = ["ready-for-review", "review-request", "review-decision"]
QUESTION = ["answer-question"]
APPROVED = ["decide-finance-check", "finance-check-needed"]
FINANCE = ["check-budget", "budget-approved"]
BOOKED = ["cleared-for-booking", "schedule-training", "announce-booking", "course-ended", "confirm-completion",
          "tell-hr-attendance"]
RECORDED = ["outcome-known", "sum-up-outcome", "record-training", "announce-outcome", "request-closed"]
# A reminder's own path; its repeating timer stays on the step until the step is done
# (then it is cancelled), so the timer itself is never "completed".
MANAGER_REMINDER = ["remind-manager", "manager-reminded"]
EMPLOYEE_REMINDER = ["remind-employee", "employee-reminded"]

BOOKED_NOTICE = "TRN-000001 booked: Kubernetes Fundamentals (LFS258), 2026-02-16 to 2026-02-18"
REMINDER = "Reminder: did you attend Kubernetes Fundamentals (LFS258)? (TRN-000001)"


@dataclass
class People:
    alice: object      # requester; in the people register, managed by mona
    mona: object       # manager: alice's manager
    mike: object       # manager, but not alice's
    fiona: object      # finance
    hana: object       # hr
    ben: object        # requester with no record in the people register
    otto: object       # it-ops: nothing to do with training

    def everyone(self):
        return [self.alice, self.mona, self.mike, self.fiona, self.hana, self.ben, self.otto]


@pytest.fixture
def people(make_user) -> People:
    found = People(alice=make_user("alice", "requester"), mona=make_user("mona", "manager"),
                   mike=make_user("mike", "manager"), fiona=make_user("fiona", "finance"),
                   hana=make_user("hana", "hr"), ben=make_user("ben", "requester"),
                   otto=make_user("otto", "it-ops"))
    records.put("people", "alice", {"username": "alice", "name": "Alice Martin", "email": "alice@example.org",
                                    "department": "Sales", "title": "Account manager", "manager": "mona",
                                    "status": "active", "start_date": "2024-03-01", "last_day": None})
    return found


@pytest.fixture
def desk(deployed_desk) -> Desk:
    return deployed_desk(PROCESS, "Request training")


# ---- helpers -----------------------------------------------------------------

def request(desk, people, who=None, **changes):
    return desk.start(who or people.alice, {**REQUEST, **changes})


def review(desk, people, case, decision: str, note: str, manager=None):
    return desk.work(manager or people.mona, case, "review-request",
                {"review_decision": decision, "review_note": note})


def inboxes(desk, people, case) -> dict[str, list[str]]:
    """Who may work on what in this case now (only people with something to do)."""
    found = {user.username: desk.inbox(user, case) for user in people.everyone()}
    return {name: steps for name, steps in found.items() if steps}


def told(desk, people) -> dict[str, list[str]]:
    """The subjects each person was sent (only people who were sent something)."""
    found = {user.username: desk.outbox(user.username) for user in people.everyone()}
    return {name: subjects for name, subjects in found.items() if subjects}


def body(username: str, subject: str) -> str:
    (message,) = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == username, OutboxMessage.subject == subject))
    return message.body


def record(desk, ref: str = "TRN-000001") -> dict:
    return desk.records("training-records")[ref]


def book(desk, people, case, **changes):
    """HR book the course; the request then waits for the morning after its last day."""
    case = desk.work(people.hana, case, "schedule-training", {**BOOKING, **changes})
    assert case.status == "running"
    assert inboxes(desk, people, case) == {}
    return case


def wait_for_the_course_to_end(desk, people, case, asked_at=ASKED_AT):
    """Nothing happens until 09:00 UTC on the day after the last day; then the
    confirmation opens for the employee alone."""
    desk.advance(asked_at - desk.clock.now() - timedelta(seconds=1))
    assert inboxes(desk, people, case) == {}
    assert desk.path(case)[-1] == "announce-booking"
    desk.advance(seconds=1)
    assert inboxes(desk, people, case) == {"alice": ["confirm-completion"]}
    return desk.reload(case)


# ---- approved straight away, at the threshold ------------------------------------

@pytest.mark.also_on_postgres
def test_approved_at_the_threshold_booked_attended_and_recorded(desk, people, clock):
    case = request(desk, people)
    assert case.status == "running"
    assert (case.data["training_ref"], case.data["requester"], case.data["requester_name"],
            case.data["manager"], case.data["info_rounds"]) == ("TRN-000001", "alice", "Alice Martin", "mona", 0)
    assert case.business_key == "TRN-000001"
    assert desk.records("sequences") == {"training-request": {"last": 1}}

    # Only alice's manager reviews it, not the whole manager group; due in 3 days.
    assert inboxes(desk, people, case) == {"mona": ["review-request"]}
    review_task = desk.task(people.mona, case, "review-request")
    assert (review_task.name, review_task.lane, review_task.candidate_users, review_task.candidate_groups) == (
        "Review the training request", "manager", ["mona"], [])
    assert review_task.due_at == clock.now() + timedelta(days=3)
    for outsider in (people.mike, people.alice, people.fiona, people.otto):
        with pytest.raises(Forbidden):
            tasks.claim(review_task.id, outsider)
    said = desk.instructions(people.mona, case, "review-request")
    assert said.startswith("**Alice Martin** asks to attend *Kubernetes Fundamentals (LFS258)* by The Linux "
                           "Foundation (classroom), from **2026-02-16** to **2026-02-18**, costing **1000 EUR**")
    assert "more information" not in said.split("Decide")[0] and "ends before it starts" not in said

    # Exactly at the threshold (1,000 EUR for a course): the manager's approval is enough.
    case = review(desk, people, case, "approve", "Enjoy it, and tell the team what you learnt.")
    assert (case.data["needs_finance_check"], case.data["finance_threshold"]) == (False, 1000)
    assert case.data["reviewed_by"] == "mona"
    assert inboxes(desk, people, case) == {"hana": ["schedule-training"]}
    booking = desk.task(people.hana, case, "schedule-training")
    assert (booking.lane, booking.candidate_groups, booking.due_at) == ("hr", ["hr"], clock.now() + timedelta(days=5))
    assert "on budget" not in desk.instructions(people.hana, case, "schedule-training")

    case = book(desk, people, case)
    assert (case.data["booking_reference"], case.data["scheduled_by"], case.data["completion_check_at"]) == (
        "LF-2026-118734", "hana", "2026-02-19T09:00:00+00:00")
    # The employee and their manager hear of the booking, with HR's instructions.
    assert told(desk, people) == {"alice": [BOOKED_NOTICE], "mona": [BOOKED_NOTICE]}
    assert body("alice", BOOKED_NOTICE) == (
        "Kubernetes Fundamentals (LFS258) by The Linux Foundation (classroom) is booked for Alice Martin, "
        "from 2026-02-16 to 2026-02-18. Booking reference: LF-2026-118734.\n\n"
        "From HR: Room 4.12 at the Dublin office, 09:00 each day.\n\n"
        "On 2026-02-19 Alice Martin will be asked whether they attended, with their feedback and any certificate.")

    case = wait_for_the_course_to_end(desk, people, case)
    confirmation = desk.task(people.alice, case, "confirm-completion")
    assert (confirmation.candidate_users, confirmation.candidate_groups, confirmation.lane, confirmation.due_at) == (
        ["alice"], [], "requester", ASKED_AT + timedelta(days=7))
    for outsider in (people.ben, people.mona, people.hana):
        with pytest.raises(Forbidden):
            tasks.claim(confirmation.id, outsider)
        with pytest.raises(Forbidden):
            tasks.complete(confirmation.id, ATTENDED, outsider)
    case = desk.work(people.alice, case, "confirm-completion", ATTENDED)

    assert case.status == "completed"
    assert desk.path(case) == OPENED + REVIEW + APPROVED + BOOKED + RECORDED
    assert desk.who_did_what(case) == [("review-request", "mona", []), ("schedule-training", "hana", ["hr"]),
                                       ("confirm-completion", "alice", [])]
    assert case.data["outcome"] == "completed"
    assert record(desk) == {
        "training_ref": "TRN-000001", "requester": "alice", "requester_name": "Alice Martin", "manager": "mona",
        "reviewed_by": "mona", "info_rounds": 0, "course_title": "Kubernetes Fundamentals (LFS258)",
        "provider": "The Linux Foundation", "format": "classroom", "start_date": "2026-02-16",
        "end_date": "2026-02-18", "cost": 1000, "currency": "EUR", "needs_finance_check": False,
        "budget_code": None, "booking_reference": "LF-2026-118734", "outcome": "completed", "attended": True,
        "feedback": ATTENDED["feedback"], "rating": 4, "certificate_reference": "LF-CKA-2026-004211",
        "summary": case.data["summary"], "closed_at": clock.now().isoformat()}
    # HR hear how it went; alice and mona the outcome; nobody else anything.
    done = "TRN-000001 completed: Kubernetes Fundamentals (LFS258)"
    attended = "TRN-000001: Alice Martin attended Kubernetes Fundamentals (LFS258)"
    assert told(desk, people) == {"alice": [BOOKED_NOTICE, done], "mona": [BOOKED_NOTICE, done],
                                  "hana": [attended]}
    assert body("hana", attended) == (
        "Alice Martin attended Kubernetes Fundamentals (LFS258) by The Linux Foundation, 2026-02-16 to "
        "2026-02-18 (booking LF-2026-118734).\n\nFeedback: " + ATTENDED["feedback"]
        + "\nRating: 4 out of 5\nCertificate: LF-CKA-2026-004211")
    assert body("alice", done) == (
        "Alice Martin attended Kubernetes Fundamentals (LFS258) by The Linux Foundation (classroom), 2026-02-16 to "
        "2026-02-18, 1000 EUR (booking LF-2026-118734). Feedback: " + ATTENDED["feedback"]
        + " Certificate: LF-CKA-2026-004211.\n\nThe training record TRN-000001 is kept by HR.")


# ---- rejected ------------------------------------------------------------------

def test_rejected_by_the_manager_with_a_reason_the_employee_reads(desk, people, clock):
    case = request(desk, people, cost=450)
    case = review(desk, people, case, "reject", "The team cannot spare you in February; ask again for April.")

    assert case.status == "completed"
    assert desk.path(case) == OPENED + REVIEW + RECORDED
    assert desk.who_did_what(case) == [("review-request", "mona", [])]
    rejected = "TRN-000001 rejected: Kubernetes Fundamentals (LFS258)"
    assert told(desk, people) == {"alice": [rejected], "mona": [rejected]}
    assert body("alice", rejected) == (
        "mona rejected Alice Martin's request TRN-000001 for Kubernetes Fundamentals (LFS258) by The Linux "
        "Foundation (classroom), 2026-02-16 to 2026-02-18, 450 EUR: The team cannot spare you in February; "
        "ask again for April.\n\nThe training record TRN-000001 is kept by HR.")
    found = record(desk)
    assert {k: found[k] for k in ("outcome", "reviewed_by", "needs_finance_check", "booking_reference",
                                  "attended", "cost", "closed_at")} == {
        "outcome": "rejected", "reviewed_by": "mona", "needs_finance_check": None, "booking_reference": None,
        "attended": None, "cost": 450, "closed_at": clock.now().isoformat()}
    # Nothing is left waiting: no timer, no reminder.
    desk.advance(days=30)
    assert told(desk, people) == {"alice": [rejected], "mona": [rejected]}


# ---- more information: the loop back to the employee ----------------------------

def test_more_information_once_then_approved_with_the_changed_request(desk, people):
    case = request(desk, people, cost=1800)
    case = review(desk, people, case, "more_info", "Why the classroom course? The online one costs 900.")
    assert inboxes(desk, people, case) == {"alice": ["answer-question"]}
    answer = desk.task(people.alice, case, "answer-question")
    assert (answer.assignee, answer.lane, answer.candidate_users, answer.candidate_groups) == (
        None, "requester", ["alice"], [])
    for outsider in (people.ben, people.mona, people.mike):
        with pytest.raises(Forbidden):
            tasks.claim(answer.id, outsider)
    # Claimed and released, it is still alice's alone (not the requester group's).
    tasks.claim(answer.id, people.alice)
    tasks.unclaim(answer.id, people.alice)
    with pytest.raises(Forbidden):
        tasks.claim(answer.id, people.ben)
    said = desk.instructions(people.alice, case, "answer-question")
    assert said.startswith("mona has a question about your training request **TRN-000001**")
    assert "> Why the classroom course? The online one costs 900." in said
    # The form shows the request as it stands, to change, and the question.
    shown = tasks.get_task(answer.id, people.alice).data
    assert (shown["review_note"], shown["cost"], shown["course_format"]) == (
        "Why the classroom course? The online one costs 900.", 1800, "classroom")

    case = desk.work(people.alice, case, "answer-question",
                {**REQUEST, "course_format": "online", "cost": 900,
                 "answer": "Fair point: I changed it to the online course, same content."})
    # Back to mona, with the last question and answer; her decision starts empty.
    assert inboxes(desk, people, case) == {"mona": ["review-request"]}
    assert (case.data["info_rounds"], case.data["last_question"], case.data["last_answer"]) == (
        1, "Why the classroom course? The online one costs 900.",
        "Fair point: I changed it to the online course, same content.")
    assert not {"review_decision", "review_note", "answer"} & set(case.data)
    said = desk.instructions(people.mona, case, "review-request")
    assert "costing **900 EUR**" in said and "(online)" in said
    assert ("You have asked for more information 1 time(s). Your last question: *Why the classroom course? "
            "The online one costs 900.* Their answer: *Fair point: I changed it to the online course, same "
            "content.*") in said

    case = review(desk, people, case, "approve", "Good choice.")
    assert (case.data["needs_finance_check"], case.data["course_format"], case.data["cost"]) == (False, "online", 900)
    assert inboxes(desk, people, case) == {"hana": ["schedule-training"]}
    assert desk.path(case) == OPENED + REVIEW + QUESTION + REVIEW + APPROVED + ["cleared-for-booking"]
    assert desk.who_did_what(case) == [("review-request", "mona", []), ("answer-question", "alice", []),
                                       ("review-request", "mona", [])]
    # The exchange is in the audit trail as it was typed.
    completed = [(e.element, e.data["data"]) for e in desk.events(case, "task_completed")]
    assert completed[0] == ("review-request", {"review_decision": "more_info", "reviewed_by": "mona",
                                               "review_note": "Why the classroom course? The online one costs 900."})
    assert completed[1][1]["answer"] == "Fair point: I changed it to the online course, same content."
    assert told(desk, people) == {}


def test_more_information_three_times_then_rejected(desk, people):
    case = request(desk, people)
    for round_ in range(1, 4):
        case = review(desk, people, case, "more_info", f"Question {round_}: which modules do you need?")
        assert inboxes(desk, people, case) == {"alice": ["answer-question"]}
        assert f"> Question {round_}: which modules" in desk.instructions(people.alice, case, "answer-question")
        case = desk.work(people.alice, case, "answer-question",
                    {**REQUEST, "answer": f"Answer {round_}: modules 3 and 4.", "cost": 1000 - round_ * 100})
        assert case.data["info_rounds"] == round_
        assert inboxes(desk, people, case) == {"mona": ["review-request"]}
        assert f"asked for more information {round_} time(s)" in desk.instructions(
            people.mona, case, "review-request")
    case = review(desk, people, case, "reject", "Three rounds and still no clear need: not this year.")

    assert case.status == "completed"
    assert desk.path(case) == OPENED + (REVIEW + QUESTION) * 3 + REVIEW + RECORDED
    assert [who for _, who, _ in desk.who_did_what(case)] == ["mona", "alice"] * 3 + ["mona"]
    found = record(desk)
    assert (found["outcome"], found["info_rounds"], found["cost"]) == ("rejected", 3, 700)
    rejected = "TRN-000001 rejected: Kubernetes Fundamentals (LFS258)"
    assert told(desk, people) == {"alice": [rejected], "mona": [rejected]}


def test_many_questions_keep_the_stored_state_flat(desk, people):
    """The question loop run 40 times through the services (no hooks in it): the
    stored state does not grow with the rounds; the history is in the audit trail."""
    case = request(desk, people)
    sizes = {}

    def do(user, step: str, data: dict):
        (task,) = [t for t in desk.reload(case).open_tasks if t.bpmn_id == step]
        if task.assignee != user.username:
            tasks.claim(task.id, user)
        tasks.complete(task.id, data, user)
        return desk.reload(case)

    for round_ in range(1, 41):
        do(people.mona, "review-request", {"review_decision": "more_info", "review_note": f"Question {round_}?"})
        case = do(people.alice, "answer-question", {**REQUEST, "answer": f"Answer {round_}."})
        if round_ in (5, 40):
            sizes[round_] = len(db.session.get(Instance, case.id).state)
    assert case.data["info_rounds"] == 40
    assert sizes[40] <= 1.1 * sizes[5], sizes
    case = review(desk, people, case, "approve", "Fine.")
    assert desk.path(case) == OPENED + (REVIEW + QUESTION) * 40 + REVIEW + APPROVED + ["cleared-for-booking"]
    answers = [e.data["data"]["answer"] for e in desk.events(case, "task_completed") if e.element == "answer-question"]
    assert answers == [f"Answer {r}." for r in range(1, 41)]


def test_weekly_reminders_keep_the_stored_state_flat(desk, people):
    """An employee who never confirms is reminded every week for months: the
    stored state must not grow with the reminders (as it does not with the questions)."""
    case = request(desk, people)
    case = review(desk, people, case, "approve", "Go ahead.")
    case = book(desk, people, case)
    case = wait_for_the_course_to_end(desk, people, case)
    sizes = {}
    for week in range(1, 21):
        desk.advance(days=7)
        if week in (5, 20):
            db.session.remove()
            sizes[week] = len(db.session.get(Instance, case.id).state)
    assert desk.outbox("alice")[1:] == [REMINDER] * 20
    assert sizes[20] <= sizes[5] + 16, sizes   # a later date in the text, not a task more


# ---- finance -------------------------------------------------------------------

def test_a_conference_above_its_threshold_is_checked_and_approved_by_finance(desk, people, clock):
    # 650 EUR is below a course's threshold but above a conference's (500 EUR).
    case = request(desk, people, course_format="conference", cost=650, course_title="KubeCon Europe 2026",
                   provider="CNCF")
    case = review(desk, people, case, "approve", "Yes, and bring back the slides.")
    assert (case.data["needs_finance_check"], case.data["finance_threshold"]) == (True, 500)
    assert inboxes(desk, people, case) == {"fiona": ["check-budget"]}
    check = desk.task(people.fiona, case, "check-budget")
    assert (check.lane, check.candidate_groups, check.due_at) == (
        "finance", ["finance"], clock.now() + timedelta(days=3))
    for outsider in (people.mona, people.hana, people.alice):
        with pytest.raises(Forbidden):
            tasks.claim(check.id, outsider)
    said = desk.instructions(people.fiona, case, "check-budget")
    assert said.startswith(
        "mona approved **Alice Martin**'s request TRN-000001 to attend *KubeCon Europe 2026* by CNCF")
    assert "It costs **650 EUR**, above the finance threshold of 500 EUR for this format" in said

    case = desk.work(people.fiona, case, "check-budget",
                {"budget_approved": True, "budget_code": "TRN-2026-SALES", "finance_note": "From Q1's budget."})
    assert case.data["budget_checked_by"] == "fiona"
    assert inboxes(desk, people, case) == {"hana": ["schedule-training"]}
    assert "on budget **TRN-2026-SALES**" in desk.instructions(people.hana, case, "schedule-training")
    case = book(desk, people, case)
    case = wait_for_the_course_to_end(desk, people, case)
    case = desk.work(people.alice, case, "confirm-completion", ATTENDED)

    assert case.status == "completed"
    assert desk.path(case) == OPENED + REVIEW + APPROVED + FINANCE + BOOKED + RECORDED
    assert desk.who_did_what(case) == [("review-request", "mona", []), ("check-budget", "fiona", ["finance"]),
                                       ("schedule-training", "hana", ["hr"]), ("confirm-completion", "alice", [])]
    found = record(desk)
    assert {k: found[k] for k in ("outcome", "format", "cost", "needs_finance_check", "budget_code")} == {
        "outcome": "completed", "format": "conference", "cost": 650, "needs_finance_check": True,
        "budget_code": "TRN-2026-SALES"}
    # Finance are not told anything more: their decision was the last they heard of it.
    assert "fiona" not in told(desk, people)


def test_finance_decline_the_budget_and_the_request_ends(desk, people):
    case = request(desk, people, cost=1000.01)         # a cent above the threshold
    case = review(desk, people, case, "approve", "If finance agree.")
    assert (case.data["needs_finance_check"], case.data["finance_threshold"]) == (True, 1000)
    assert inboxes(desk, people, case) == {"fiona": ["check-budget"]}
    case = desk.work(people.fiona, case, "check-budget",
                {"budget_approved": False, "budget_code": "TRN-2026-SALES",
                 "finance_note": "Sales' training budget for Q1 is spent; ask again in April."})

    assert case.status == "completed"
    assert desk.path(case) == OPENED + REVIEW + APPROVED + FINANCE + RECORDED
    declined = "TRN-000001 budget declined: Kubernetes Fundamentals (LFS258)"
    assert told(desk, people) == {"alice": [declined], "mona": [declined]}
    assert body("alice", declined).startswith(
        "mona approved Alice Martin's request TRN-000001 for Kubernetes Fundamentals (LFS258) by The Linux "
        "Foundation (classroom), 2026-02-16 to 2026-02-18, 1000.01 EUR, but finance (fiona) declined the budget "
        "TRN-2026-SALES: Sales' training budget for Q1 is spent; ask again in April.")
    found = record(desk)
    assert (found["outcome"], found["budget_code"], found["booking_reference"]) == (
        "declined", "TRN-2026-SALES", None)
    assert inboxes(desk, people, case) == {}


# ---- the booking and the confirmation -------------------------------------------

def test_not_attended_after_weekly_reminders_and_hr_told_from_the_fourth(desk, people):
    case = request(desk, people)
    case = review(desk, people, case, "approve", "Go ahead.")
    # The provider moved the course by a week: HR book the new dates, and the
    # employee is asked the morning after the new last day.
    case = book(desk, people, case, start_date="2026-02-23", end_date="2026-02-25")
    assert case.data["completion_check_at"] == "2026-02-26T09:00:00+00:00"
    asked_at = datetime(2026, 2, 26, 9, 0, tzinfo=timezone.utc)
    desk.advance(ASKED_AT - desk.clock.now())        # the old morning after: nothing yet
    assert inboxes(desk, people, case) == {}
    case = wait_for_the_course_to_end(desk, people, case, asked_at)
    booked = "TRN-000001 booked: Kubernetes Fundamentals (LFS258), 2026-02-23 to 2026-02-25"
    assert told(desk, people) == {"alice": [booked], "mona": [booked]}

    # Every 7 days without an answer alice is reminded; the confirmation stays open.
    desk.advance(days=6, hours=23, minutes=59, seconds=59)
    assert desk.outbox("alice") == [booked]
    desk.advance(seconds=1)
    assert desk.outbox("alice") == [booked, REMINDER]
    assert "(1 week(s) since they were asked)" in body("alice", REMINDER)
    assert inboxes(desk, people, case) == {"alice": ["confirm-completion"]}
    desk.advance(days=7)
    desk.advance(days=7)
    assert desk.outbox("alice") == [booked] + [REMINDER] * 3
    assert "hana" not in told(desk, people)
    # From the fourth reminder (4 weeks) HR are told as well.
    desk.advance(days=7)
    assert desk.outbox("alice") == [booked] + [REMINDER] * 4
    assert desk.outbox("hana") == [REMINDER]
    assert body("hana", REMINDER).endswith("HR are told of this reminder too, as 4 weeks have passed.")
    assert "(4 week(s) since they were asked)" in body("hana", REMINDER)
    desk.advance(days=7)
    assert desk.outbox("hana") == [REMINDER] * 2
    assert inboxes(desk, people, case) == {"alice": ["confirm-completion"]}

    case = desk.work(people.alice, case, "confirm-completion", MISSED)
    assert case.status == "completed"
    assert desk.path(case) == (OPENED + REVIEW + APPROVED + BOOKED[:-2] + EMPLOYEE_REMINDER * 5
                               + BOOKED[-2:] + RECORDED)
    assert [e.element for e in desk.events(case, "step_cancelled")] == ["review-reminder", "completion-reminder"]
    missed = "TRN-000001: Alice Martin did not attend Kubernetes Fundamentals (LFS258)"
    not_attended = "TRN-000001 not attended: Kubernetes Fundamentals (LFS258)"
    assert desk.outbox("hana") == [REMINDER] * 2 + [missed]
    assert body("hana", missed).endswith("Feedback: " + MISSED["feedback"])
    assert desk.outbox("alice")[-1] == not_attended and desk.outbox("mona") == [booked, not_attended]
    found = record(desk)
    assert (found["outcome"], found["attended"], found["start_date"], found["end_date"], found["rating"]) == (
        "not_attended", False, "2026-02-23", "2026-02-25", None)
    # The reminders stop with the answer.
    desk.advance(days=30)
    assert desk.outbox("alice")[-1] == not_attended and len(desk.outbox("alice")) == 7



def test_dates_the_wrong_way_round_are_pointed_out_and_the_later_one_counts(desk, people):
    """The forms cannot compare two fields (a platform gap): a last day before the
    first is pointed out to the manager and to HR, and the employee is asked
    the morning after the later of the two dates."""
    # Dates in the right order (a one-day course) are not pointed out.
    other = request(desk, people, start_date="2026-02-18", end_date="2026-02-18")
    assert "ends before it starts" not in desk.instructions(people.mona, other, "review-request")

    case = request(desk, people, start_date="2026-02-18", end_date="2026-02-16")
    assert "**The course ends before it starts**: ask Alice Martin to correct the dates." in desk.instructions(
        people.mona, case, "review-request")
    case = review(desk, people, case, "approve", "Approved; HR will sort out the dates.")
    assert "**The dates asked for end before they start**: agree the right dates with the provider." in desk.instructions(
        people.hana, case, "schedule-training")
    case = book(desk, people, case, start_date="2026-02-18", end_date="2026-02-16")
    assert case.data["completion_check_at"] == "2026-02-19T09:00:00+00:00"
    desk.advance(ASKED_AT - desk.clock.now())
    assert desk.inbox(people.alice, case) == ["confirm-completion"]

# ---- the manager's reminder and who reviews ----------------------------------------

def test_the_manager_is_reminded_every_3_days_until_they_decide(desk, people):
    case = request(desk, people)
    reminder = "Reminder: TRN-000001 waits for your review: Kubernetes Fundamentals (LFS258)"
    desk.advance(days=2, hours=23, minutes=59, seconds=59)
    assert told(desk, people) == {}
    desk.advance(seconds=1)
    assert told(desk, people) == {"mona": [reminder]}
    assert body("mona", reminder).startswith(
        "Alice Martin asked to attend Kubernetes Fundamentals (LFS258) by The Linux Foundation, from 2026-02-16 "
        "to 2026-02-18 (1000 EUR), and the request has waited 3 days or more")
    desk.advance(days=3)
    assert told(desk, people) == {"mona": [reminder] * 2}
    assert inboxes(desk, people, case) == {"mona": ["review-request"]}

    case = review(desk, people, case, "more_info", "Which modules?")
    # While alice answers, mona is not reminded; the review's timer starts again when it comes back.
    desk.advance(days=4)
    assert told(desk, people) == {"mona": [reminder] * 2}
    case = desk.work(people.alice, case, "answer-question", {**REQUEST, "answer": "Modules 3 and 4."})
    desk.advance(days=3)
    assert told(desk, people) == {"mona": [reminder] * 3}
    case = review(desk, people, case, "approve", "OK.")
    desk.advance(days=3)
    assert told(desk, people) == {"mona": [reminder] * 3}
    assert desk.path(case) == (OPENED + REVIEW[:1] + MANAGER_REMINDER * 2 + REVIEW[1:] + QUESTION
                               + REVIEW[:1] + MANAGER_REMINDER + REVIEW[1:] + APPROVED + ["cleared-for-booking"])
    assert [e.element for e in desk.events(case, "step_cancelled")] == ["review-reminder"] * 2


@pytest.mark.parametrize("record_of_ben", [None, {"username": "ben", "name": "Ben Carter", "manager": "ben"},
                                           {"username": "ben", "name": "Ben Carter", "manager": None}],
                         ids=["no record", "own manager", "no manager"])
def test_without_a_manager_on_record_the_manager_group_reviews(desk, people, record_of_ben):
    if record_of_ben:
        records.put("people", "ben", record_of_ben)
    case = request(desk, people, who=people.ben)
    assert case.data["manager"] is None
    assert case.data["requester_name"] == ("Ben Carter" if record_of_ben else "ben")
    assert inboxes(desk, people, case) == {"mike": ["review-request"], "mona": ["review-request"]}
    review_task = desk.task(people.mike, case, "review-request")
    assert (review_task.candidate_users, review_task.candidate_groups) == ([], ["manager"])
    # The reminder goes to the manager group.
    reminder = "Reminder: TRN-000001 waits for your review: Kubernetes Fundamentals (LFS258)"
    desk.advance(days=3)
    assert told(desk, people) == {"mike": [reminder], "mona": [reminder]}

    case = review(desk, people, case, "reject", "Not in this budget year.", manager=people.mike)
    # The reviewer is told the outcome along with the employee.
    rejected = "TRN-000001 rejected: Kubernetes Fundamentals (LFS258)"
    assert told(desk, people) == {"mike": [reminder, rejected], "mona": [reminder], "ben": [rejected]}
    assert (record(desk)["manager"], record(desk)["reviewed_by"]) == (None, "mike")


# ---- forms ---------------------------------------------------------------------

def test_the_request_form_refuses_what_a_desk_would_not_accept(desk, people):
    with pytest.raises(InvalidData) as refused:
        request(desk, people, course_title="K8s", provider="", course_format="webinar", start_date="2026-01-04",
                end_date="tomorrow", cost=-1, currency="JPY", business_case="Useful.")
    assert set(refused.value.fields) == {"course_title", "provider", "course_format", "start_date", "end_date",
                                         "cost", "currency", "business_case"}
    assert refused.value.fields["start_date"] == ["Must not be in the past."]
    with pytest.raises(InvalidData) as refused:
        request(desk, people, cost="a lot", end_date="2026-01-04")
    assert set(refused.value.fields) == {"cost", "end_date"}
    with pytest.raises(InvalidData) as refused:
        desk.start(people.alice, {k: v for k, v in REQUEST.items() if k not in ("cost", "business_case")})
    assert set(refused.value.fields) == {"cost", "business_case"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Instance)) == 0
    # Today is not in the past: a course may start today.
    case = request(desk, people, start_date="2026-01-05", end_date="2026-01-05")
    assert case.status == "running"


def test_the_step_forms_refuse_bad_answers_and_leave_the_step_open(desk, people):
    case = request(desk, people, cost=2000)
    review_task = desk.task(people.mona, case, "review-request")
    tasks.claim(review_task.id, people.mona)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(review_task.id, {"review_decision": "maybe", "review_note": ""}, people.mona)
    assert set(refused.value.fields) == {"review_decision", "review_note"}

    case = review(desk, people, case, "more_info", "Which modules?")
    answer = desk.task(people.alice, case, "answer-question")
    with pytest.raises(InvalidData) as refused:
        tasks.complete(answer.id, {**REQUEST, "answer": "", "start_date": "2025-12-31", "cost": -5}, people.alice)
    assert set(refused.value.fields) == {"answer", "start_date", "cost"}
    with pytest.raises(InvalidData) as refused:       # the question is the manager's: not hers to change
        tasks.complete(answer.id, {**REQUEST, "answer": "3 and 4.", "review_note": "No question."}, people.alice)
    assert set(refused.value.fields) == {"review_note"}
    case = desk.work(people.alice, case, "answer-question", {**REQUEST, "cost": 2000, "answer": "3 and 4."})
    case = review(desk, people, case, "approve", "Fine.")

    check = desk.task(people.fiona, case, "check-budget")
    tasks.claim(check.id, people.fiona)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(check.id, {"budget_approved": "perhaps", "budget_code": "sales budget"}, people.fiona)
    assert set(refused.value.fields) == {"budget_approved", "budget_code", "finance_note"}
    assert refused.value.fields["budget_code"] == ["Not in the expected form, for example TRN-2026-SALES."]
    case = desk.work(people.fiona, case, "check-budget",
                {"budget_approved": True, "budget_code": "CC-4410", "finance_note": "Fine."})

    booking = desk.task(people.hana, case, "schedule-training")
    tasks.claim(booking.id, people.hana)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(booking.id, {"start_date": "2026-01-02", "end_date": "2026-02-18", "booking_reference": "x"},
                       people.hana)
    assert set(refused.value.fields) == {"start_date", "booking_reference"}
    case = book(desk, people, case)
    case = wait_for_the_course_to_end(desk, people, case)

    case_id = case.id
    confirmation = desk.task(people.alice, case, "confirm-completion")
    with pytest.raises(InvalidData) as refused:
        tasks.complete(confirmation.id, {"attended": "sort of", "feedback": "Meh.", "rating": 6}, people.alice)
    assert set(refused.value.fields) == {"attended", "feedback", "rating"}
    case = desk.reload(case_id)
    # Every refusal left its step open and recorded nothing.
    assert [e.element for e in desk.events(case, "task_completed")] == [
        "review-request", "answer-question", "review-request", "check-budget", "schedule-training"]
    assert desk.records("training-records") == {}


# ---- the finance-check table on its boundaries -----------------------------------

@pytest.fixture(scope="module")
def finance_check():
    """The shipped decision table, run by the engine on its own."""
    table = decision_table(PROCESS, "training-finance-check.dmn", "training_finance_check")

    def decide(currency: str, course_format: str, cost) -> tuple[int, bool]:
        data = table({"currency": currency, "course_format": course_format, "cost": cost})
        return data["finance_threshold"], data["needs_finance_check"]
    return decide


THRESHOLDS = {("EUR", "classroom"): 1000, ("EUR", "online"): 1000, ("EUR", "conference"): 500,
              ("GBP", "classroom"): 850, ("GBP", "online"): 850, ("GBP", "conference"): 425,
              ("USD", "classroom"): 1100, ("USD", "online"): 1100, ("USD", "conference"): 550}


@pytest.mark.parametrize(("currency", "course_format"), list(THRESHOLDS))
def test_the_finance_check_table_on_its_boundaries(finance_check, currency, course_format):
    threshold = THRESHOLDS[(currency, course_format)]
    assert finance_check(currency, course_format, 0) == (threshold, False)
    assert finance_check(currency, course_format, threshold - 0.01) == (threshold, False)
    assert finance_check(currency, course_format, threshold) == (threshold, False)     # at it: no check
    assert finance_check(currency, course_format, threshold + 0.01) == (threshold, True)
    assert finance_check(currency, course_format, 100000) == (threshold, True)


def test_the_finance_check_table_has_exactly_one_rule_for_each_currency_and_format():
    """Hit policy UNIQUE: no two rules may match the same request (SpiffWorkflow
    would silently take the first)."""
    root = etree.parse(str(FOLDER / "training-finance-check.dmn")).getroot()
    dmn = {"d": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
    (table,) = root.findall(".//d:decisionTable", dmn)
    assert table.get("hitPolicy") == "UNIQUE"
    rules = table.findall("d:rule", dmn)
    matched = {}
    for currency, course_format in THRESHOLDS:
        matching = []
        for rule in rules:
            entries = [e.findtext("d:text", namespaces=dmn) for e in rule.findall("d:inputEntry", dmn)]
            ok = [eval(e.replace("?", repr(v))) if "?" in e else eval(e) == v   # noqa: S307 - our own file
                  for e, v in zip(entries, (currency, course_format))]
            if all(ok):
                matching.append(rule.get("id"))
        matched[(currency, course_format)] = matching
    assert all(len(found) == 1 for found in matched.values()), matched
    assert len(rules) == 6


# ---- the model and the diagram ---------------------------------------------------

HUMAN_STEPS = {"review-request": "manager", "answer-question": "requester", "check-budget": "finance",
               "schedule-training": "hr", "confirm-completion": "requester"}


def test_every_human_step_has_a_lane_documentation_instructions_and_a_form():
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name, model.category, model.startable) == (
        PROCESS, "Request training", "People", True)
    assert one_line(model.description) == (
        "Ask the company to pay for a course, an online training or a conference.")
    assert model.initiator == "requester"
    assert list(model.start_form.schema["properties"]) == [
        "course_title", "provider", "course_format", "start_date", "end_date", "cost", "currency", "business_case"]
    assert {k: t.lane for k, t in model.tasks.items()} == HUMAN_STEPS
    assert (model.tasks["review-request"].candidate_users, model.tasks["review-request"].completed_by_variable) == (
        ["${manager}"], "reviewed_by")
    for step in ("answer-question", "confirm-completion"):
        assert (model.tasks[step].candidate_users, model.tasks[step].assignee) == (["${requester}"], None)
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form, task.bpmn_id
        assert "training_ref" in shown_fields(task.form), task.bpmn_id
        assert undescribed_fields(task.form) == [], task.bpmn_id


def test_the_diagram_is_documented_and_laid_out_left_to_right():
    assert diagram_problems(BPMN_FILE) == []
    root = etree.parse(str(BPMN_FILE)).getroot()
    process = root.find("bpmn:process", NS)
    assert [lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)] == [
        "requester", "manager", "finance", "hr"]
    timers = {event.get("id"): (event.get("cancelActivity"), event.get("attachedToRef"))
              for event in process.iter(f"{{{NS['bpmn']}}}boundaryEvent")}
    assert timers == {"review-reminder": ("false", "review-request"),
                      "completion-reminder": ("false", "confirm-completion")}

