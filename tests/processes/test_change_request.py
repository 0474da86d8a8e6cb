"""The shipped process ``change-request`` ("Request a change").

Driven through Baton's services the way its users drive it: a person fills
the start form (or the problem process sends ``change_requested``), IT
operations assess the change, the risk table decides, the CAB votes in
parallel (or the emergency board decides, chased after 2 hours), the IT
director allows changes inside freeze periods, IT operations plan it, the
injected clock is moved to the window's start, IT operations implement it and
quality assurance verify it, after which it is closed or rolled back, and
the person who asked is told the outcome. Each CAB vote belongs to the member
it is for (one vote for the whole cab group when no members are listed). One
test per path, each checking the path taken (the audit trail), who was asked
to do what, what people were told (the outbox), the records in the store and
the data at the end; then the risk table, the forms, and the diagram.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from lxml import etree

from app.engine.bundle import load_bundle
from app.models import Job, MessageWait, db
from app.services import deployments, instances, records, tasks
from app.services.errors import Forbidden, InvalidData
from app.web.pages.rich_text import fill_template

from .conftest import REPO, bundle_of, decision_table
from .diagram_checks import NS, diagram_problems
from .form_checks import shown_fields, undescribed_fields
from .driver import Desk

PROCESS = "change-request"
FOLDER = REPO / "bpmn" / PROCESS
BPMN_FILE = FOLDER / "change-request.bpmn"

START = datetime(2026, 1, 10, 22, 0, tzinfo=timezone.utc)     # the clock starts on 2026-01-05 09:00 UTC
END = datetime(2026, 1, 11, 2, 0, tzinfo=timezone.utc)
REQUEST = {"title": "Upgrade the mail servers to 10.1",
           "description": "Upgrade mail01 and mail02 from 9.4 to 10.1; the configuration stays as it is.",
           "reason": "Version 9 is out of support at the end of the quarter.",
           "change_type": "standard",
           "planned_start": "2026-01-10T22:00:00Z", "planned_end": "2026-01-11T02:00:00Z"}
LOW_RISK = {"affected_services": "Mail (mail01, mail02)", "impact": "low", "likelihood": "low",
            "can_roll_back": True, "expected_downtime_minutes": 30,
            "assessment": "Tested on the staging pair; snapshots are the way back."}
PLAN = {"implementation_plan": "Snapshot both servers, upgrade mail02, then mail01.",
        "rollback_plan": "Restore both snapshots (20 minutes).",
        "verification_steps": "Send and receive mail from outside; open webmail.",
        "announcement": "Mail is unavailable on Saturday night for 30 minutes."}

# The diagram's steps on each part of a path, in the order they are taken.
SUBMITTED = ["change-submitted", "new-change", "number-change", "record-change", "check-request",
             "request-complete"]
REQUESTED = ["change-requested-by-problem", "new-change", "number-change", "record-change", "check-request",
             "request-complete"]
ASSESSED = ["open-change-record", "assess-impact", "assess-risk", "approval-route"]
CAB_PREPARED = ["find-cab-members", "prepare-cab-vote"]
CAB_COUNTED = ["count-cab-votes", "cab-approves"]
APPROVED = ["change-approved", "find-freeze-periods", "check-freeze", "in-freeze"]
WORKED = ["change-cleared", "plan-change", "window-opens", "implement-change", "verify-change", "works"]
CLOSED = ["close-change", "outcome-known", "update-change-record", "announce-outcome", "raised-by-problem"]
ROLLED_BACK = ["roll-back-change", "record-rollback", "report-rollback", "outcome-known", "update-change-record",
               "announce-outcome", "raised-by-problem"]
REJECTED = ["change-refused", "record-refusal", "outcome-known", "update-change-record", "announce-outcome",
            "raised-by-problem"]


@dataclass
class People:
    requester: object
    ops: object          # it-ops
    carl: object         # cab
    cleo: object         # cab
    cyril: object        # cab
    erin: object         # emergency-board
    ivan: object         # it-director
    quinn: object        # qa
    otto: object         # none of these: finance

    def everyone(self):
        return [self.requester, self.ops, self.carl, self.cleo, self.cyril, self.erin, self.ivan, self.quinn,
                self.otto]


@pytest.fixture
def people(make_user) -> People:
    return People(requester=make_user("alice", "requester"), ops=make_user("oscar", "it-ops"),
                  carl=make_user("carl", "cab"), cleo=make_user("cleo", "cab"), cyril=make_user("cyril", "cab"),
                  erin=make_user("erin", "emergency-board"), ivan=make_user("ivan", "it-director"),
                  quinn=make_user("quinn", "qa"), otto=make_user("otto", "finance"))


@pytest.fixture
def desk(deployed_desk) -> Desk:
    return deployed_desk(PROCESS, "Request a change")


# ---- helpers -----------------------------------------------------------------

def submit(desk, people, **changes):
    return desk.start(people.requester, {**REQUEST, **changes})


def inboxes(desk, people, case) -> dict[str, list[str]]:
    """Who may work on what in this case now (only people with something to do)."""
    found = {user.username: desk.inbox(user, case) for user in people.everyone()}
    return {name: steps for name, steps in found.items() if steps}


def votes(desk, user, case) -> dict[str | None, str]:
    """The open CAB votes ``user`` may take: {member the vote is for (None: the
    whole CAB's single vote): task id}."""
    open_votes = [t for t in tasks.list_tasks(user, scope="all", instance_id=case.id)
                  if t.bpmn_id == "cab-vote" and t.state == "open"]
    return {tasks.get_task(t.id, user).data["cab_member"]: t.id for t in open_votes}


def vote(desk, user, case, member: str | None, approved: bool, comment: str | None = None):
    task_id = votes(desk, user, case)[member]
    detail = tasks.get_task(task_id, user)
    assert fill_template(detail.instructions, detail.data).startswith(
        f"This is the vote of **{member}** on change" if member else
        "This is the CAB's vote (no CAB members are listed, so any member may cast it) on change")
    tasks.claim(task_id, user)
    tasks.complete(task_id, {"approved": approved} | ({"comment": comment} if comment else {}), user)
    desk.run_worker()
    return desk.reload(case)


def plan_and_wait_for_the_window(desk, people, case):
    """Plan the change; nothing happens until the window's start has passed."""
    case = desk.work(people.ops, case, "plan-change", PLAN)
    assert case.status == "running"
    assert inboxes(desk, people, case) == {}
    desk.advance(START - desk.clock.now() - timedelta(seconds=1))
    assert inboxes(desk, people, case) == {}
    assert desk.path(case)[-1] == "plan-change"
    desk.advance(seconds=1)                 # the window opens: exactly at its planned start
    assert inboxes(desk, people, case) == {"oscar": ["implement-change"]}
    return desk.reload(case)


def implement_and_verify(desk, people, case, result: str, notes: str):
    case = desk.work(people.ops, case, "implement-change",
                {"implementation_notes": "Both servers upgraded as planned."})
    assert inboxes(desk, people, case) == {"quinn": ["verify-change"]}
    return desk.work(people.quinn, case, "verify-change",
                {"verification_result": result, "verification_notes": notes})


def the_change(desk, ref: str = "CHG-000001") -> dict:
    return desk.records("changes")[ref]


def message_jobs() -> list[Job]:
    db.session.remove()
    return list(db.session.scalars(sa.select(Job).where(Job.kind == "message").order_by(Job.id)))


# ---- standard changes ----------------------------------------------------------

def test_standard_change_of_low_risk_is_pre_approved_implemented_and_closed(desk, people, clock):
    # Freeze periods around, but none overlapping the window.
    records.put("freeze-periods", "autumn", {"name": "Autumn release", "start": "2025-10-01", "end": "2025-10-31"})
    records.put("freeze-periods", "year-end", {"name": "Year-end close", "start": "2026-01-11T02:00:00Z",
                                                "end": "2026-01-20T00:00:00Z"})
    case = submit(desk, people)
    assert case.status == "running"
    assert (case.data["change_ref"], case.data["problem_ref"], case.data["request_problems"]) == (
        "CHG-000001", None, [])
    assert case.data["requester"] == "alice"            # who submitted it, noted by the start event
    assert desk.records("sequences") == {"change-request": {"last": 1}}
    # Started by a person: the message start event does not wait for change_requested as well.
    assert desk.path(case)[0] == "change-submitted"
    assert list(db.session.scalars(sa.select(MessageWait).where(MessageWait.instance_id == case.id))) == []
    assert the_change(desk) == {"change_ref": "CHG-000001", "title": REQUEST["title"], "change_type": "standard",
                                "planned_start": REQUEST["planned_start"], "planned_end": REQUEST["planned_end"],
                                "problem_ref": None, "state": "assessing"}

    # Only IT operations are asked to assess it, within two days.
    assert inboxes(desk, people, case) == {"oscar": ["assess-impact"]}
    assessment = desk.task(people.ops, case, "assess-impact")
    assert (assessment.lane, assessment.candidate_groups) == ("it-ops", ["it-ops"])
    assert assessment.due_at == clock.now() + timedelta(days=2)
    for outsider in (people.requester, people.otto, people.carl):
        with pytest.raises(Forbidden):
            tasks.claim(assessment.id, outsider)

    case = desk.work(people.ops, case, "assess-impact", LOW_RISK)
    # Low risk: pre-approved, no one else asked; no freeze period in the way.
    assert case.data["risk"] == "low"
    assert (case.data["in_freeze"], case.data["freeze_conflicts"]) == (False, [])
    assert inboxes(desk, people, case) == {"oscar": ["plan-change"]}
    plan = desk.task(people.ops, case, "plan-change")
    assert plan.due_at == START

    case = plan_and_wait_for_the_window(desk, people, case)
    assert desk.task(people.ops, case, "implement-change").due_at == END
    case = implement_and_verify(desk, people, case, "passed", "Mail flows both ways; webmail works.")

    assert case.status == "completed"
    assert desk.path(case) == SUBMITTED + ASSESSED + APPROVED + WORKED + CLOSED + ["change-closed"]
    assert desk.who_did_what(case) == [
        ("assess-impact", "oscar", ["it-ops"]), ("plan-change", "oscar", ["it-ops"]),
        ("implement-change", "oscar", ["it-ops"]), ("verify-change", "quinn", ["qa"])]
    assert (case.data["outcome"], case.data["summary"]) == (
        "implemented",
        "CHG-000001 (Upgrade the mail servers to 10.1) was implemented in its window 2026-01-10T22:00:00Z to "
        "2026-01-11T02:00:00Z and passed verification: Mail flows both ways; webmail works.")
    record = the_change(desk)
    assert {k: record[k] for k in ("state", "outcome", "risk", "summary")} == {
        "state": "closed", "outcome": "implemented", "risk": "low", "summary": case.data["summary"]}
    assert record["closed_at"] == clock.now().isoformat()
    # IT operations, the CAB and the requester are told; nobody else; no problem waits for it.
    subject = "CHG-000001 implemented: Upgrade the mail servers to 10.1"
    for name in ("alice", "oscar", "carl", "cleo", "cyril"):
        assert desk.outbox(name) == [subject]
    for name in ("erin", "ivan", "quinn", "otto"):
        assert desk.outbox(name) == []
    assert message_jobs() == []


def test_standard_change_of_higher_risk_goes_to_the_cab(desk, people):
    case = submit(desk, people)
    # Something critical, though a failure is unlikely: medium risk, so not "standard" after all.
    case = desk.work(people.ops, case, "assess-impact", {**LOW_RISK, "impact": "high"})
    assert case.data["risk"] == "medium"
    # No CAB record in the store: the CAB votes once, and any member of the cab group may cast that vote.
    assert case.data["cab_members"] == [None]
    assert inboxes(desk, people, case) == {name: ["cab-vote"] for name in ("carl", "cleo", "cyril")}
    (opened,) = [e for e in desk.events(case, "task_opened") if e.element == "cab-vote"]
    assert (opened.data["candidate_groups"], opened.data["candidate_users"]) == (["cab"], [])
    ballot = votes(desk, people.cleo, case)[None]
    for outsider in (people.ops, people.otto):
        with pytest.raises(Forbidden):
            tasks.claim(ballot, outsider)
    case = vote(desk, people.cleo, case, None, True, "Fine, the snapshots are tested.")
    assert inboxes(desk, people, case) == {"oscar": ["plan-change"]}
    assert desk.path(case) == SUBMITTED + ASSESSED + CAB_PREPARED + ["cab-vote"] * 2 + CAB_COUNTED + APPROVED + [
        "change-cleared"]
    assert desk.who_did_what(case)[1] == ("cab-vote", "cleo", ["cab"])
    assert case.data["cab_votes"] == [
        {"member": None, "voted_by": "cleo", "approved": True, "comment": "Fine, the snapshots are tested."}]
    assert case.data["cab_approved"] is True


# ---- normal changes: the CAB votes in parallel -----------------------------------

@pytest.mark.also_on_postgres
def test_normal_change_approved_by_every_cab_member_then_rolled_back(desk, people, clock):
    records.put("change-settings", "cab", {"members": ["carl", "cleo", "cyril"]})
    case = submit(desk, people, change_type="normal")
    case = desk.work(people.ops, case, "assess-impact", {**LOW_RISK, "impact": "medium", "likelihood": "medium"})
    assert case.data["risk"] == "medium"
    assert case.data["cab_members"] == ["carl", "cleo", "cyril"]

    # One vote per member, all open at once, each only in the inbox of the member it is for.
    assert inboxes(desk, people, case) == {name: ["cab-vote"] for name in ("carl", "cleo", "cyril")}
    opened = desk.events(case, "task_opened")
    assert sorted((e.element, e.data["candidate_groups"], e.data["candidate_users"]) for e in opened[-3:]) == [
        ("cab-vote", [], ["carl"]), ("cab-vote", [], ["cleo"]), ("cab-vote", [], ["cyril"])]
    assert len({e.at for e in opened[-3:]}) == 1
    for member in (people.carl, people.cleo, people.cyril):
        assert list(votes(desk, member, case)) == [member.username]
    ballot = tasks.get_task(votes(desk, people.cleo, case)["cleo"], people.cleo)
    assert (ballot.task.name, ballot.task.lane, ballot.task.due_at) == (
        "Vote on the change", "cab", clock.now() + timedelta(days=3))
    assert fill_template(ballot.instructions, ballot.data).startswith("This is the vote of **cleo** on change")
    assert ballot.data["risk"] == "medium" and "approved" not in ballot.data
    # Nobody but cleo may cast cleo's vote: not another CAB member, not anyone outside the CAB.
    for other in (people.carl, people.cyril, people.ops, people.ivan, people.otto):
        with pytest.raises(Forbidden):
            tasks.claim(ballot.task.id, other)
        with pytest.raises(Forbidden):
            tasks.complete(ballot.task.id, {"approved": True}, other)
    assert desk.events(case, "task_completed")[-1].element == "assess-impact"

    # The votes come in any order; the change waits for all of them.
    case = vote(desk, people.cyril, case, "cyril", True)
    case = vote(desk, people.carl, case, "carl", True, "Tell the service desk the day before.")
    assert inboxes(desk, people, case) == {"cleo": ["cab-vote"]}
    case = vote(desk, people.cleo, case, "cleo", True)
    assert case.data["cab_votes"] == [
        {"member": "cyril", "voted_by": "cyril", "approved": True, "comment": ""},
        {"member": "carl", "voted_by": "carl", "approved": True, "comment": "Tell the service desk the day before."},
        {"member": "cleo", "voted_by": "cleo", "approved": True, "comment": ""}]
    # What a member typed stays with their vote, not in the change's data.
    assert "approved" not in case.data and "voted_by" not in case.data
    assert case.data["cab_approved"] is True
    assert inboxes(desk, people, case) == {"oscar": ["plan-change"]}

    case = plan_and_wait_for_the_window(desk, people, case)
    case = implement_and_verify(desk, people, case, "failed", "Mail from outside bounces: TLS handshake fails.")
    # Failed verification: IT operations roll it back, urgently.
    assert inboxes(desk, people, case) == {"oscar": ["roll-back-change"]}
    assert desk.task(people.ops, case, "roll-back-change").priority == 90
    case = desk.work(people.ops, case, "roll-back-change", {
        "failure_cause": "Version 10 rejects our old TLS certificates.",
        "rollback_notes": "Restored both snapshots; mail flows again.", "service_restored": True})

    assert case.status == "completed"
    assert desk.path(case) == (SUBMITTED + ASSESSED + CAB_PREPARED + ["cab-vote"] * 4 + CAB_COUNTED + APPROVED
                               + WORKED + ROLLED_BACK + ["change-closed"])
    assert desk.who_did_what(case) == [
        ("assess-impact", "oscar", ["it-ops"]), ("cab-vote", "cyril", []), ("cab-vote", "carl", []),
        ("cab-vote", "cleo", []), ("plan-change", "oscar", ["it-ops"]),
        ("implement-change", "oscar", ["it-ops"]), ("verify-change", "quinn", ["qa"]),
        ("roll-back-change", "oscar", ["it-ops"])]
    assert case.data["outcome"] == "rolled_back"
    assert case.data["summary"] == (
        "CHG-000001 (Upgrade the mail servers to 10.1) failed verification and was rolled back; the service is "
        "back as it was. Cause: Version 10 rejects our old TLS certificates. Roll-back: Restored both snapshots; "
        "mail flows again.")
    assert {k: the_change(desk)[k] for k in ("state", "outcome", "risk")} == {
        "state": "closed", "outcome": "rolled_back", "risk": "medium"}
    # The report goes to IT operations, the CAB and the IT director; then the outcome is announced,
    # to the requester as well.
    report = "CHG-000001 rolled back: Upgrade the mail servers to 10.1"
    assert desk.outbox("ivan") == desk.outbox("alice") == [report]
    for name in ("oscar", "carl", "cleo", "cyril"):
        assert desk.outbox(name) == [report, report]
    assert desk.outbox("quinn") == []


def test_normal_change_rejected_by_one_cab_member(desk, people):
    records.put("change-settings", "cab", {"members": ["carl", "cleo", "cyril"]})
    case = submit(desk, people, change_type="normal")
    case = desk.work(people.ops, case, "assess-impact", LOW_RISK)
    assert case.data["risk"] == "low"          # low, but a normal change still goes to the CAB
    assert inboxes(desk, people, case) == {name: ["cab-vote"] for name in ("carl", "cleo", "cyril")}

    case = vote(desk, people.carl, case, "carl", True)
    case = vote(desk, people.cleo, case, "cleo", False, "Not during the quarter-end close.")

    # One "no" rejects the change: the vote still open (cyril's) is withdrawn.
    assert case.status == "completed"
    assert inboxes(desk, people, case) == {}
    assert [e.element for e in desk.events(case, "task_cancelled")] == ["cab-vote"]
    assert desk.path(case) == (SUBMITTED + ASSESSED + CAB_PREPARED + ["cab-vote"] * 3 + CAB_COUNTED + REJECTED
                               + ["change-closed"])
    assert desk.who_did_what(case) == [("assess-impact", "oscar", ["it-ops"]), ("cab-vote", "carl", []),
                                       ("cab-vote", "cleo", [])]
    assert case.data["cab_votes"] == [
        {"member": "carl", "voted_by": "carl", "approved": True, "comment": ""},
        {"member": "cleo", "voted_by": "cleo", "approved": False, "comment": "Not during the quarter-end close."}]
    assert (case.data["cab_approved"], case.data["outcome"], case.data["rejected_by"]) == (
        False, "rejected", "the change advisory board")
    assert case.data["summary"] == ("CHG-000001 (Upgrade the mail servers to 10.1) was rejected by the change "
                                    "advisory board: cleo: Not during the quarter-end close.")
    assert {k: the_change(desk)[k] for k in ("state", "outcome")} == {"state": "closed", "outcome": "rejected"}
    rejected = "CHG-000001 rejected: Upgrade the mail servers to 10.1"
    for name in ("alice", "oscar", "carl", "cleo", "cyril"):
        assert desk.outbox(name) == [rejected]
    assert "plan-change" not in desk.path(case) and "find-freeze-periods" not in desk.path(case)


# ---- emergency changes ----------------------------------------------------------

def test_emergency_change_approved_by_the_emergency_board(desk, people, clock):
    # The gateway leaks card data: the window opens in two hours.
    case = submit(desk, people, change_type="emergency", title="Patch the payment gateway",
                  reason="The payment gateway leaks card numbers in its logs.",
                  planned_start="2026-01-05T11:00:00Z", planned_end="2026-01-05T13:00:00Z")
    case = desk.work(people.ops, case, "assess-impact", {**LOW_RISK, "impact": "high", "likelihood": "high"})
    assert case.data["risk"] == "high"

    # Only the emergency board is asked, urgently, with two hours to answer.
    assert inboxes(desk, people, case) == {"erin": ["approve-emergency"]}
    approval = desk.task(people.erin, case, "approve-emergency")
    assert (approval.lane, approval.candidate_groups, approval.priority, approval.due_at) == (
        "emergency-board", ["emergency-board"], 80, clock.now() + timedelta(hours=2))
    desk.advance(minutes=30)
    case = desk.work(people.erin, case, "approve-emergency",
                {"emergency_approved": True, "emergency_comment": "Approved: card data must not leak."})
    assert inboxes(desk, people, case) == {"oscar": ["plan-change"]}
    # Answered in time: nobody is chased later.
    desk.advance(hours=3)
    assert desk.outbox("ivan") == desk.outbox("erin") == []

    # Planned after the window opened: the implementation is asked for at once.
    case = desk.work(people.ops, case, "plan-change", PLAN)
    assert inboxes(desk, people, case) == {"oscar": ["implement-change"]}
    case = implement_and_verify(desk, people, case, "passed", "No card numbers in the logs any more.")
    assert case.status == "completed"
    assert desk.path(case) == (SUBMITTED + ASSESSED + ["approve-emergency", "emergency-approved"] + APPROVED
                               + WORKED + CLOSED + ["change-closed"])
    assert desk.who_did_what(case) == [
        ("assess-impact", "oscar", ["it-ops"]), ("approve-emergency", "erin", ["emergency-board"]),
        ("plan-change", "oscar", ["it-ops"]), ("implement-change", "oscar", ["it-ops"]),
        ("verify-change", "quinn", ["qa"])]
    assert (case.data["emergency_approved"], case.data["outcome"]) == (True, "implemented")
    assert {k: the_change(desk)[k] for k in ("outcome", "risk", "change_type")} == {
        "outcome": "implemented", "risk": "high", "change_type": "emergency"}


def test_emergency_board_is_chased_after_two_hours_and_the_approval_stays_open(desk, people):
    case = submit(desk, people, change_type="emergency")
    case = desk.work(people.ops, case, "assess-impact", LOW_RISK)
    desk.advance(hours=1, minutes=59, seconds=59)
    assert desk.outbox("ivan") == []
    assert desk.task(people.erin, case, "approve-emergency").priority == 80

    desk.advance(seconds=1)                 # exactly 2 hours after the approval was asked for
    # The IT director and the board are told; the approval is made urgent, not taken away.
    chase = "CHG-000001: emergency change waiting 2 hours for approval"
    assert desk.outbox("ivan") == desk.outbox("erin") == [chase]
    assert desk.outbox("oscar") == desk.outbox("carl") == []
    assert inboxes(desk, people, desk.reload(case)) == {"erin": ["approve-emergency"]}
    assert desk.task(people.erin, case, "approve-emergency").priority == 100
    assert [e.data["to"] for e in desk.events(case, "task_priority_raised")] == [100]
    assert desk.path(case)[-4:] == ["emergency-sla", "chase-emergency-board", "raise-emergency-priority",
                                    "emergency-board-chased"]
    # Once only.
    desk.advance(hours=5)
    assert desk.outbox("ivan") == [chase]

    case = desk.work(people.erin, case, "approve-emergency",
                {"emergency_approved": True, "emergency_comment": "Approved, late but needed."})
    assert inboxes(desk, people, case) == {"oscar": ["plan-change"]}
    assert desk.path(case) == (SUBMITTED + ASSESSED + ["emergency-sla", "chase-emergency-board",
                                                       "raise-emergency-priority", "emergency-board-chased",
                                                       "approve-emergency", "emergency-approved"]
                               + APPROVED + ["change-cleared"])


def test_emergency_change_rejected_by_the_emergency_board(desk, people):
    case = submit(desk, people, change_type="emergency")
    case = desk.work(people.ops, case, "assess-impact", LOW_RISK)
    approval = desk.task(people.erin, case, "approve-emergency")
    tasks.claim(approval.id, people.erin)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(approval.id, {"emergency_approved": False}, people.erin)
    assert set(refused.value.fields) == {"emergency_comment"}
    case = desk.work(people.erin, case, "approve-emergency",
                {"emergency_approved": False, "emergency_comment": "Not an emergency: take it to the CAB."})
    assert case.status == "completed"
    assert desk.path(case) == (SUBMITTED + ASSESSED + ["approve-emergency", "emergency-approved"] + REJECTED
                               + ["change-closed"])
    assert case.data["summary"] == ("CHG-000001 (Upgrade the mail servers to 10.1) was rejected by the emergency "
                                    "board: Not an emergency: take it to the CAB.")
    assert the_change(desk)["outcome"] == "rejected"
    assert desk.outbox("alice") == ["CHG-000001 rejected: Upgrade the mail servers to 10.1"]


# ---- freeze periods -----------------------------------------------------------

FREEZE = {"name": "Winter sales", "start": "2026-01-08", "end": "2026-01-10"}   # whole days: up to 11 Jan 00:00


def test_change_in_a_freeze_period_goes_ahead_with_the_it_directors_exception(desk, people):
    records.put("freeze-periods", "winter-sales", FREEZE)
    records.put("freeze-periods", "broken", {"name": "No dates"})
    case = submit(desk, people)
    case = desk.work(people.ops, case, "assess-impact", LOW_RISK)
    assert case.data["in_freeze"] is True
    assert case.data["freeze_conflicts"] == [
        {"key": "winter-sales", "name": "Winter sales", "start": "2026-01-08", "end": "2026-01-10"}]
    # Only the IT director is asked.
    assert inboxes(desk, people, case) == {"ivan": ["approve-exception"]}
    exception = tasks.get_task(desk.task(people.ivan, case, "approve-exception").id, people.ivan)
    assert exception.task.lane == "it-director"
    assert "**Winter sales**: 2026-01-08 to 2026-01-10" in fill_template(exception.instructions, exception.data)

    case = desk.work(people.ivan, case, "approve-exception",
                {"exception_granted": True, "exception_comment": "Security fix: it cannot wait."})
    assert inboxes(desk, people, case) == {"oscar": ["plan-change"]}
    case = plan_and_wait_for_the_window(desk, people, case)
    case = implement_and_verify(desk, people, case, "passed", "Works.")
    assert case.status == "completed"
    assert desk.path(case) == (SUBMITTED + ASSESSED + APPROVED + ["approve-exception", "exception-granted"]
                               + WORKED + CLOSED + ["change-closed"])
    assert desk.who_did_what(case)[1] == ("approve-exception", "ivan", ["it-director"])
    assert case.data["outcome"] == "implemented"


def test_change_in_a_freeze_period_is_rejected_without_an_exception(desk, people):
    records.put("freeze-periods", "winter-sales", FREEZE)
    case = submit(desk, people, planned_start="2026-01-09T22:00:00Z", planned_end="2026-01-09T23:00:00Z")
    case = desk.work(people.ops, case, "assess-impact", LOW_RISK)
    case = desk.work(people.ivan, case, "approve-exception",
                {"exception_granted": False, "exception_comment": "Wait until the sales are over."})
    assert case.status == "completed"
    assert desk.path(case) == (SUBMITTED + ASSESSED + APPROVED + ["approve-exception", "exception-granted"]
                               + REJECTED + ["change-closed"])
    assert case.data["summary"] == (
        "CHG-000001 (Upgrade the mail servers to 10.1) was rejected by the IT director (no exception for the "
        "freeze period): Wait until the sales are over.")
    assert the_change(desk)["outcome"] == "rejected"
    assert desk.outbox("oscar") == desk.outbox("alice") == ["CHG-000001 rejected: Upgrade the mail servers to 10.1"]


# ---- an incomplete request ----------------------------------------------------

def test_an_incomplete_request_is_completed_by_it_ops_as_often_as_needed(desk, people, clock):
    # A window that began an hour ago is refused on the form itself.
    with pytest.raises(InvalidData) as refused:
        submit(desk, people, planned_start="2026-01-05T08:00:00Z", planned_end="2026-01-05T10:00:00Z")
    assert refused.value.fields == {"planned_start": ["Must not be in the past."]}
    # One that ends before it starts passes the form, but cannot be assessed.
    case = submit(desk, people, planned_start="2026-01-05T12:00:00Z", planned_end="2026-01-05T10:00:00Z")
    assert case.data["request_problems"] == ["The planned end is not after the planned start."]
    assert inboxes(desk, people, case) == {"oscar": ["complete-request"]}
    completion = tasks.get_task(desk.task(people.ops, case, "complete-request").id, people.ops)
    assert completion.task.due_at == clock.now() + timedelta(days=1)
    assert completion.data["title"] == REQUEST["title"]          # the form shows what was asked
    assert "Agree the details with **alice**, who asked for it." in fill_template(completion.instructions,
                                                                                 completion.data)

    # Corrected, but now the window ends before it starts: asked again.
    case = desk.work(people.ops, case, "complete-request",
                {**REQUEST, "planned_start": "2026-01-12T22:00:00Z", "planned_end": "2026-01-12T21:00:00Z"})
    assert case.data["request_problems"] == ["The planned end is not after the planned start."]
    assert inboxes(desk, people, case) == {"oscar": ["complete-request"]}
    # The form itself refuses what is not a date and time.
    task = desk.task(people.ops, case, "complete-request")
    tasks.claim(task.id, people.ops)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(task.id, {**REQUEST, "planned_end": "tomorrow", "change_type": "urgent"}, people.ops)
    assert set(refused.value.fields) == {"planned_end", "change_type"}

    case = desk.work(people.ops, case, "complete-request",
                {**REQUEST, "planned_start": "2026-01-12T22:00:00Z", "planned_end": "2026-01-12T23:30:00Z"})
    assert case.data["request_problems"] == []
    assert inboxes(desk, people, case) == {"oscar": ["assess-impact"]}
    assert desk.path(case) == SUBMITTED + ["complete-request", "check-request", "request-complete"] * 2 + [
        "open-change-record"]
    assert the_change(desk)["planned_start"] == "2026-01-12T22:00:00Z"


# ---- raised by a problem: change_requested in, change_closed out ------------------

STAND_IN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="stand-in" targetNamespace="test">
  <bpmn:collaboration id="stand-in-collaboration">
    <bpmn:participant id="stand-in-pool" processRef="waits-for-a-change" />
    <bpmn:correlationKey name="problem"><bpmn:correlationPropertyRef>problem_ref</bpmn:correlationPropertyRef>
    </bpmn:correlationKey>
  </bpmn:collaboration>
  <bpmn:message id="change_closed" name="change_closed" />
  <bpmn:correlationProperty id="problem_ref" name="problem_ref">
    <bpmn:correlationPropertyRetrievalExpression messageRef="change_closed">
      <bpmn:formalExpression>problem_ref</bpmn:formalExpression>
    </bpmn:correlationPropertyRetrievalExpression>
  </bpmn:correlationProperty>
  <bpmn:process id="waits-for-a-change" name="Waits for a change" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="change-closed" name="Change closed">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:messageEventDefinition id="change-closed-definition" messageRef="change_closed">
        <bpmn:extensionElements><spiffworkflow:messageVariable>change</spiffworkflow:messageVariable>
        </bpmn:extensionElements>
      </bpmn:messageEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="change-closed" />
    <bpmn:sequenceFlow id="f2" sourceRef="change-closed" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

CHANGE_REQUESTED = {"problem_ref": "PRB-000007", "title": "Raise the mail relay's size limit",
                    "description": "The relay drops mail over 10 MB; raise its limit to 50 MB.",
                    "change_type": "standard"}


def test_a_change_requested_by_a_problem_reports_its_outcome_to_that_problem(desk, people, make_user):
    """Started by ``change_requested``; the window is added by IT operations; at the end
    ``change_closed`` reaches the problem with the same reference, and only that one.
    (The problem process is another engineer's: a stand-in waits for the message here.)"""
    deployments.deploy({"stand-in.bpmn": STAND_IN.encode()}, make_user("owner2", role="owner"), source="test")
    waiting = {ref: instances.start_instance("waits-for-a-change", people.requester, data={"problem_ref": ref})
               for ref in ("PRB-000007", "PRB-000008")}

    delivery = desk.message(people.ops, "change_requested", correlation={"problem_ref": "PRB-000007"},
                            data=CHANGE_REQUESTED)
    assert delivery.delivered_to == [] and len(delivery.started) == 1
    case = desk.reload(delivery.started[0])
    # Only the message start event ran: the person's start (and its form) did not.
    assert desk.path(case) == REQUESTED
    assert [e.element for e in desk.events(case, "instance_started")] == ["change-requested-by-problem"]
    assert case.data["change_ref"] == case.business_key == "CHG-000001"
    assert case.data["requester"] is None               # no person submitted it: the problem is told instead
    assert case.data["reason"] == "Needed to resolve problem PRB-000007."
    assert case.data["request_problems"] == ["The planned start is missing or not a date and time.",
                                             "The planned end is missing or not a date and time."]
    # The message gives no window: IT operations agree one and complete the request.
    assert inboxes(desk, people, case) == {"oscar": ["complete-request"]}
    completion = tasks.get_task(desk.task(people.ops, case, "complete-request").id, people.ops)
    assert completion.data["problem_ref"] == "PRB-000007"
    assert "agree the window with the problem manager" in fill_template(completion.instructions, completion.data)
    case = desk.work(people.ops, case, "complete-request", {
        **{k: case.data[k] for k in ("title", "description", "reason", "change_type")},
        "planned_start": "2026-01-10T22:00:00Z", "planned_end": "2026-01-11T02:00:00Z"})
    case = desk.work(people.ops, case, "assess-impact", LOW_RISK)
    case = plan_and_wait_for_the_window(desk, people, case)
    case = implement_and_verify(desk, people, case, "passed", "Mail of 40 MB goes through.")

    assert case.status == "completed"
    assert desk.path(case) == (REQUESTED + ["complete-request", "check-request", "request-complete"] + ASSESSED
                               + APPROVED + WORKED + CLOSED + ["tell-problem", "problem-told"])
    assert the_change(desk)["problem_ref"] == "PRB-000007"
    # The message went out as the contract says, and reached the problem with that reference only.
    summary = ("CHG-000001 (Raise the mail relay's size limit) was implemented in its window 2026-01-10T22:00:00Z "
               "to 2026-01-11T02:00:00Z and passed verification: Mail of 40 MB goes through.")
    closed = {"problem_ref": "PRB-000007", "outcome": "implemented", "summary": summary}
    assert message_jobs() == []                 # delivered at once
    told, other = (desk.reload(waiting[ref]) for ref in ("PRB-000007", "PRB-000008"))
    assert (told.status, told.data["change"]) == ("completed", closed)
    assert [(e.data["name"], e.data["correlation"], e.data["data"]) for e in desk.events(told, "message_received")] \
        == [("change_closed", {"problem_ref": "PRB-000007"}, closed)]
    assert other.status == "running" and desk.events(other, "message_received") == []
    # The announcement goes to IT operations and the CAB only: there is no requester to tell.
    outcome = "CHG-000001 implemented: Raise the mail relay's size limit"
    assert desk.outbox("oscar") == desk.outbox("carl") == [outcome]
    assert desk.outbox("alice") == []


def test_a_rejected_change_requested_by_a_problem_still_sends_change_closed(desk, people):
    delivery = desk.message(people.ops, "change_requested", correlation={"problem_ref": "PRB-000042"},
                            data={**CHANGE_REQUESTED, "problem_ref": "PRB-000042", "change_type": "emergency"})
    case = desk.reload(delivery.started[0])
    case = desk.work(people.ops, case, "complete-request", {
        **{k: case.data[k] for k in ("title", "description", "reason", "change_type")},
        "planned_start": "2026-01-05T22:00:00Z", "planned_end": "2026-01-05T23:00:00Z"})
    case = desk.work(people.ops, case, "assess-impact", LOW_RISK)
    case = desk.work(people.erin, case, "approve-emergency",
                {"emergency_approved": False, "emergency_comment": "The workaround holds; use the CAB."})
    assert case.status == "completed"
    assert desk.path(case)[-4:] == ["announce-outcome", "raised-by-problem", "tell-problem", "problem-told"]

    # No problem waits in this test: the message job keeps trying, then gives up and says so.
    (job,) = message_jobs()
    summary = ("CHG-000001 (Raise the mail relay's size limit) was rejected by the emergency board: "
               "The workaround holds; use the CAB.")
    assert (job.instance_id, job.element, job.attempts) == (case.id, "change_closed", 1)
    assert job.params == {"name": "change_closed", "correlation": {"problem_ref": "PRB-000042"},
                          "data": {"problem_ref": "PRB-000042", "outcome": "rejected", "summary": summary}}
    desk.advance(minutes=1)
    desk.advance(minutes=1)
    assert message_jobs() == []
    (undelivered,) = desk.events(case, "message_undelivered")
    assert (undelivered.element, undelivered.data["name"], undelivered.data["correlation"]) == (
        "change_closed", "change_closed", {"problem_ref": "PRB-000042"})


# ---- the forms -----------------------------------------------------------------

BAD_REQUESTS = [
    ({"title": "Fix", "change_type": "urgent"}, {"title", "change_type"}),
    ({"planned_start": "2026-01-10 22:00", "planned_end": "tomorrow"}, {"planned_start", "planned_end"}),
    ({"planned_start": "2026-01-10T22:00"}, {"planned_start"}),                   # no time zone
    ({"reason": None, "description": "x" * 4001}, {"reason", "description"}),
    ({"owner": "me"}, {"owner"}),
]


def test_the_forms_refuse_bad_input(desk, people):
    for changes, fields in BAD_REQUESTS:
        data = {k: v for k, v in {**REQUEST, **changes}.items() if v is not None}
        with pytest.raises(InvalidData) as refused:
            instances.start_instance(PROCESS, people.requester, data=data)
        assert set(refused.value.fields) == fields, changes
    assert instances.list_instances(people.requester) == []

    case = submit(desk, people, change_type="normal")
    task = desk.task(people.ops, case, "assess-impact")
    tasks.claim(task.id, people.ops)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(task.id, {**LOW_RISK, "impact": "huge", "expected_downtime_minutes": -5,
                                 "can_roll_back": "maybe"}, people.ops)
    assert set(refused.value.fields) == {"impact", "expected_downtime_minutes", "can_roll_back"}
    with pytest.raises(InvalidData) as refused:
        tasks.complete(task.id, {"impact": "low"}, people.ops)
    assert set(refused.value.fields) == {"affected_services", "likelihood", "can_roll_back",
                                         "expected_downtime_minutes", "assessment"}
    assert desk.task(people.ops, case, "assess-impact").state == "open"
    assert desk.events(case, "task_completed") == []

    case = desk.work(people.ops, case, "assess-impact", LOW_RISK)
    ballot = votes(desk, people.carl, case)[None]
    tasks.claim(ballot, people.carl)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(ballot, {"approved": "yes", "comment": "x" * 2001}, people.carl)
    assert set(refused.value.fields) == {"approved", "comment"}
    assert list(votes(desk, people.carl, case)) == [None]


# ---- the risk table -----------------------------------------------------------

@pytest.fixture(scope="module")
def risk_of():
    """The shipped decision table, run by the engine on its own."""
    table = decision_table(PROCESS, "change-risk.dmn", "change_risk")

    def decide(impact: str, likelihood: str, can_roll_back: bool) -> str:
        return table({"impact": impact, "likelihood": likelihood, "can_roll_back": can_roll_back})["risk"]
    return decide


#             likelihood: low       medium    high
RISK_MATRIX = {"low":    ("low",    "low",    "medium"),
               "medium": ("low",    "medium", "high"),
               "high":   ("medium", "high",   "high")}


@pytest.mark.parametrize("impact", ["low", "medium", "high"])
def test_the_risk_table_with_a_way_back(risk_of, impact):
    assert tuple(risk_of(impact, likelihood, True) for likelihood in ("low", "medium", "high")) == \
        RISK_MATRIX[impact]


def test_the_risk_table_without_a_way_back(risk_of):
    """No way back from a change anyone would notice: high risk."""
    assert [risk_of("low", likelihood, False) for likelihood in ("low", "medium", "high")] == list(RISK_MATRIX["low"])
    for impact in ("medium", "high"):
        assert {risk_of(impact, likelihood, False) for likelihood in ("low", "medium", "high")} == {"high"}


# ---- the diagram -------------------------------------------------------------

HUMAN_STEPS = {"complete-request": "it-ops", "assess-impact": "it-ops", "cab-vote": "cab",
               "approve-emergency": "emergency-board", "approve-exception": "it-director",
               "plan-change": "it-ops", "implement-change": "it-ops", "verify-change": "qa",
               "roll-back-change": "it-ops"}


def test_every_human_step_has_a_lane_documentation_instructions_and_a_form():
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name, model.category, model.startable) == (
        PROCESS, "Request a change", "Changes & releases", True)
    assert model.description.startswith("Ask for a change to an IT service or system")
    # The person who submits a change is noted as its requester; each CAB vote is its member's.
    assert model.initiator == "requester"
    vote_step = model.tasks["cab-vote"]
    assert (vote_step.candidate_users, vote_step.candidate_groups, vote_step.completed_by_variable) == (
        ["${cab_member}"], [], "voted_by")
    assert list(model.start_form.schema["properties"]) == [
        "title", "description", "reason", "change_type", "planned_start", "planned_end"]
    assert {k: t.lane for k, t in model.tasks.items()} == HUMAN_STEPS
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form, task.bpmn_id
        assert "change_ref" in shown_fields(task.form), task.bpmn_id
        assert undescribed_fields(task.form) == [], task.bpmn_id


def test_the_diagram_is_documented_and_laid_out_left_to_right():
    assert diagram_problems(BPMN_FILE) == []
    root = etree.parse(str(BPMN_FILE)).getroot()
    process = root.find("bpmn:process", NS)
    assert [lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)] == [
        "it-ops", "cab", "emergency-board", "it-director", "qa"]
    # The message contract: change_requested starts it, change_closed (correlated on problem_ref) ends it.
    assert {m.get("name") for m in root.findall("bpmn:message", NS)} == {"change_requested", "change_closed"}
    (key,) = root.findall("bpmn:collaboration/bpmn:correlationKey", NS)
    assert (key.get("name"), key.findtext("bpmn:correlationPropertyRef", namespaces=NS)) == ("problem", "problem_ref")

