"""The shipped process ``onboarding`` ("Onboard a new employee").

Driven through Baton's services the way its users drive it: an HR partner
fills the start form, Baton numbers the onboarding and checks the details
against the people register (HR corrects them when the user name is taken,
the start date too soon or the admin rights wrong), then four departments
work in parallel: IT operations create the accounts (the people register and
the access record get the new hire) and pick the equipment from the asset
register (Baton refuses an asset that is not available), security grant the
access after the manager approved or refused the admin rights, and HR
schedules the induction (a date that does not fit is sent back). When all
four are done, in whatever order, the new hire becomes active, the admin
rights granted join the access record, and the manager and HR are welcomed;
when the deadline (09:00 UTC two working days before the start) passes first,
Baton escalates once: the open steps become urgent and HR and the manager are
warned. One test per path, each checking the path taken (the audit trail),
who was asked to do what, what people were told (the outbox), the records in
the store and the data at the end; then the forms and the diagram.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from lxml import etree

from app.engine.bundle import load_bundle
from app.models import HumanTask, OutboxMessage, db
from app.services import instances, records, tasks
from app.services.errors import Forbidden, InvalidData

from .conftest import REPO, bundle_of
from .diagram_checks import NS, diagram_problems
from .driver import Desk
from .form_checks import shown_fields, undescribed_fields

PROCESS = "onboarding"
BPMN_FILE = REPO / "bpmn" / PROCESS / "onboarding.bpmn"

# The clock starts on Monday 2026-01-05 09:00 UTC. Nora starts two Mondays later;
# the deadline is 09:00 UTC two working days before: Thursday 2026-01-15.
START_DATE = "2026-01-19"
DEADLINE = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)
NEW_HIRE = {"full_name": "Nora Lind", "username": "nora.lind", "job_title": "Account manager",
            "department": "Sales", "manager": "mona", "start_date": START_DATE,
            "systems": ["email", "sso", "crm"], "equipment": ["laptop", "monitor"]}
ADMIN_RIGHTS = {"elevated_systems": ["crm"],
                "elevated_justification": "Runs the CRM's sales territories and must change them."}
ACCOUNTS = {"email": "nora.lind@example.org", "accounts_notes": "The first password waits at reception."}
ACCESS = {"access_notes": "Sales-users in SSO and the CRM; multi-factor sign-in."}
INDUCTION = {"induction_date": "2026-01-20", "induction_sessions": ["welcome", "it-basics", "security-awareness"],
             "induction_location": "Room 2.14, head office"}
PICK = {"equipment_tags": ["LAP-0001", "MON-0002"]}

# The diagram's steps on each part of a path, in the order they are taken.
CHECKED = ["new-hire-announced", "number-onboarding", "look-up-username", "check-details", "details-complete"]
CORRECTED = ["correct-details", "look-up-username", "check-details", "details-complete"]
# At the split the security branch goes as far as it can at once: straight to "Grant the access",
# or to the manager's approval; the equipment branch lists the register (one look-up per type).
STANDARD_SPLIT = ["prepare-in-parallel", "admin-rights-requested", "access-to-grant"]
ADMIN_SPLIT = ["prepare-in-parallel", "admin-rights-requested"]
EQUIPMENT_LISTED = ["look-up-equipment"] * 3 + ["check-equipment", "equipment-ready"]
ACCOUNTS_DONE = ["create-accounts", "add-to-people-register", "record-standard-access"]
HANDED_OUT = (["hand-out-started", "mark-on-loan", "number-hand-over", "record-hand-over", "asset-handed-out",
               "hand-out-equipment"] * 2 + ["hand-out-equipment"])
EQUIPMENT_DONE = ["pick-equipment"] + EQUIPMENT_LISTED + HANDED_OUT
APPROVED = ["approve-admin-rights", "access-to-grant"]
INDUCTED = ["schedule-induction", "check-induction", "induction-date-fits"]
FINISHED = ["activate-person", "record-access", "send-welcome", "onboarded"]
FINISHED_IN_TIME = ["all-prepared", "announce-prepared", "watch-deadline", "prepared-in-time", "no-escalation"] + \
    FINISHED
FINISHED_LATE = ["all-prepared", "announce-prepared"] + FINISHED
ESCALATED = ["watch-deadline", "deadline-reached"] + ["make-steps-urgent"] * 6 + ["warn-hr-and-manager",
                                                                                 "escalated"]
PREPARATION_STEPS = {"create-accounts", "pick-equipment", "approve-admin-rights", "grant-access",
                     "schedule-induction"}


@dataclass
class People:
    hana: object         # hr: starts the onboarding
    hugo: object         # hr
    oscar: object        # it-ops
    sven: object         # security
    mona: object         # manager: Nora's
    max: object          # manager: someone else's
    alice: object        # requester only

    def everyone(self):
        return [self.hana, self.hugo, self.oscar, self.sven, self.mona, self.max, self.alice]


@pytest.fixture
def people(make_user) -> People:
    return People(hana=make_user("hana", "hr"), hugo=make_user("hugo", "hr"), oscar=make_user("oscar", "it-ops"),
                  sven=make_user("sven", "security"), mona=make_user("mona", "manager"),
                  max=make_user("max", "manager"), alice=make_user("alice", "requester"))


ASSETS = [  # tag, type, model, condition, status, holder, reference
    ("LAP-0001", "laptop", "Lenovo ThinkPad T14", "good", "available", None, None),
    ("LAP-0002", "laptop", "Dell Latitude 7440", "new", "available", None, None),
    ("LAP-0003", "laptop", "Lenovo ThinkPad T14", "good", "on_loan", "alice", "LOAN-000004"),
    ("LAP-0008", "laptop", "Dell Latitude 5440", "damaged", "in_repair", None, None),
    ("MON-0001", "monitor", "Dell P2422H", "good", "available", None, None),
    ("MON-0002", "monitor", "LG 27UP850", "new", "available", None, None),
    ("HDS-0001", "headset", "Jabra Evolve2 65", "good", "available", None, None),
]


@pytest.fixture
def register(app_ctx):
    """The people register with two people in it, and a small asset register."""
    records.put("people", "alice", {"username": "alice", "name": "Alice Martin", "email": "alice@example.org",
                                    "department": "Sales", "title": "Account manager", "manager": "mona",
                                    "status": "active", "start_date": None, "last_day": None})
    records.put("people", "nora", {"username": "nora", "name": "Nora Berg", "email": "nora@example.org",
                                   "department": "Finance", "title": "Accountant", "manager": "fiona",
                                   "status": "left", "start_date": None, "last_day": "2025-06-30"})
    for tag, kind, model, condition, status, holder, reference in ASSETS:
        records.put("assets", tag, {"tag": tag, "type": kind, "model": model, "serial": f"S-{tag}",
                                    "condition": condition, "status": status, "holder": holder,
                                    "reference": reference, "due": None})


@pytest.fixture
def desk(deployed_desk, register) -> Desk:
    return deployed_desk(PROCESS, "Onboard a new employee")


# ---- helpers -----------------------------------------------------------------

def start(desk, people, **changes):
    data = {k: v for k, v in {**NEW_HIRE, **changes}.items() if v is not None}
    return desk.start(people.hana, data)


def inboxes(desk, people, case) -> dict[str, list[str]]:
    """Who may work on what in this case now (only people with something to do)."""
    found = {user.username: desk.inbox(user, case) for user in people.everyone()}
    return {name: steps for name, steps in found.items() if steps}


def mail(username: str) -> list[tuple[str, str]]:
    """(subject, body) of every message ``username`` was sent, oldest first."""
    db.session.remove()
    return [(m.subject, m.body) for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == username).order_by(OutboxMessage.id))]


def open_tasks(case) -> dict[str, int]:
    """The case's open steps and their priority."""
    db.session.remove()
    return {t.bpmn_id: t.priority for t in db.session.scalars(
        sa.select(HumanTask).where(HumanTask.instance_id == case.id, HumanTask.state == "open"))}


def human_path(desk, case) -> list[str]:
    """The human steps done, in order."""
    return [step for step, _, _ in desk.who_did_what(case)]


# The four departments' parts, each done the usual way.
def create_accounts(desk, people, case):
    return desk.work(people.oscar, case, "create-accounts", ACCOUNTS)


def prepare_equipment(desk, people, case, pick=PICK):
    return desk.work(people.oscar, case, "pick-equipment", pick)


def grant_access(desk, people, case):
    return desk.work(people.sven, case, "grant-access", ACCESS)


def schedule_induction(desk, people, case, induction=INDUCTION):
    return desk.work(people.hana, case, "schedule-induction", induction)


def decide_admin_rights(desk, people, case, approved: bool, comment: str):
    return desk.work(people.mona, case, "approve-admin-rights",
                {"elevated_approved": approved, "elevated_comment": comment})


WELCOME = "ONB-000001: everything is ready for Nora Lind, who starts on 2026-01-19"
LATE = "ONB-000001: Nora Lind starts on 2026-01-19 and is not ready yet"


def standard_grants(systems=("email", "sso", "crm"), on="2026-01-05"):
    return [{"system": s, "level": "standard", "granted_on": on, "reference": "ONB-000001"} for s in systems]


def the_hand_overs(desk) -> dict:
    return desk.records("asset-custody")


# ---- the usual path: standard access, prepared in time ----------------------------

@pytest.mark.also_on_postgres
def test_new_hire_with_standard_access_is_prepared_in_time_and_welcomed(desk, people, clock):
    case = start(desk, people)
    assert case.status == "running"
    assert (case.data["onboarding_ref"], case.business_key, case.data["hr_contact"]) == (
        "ONB-000001", "ONB-000001", "hana")
    assert desk.records("sequences") == {"onboarding": {"last": 1}}
    assert case.data["details_problems"] == []
    assert (case.data["prepare_by"], case.data["induction_latest"]) == ("2026-01-15T09:00:00+00:00", "2026-02-02")

    # The four departments are asked at once; the manager has nothing to approve.
    assert inboxes(desk, people, case) == {"hana": ["schedule-induction"], "hugo": ["schedule-induction"],
                                           "oscar": ["create-accounts", "pick-equipment"],
                                           "sven": ["grant-access"]}
    for step, group in (("create-accounts", "it-ops"), ("pick-equipment", "it-ops"), ("grant-access", "security"),
                        ("schedule-induction", "hr")):
        task = desk.task(people.hana if group == "hr" else people.oscar if group == "it-ops" else people.sven,
                         case, step)
        assert (task.lane, task.candidate_groups, task.due_at) == (group, [group], DEADLINE)
        for outsider in (people.alice, people.mona):
            with pytest.raises(Forbidden):
                tasks.claim(task.id, outsider)
    # Baton lists the available assets of each type asked for.
    picking = desk.instructions(people.oscar, case, "pick-equipment")
    assert "- **laptop** (2 available): LAP-0001 (Lenovo ThinkPad T14, good), LAP-0002 (Dell Latitude 7440, new)" \
        in picking
    assert "- **monitor** (2 available): MON-0001 (Dell P2422H, good), MON-0002 (LG 27UP850, new)" in picking
    assert "LAP-0003" not in picking and "LAP-0008" not in picking

    case = create_accounts(desk, people, case)
    # The new hire is in the people register as joining, with standard access to every system asked for.
    assert desk.records("people")["nora.lind"] == {
        "username": "nora.lind", "name": "Nora Lind", "email": "nora.lind@example.org", "department": "Sales",
        "title": "Account manager", "manager": "mona", "status": "joining", "start_date": START_DATE,
        "last_day": None}
    assert desk.records("access")["nora.lind"] == {"username": "nora.lind", "grants": standard_grants(),
                                                   "revoked": []}
    clock.advance(days=1)
    case = prepare_equipment(desk, people, case)
    case = grant_access(desk, people, case)
    assert case.status == "running" and mail("mona") == []
    case = schedule_induction(desk, people, case)

    assert case.status == "completed"
    assert desk.path(case) == (CHECKED + STANDARD_SPLIT + EQUIPMENT_LISTED + ACCOUNTS_DONE + EQUIPMENT_DONE
                               + ["grant-access"] + INDUCTED + FINISHED_IN_TIME)
    assert desk.who_did_what(case) == [
        ("create-accounts", "oscar", ["it-ops"]), ("pick-equipment", "oscar", ["it-ops"]),
        ("grant-access", "sven", ["security"]), ("schedule-induction", "hana", ["hr"])]
    # The records: active, standard access only, both assets on loan, each hand-over in the chain of custody.
    assert desk.records("people")["nora.lind"]["status"] == "active"
    assert desk.records("access")["nora.lind"] == {"username": "nora.lind", "grants": standard_grants(),
                                                   "revoked": []}
    assets = desk.records("assets")
    for tag in ("LAP-0001", "MON-0002"):
        assert {k: assets[tag][k] for k in ("status", "holder", "reference", "due")} == {
            "status": "on_loan", "holder": "nora.lind", "reference": "ONB-000001", "due": None}
    assert assets["LAP-0001"]["model"] == "Lenovo ThinkPad T14" and assets["MON-0002"]["condition"] == "new"
    assert {tag: assets[tag]["status"] for tag in ("LAP-0002", "MON-0001", "LAP-0003")} == {
        "LAP-0002": "available", "MON-0001": "available", "LAP-0003": "on_loan"}
    at = "2026-01-06T09:00:00+00:00"
    assert the_hand_overs(desk) == {
        "LAP-0001/000001": {"tag": "LAP-0001", "event": "handed_out", "from": "asset-team", "to": "nora.lind",
                            "condition": "good", "at": at, "by": "oscar", "reference": "ONB-000001"},
        "MON-0002/000002": {"tag": "MON-0002", "event": "handed_out", "from": "asset-team", "to": "nora.lind",
                            "condition": "new", "at": at, "by": "oscar", "reference": "ONB-000001"}}
    assert desk.records("sequences")["asset-custody"] == {"last": 2}
    # The welcome goes to the manager and the HR partner, and to nobody else.
    body = ("Nora Lind joins Sales as Account manager on 2026-01-19, and everything is prepared (onboarding "
            "ONB-000001).\n\nAccounts: user name nora.lind, email nora.lind@example.org. Standard access to Email, "
            "Single sign-on, CRM.\nFrom IT operations: The first password waits at reception.\n\nEquipment: "
            "LAP-0001 (Lenovo ThinkPad T14); MON-0002 (LG 27UP850).\n\nInduction: 2026-01-20 at Room 2.14, head "
            "office: Welcome and company overview, IT basics, Security awareness.\n\nWelcome them on their first "
            "day!")
    assert mail("mona") == mail("hana") == [(WELCOME, body)]
    for name in ("hugo", "oscar", "sven", "max", "alice"):
        assert mail(name) == []
    # What the case holds at the end.
    assert {k: case.data[k] for k in ("accounts_created_by", "equipment_prepared_by", "access_granted_by",
                                      "induction_scheduled_by", "elevated_granted", "elevated_refused")} == {
        "accounts_created_by": "oscar", "equipment_prepared_by": "oscar", "access_granted_by": "sven",
        "induction_scheduled_by": "hana", "elevated_granted": [], "elevated_refused": []}
    assert [h["tag"] for h in case.data["hand_overs"]] == ["LAP-0001", "MON-0002"]

    # The deadline no longer matters: nobody is warned when it passes.
    desk.advance(DEADLINE - clock.now() + timedelta(hours=1))
    assert mail("mona") == mail("hana") == [(WELCOME, body)]
    assert desk.reload(case).status == "completed"



# ---- admin rights: approved, refused --------------------------------------------

def test_admin_rights_approved_by_the_manager_are_granted_and_recorded(desk, people):
    case = start(desk, people, **ADMIN_RIGHTS)
    # The manager named on the form, and no other manager, is asked first; security waits for the answer.
    assert inboxes(desk, people, case) == {"hana": ["schedule-induction"], "hugo": ["schedule-induction"],
                                           "oscar": ["create-accounts", "pick-equipment"],
                                           "mona": ["approve-admin-rights"]}
    approval = desk.task(people.mona, case, "approve-admin-rights")
    assert (approval.lane, approval.candidate_groups, approval.candidate_users) == ("manager", [], ["mona"])
    assert approval.due_at == datetime(2026, 1, 7, 9, 0, tzinfo=timezone.utc)
    for outsider in (people.max, people.sven, people.hana):
        with pytest.raises(Forbidden):
            tasks.claim(approval.id, outsider)
    asked = desk.instructions(people.mona, case, "approve-admin-rights")
    assert "and HR asks for **admin rights on CRM**." in asked
    assert "Why: Runs the CRM's sales territories and must change them." in asked

    # This time HR's part comes first, then security's, the equipment, and the accounts last.
    case = schedule_induction(desk, people, case)
    case = decide_admin_rights(desk, people, case, True, "Approved; review in three months.")
    assert inboxes(desk, people, case) == {"oscar": ["create-accounts", "pick-equipment"], "sven": ["grant-access"]}
    assert "- **Admin rights on CRM**: approved by mona. Grant them." in desk.instructions(
        people.sven, case, "grant-access")
    case = grant_access(desk, people, case)
    case = prepare_equipment(desk, people, case)
    assert case.status == "running" and "nora.lind" not in desk.records("access")
    case = create_accounts(desk, people, case)

    assert case.status == "completed"
    assert desk.path(case) == (CHECKED + ADMIN_SPLIT + EQUIPMENT_LISTED + INDUCTED + APPROVED + ["grant-access"]
                               + EQUIPMENT_DONE + ACCOUNTS_DONE + FINISHED_IN_TIME)
    assert human_path(desk, case) == ["schedule-induction", "approve-admin-rights", "grant-access",
                                      "pick-equipment", "create-accounts"]
    assert (case.data["elevated_approved"], case.data["admin_rights_decided_by"]) == (True, "mona")
    assert (case.data["elevated_granted"], case.data["elevated_refused"]) == (["crm"], [])
    # The access record: the standard grants, then the admin rights granted.
    assert desk.records("access")["nora.lind"]["grants"] == standard_grants() + [
        {"system": "crm", "level": "elevated", "granted_on": "2026-01-05", "reference": "ONB-000001"}]
    (welcome,) = mail("mona")
    assert welcome[0] == WELCOME
    assert "Standard access to Email, Single sign-on, CRM. Admin rights on CRM.\n" in welcome[1]


def test_admin_rights_refused_by_the_manager_are_dropped_and_standard_access_granted(desk, people):
    case = start(desk, people, systems=["email", "sso", "crm", "erp"], elevated_systems=["crm", "erp"],
                 elevated_justification="Runs the month-end close and the CRM's territories.")
    case = decide_admin_rights(desk, people, case, False, "Not before the probation period is over.")
    assert "- **Admin rights on CRM, ERP**: refused by mona. Do not grant them." in desk.instructions(
        people.sven, case, "grant-access")
    # Accounts, access, equipment, induction: yet another order.
    case = create_accounts(desk, people, case)
    case = grant_access(desk, people, case)
    case = prepare_equipment(desk, people, case)
    case = schedule_induction(desk, people, case)

    assert case.status == "completed"
    assert desk.path(case) == (CHECKED + ADMIN_SPLIT + EQUIPMENT_LISTED + APPROVED + ACCOUNTS_DONE
                               + ["grant-access"] + EQUIPMENT_DONE + INDUCTED + FINISHED_IN_TIME)
    assert (case.data["elevated_approved"], case.data["elevated_comment"]) == (
        False, "Not before the probation period is over.")
    assert (case.data["elevated_granted"], case.data["elevated_refused"]) == ([], ["crm", "erp"])
    # Standard access to all four systems, and no admin rights.
    assert desk.records("access")["nora.lind"] == {
        "username": "nora.lind", "grants": standard_grants(("email", "sso", "crm", "erp")), "revoked": []}
    (welcome,) = mail("hana")
    assert "Standard access to Email, Single sign-on, CRM, ERP. Admin rights on CRM, ERP were not approved.\n" \
        in welcome[1]


def test_the_onboarding_waits_for_all_four_departments_whatever_their_order(desk, people):
    """The tests above finish the four in three other orders; here each one's end is watched."""
    order = ("equipment", "induction", "accounts", "access")
    parts = {"accounts": create_accounts, "equipment": prepare_equipment, "access": grant_access,
             "induction": schedule_induction}
    case = start(desk, people)
    for done, part in enumerate(order, 1):
        assert mail("mona") == [] and desk.records("people").get("nora.lind", {}).get("status") != "active"
        case = parts[part](desk, people, case)
        assert case.status == ("completed" if done == 4 else "running"), part
    (joined,) = [i for i, step in enumerate(desk.path(case)) if step == "all-prepared"]
    assert desk.path(case)[joined:] == FINISHED_IN_TIME
    assert desk.records("people")["nora.lind"]["status"] == "active"
    assert [subject for subject, _ in mail("mona")] == [WELCOME]


# ---- the equipment: an asset that is not available is refused ----------------------

@pytest.mark.also_on_postgres
def test_equipment_that_is_not_available_is_refused_until_a_pick_passes(desk, people):
    case = start(desk, people, equipment=["laptop", "monitor", "headset"])
    # Taken, in repair, not in the register, and no headset.
    case = prepare_equipment(desk, people, case, {"equipment_tags": ["LAP-0003", "LAP-0008", "MON-0099"]})
    assert case.data["equipment_problems"] == [
        "LAP-0003 is not available: it is on loan to alice (LOAN-000004).",
        "LAP-0008 is not available: it is in repair.",
        "MON-0099 is not in the asset register as a laptop or monitor or headset.",
        "More than one laptop is picked: pick exactly one.",
        "No monitor is picked: pick one.",
        "No headset is picked: pick one."]
    assert inboxes(desk, people, case)["oscar"] == ["create-accounts", "pick-equipment"]
    again = desk.instructions(people.oscar, case, "pick-equipment")
    assert "Your last pick cannot be handed out:\n\n- LAP-0003 is not available: it is on loan to alice" in again
    assert "- **headset** (1 available): HDS-0001 (Jabra Evolve2 65, good)" in again
    # The form shows the last pick again.
    assert desk.data_of(people.oscar, case, "pick-equipment")["equipment_tags"] == ["LAP-0003", "LAP-0008",
                                                                                    "MON-0099"]
    # Meanwhile someone else takes MON-0001: picked now, it is refused as well.
    records.put("assets", "MON-0001", {**desk.records("assets")["MON-0001"], "status": "on_loan",
                                       "holder": "max", "reference": "LOAN-000009"})
    case = prepare_equipment(desk, people, case, {"equipment_tags": ["LAP-0002", "MON-0001", "HDS-0001"]})
    assert case.data["equipment_problems"] == ["MON-0001 is not available: it is on loan to max (LOAN-000009)."]
    assert "- **monitor** (1 available): MON-0002 (LG 27UP850, new)" in desk.instructions(
        people.oscar, case, "pick-equipment")
    case = prepare_equipment(desk, people, case, {"equipment_tags": ["LAP-0002", "MON-0002", "HDS-0001"]})
    assert (case.data["equipment_problems"], case.data["equipment_ready"]) == ([], True)
    assert "pick-equipment" not in inboxes(desk, people, case).get("oscar", [])

    listed = ["look-up-equipment"] * 4 + ["check-equipment", "equipment-ready"]
    equipment_path = [s for s in desk.path(case) if s in {"look-up-equipment", "check-equipment", "equipment-ready",
                                                          "pick-equipment", "mark-on-loan"}]
    assert equipment_path == listed + (["pick-equipment"] + listed) * 3 + ["mark-on-loan"] * 3
    # Only the assets of the last pick changed hands; the refused ones are as they were.
    assets = desk.records("assets")
    assert {tag: (assets[tag]["status"], assets[tag]["holder"]) for tag in
            ("LAP-0002", "MON-0002", "HDS-0001", "LAP-0003", "LAP-0008", "MON-0001", "LAP-0001")} == {
        "LAP-0002": ("on_loan", "nora.lind"), "MON-0002": ("on_loan", "nora.lind"),
        "HDS-0001": ("on_loan", "nora.lind"), "LAP-0003": ("on_loan", "alice"), "LAP-0008": ("in_repair", None),
        "MON-0001": ("on_loan", "max"), "LAP-0001": ("available", None)}
    assert sorted(the_hand_overs(desk)) == ["HDS-0001/000003", "LAP-0002/000001", "MON-0002/000002"]


def test_no_equipment_asked_for_means_nothing_to_pick(desk, people):
    case = start(desk, people, equipment=[])
    # Nothing to pick: the equipment is ready at once.
    assert inboxes(desk, people, case)["oscar"] == ["create-accounts"]
    assert desk.path(case) == CHECKED + ["prepare-in-parallel", "look-up-equipment", "admin-rights-requested",
                                         "check-equipment", "access-to-grant", "equipment-ready",
                                         "hand-out-equipment"]
    case = create_accounts(desk, people, case)
    case = grant_access(desk, people, case)
    case = schedule_induction(desk, people, case)
    assert case.status == "completed"
    assert the_hand_overs(desk) == {} and case.data["hand_overs"] == []
    assert {a["status"] for tag, a in desk.records("assets").items() if a["holder"] is None} == {
        "available", "in_repair"}
    assert "\n\nEquipment: none asked for.\n\n" in mail("mona")[0][1]


# ---- the deadline ------------------------------------------------------------------

def test_escalation_when_the_deadline_passes_first_fires_once_and_interrupts_nobody(desk, people, clock):
    case = start(desk, people, **ADMIN_RIGHTS)
    case = create_accounts(desk, people, case)
    case = schedule_induction(desk, people, case)
    held = desk.task(people.oscar, case, "pick-equipment")
    tasks.claim(held.id, people.oscar)          # oscar holds the pick when the deadline passes

    # A second before the deadline nothing happens.
    desk.advance(DEADLINE - clock.now() - timedelta(seconds=1))
    assert mail("hana") == mail("mona") == []
    assert open_tasks(case) == {"pick-equipment": 50, "approve-admin-rights": 50}
    desk.advance(seconds=1)
    case = desk.reload(case)
    assert case.status == "running"
    # The open steps, and only those, are now urgent; oscar still holds his.
    assert open_tasks(case) == {"pick-equipment": 90, "approve-admin-rights": 90}
    assert desk.task(people.oscar, case, "pick-equipment").assignee == "oscar"
    raised = desk.events(case, "task_priority_raised")
    assert sorted((e.element, e.data["from"], e.data["to"]) for e in raised) == [
        ("approve-admin-rights", 50, 90), ("pick-equipment", 50, 90)]
    body = ("Nora Lind (Account manager, Sales) starts on 2026-01-19, and the preparation was due by "
            "2026-01-15 09:00 UTC (onboarding ONB-000001).\n\nStill open, now at the top of the inbox:\n"
            "- Pick the equipment (IT operations)\n- Approve the admin rights (mona)\n\n"
            "Please see that it is done before the first day. You will receive the welcome when everything is ready.")
    assert mail("hana") == mail("mona") == [(LATE, body)]
    for name in ("hugo", "oscar", "sven", "max", "alice"):
        assert mail(name) == []

    # Once only: days later nobody is warned again.
    desk.advance(days=3)
    assert [subject for subject, _ in mail("hana")] == [LATE]
    # The work goes on: the approval, then the access (a step opening after the deadline is urgent from
    # the start), and the equipment oscar holds.
    case = decide_admin_rights(desk, people, case, True, "Fine.")
    assert open_tasks(case) == {"pick-equipment": 90, "grant-access": 90}
    case = grant_access(desk, people, case)
    case = prepare_equipment(desk, people, case)
    assert case.status == "completed"
    assert [subject for subject, _ in mail("mona")] == [LATE, WELCOME]
    assert [subject for subject, _ in mail("hana")] == [LATE, WELCOME]
    assert desk.path(case) == (CHECKED + ADMIN_SPLIT + EQUIPMENT_LISTED + ACCOUNTS_DONE + INDUCTED + ESCALATED
                               + APPROVED + ["grant-access"] + EQUIPMENT_DONE + FINISHED_LATE)
    assert desk.records("people")["nora.lind"]["status"] == "active"
    # Granted and handed out on the day the work was done, after the deadline.
    assert desk.records("access")["nora.lind"]["grants"][-1] == {
        "system": "crm", "level": "elevated", "granted_on": "2026-01-18", "reference": "ONB-000001"}
    assert {h["at"] for h in the_hand_overs(desk).values()} == {"2026-01-18T09:00:00+00:00"}


def test_a_tuesday_start_has_its_deadline_on_the_friday_before(desk, people, clock):
    # Start on Tuesday 2026-01-13: two working days before is Friday 2026-01-09 (Monday's is the Thursday
    # before, as the first test shows).
    case = start(desk, people, start_date="2026-01-13")
    assert case.data["prepare_by"] == "2026-01-09T09:00:00+00:00"
    assert desk.task(people.sven, case, "grant-access").due_at == datetime(2026, 1, 9, 9, 0, tzinfo=timezone.utc)
    desk.advance(datetime(2026, 1, 9, 9, 0, tzinfo=timezone.utc) - clock.now())
    case = desk.reload(case)
    assert [subject for subject, _ in mail("mona")] == [
        "ONB-000001: Nora Lind starts on 2026-01-13 and is not ready yet"]
    # Every preparation step was still open: all four are listed (no approval was asked for).
    assert open_tasks(case) == {"create-accounts": 90, "pick-equipment": 90, "grant-access": 90,
                                "schedule-induction": 90}
    assert "- Create the accounts (IT operations)\n- Pick the equipment (IT operations)\n- Grant the access " \
           "(security)\n- Schedule the induction (HR)\n\n" in mail("hana")[0][1]


# ---- the details: corrected by HR ------------------------------------------------

def test_details_that_do_not_fit_are_corrected_by_hr_as_often_as_needed(desk, people):
    # alice is taken, and her own manager; too soon (Thursday is the earliest); admin rights on a system
    # not asked for, without a reason.
    case = start(desk, people, username="alice", manager="alice", start_date="2026-01-07", elevated_systems=["erp"])
    assert case.data["onboarding_ref"] == "ONB-000001"
    assert case.data["details_problems"] == [
        "The user name alice is taken: the people register has Alice Martin (active) under it. Propose another one.",
        "The new hire cannot be their own manager.",
        "The start date 2026-01-07 is too soon: IT, security and HR need at least 3 working days to prepare. "
        "Pick 2026-01-08 or later.",
        "Admin rights are asked for on ERP, which is not among the systems requested: tick it there as well, or "
        "drop the admin rights.",
        "Say why the job needs admin rights (at least 10 characters)."]
    # Only HR is asked, within a day; nothing is prepared yet.
    assert inboxes(desk, people, case) == {"hana": ["correct-details"], "hugo": ["correct-details"]}
    correction = desk.task(people.hugo, case, "correct-details")
    assert correction.due_at == datetime(2026, 1, 6, 9, 0, tzinfo=timezone.utc)
    assert desk.data_of(people.hugo, case, "correct-details")["username"] == "alice"   # the form shows the answers
    assert "- The user name alice is taken" in desk.instructions(people.hugo, case, "correct-details")
    assert "nora.lind" not in desk.records("people")

    # Corrected, but "nora" belonged to someone who has left: still taken.
    # (The browser sends an empty list for admin rights no longer ticked.)
    fixed = {**NEW_HIRE, "start_date": "2026-01-08", "username": "nora", "elevated_systems": []}
    case = desk.work(people.hugo, case, "correct-details", fixed)
    assert case.data["details_problems"] == [
        "The user name nora is taken: the people register has Nora Berg (left) under it. Propose another one."]
    assert inboxes(desk, people, case) == {"hana": ["correct-details"], "hugo": ["correct-details"]}
    case = desk.work(people.hana, case, "correct-details", {**fixed, "username": "nora.lind"})
    assert case.data["details_problems"] == []
    assert (case.data["username"], case.data["start_date"], case.data["elevated_systems"]) == (
        "nora.lind", "2026-01-08", [])
    # Thursday's start: the deadline is the Tuesday before.
    assert case.data["prepare_by"] == "2026-01-06T09:00:00+00:00"
    assert inboxes(desk, people, case) == {"hana": ["schedule-induction"], "hugo": ["schedule-induction"],
                                           "oscar": ["create-accounts", "pick-equipment"], "sven": ["grant-access"]}
    assert desk.path(case) == CHECKED + CORRECTED * 2 + STANDARD_SPLIT + EQUIPMENT_LISTED
    assert desk.who_did_what(case) == [("correct-details", "hugo", ["hr"]), ("correct-details", "hana", ["hr"])]
    assert desk.records("sequences") == {"onboarding": {"last": 1}}     # numbered once


# ---- the induction: a date that does not fit is sent back -------------------------

def test_an_induction_date_that_does_not_fit_is_sent_back(desk, people):
    case = start(desk, people)
    for date, problem in (
            ("2026-01-16", "2026-01-16 is before the start date 2026-01-19: Nora Lind is not with us yet."),
            ("2026-02-03", "2026-02-03 is more than 14 days after the start date: pick 2026-02-02 at the latest."),
            ("2026-01-24", "2026-01-24 is a Saturday or a Sunday: pick a working day.")):
        case = schedule_induction(desk, people, case, {**INDUCTION, "induction_date": date})
        assert case.data["induction_problems"] == [problem]
        assert inboxes(desk, people, case)["hana"] == ["schedule-induction"]
        assert problem in desk.instructions(people.hana, case, "schedule-induction")
    case = schedule_induction(desk, people, case, {**INDUCTION, "induction_date": "2026-02-02",
                                                   "induction_sessions": ["welcome", "hr-policies"]})
    assert case.data["induction_problems"] == [] and "schedule-induction" not in inboxes(desk, people, case).get(
        "hana", [])
    assert [s for s in desk.path(case) if s in INDUCTED] == INDUCTED * 4
    assert case.data["sessions_text"] == "Welcome and company overview, HR policies and benefits"


# ---- who may start it, and the forms -----------------------------------------------

def test_only_hr_may_start_an_onboarding(desk, people):
    for outsider in (people.alice, people.mona, people.oscar):
        with pytest.raises(Forbidden):
            instances.start_instance(PROCESS, outsider, data=NEW_HIRE)
    assert instances.list_instances(people.hana) == []


BAD_STARTS = [
    ({"username": "Nora Lind", "full_name": "N"}, {"username", "full_name"}),
    ({"start_date": "2026-01-02"}, {"start_date"}),                     # in the past
    ({"start_date": "19/01/2026", "manager": "nobody"}, {"start_date", "manager"}),
    ({"systems": [], "equipment": ["laptop", "spaceship"]}, {"systems", "equipment"}),
    ({"systems": ["email", "email"], "elevated_systems": ["root"]}, {"systems", "elevated_systems"}),
    ({"elevated_justification": "x" * 2001, "salary": 50000}, {"elevated_justification", "salary"}),
]


def test_the_forms_refuse_bad_input(desk, people):
    for changes, fields in BAD_STARTS:
        with pytest.raises(InvalidData) as refused:
            instances.start_instance(PROCESS, people.hana, data={**NEW_HIRE, **changes})
        assert set(refused.value.fields) == fields, changes
    with pytest.raises(InvalidData) as refused:
        instances.start_instance(PROCESS, people.hana, data={"full_name": "Nora Lind"})
    assert set(refused.value.fields) == {"username", "job_title", "department", "manager", "start_date", "systems"}
    with pytest.raises(InvalidData) as refused:
        instances.start_instance(PROCESS, people.hana, data={**NEW_HIRE, "username": "nora lind"})
    assert refused.value.fields == {"username": ["Not in the expected form, for example nora.lind."]}
    assert instances.list_instances(people.hana) == []

    case_id = start(desk, people, **ADMIN_RIGHTS).id
    refusals = [
        (people.oscar, "create-accounts", {"email": "nora.lind", "accounts_notes": "x" * 2001},
         {"email", "accounts_notes"}),
        (people.oscar, "pick-equipment", {"equipment_tags": ["lap-1", "LAP-0001", "LAP-0001"]}, {"equipment_tags"}),
        (people.oscar, "pick-equipment", {"equipment_tags": []}, {"equipment_tags"}),
        (people.mona, "approve-admin-rights", {"elevated_approved": "perhaps"}, {"elevated_approved"}),
        (people.hana, "schedule-induction", {"induction_date": "2026-01-02", "induction_sessions": ["karaoke"],
                                             "induction_location": "x"},
         {"induction_date", "induction_sessions", "induction_location"}),
    ]
    for user, step, data, fields in refusals:
        task = desk.task(user, desk.reload(case_id), step)
        if task.assignee != user.username:
            tasks.claim(task.id, user)
        with pytest.raises(InvalidData) as refused:
            tasks.complete(task.id, data, user)
        assert set(refused.value.fields) == fields, step
    case = decide_admin_rights(desk, people, desk.reload(case_id), True, "Fine.")
    task = desk.task(people.sven, case, "grant-access")
    tasks.claim(task.id, people.sven)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(task.id, {"access_notes": "ok"}, people.sven)
    assert refused.value.fields == {"access_notes": ["At least 5 characters."]}
    assert [step for step, _, _ in desk.who_did_what(desk.reload(case_id))] == ["approve-admin-rights"]


# ---- the diagram -------------------------------------------------------------

HUMAN_STEPS = {"correct-details": "hr", "schedule-induction": "hr", "create-accounts": "it-ops",
               "pick-equipment": "it-ops", "approve-admin-rights": "manager", "grant-access": "security"}


def test_every_human_step_has_a_lane_documentation_instructions_and_a_form():
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name, model.category, model.startable) == (
        PROCESS, "Onboard a new employee", "People", True)
    assert model.description.startswith("Tell IT, security and HR that someone new is joining")
    assert (model.starter_groups, model.starter_users, model.initiator, model.business_key_variable) == (
        ["hr"], [], "hr_contact", "onboarding_ref")
    assert list(model.start_form.schema["properties"]) == [
        "full_name", "username", "job_title", "department", "manager", "start_date", "systems", "elevated_systems",
        "elevated_justification", "equipment"]
    assert {k: t.lane for k, t in model.tasks.items()} == HUMAN_STEPS
    assert model.tasks["approve-admin-rights"].candidate_users == ["${manager}"]
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form, task.bpmn_id
        assert shown_fields(task.form)[0] == "onboarding_ref", task.bpmn_id
        assert undescribed_fields(task.form) == [], task.bpmn_id
    # The steps the deadline makes urgent are the preparation's human steps.
    assert set(HUMAN_STEPS) - {"correct-details"} == PREPARATION_STEPS


def test_the_diagram_is_documented_and_laid_out_left_to_right():
    assert diagram_problems(BPMN_FILE) == []
    root = etree.parse(str(BPMN_FILE)).getroot()
    process = root.find("bpmn:process", NS)
    assert [lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)] == [
        "hr", "it-ops", "security", "manager"]
    # The hand-out subprocess is drawn on its own plane, every step of it documented.
    sub = process.find("bpmn:subProcess[@id='hand-out-equipment']", NS)
    inner = [el for el in sub if el.get("id") and etree.QName(el).localname not in (
        "multiInstanceLoopCharacteristics", "documentation")]
    assert all((el.findtext("bpmn:documentation", namespaces=NS) or "").strip() for el in inner)
    planes = {p.get("bpmnElement"): {s.get("bpmnElement") for s in p} for p in root.iterfind(".//bpmndi:BPMNPlane",
                                                                                            NS)}
    assert planes["hand-out-equipment"] == {el.get("id") for el in inner}
