"""The shipped process ``asset-loan`` ("Borrow an asset").

Driven through Baton's services the way its users drive it (tests/processes/
driver.py): a borrower asks for a type of asset, Baton checks the dates and
looks for an available one in the asset register, the borrower's manager
approves, the asset team hands out a specific asset (Baton checks its tag and
serial number against the register and sends a wrong answer back), the
borrower is reminded the day before the due date and every day once the
asset is overdue, the manager and the asset team are told once after 7 days,
and the asset team records the return, which stops the reminders. The
injected clock moves the loan through its days; the worker runs the hooks and
the timers.

One test per path: no asset available, rejected, dates corrected (once and
twice), a wrong tag / type / status / serial refused then the right one, the
return early, on time, damaged and overdue, the reminder before the due date,
1 day overdue, the escalation at 7 days (once), an asset recovered from the
borrower meanwhile (the reminders end, the asset team closes the loan), and the
overdue loop run 400 times with the stored state measured: it must not grow,
and a day's reminder must not cost more work after 400 days than after 10. Each test checks the
path (the audit trail), who was asked to do what, what people were told (the
outbox), the asset register and the chain-of-custody trail. Then the forms'
validation and the diagram.
"""
from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from lxml import etree

from app.engine.bundle import load_bundle
from app.models import AuditEvent, Incident, Instance, Job, OutboxMessage, db
from app.services import instances, jobs, records, tasks
from app.services.errors import Forbidden, InvalidData

from .conftest import REPO, bundle_of
from .diagram_checks import NS, diagram_problems, flow_nodes
from .driver import Desk
from .form_checks import shown_fields, undescribed_fields

PROCESS = "asset-loan"
BPMN_FILE = REPO / "bpmn" / PROCESS / "asset-loan.bpmn"

# The clock starts on Monday 2026-01-05 09:00 UTC (tests/conftest.py).
FROM, UNTIL = "2026-01-06", "2026-01-16"
REQUEST = {"asset_type": "laptop", "loan_from": FROM, "loan_until": UNTIL,
           "purpose": "A spare laptop for the trade fair in Lyon."}
APPROVE = {"approved": True, "approval_reason": "Needed for the fair."}
REJECT = {"approved": False, "approval_reason": "Use the team's shared laptop instead."}
RIGHT_TAG = {"asset_tag": "LAP-0004", "serial_number": "DL4X7Q148", "handout_condition": "good",
             "handout_notes": "With charger and sleeve."}

# The asset register the tests lend from (the demo seed is not used).
ASSETS = {
    "LAP-0001": ("laptop", "Lenovo ThinkPad T14 Gen 4", "PF01X7Q037", "good", "on_loan", "rita"),
    "LAP-0004": ("laptop", "Dell Latitude 7440", "DL4X7Q148", "new", "available", None),
    "LAP-0006": ("laptop", "Apple MacBook Pro 14 M3", "MB6X7Q222", "good", "available", None),
    "LAP-0008": ("laptop", "Dell Latitude 5440", "DL8X7Q296", "damaged", "in_repair", None),
    "MON-0001": ("monitor", "Dell UltraSharp U2723QE", "CN014K053", "good", "available", None),
    "CAM-0001": ("camera", "Logitech Brio 4K", "LG001BR061", "good", "on_loan", "rita"),
}

# ---- the diagram's steps on each path, in the order the audit trail has them --------

REQUESTED = ["loan-requested", "number-loan", "find-borrower", "check-request", "dates-acceptable"]
CORRECTED = ["correct-dates", "check-request", "dates-acceptable"]
LOOKED = ["find-available-assets", "any-available"]
NONE_AVAILABLE = ["tell-none-available", "none-available"]
APPROVAL = ["approve-loan", "loan-approved"]
REJECTED = ["tell-rejected", "loan-rejected"]
HANDED = ["hand-out-asset", "look-up-asset", "check-asset", "right-asset"]
LENT = ["lend-asset", "number-hand-out", "record-hand-out", "tell-handed-out", "asset-out", "reminders-begin"]
# Inside "Remind the borrower", beside the open return step.
REMINDED = ["day-before-due", "remind-before-due"]
TODAY = ["another-day-overdue", "look-up-lent-asset", "still-on-loan", "count-overdue-day", "remind-overdue",
         "escalate-today"]
FIRST_DAY_OVERDUE = ["due-date-passed", *TODAY, "reminded-today"]
NEXT_DAY_OVERDUE = ["next-morning", *TODAY, "reminded-today"]
SEVENTH_DAY_OVERDUE = ["next-morning", *TODAY, "escalate-overdue", "reminded-today"]
NOT_ON_LOAN_ANY_MORE = ["next-morning", "another-day-overdue", "look-up-lent-asset", "still-on-loan",
                        "tell-asset-team-not-on-loan", "reminders-ended"]
# The return stops the reminders (the signal), then the register and the trail are updated.
RETURNED = ["record-return", "asset-returned", "return-recorded", "reminders-stopped", "take-back-asset",
            "number-return", "record-return-custody", "tell-returned", "loan-closed"]
RETURNED_AFTER_REMINDERS_ENDED = ["record-return", "asset-returned", "take-back-asset", "number-return",
                                  "record-return-custody", "tell-returned", "loan-closed"]
UP_TO_THE_LOAN = REQUESTED + LOOKED + APPROVAL + HANDED + LENT

# What the borrower is told, and when.
HANDED_OUT = "Loan LOAN-000001: LAP-0004 is yours until 2026-01-16"
DUE_SOON = "Reminder: LAP-0004 is due back on 2026-01-16 (loan LOAN-000001)"
IS_OVERDUE = "Overdue: please bring back LAP-0004 (loan LOAN-000001)"
CLOSED = "Loan LOAN-000001 is closed: LAP-0004 is back"
ESCALATION = "Loan LOAN-000001 is 7 days overdue: LAP-0004 is still with Alice Martin"


@dataclass
class People:
    alice: object     # requester: the borrower
    mona: object      # manager: alice's manager
    max: object       # manager: someone else's manager
    ada: object       # asset-team
    axel: object      # asset-team
    otto: object      # finance: none of these

    def everyone(self):
        return [self.alice, self.mona, self.max, self.ada, self.axel, self.otto]


@pytest.fixture
def people(make_user) -> People:
    return People(alice=make_user("alice", "requester"), mona=make_user("mona", "manager"),
                  max=make_user("max", "manager"), ada=make_user("ada", "asset-team"),
                  axel=make_user("axel", "asset-team"), otto=make_user("otto", "finance"))


@pytest.fixture
def desk(deployed_desk, people) -> Desk:
    for username, name, manager in (("alice", "Alice Martin", "mona"), ("mona", "Mona Lindqvist", None)):
        records.put("people", username, {
            "username": username, "name": name, "email": f"{username}@example.org", "department": "Sales",
            "title": "Account manager", "manager": manager, "status": "active", "start_date": None,
            "last_day": None})
    for tag, (kind, model, serial, condition, status, holder) in ASSETS.items():
        records.put("assets", tag, {"tag": tag, "type": kind, "model": model, "serial": serial,
                                    "condition": condition, "status": status, "holder": holder,
                                    "reference": None, "due": "2026-03-31" if holder else None})
    return deployed_desk(PROCESS, "Borrow an asset")


# ---- helpers ---------------------------------------------------------------------

def ask(desk: Desk, people: People, **changes) -> Instance:
    return desk.start(people.alice, {**REQUEST, **changes})


def inboxes(desk: Desk, people: People, case) -> dict[str, list[str]]:
    """Who may work on what in this case now (only people with something to do)."""
    found = {user.username: desk.inbox(user, case) for user in people.everyone()}
    return {name: steps for name, steps in found.items() if steps}


def told(desk: Desk, people: People) -> dict[str, list[str]]:
    """The subjects of what everyone was sent, for everyone who was sent something."""
    found = {user.username: desk.outbox(user.username) for user in people.everyone()}
    return {name: subjects for name, subjects in found.items() if subjects}


def letter(username: str, subject: str) -> str:
    db.session.remove()
    return db.session.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.recipient == username, OutboxMessage.subject == subject)).first()


def asset(desk: Desk, tag: str = "LAP-0004") -> dict:
    return desk.records("assets")[tag]


def custody(desk: Desk) -> dict[str, dict]:
    return desk.records("asset-custody")


def lent(desk: Desk, people: People, **changes) -> Instance:
    """A laptop asked for, approved by mona and handed out by ada: LAP-0004 from 2026-01-05."""
    case = ask(desk, people, **changes)
    case = desk.work(people.mona, case, "approve-loan", APPROVE)
    case = desk.work(people.ada, case, "hand-out-asset", RIGHT_TAG)
    assert inboxes(desk, people, case) == {"ada": ["record-return"], "axel": ["record-return"]}
    return case


def give_back(desk: Desk, people: People, case, condition: str = "good", notes: str | None = None) -> Instance:
    data = {"return_condition": condition} | ({"return_notes": notes} if notes else {})
    return desk.work(people.axel, case, "record-return", data)


def on_day(desk: Desk, day: str, hour: int = 9) -> None:
    """Move the clock to ``day`` at ``hour`` UTC, running what falls due."""
    desk.advance(datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00") - desk.clock.now())


def next_day(desk: Desk) -> None:
    desk.advance(days=1)


def handed_out_and_returned(condition: str, by_return: str = "axel") -> list[dict]:
    """The custody trail of LAP-0004 after one loan (the times are left out)."""
    return [{"tag": "LAP-0004", "event": "handed_out", "from": "asset-team", "to": "alice", "condition": "good",
             "by": "ada", "reference": "LOAN-000001"},
            {"tag": "LAP-0004", "event": "returned", "from": "alice", "to": "asset-team", "condition": condition,
             "by": by_return, "reference": "LOAN-000001"}]


def trail(desk: Desk, tag: str = "LAP-0004") -> list[dict]:
    """The asset's chain of custody as others read it (store query on the tag), times left out."""
    return [{k: v for k, v in r.value.items() if k != "at"} for r in records.query("asset-custody", {"tag": tag})]


def stored_state(case) -> str:
    db.session.remove()
    return db.session.get(Instance, case.id).state


def live_tasks(state: str) -> int:
    """How many tasks the stored workflow holds (the main tree and any subprocesses)."""
    found = json.loads(state)
    count = 0

    def walk(value):
        nonlocal count
        if isinstance(value, dict):
            if isinstance(value.get("tasks"), dict):
                count += len(value["tasks"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(found)
    return count


# ---- the request --------------------------------------------------------------------

def test_the_request_is_numbered_checked_and_goes_to_the_borrowers_manager_only(desk, people, clock):
    case = ask(desk, people)
    assert case.status == "running"
    assert case.business_key == "LOAN-000001"
    assert desk.records("sequences") == {"asset-loan": {"last": 1}}
    assert desk.path(case) == REQUESTED + LOOKED
    data = case.data
    assert (data["loan_ref"], data["borrower"], data["borrower_name"], data["borrower_manager"]) == (
        "LOAN-000001", "alice", "Alice Martin", "mona")
    assert data["request_problems"] == []
    # The reminders' times follow from the last day of the loan (09:00 UTC).
    assert (data["remind_at"], data["overdue_from"], data["days_overdue"]) == (
        "2026-01-15T09:00:00Z", "2026-01-17T09:00:00Z", 0)
    assert [a["key"] for a in data["available_assets"]] == ["LAP-0004", "LAP-0006"]

    # Only alice's manager is asked, within two days; not the other manager.
    assert inboxes(desk, people, case) == {"mona": ["approve-loan"]}
    approval = desk.task(people.mona, case, "approve-loan")
    assert (approval.lane, approval.candidate_users) == ("manager", ["mona"])
    assert approval.due_at == clock.now() + timedelta(days=2)
    for outsider in (people.max, people.alice, people.ada):
        with pytest.raises(Forbidden):
            tasks.claim(approval.id, outsider)
    assert desk.instructions(people.mona, case, "approve-loan").startswith(
        "**Alice Martin** asks to borrow a **laptop** from 2026-01-06 until 2026-01-16 (loan LOAN-000001).")
    assert told(desk, people) == {}


def test_a_borrower_without_a_manager_on_record_is_approved_by_any_manager(desk, people, make_user):
    bob = make_user("bob", "requester")         # no record in "people"
    case = desk.start(bob, REQUEST)
    assert (case.data["borrower_name"], case.data["borrower_manager"]) == ("bob", None)
    assert desk.inbox(people.mona, case) == desk.inbox(people.max, case) == ["approve-loan"]
    case = desk.work(people.max, case, "approve-loan", APPROVE)
    assert desk.who_did_what(case) == [("approve-loan", "max", ["manager"])]
    assert desk.inbox(people.ada, case) == ["hand-out-asset"]


def test_no_asset_of_the_type_available_tells_the_borrower_and_ends(desk, people):
    case = ask(desk, people, asset_type="camera")          # the only camera is on loan
    assert case.status == "completed"
    assert desk.path(case) == REQUESTED + LOOKED + NONE_AVAILABLE
    assert case.data["available_assets"] == []
    assert inboxes(desk, people, case) == {}
    assert told(desk, people) == {"alice": ["Your loan request LOAN-000001: no camera is available"]}
    assert "ends here" in letter("alice", "Your loan request LOAN-000001: no camera is available")
    assert desk.records("asset-custody") == {}
    assert asset(desk, "CAM-0001")["status"] == "on_loan"


def test_a_rejected_loan_tells_the_borrower_why_and_ends(desk, people):
    case = ask(desk, people)
    case = desk.work(people.mona, case, "approve-loan", REJECT)
    assert case.status == "completed"
    assert desk.path(case) == REQUESTED + LOOKED + APPROVAL + REJECTED
    assert desk.who_did_what(case) == [("approve-loan", "mona", [])]
    assert case.data["approved_by"] == "mona"
    assert told(desk, people) == {"alice": ["Your loan request LOAN-000001 is rejected"]}
    assert letter("alice", "Your loan request LOAN-000001 is rejected").endswith(
        "The reason: Use the team's shared laptop instead.")
    assert asset(desk)["status"] == "available"
    assert custody(desk) == {}


@pytest.mark.parametrize("rounds", [1, 2])
def test_dates_that_make_no_sense_go_back_to_the_borrower_until_they_do(desk, people, clock, rounds):
    # The form refuses past dates; the process refuses a loan that ends before it starts, or is too long.
    case = ask(desk, people, loan_from="2026-01-10", loan_until="2026-01-09")
    assert case.data["request_problems"] == ["The last day of the loan must be after the first day."]
    assert inboxes(desk, people, case) == {"alice": ["correct-dates"]}
    fix = desk.task(people.alice, case, "correct-dates")
    assert (fix.lane, fix.candidate_users) == ("requester", ["alice"])
    assert desk.instructions(people.alice, case, "correct-dates").startswith(
        "Your request **LOAN-000001** to borrow a laptop cannot go ahead with these dates:\n\n"
        "- The last day of the loan must be after the first day.\n")
    with pytest.raises(InvalidData) as refused:
        tasks.complete(fix.id, {"loan_from": "2026-01-04", "loan_until": "2026-01-09"}, people.alice)
    assert set(refused.value.fields) == {"loan_from"}
    if rounds == 2:
        case = desk.work(people.alice, case, "correct-dates", {"loan_from": "2026-01-10", "loan_until": "2026-06-01"})
        assert case.data["request_problems"] == ["A loan may last at most 90 days; this one lasts 142."]
        assert inboxes(desk, people, case) == {"alice": ["correct-dates"]}
    case = desk.work(people.alice, case, "correct-dates", {"loan_from": "2026-01-10", "loan_until": "2026-04-10"})
    assert case.data["request_problems"] == []
    assert case.data["overdue_from"] == "2026-04-11T09:00:00Z"
    assert desk.path(case) == REQUESTED + CORRECTED * rounds + LOOKED
    assert inboxes(desk, people, case) == {"mona": ["approve-loan"]}


def test_a_first_day_that_has_passed_while_waiting_is_sent_back_too(desk, people, clock):
    case = ask(desk, people, loan_from="2026-01-05", loan_until="2026-01-05")
    clock.advance(days=2)       # alice corrects only the last day, two days later
    fix = desk.task(people.alice, case, "correct-dates")
    with pytest.raises(InvalidData) as refused:
        tasks.complete(fix.id, {"loan_from": "2026-01-05", "loan_until": "2026-01-12"}, people.alice)
    assert set(refused.value.fields) == {"loan_from"}


# ---- the hand-out -----------------------------------------------------------------

@pytest.mark.also_on_postgres
def test_the_asset_team_hands_out_a_specific_asset_and_the_register_and_trail_show_it(desk, people, clock):
    case = ask(desk, people)
    case = desk.work(people.mona, case, "approve-loan", APPROVE)
    assert inboxes(desk, people, case) == {"ada": ["hand-out-asset"], "axel": ["hand-out-asset"]}
    hand_out = desk.task(people.ada, case, "hand-out-asset")
    assert (hand_out.lane, hand_out.candidate_groups) == ("asset-team", ["asset-team"])
    assert hand_out.due_at == datetime(2026, 1, 6, 23, 59, 59, tzinfo=timezone.utc)   # by the first day
    shown = desk.instructions(people.ada, case, "hand-out-asset")
    assert "- **LAP-0004**: Dell Latitude 7440, serial DL4X7Q148, condition new" in shown
    assert "- **LAP-0006**: Apple MacBook Pro 14 M3, serial MB6X7Q222, condition good" in shown
    assert "refused" not in shown

    case = desk.work(people.ada, case, "hand-out-asset", RIGHT_TAG)
    assert desk.path(case) == REQUESTED + LOOKED + APPROVAL + HANDED + LENT
    assert desk.who_did_what(case) == [("approve-loan", "mona", []), ("hand-out-asset", "ada", ["asset-team"])]
    assert asset(desk) == {"tag": "LAP-0004", "type": "laptop", "model": "Dell Latitude 7440", "serial": "DL4X7Q148",
                           "condition": "good", "status": "on_loan", "holder": "alice", "reference": "LOAN-000001",
                           "due": "2026-01-16"}
    assert custody(desk) == {"LAP-0004/000001": {
        "tag": "LAP-0004", "event": "handed_out", "from": "asset-team", "to": "alice", "condition": "good",
        "at": "2026-01-05T09:00:00+00:00", "by": "ada", "reference": "LOAN-000001"}}
    assert desk.records("sequences") == {"asset-loan": {"last": 1}, "asset-custody": {"last": 1}}
    assert told(desk, people) == {"alice": [HANDED_OUT]}
    assert letter("alice", HANDED_OUT).startswith(
        "ada of the asset team handed you LAP-0004: Dell Latitude 7440, serial DL4X7Q148, condition good. "
        "Notes: With charger and sleeve.\n\nPlease bring it back to the asset team by 2026-01-16.")
    # The list of available assets is not carried for the whole loan.
    assert case.data["available_assets"] is None

    # The return waits in the asset team's inbox, due on the last day of the loan.
    assert inboxes(desk, people, case) == {"ada": ["record-return"], "axel": ["record-return"]}
    back = desk.task(people.ada, case, "record-return")
    assert back.due_at == datetime(2026, 1, 16, 23, 59, 59, tzinfo=timezone.utc)
    assert desk.instructions(people.ada, case, "record-return").startswith(
        "**Alice Martin** has **LAP-0004** (Dell Latitude 7440, serial DL4X7Q148) on loan LOAN-000001, "
        "due back on **2026-01-16**. It went out in good condition, with these notes: With charger and sleeve.")


@pytest.mark.also_on_postgres
def test_an_asset_taken_by_another_case_after_the_check_is_not_lent_twice(desk, people):
    case = ask(desk, people)
    case = desk.work(people.mona, case, "approve-loan", APPROVE)
    hand_out = desk.task(people.ada, case, "hand-out-asset")
    tasks.claim(hand_out.id, people.ada)
    tasks.complete(hand_out.id, RIGHT_TAG, people.ada)
    assert jobs.run_due("w1", limit=1) == 1            # the register is read and the asset passes the check
    db.session.remove()
    # Between the check and the lending, another case lends LAP-0004 to bob.
    records.update("assets", "LAP-0004", set={"status": "on_loan", "holder": "bob", "reference": "LOAN-000999"})
    desk.run_worker()
    case = desk.reload(case)
    assert case.status == "failed"
    [incident] = db.session.scalars(sa.select(Incident).where(Incident.instance_id == case.id)).all()
    assert incident.element == "lend-asset" and "status is 'on_loan', expected 'available'" in incident.message
    assert (asset(desk)["holder"], asset(desk)["reference"]) == ("bob", "LOAN-000999")   # bob's loan untouched
    assert custody(desk) == {}


WRONG_ANSWERS = [
    ({"asset_tag": "LAP-0099", "serial_number": "X1X1X1"}, ["There is no asset LAP-0099 in the asset register."]),
    ({"asset_tag": "MON-0001", "serial_number": "CN014K053"}, ["MON-0001 is a monitor, not a laptop."]),
    ({"asset_tag": "LAP-0001", "serial_number": "PF01X7Q037"}, ["LAP-0001 is not available: its status is on_loan."]),
    ({"asset_tag": "LAP-0008", "serial_number": "DL8X7Q296"},
     ["LAP-0008 is not available: its status is in_repair."]),
    ({"asset_tag": "LAP-0004", "serial_number": "MB6X7Q222"},
     ["The serial number MB6X7Q222 is not the one the register has for LAP-0004: check that you hold the right "
      "device."]),
]


@pytest.mark.parametrize("answer, problems", WRONG_ANSWERS, ids=["unknown", "type", "on-loan", "in-repair", "serial"])
def test_a_wrong_asset_is_sent_back_to_the_asset_team_with_the_reason(desk, people, answer, problems):
    case = ask(desk, people)
    case = desk.work(people.mona, case, "approve-loan", APPROVE)
    case = desk.work(people.ada, case, "hand-out-asset", {**RIGHT_TAG, **answer})
    assert case.data["handout_problems"] == problems
    assert inboxes(desk, people, case) == {"ada": ["hand-out-asset"], "axel": ["hand-out-asset"]}
    assert desk.instructions(people.ada, case, "hand-out-asset").count(problems[0]) == 1
    assert custody(desk) == {}
    assert told(desk, people) == {}
    # Then the right one: the serial may be read with other case and spaces.
    case = desk.work(people.axel, case, "hand-out-asset", {**RIGHT_TAG, "serial_number": "dl4x 7q148"})
    assert desk.path(case) == REQUESTED + LOOKED + APPROVAL + HANDED + HANDED + LENT
    assert desk.who_did_what(case)[1:] == [("hand-out-asset", "ada", ["asset-team"]),
                                           ("hand-out-asset", "axel", ["asset-team"])]
    assert asset(desk)["holder"] == "alice"
    assert [r["by"] for r in custody(desk).values()] == ["axel"]
    # The asset named wrongly is untouched.
    if answer["asset_tag"] in ASSETS and answer["asset_tag"] != "LAP-0004":
        kind, model, serial, condition, status, holder = ASSETS[answer["asset_tag"]]
        assert (asset(desk, answer["asset_tag"])["status"], asset(desk, answer["asset_tag"])["holder"]) == (
            status, holder)


def test_the_hand_out_form_refuses_bad_input(desk, people):
    case = ask(desk, people)
    case = desk.work(people.mona, case, "approve-loan", APPROVE)
    case_id = case.id
    task = desk.task(people.ada, case, "hand-out-asset")
    for data, fields in [({}, {"asset_tag", "serial_number", "handout_condition"}),
                         ({**RIGHT_TAG, "asset_tag": "lap-4"}, {"asset_tag"}),
                         ({**RIGHT_TAG, "handout_condition": "damaged"}, {"handout_condition"}),
                         ({**RIGHT_TAG, "serial_number": ""}, {"serial_number"})]:
        with pytest.raises(InvalidData) as refused:
            tasks.complete(task.id, data, people.ada)
        assert set(refused.value.fields) == fields, data
    assert desk.path(desk.reload(case_id))[-1] == "loan-approved"


# ---- on loan and the return -------------------------------------------------------------

def test_returned_early_no_reminder_and_the_asset_is_available_again(desk, people):
    case = lent(desk, people)
    on_day(desk, "2026-01-12", hour=15)
    case = give_back(desk, people, case, "good")
    assert case.status == "completed"
    assert desk.path(case) == UP_TO_THE_LOAN + RETURNED
    # The reminder that was waiting is withdrawn with the reminders.
    assert [e.element for e in desk.events(case, "step_cancelled")] == ["remind-until-returned", "day-before-due"]
    assert desk.who_did_what(case)[-1] == ("record-return", "axel", ["asset-team"])
    assert asset(desk) == {"tag": "LAP-0004", "type": "laptop", "model": "Dell Latitude 7440", "serial": "DL4X7Q148",
                           "condition": "good", "status": "available", "holder": None, "reference": None, "due": None}
    assert trail(desk) == handed_out_and_returned("good")
    assert list(custody(desk)) == ["LAP-0004/000001", "LAP-0004/000002"]
    assert custody(desk)["LAP-0004/000002"]["at"] == "2026-01-12T15:00:00+00:00"
    assert told(desk, people) == {"alice": [HANDED_OUT, CLOSED]}
    assert letter("alice", CLOSED) == (
        "axel of the asset team took LAP-0004 (Dell Latitude 7440) back from you and recorded its condition as "
        "good.\n\nYour loan is closed. Thank you.")
    # Nothing waits any more: the timer job left behind fires on its day, finds nothing and goes.
    on_day(desk, "2026-02-28")
    assert told(desk, people) == {"alice": [HANDED_OUT, CLOSED]}
    assert _jobs(case) == []


def test_the_day_before_the_due_date_the_borrower_is_reminded_then_returns_on_time(desk, people):
    case = lent(desk, people)
    on_day(desk, "2026-01-15", hour=8)
    assert told(desk, people) == {"alice": [HANDED_OUT]}
    desk.advance(hours=1)                         # 2026-01-15 09:00: the day before the due date
    case = desk.reload(case)
    assert told(desk, people) == {"alice": [HANDED_OUT, DUE_SOON]}
    assert letter("alice", DUE_SOON) == (
        "Your loan LOAN-000001 of LAP-0004 (Dell Latitude 7440) ends on 2026-01-16. Please bring it back to the "
        "asset team by then, with everything that came with it.")
    assert desk.path(case) == UP_TO_THE_LOAN + REMINDED
    # The return step stays open and is not given to anyone else.
    assert inboxes(desk, people, case) == {"ada": ["record-return"], "axel": ["record-return"]}
    on_day(desk, "2026-01-16", hour=16)           # brought back on the last day
    case = give_back(desk, people, case, "fair", notes="Scratch on the lid.")
    assert case.status == "completed"
    assert desk.path(case) == UP_TO_THE_LOAN + REMINDED + RETURNED
    assert [e.element for e in desk.events(case, "step_cancelled")] == ["remind-until-returned", "due-date-passed"]
    assert told(desk, people) == {"alice": [HANDED_OUT, DUE_SOON, CLOSED]}
    assert letter("alice", CLOSED).endswith("as fair.\n\nNotes: Scratch on the lid.\n\nYour loan is closed. Thank you.")
    assert (asset(desk)["status"], asset(desk)["condition"]) == ("available", "fair")
    assert trail(desk) == handed_out_and_returned("fair")
    on_day(desk, "2026-02-28")
    assert told(desk, people)["alice"] == [HANDED_OUT, DUE_SOON, CLOSED]


def test_a_damaged_asset_goes_into_repair(desk, people):
    case = lent(desk, people)
    on_day(desk, "2026-01-13")
    case = give_back(desk, people, case, "damaged", notes="Cracked screen.")
    assert case.status == "completed"
    assert desk.path(case) == UP_TO_THE_LOAN + RETURNED
    assert asset(desk) == {"tag": "LAP-0004", "type": "laptop", "model": "Dell Latitude 7440", "serial": "DL4X7Q148",
                           "condition": "damaged", "status": "in_repair", "holder": None, "reference": None,
                           "due": None}
    assert trail(desk) == handed_out_and_returned("damaged")
    assert "recorded its condition as damaged.\n\nNotes: Cracked screen." in letter("alice", CLOSED)
    # An asset in repair is not lent: a second loan finds only LAP-0006.
    second = ask(desk, people, loan_from="2026-01-14", loan_until="2026-01-20")
    assert [a["key"] for a in second.data["available_assets"]] == ["LAP-0006"]


def test_a_loan_handed_out_after_its_reminder_time_is_reminded_at_once(desk, people):
    case = ask(desk, people, loan_from="2026-01-05", loan_until="2026-01-06")
    case = desk.work(people.mona, case, "approve-loan", APPROVE)
    desk.advance(hours=2)                          # 11:00, after the reminder time of 09:00
    case = desk.work(people.ada, case, "hand-out-asset", RIGHT_TAG)
    assert desk.path(case, only=set(REMINDED)) == REMINDED
    assert desk.outbox("alice") == ["Loan LOAN-000001: LAP-0004 is yours until 2026-01-06",
                                    "Reminder: LAP-0004 is due back on 2026-01-06 (loan LOAN-000001)"]


def test_one_day_overdue_the_borrower_is_reminded_then_returns_it(desk, people):
    case = lent(desk, people)
    on_day(desk, "2026-01-17", hour=8)                 # the day after the due date, before 09:00
    assert told(desk, people)["alice"] == [HANDED_OUT, DUE_SOON]
    desk.advance(hours=1)
    case = desk.reload(case)
    assert told(desk, people) == {"alice": [HANDED_OUT, DUE_SOON, IS_OVERDUE]}
    assert letter("alice", IS_OVERDUE).startswith(
        "LAP-0004 (Dell Latitude 7440) was due back on 2026-01-16 and is now 1 day(s) overdue.")
    assert desk.path(case) == UP_TO_THE_LOAN + REMINDED + FIRST_DAY_OVERDUE
    assert case.data["days_overdue"] == 1
    assert inboxes(desk, people, case) == {"ada": ["record-return"], "axel": ["record-return"]}
    desk.advance(hours=3)
    case = give_back(desk, people, case, "good")
    assert case.status == "completed"
    assert desk.path(case) == UP_TO_THE_LOAN + REMINDED + FIRST_DAY_OVERDUE + RETURNED
    assert [e.element for e in desk.events(case, "step_cancelled")] == ["remind-until-returned", "next-morning"]
    on_day(desk, "2026-02-28")
    assert told(desk, people) == {"alice": [HANDED_OUT, DUE_SOON, IS_OVERDUE, CLOSED]}


@pytest.mark.also_on_postgres
def test_a_week_overdue_the_manager_and_the_asset_team_are_told_once_and_reminders_go_on(desk, people):
    case = lent(desk, people)
    on_day(desk, "2026-01-22")                          # 6 days overdue, in one move of the clock
    assert told(desk, people) == {"alice": [HANDED_OUT, DUE_SOON] + [IS_OVERDUE] * 6}
    # As after an outage: the mornings missed are caught up one by one, each with its own day.
    assert [re.search(r"now (\d+) day", body).group(1) for body in _bodies("alice", IS_OVERDUE)] == [
        "1", "2", "3", "4", "5", "6"]
    next_day(desk)                                      # 2026-01-23: 7 days overdue
    assert told(desk, people) == {"alice": [HANDED_OUT, DUE_SOON] + [IS_OVERDUE] * 7,
                                  "mona": [ESCALATION], "ada": [ESCALATION], "axel": [ESCALATION]}
    assert letter("mona", ESCALATION).startswith(
        "Alice Martin (alice) borrowed LAP-0004 (Dell Latitude 7440, serial DL4X7Q148) on loan LOAN-000001. "
        "It was due back on 2026-01-16 and is now 7 days overdue")
    assert "now 7 day(s) overdue" in _bodies("alice", IS_OVERDUE)[-1]
    for _ in range(5):
        next_day(desk)
    assert told(desk, people) == {"alice": [HANDED_OUT, DUE_SOON] + [IS_OVERDUE] * 12,
                                  "mona": [ESCALATION], "ada": [ESCALATION], "axel": [ESCALATION]}
    case = desk.reload(case)
    assert desk.path(case) == (UP_TO_THE_LOAN + REMINDED + FIRST_DAY_OVERDUE + NEXT_DAY_OVERDUE * 5
                               + SEVENTH_DAY_OVERDUE + NEXT_DAY_OVERDUE * 5)
    assert inboxes(desk, people, case) == {"ada": ["record-return"], "axel": ["record-return"]}
    case = give_back(desk, people, case, "good")
    assert case.status == "completed"
    assert trail(desk) == handed_out_and_returned("good")


def test_the_manager_group_hears_of_an_overdue_loan_when_the_borrower_has_no_manager(desk, people, make_user):
    bob = make_user("bob", "requester")
    case = desk.start(bob, REQUEST)
    case = desk.work(people.max, case, "approve-loan", APPROVE)
    case = desk.work(people.ada, case, "hand-out-asset", RIGHT_TAG)
    on_day(desk, "2026-01-23")
    subject = "Loan LOAN-000001 is 7 days overdue: LAP-0004 is still with bob"
    assert {u.username: desk.outbox(u.username) for u in (people.mona, people.max, people.ada, people.axel)} == {
        "mona": [subject], "max": [subject], "ada": [subject], "axel": [subject]}


def test_an_asset_recovered_meanwhile_ends_the_reminders_and_the_asset_team_closes_the_loan(desk, people):
    case = lent(desk, people)
    on_day(desk, "2026-01-18")                          # 2 days overdue
    # Offboarding (or an administrator) recovers the laptop: the register no longer shows it on this loan.
    records.put("assets", "LAP-0004", {**asset(desk), "status": "available", "holder": None, "reference": None,
                                       "due": None})
    next_day(desk)
    case = desk.reload(case)
    assert desk.path(case) == (UP_TO_THE_LOAN + REMINDED + FIRST_DAY_OVERDUE + NEXT_DAY_OVERDUE + NOT_ON_LOAN_ANY_MORE
                               + ["remind-until-returned"])        # the reminders ended on their own
    subject = "Loan LOAN-000001: the register no longer shows LAP-0004 on this loan"
    assert told(desk, people) == {"alice": [HANDED_OUT, DUE_SOON, IS_OVERDUE, IS_OVERDUE],
                                  "ada": [subject], "axel": [subject]}
    assert letter("ada", subject).startswith(
        "Loan LOAN-000001 lent LAP-0004 (Dell Latitude 7440) to Alice Martin until 2026-01-16, but the asset "
        "register now shows it with status available, holder nobody, loan none.")
    for _ in range(3):
        next_day(desk)
    assert desk.outbox("alice").count(IS_OVERDUE) == 2
    assert inboxes(desk, people, case) == {"ada": ["record-return"], "axel": ["record-return"]}
    case = give_back(desk, people, case, "good")
    assert case.status == "completed"
    assert desk.path(case)[-len(RETURNED_AFTER_REMINDERS_ENDED):] == RETURNED_AFTER_REMINDERS_ENDED
    assert trail(desk) == handed_out_and_returned("good")


def test_the_overdue_loop_runs_400_days_with_flat_state_and_flat_cost_then_the_return_ends_it(desk, people):
    """The issue's loop that may run for months: 400 daily reminders, each fired by the
    clock and run by the worker as in production. The stored state (the instance
    row's state column, as scripts/bench (c) measures it) and the tasks in it must
    not grow with the reminders, nor may the work of one reminder."""
    case = lent(desk, people)
    on_day(desk, "2026-01-16", hour=10)                  # due today; nothing overdue yet
    sizes, task_counts, work_done, statements, seconds = {}, {}, {}, {}, {}
    started_loop = time.perf_counter()
    for day in range(1, 401):
        started = time.perf_counter()
        with _sql_statements() as counted:
            next_day(desk)                               # 2026-01-17 10:00 is 1 day overdue, ...
        seconds[day], statements[day] = time.perf_counter() - started, len(counted)
        if day in (10, 400):
            state = stored_state(case)
            sizes[day], task_counts[day] = len(state), live_tasks(state)
            work_done[day] = _audit_events_now(case, desk.clock.now())
    loop_seconds = time.perf_counter() - started_loop
    assert desk.outbox("alice").count(IS_OVERDUE) == 400
    assert desk.outbox("mona") == desk.outbox("ada") == [ESCALATION]
    assert "now 400 day(s) overdue" in _bodies("alice", IS_OVERDUE)[-1]
    # The live state is as big after 400 reminders as after 10 (give or take the
    # digits of the day count): the finished rounds are in the audit trail only.
    assert abs(sizes[400] - sizes[10]) <= 16, sizes
    assert task_counts[400] == task_counts[10], task_counts
    # One day's reminder is the same work on day 400 as on day 10: the same steps,
    # hook calls and audit events, and as many database statements (wall time on a
    # shared machine is too noisy to assert; it is printed).
    assert work_done[400] == work_done[10], work_done
    assert statements[400] == statements[10], statements
    # Every day costs the same, but for the 7th, which also escalates.
    assert {n for day, n in statements.items() if day != 7} == {statements[10]} and statements[7] > statements[10]
    early, late = sorted(seconds[d] for d in range(5, 26)), sorted(seconds[d] for d in range(380, 401))
    print(f"\n400 days in {loop_seconds:.1f} s; state {sizes} bytes, {task_counts} tasks; "
          f"{len(work_done[400])} audit events and {statements[400]} SQL statements a day; "
          f"median seconds a day: days 5-25 {early[10]:.3f}, days 380-400 {late[10]:.3f}")

    case = desk.reload(case)
    assert case.status == "running"
    assert inboxes(desk, people, case) == {"ada": ["record-return"], "axel": ["record-return"]}
    case = give_back(desk, people, case, "fair")
    assert case.status == "completed"
    assert desk.path(case, only={"remind-overdue"}) == ["remind-overdue"] * 400
    assert desk.path(case, only={"escalate-overdue", "remind-before-due"}) == ["remind-before-due",
                                                                              "escalate-overdue"]
    assert desk.path(case)[-len(RETURNED):] == RETURNED
    assert trail(desk) == handed_out_and_returned("fair")
    assert asset(desk)["status"] == "available"
    next_day(desk)
    assert desk.outbox("alice").count(IS_OVERDUE) == 400
    assert _jobs(case) == []


@contextmanager
def _sql_statements():
    """The SQL statements Baton sends to the database meanwhile."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _audit_events_now(case, at: datetime) -> list[str]:
    """The audit events of the instance at ``at`` (the clock stands still while the
    worker runs that day's reminder): their types and elements."""
    db.session.remove()
    return [f"{e.type} {e.element}" for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.instance_id == case.id, AuditEvent.at == at).order_by(AuditEvent.id))]


def _bodies(username: str, subject: str) -> list[str]:
    db.session.remove()
    return list(db.session.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.recipient == username, OutboxMessage.subject == subject).order_by(OutboxMessage.id)))


def _jobs(case) -> list[Job]:
    db.session.remove()
    return list(db.session.scalars(sa.select(Job).where(Job.instance_id == case.id)))


def test_two_loans_of_one_asset_make_one_chain_of_custody(desk, people):
    case = lent(desk, people)
    give_back(desk, people, case, "good")
    assert asset(desk)["status"] == "available"
    second = ask(desk, people, loan_from="2026-01-07", loan_until="2026-01-20")
    second = desk.work(people.mona, second, "approve-loan", APPROVE)
    second = desk.work(people.axel, second, "hand-out-asset", RIGHT_TAG)
    on_day(desk, "2026-01-19")
    second = desk.work(people.ada, second, "record-return", {"return_condition": "good"})
    assert second.status == "completed"
    assert [(r["event"], r["reference"], r["by"]) for r in trail(desk)] == [
        ("handed_out", "LOAN-000001", "ada"), ("returned", "LOAN-000001", "axel"),
        ("handed_out", "LOAN-000002", "axel"), ("returned", "LOAN-000002", "ada")]
    assert list(custody(desk)) == [f"LAP-0004/{n:06d}" for n in range(1, 5)]


# ---- the forms and the diagram ------------------------------------------------------

BAD_REQUESTS = [
    ({}, {"asset_type", "loan_from", "loan_until", "purpose"}),
    ({**REQUEST, "asset_type": "car"}, {"asset_type"}),
    ({**REQUEST, "loan_from": "2026-01-04"}, {"loan_from"}),
    ({**REQUEST, "loan_until": "2025-12-31"}, {"loan_until"}),
    ({**REQUEST, "loan_from": "next week"}, {"loan_from"}),
    ({**REQUEST, "purpose": "fair"}, {"purpose"}),
]


def test_the_request_form_refuses_bad_input(desk, people):
    for data, fields in BAD_REQUESTS:
        with pytest.raises(InvalidData) as refused:
            instances.start_instance(PROCESS, people.alice, data=data)
        assert set(refused.value.fields) == fields, data
    assert instances.list_instances(people.alice) == []
    assert desk.records("sequences") == {}


def test_the_approval_and_return_forms_refuse_bad_input(desk, people):
    case = ask(desk, people)
    approval = desk.task(people.mona, case, "approve-loan")
    with pytest.raises(InvalidData) as refused:
        tasks.complete(approval.id, {"approved": True}, people.mona)
    assert set(refused.value.fields) == {"approval_reason"}
    case = desk.work(people.mona, case, "approve-loan", APPROVE)
    case = desk.work(people.ada, case, "hand-out-asset", RIGHT_TAG)
    back = desk.task(people.ada, case, "record-return")
    for data, fields in [({}, {"return_condition"}), ({"return_condition": "lost"}, {"return_condition"})]:
        with pytest.raises(InvalidData) as refused:
            tasks.complete(back.id, data, people.ada)
        assert set(refused.value.fields) == fields
    for outsider in (people.alice, people.mona, people.otto):
        with pytest.raises(Forbidden):
            tasks.claim(back.id, outsider)


def test_every_human_step_has_a_lane_documentation_instructions_and_a_form():
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name, model.category, model.startable) == (
        PROCESS, "Borrow an asset", "Assets & software", True)
    assert model.business_key_variable == "loan_ref"
    assert model.initiator == "borrower"
    assert list(model.start_form.schema["properties"]) == ["asset_type", "loan_from", "loan_until", "purpose"]
    assert {k: t.lane for k, t in model.tasks.items()} == {
        "correct-dates": "requester", "approve-loan": "manager", "hand-out-asset": "asset-team",
        "record-return": "asset-team"}
    assert {k: (t.candidate_users, t.completed_by_variable) for k, t in model.tasks.items()} == {
        "correct-dates": (["${borrower}"], None), "approve-loan": (["${borrower_manager}"], "approved_by"),
        "hand-out-asset": ([], "handed_out_by"), "record-return": ([], "returned_to")}
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form and task.due_date, task.bpmn_id
        assert undescribed_fields(task.form) == [], task.bpmn_id
    assert shown_fields(model.tasks["record-return"].form)[:2] == ["borrower_name", "asset_tag"]


def test_the_diagram_is_documented_and_laid_out_left_to_right():
    assert diagram_problems(BPMN_FILE) == []
    root = etree.parse(str(BPMN_FILE)).getroot()
    process = root.find("bpmn:process", NS)
    assert [lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)] == [
        "requester", "manager", "asset-team"]
    steps = set(REQUESTED + CORRECTED + LOOKED + NONE_AVAILABLE + APPROVAL + REJECTED + HANDED + LENT + RETURNED)
    assert {n.get("id") for n in flow_nodes(process)} == steps - {"reminders-begin"} | {"remind-until-returned"}
    # The reminders: a loop inside an embedded subprocess beside the return step,
    # with timers that wait (no repeating timer), stopped by the return's signal.
    reminders = process.find("bpmn:subProcess", NS)
    assert reminders.get("id") == "remind-until-returned"
    inside = {n.get("id") for n in flow_nodes(reminders)}
    assert inside == set(REMINDED + FIRST_DAY_OVERDUE + SEVENTH_DAY_OVERDUE + NOT_ON_LOAN_ANY_MORE) | {
        "reminders-begin"}
    for node in flow_nodes(reminders):
        assert (node.findtext("bpmn:documentation", namespaces=NS) or "").strip(), node.get("id")
        assert node.get("name") or local_name(node) == "exclusiveGateway", node.get("id")
    timers = {e.get("id"): etree.QName(e.find("bpmn:timerEventDefinition/*", NS)).localname
              for e in reminders.findall("bpmn:intermediateCatchEvent", NS)}
    assert timers == {"day-before-due": "timeDate", "due-date-passed": "timeDate", "next-morning": "timeDate"}
    assert root.findall(".//bpmn:timeCycle", NS) == []
    (stop,) = process.findall("bpmn:boundaryEvent", NS)
    assert (stop.get("attachedToRef"), stop.get("cancelActivity")) == ("remind-until-returned", None)
    assert stop.find("bpmn:signalEventDefinition", NS) is not None
    # The subprocess has its own drawing (bpmn-js drills into it), every element in it.
    planes = {p.get("bpmnElement"): p for p in root.iterfind(".//bpmndi:BPMNPlane", NS)}
    drawn = {s.get("bpmnElement") for s in planes["remind-until-returned"].iterfind("bpmndi:BPMNShape", NS)}
    assert drawn == inside


def local_name(element) -> str:
    return etree.QName(element).localname


