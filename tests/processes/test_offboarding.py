"""The shipped process ``offboarding`` ("Offboard an employee").

Driven through Baton's services the way its users drive it: HR report a
leaver (a name Baton cannot find goes back to HR, as often as needed, or is
withdrawn), Baton reads the person, their access and exactly the assets on
loan to them, and four pieces of work run in parallel: the access is revoked
when the injected clock reaches the end of the last day (at once for a
dismissal), one grant per step; the asset team take back each asset on loan
(damaged ones go for repair, lost ones are written off) and Baton writes the
register and the chain of custody; the leaver's manager (the manager group
when none is on record) hands over the data; HR complete the exit checklist.
Open work is chased when the last day ends. At the close the person is
recorded as having left and HR and the manager get a summary. One test per
path, each checking the path taken (the audit trail), who was asked to do
what, what people were told (the outbox), the store records and the data at
the end; then the forms and the diagram.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from lxml import etree

from app.engine.bundle import load_bundle
from app.models import OutboxMessage, db
from app.services import instances, records, tasks
from app.services.errors import Forbidden, InvalidData
from app.web.pages.rich_text import fill_template

from .conftest import REPO, bundle_of
from .diagram_checks import NS, diagram_problems
from .driver import Desk
from .form_checks import shown_fields, undescribed_fields

PROCESS = "offboarding"
BPMN_FILE = REPO / "bpmn" / PROCESS / "offboarding.bpmn"

# The clock starts on Monday 2026-01-05 09:00 UTC; the leaver's last day is that Friday.
LAST_DAY = "2026-01-09"
LAST_DAY_ENDS = datetime(2026, 1, 9, 17, 0, tzinfo=timezone.utc)
STANDARD = ["email", "sso", "vpn", "file-share", "crm"]

# The diagram's steps on each part of a path, in the order they are taken.
LOOKED_UP = ["leaver-reported", "number-offboarding", "record-offboarding", "look-up-leaver", "leaver-known"]
PLANNED = ["look-up-access", "find-assets-on-loan", "plan-offboarding", "offboard-in-parallel"]
CLOSED = ["all-done", "read-leaver-record", "record-leaver-left", "write-summary", "send-summary",
          "offboarding-complete"]


def revoked_steps(n: int) -> list[str]:
    """A multi-instance step in the trail: one entry per instance, then the step itself."""
    return ["read-access", "list-revocations", *["revoke-access"] * n, "revoke-access", "tell-security"]


def asset_steps(n_assets: int, n_returned: int) -> list[str]:
    return (["recover-asset"] * n_assets + ["recover-asset"] + ["update-asset-register"] * (n_assets + 1)
            + ["list-hand-backs"] + ["number-custody-records"] * (n_returned + 1)
            + ["record-custody"] * (n_returned + 1) + ["assets-accounted-for"])


@dataclass
class People:
    hana: object     # hr
    helen: object    # hr
    mona: object     # manager: alice's manager
    max: object      # manager: another one
    ada: object      # asset-team
    alan: object     # asset-team
    sven: object     # security
    sam: object      # takes over data
    alice: object    # the leaver (she signs in to Baton; a leaver need not)
    otto: object     # finance: nothing to do with it

    def everyone(self):
        return [self.hana, self.helen, self.mona, self.max, self.ada, self.alan, self.sven, self.sam, self.alice,
                self.otto]


@pytest.fixture
def people(make_user) -> People:
    return People(hana=make_user("hana", "hr"), helen=make_user("helen", "hr"), mona=make_user("mona", "manager"),
                  max=make_user("max", "manager"), ada=make_user("ada", "asset-team"),
                  alan=make_user("alan", "asset-team"), sven=make_user("sven", "security"),
                  sam=make_user("sam", "requester"), alice=make_user("alice", "requester"),
                  otto=make_user("otto", "finance"))


@pytest.fixture
def desk(deployed_desk) -> Desk:
    return deployed_desk(PROCESS, "Offboard an employee")


# ---- the reference data --------------------------------------------------------

def person(username: str, name: str, manager: str | None = "mona", status: str = "active", **more) -> dict:
    value = {"username": username, "name": name, "email": f"{username}@example.org", "department": "Sales",
             "title": "Account manager", "manager": manager, "status": status, "start_date": None,
             "last_day": None, **more}
    records.put("people", username, value)
    return value


def access(username: str, systems: list[str], elevated: tuple[str, ...] = (), revoked: list | None = None) -> dict:
    value = {"username": username, "revoked": revoked or [],
             "grants": [{"system": system, "level": "elevated" if system in elevated else "standard",
                         "granted_on": "2025-03-01", "reference": "ONB-000004"} for system in systems]}
    records.put("access", username, value)
    return value


def asset(tag: str, kind: str, model: str, holder: str | None, status: str = "on_loan",
          condition: str = "good") -> dict:
    value = {"tag": tag, "type": kind, "model": model, "serial": f"SN-{tag}", "condition": condition,
             "status": status, "holder": holder, "reference": "LOAN-000002" if holder else None,
             "due": "2026-06-30" if holder else None}
    records.put("assets", tag, value)
    return value


def the_register():
    """alice's two assets on loan, and assets that are not: someone else's loan,
    one alice gave back long ago, one of hers that is in repair, not on loan."""
    return {"LAP-0003": asset("LAP-0003", "laptop", "Lenovo ThinkPad T14 Gen 4", "alice"),
            "MON-0007": asset("MON-0007", "monitor", "Dell P2422H 24\"", "alice"),
            "LAP-0005": asset("LAP-0005", "laptop", "Dell Latitude 7440", "rita", condition="fair"),
            "HDS-0001": asset("HDS-0001", "headset", "Jabra Evolve2 65", None, status="available"),
            "TAB-0002": asset("TAB-0002", "tablet", "Apple iPad 10th gen", "alice", status="in_repair",
                              condition="damaged")}


# ---- helpers -----------------------------------------------------------------

def start(desk, people, leaver="alice", **changes):
    return desk.start(people.hana, {"leaver": leaver, "last_day": LAST_DAY, "reason": "resignation",
                                    "leaving_notes": "Moves abroad.", **changes})


def inboxes(desk, people, case) -> dict[str, list[str]]:
    """Who may work on what in this case now (only people with something to do)."""
    found = {user.username: desk.inbox(user, case) for user in people.everyone()}
    return {name: steps for name, steps in found.items() if steps}


def recoveries(desk, user, case) -> dict[str, str]:
    """The open "Take back the asset" steps ``user`` may take: {asset tag: task id}."""
    open_ones = [t for t in tasks.list_tasks(user, scope="all", instance_id=case.id)
                 if t.bpmn_id == "recover-asset" and t.state == "open"]
    return {tasks.get_task(t.id, user).data["asset"]["tag"]: t.id for t in open_ones}


def take_back(desk, user, case, tag: str, condition: str, notes: str | None = None):
    task_id = recoveries(desk, user, case)[tag]
    detail = tasks.get_task(task_id, user)
    filled = fill_template(detail.instructions, detail.data)
    assert filled.startswith(f"Take back **{tag}** from"), filled
    assert f"SN-{tag}" in filled
    tasks.claim(task_id, user)
    tasks.complete(task_id, {"condition_on_return": condition} | ({"recovery_notes": notes} if notes else {}), user)
    desk.run_worker()
    return desk.reload(case)


HAND_OVER = {"files_owner": "sam", "mailbox_owner": "sam", "drives_owner": "mona",
             "hand_over_notes": "Customer folders first."}
CHECKLIST = {"exit_interview": "held", "equipment_list_confirmed": True, "final_pay_notified": True,
             "benefits_ended": True, "leaving_letter_sent": True}


def bodies(username: str) -> dict[str, str]:
    db.session.remove()
    return {m.subject: m.body for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == username).order_by(OutboxMessage.id))}


def revoked(systems: list[str], on: str = LAST_DAY, ref: str = "OFF-000001", elevated=()) -> list[dict]:
    return [{"system": s, "level": "elevated" if s in elevated else "standard", "revoked_on": on, "reference": ref}
            for s in systems]


def custody(desk) -> dict[str, dict]:
    return desk.records("asset-custody")


# ---- the main path: a resignation, several assets, revoked on the last day ---------

@pytest.mark.also_on_postgres
def test_a_resignation_revokes_every_access_when_the_last_day_ends_and_takes_back_exactly_her_assets(
        desk, people, clock):
    alice = person("alice", "Alice Martin")
    her_access = access("alice", STANDARD, elevated=("crm",))
    register = the_register()
    case = start(desk, people)
    assert case.status == "running"
    assert case.business_key == "OFF-000001"
    assert (case.data["offboarding_ref"], case.data["last_day_ends"], case.data["dismissal"], case.data["manager"],
            case.data["reported_by"]) == ("OFF-000001", "2026-01-09T17:00:00+00:00", False, "mona", "hana")
    assert case.data["systems_at_start"] == STANDARD
    # Exactly the assets on loan to her: not rita's laptop, not the headset she gave back, not her tablet in repair.
    assert [a["tag"] for a in case.data["assets_on_loan"]] == ["LAP-0003", "MON-0007"]
    assert desk.path(case) == LOOKED_UP + PLANNED + ["dismissal", "any-assets"]

    # Four pieces of work at once: HR, her manager alone, the asset team (one step per asset).
    assert inboxes(desk, people, case) == {"hana": ["exit-checklist"], "helen": ["exit-checklist"],
                                           "mona": ["hand-over-data"],
                                           "ada": ["recover-asset", "recover-asset"],
                                           "alan": ["recover-asset", "recover-asset"]}
    hand_over = desk.task(people.mona, case, "hand-over-data")
    assert (hand_over.assignee, hand_over.lane, hand_over.due_at) == ("mona", "manager", LAST_DAY_ENDS)
    for outsider in (people.max, people.hana, people.otto):     # hers alone: other managers may not
        with pytest.raises(Forbidden):
            tasks.complete(hand_over.id, HAND_OVER, outsider)
    assert set(recoveries(desk, people.ada, case)) == {"LAP-0003", "MON-0007"}
    for outsider in (people.mona, people.alice, people.sven):
        with pytest.raises(Forbidden):
            tasks.claim(recoveries(desk, people.ada, case)["LAP-0003"], outsider)

    # ada takes back the laptop in good condition; alan the monitor, damaged.
    case = take_back(desk, people.ada, case, "LAP-0003", "good")
    assert desk.records("assets")["LAP-0003"] == register["LAP-0003"]      # written once all are accounted for
    case = take_back(desk, people.alan, case, "MON-0007", "damaged", "Cracked stand.")
    assets = desk.records("assets")
    assert assets["LAP-0003"] == {**register["LAP-0003"], "status": "available", "condition": "good",
                                  "holder": None, "reference": None, "due": None}
    assert assets["MON-0007"] == {**register["MON-0007"], "status": "in_repair", "condition": "damaged",
                                  "holder": None, "reference": None, "due": None}
    for untouched in ("LAP-0005", "HDS-0001", "TAB-0002"):
        assert assets[untouched] == register[untouched]
    at = clock.now().isoformat()
    assert custody(desk) == {
        "LAP-0003/000001": {"tag": "LAP-0003", "event": "recovered", "from": "alice", "to": "asset-team",
                            "condition": "good", "at": at, "by": "ada", "reference": "OFF-000001"},
        "MON-0007/000002": {"tag": "MON-0007", "event": "recovered", "from": "alice", "to": "asset-team",
                            "condition": "damaged", "at": at, "by": "alan", "reference": "OFF-000001"}}

    case = desk.work(people.mona, case, "hand-over-data", HAND_OVER)
    assert desk.outbox("sam") == ["OFF-000001: you take over data of Alice Martin, who leaves on 2026-01-09"]
    assert "- Mailbox: sam" in bodies("sam")[desk.outbox("sam")[0]]
    case = desk.work(people.hana, case, "exit-checklist", CHECKLIST)
    assert inboxes(desk, people, case) == {}

    # Nothing is revoked before the last day ends, to the second.
    desk.advance(LAST_DAY_ENDS - clock.now() - timedelta(seconds=1))
    case = desk.reload(case)
    assert case.status == "running"
    assert desk.records("access")["alice"] == her_access
    assert "revoke-access" not in desk.path(case)
    assert desk.outbox("sven") == []
    desk.advance(seconds=1)
    case = desk.reload(case)
    assert case.status == "completed"

    # One revocation step per grant, in the record's order, then security told.
    assert desk.path(case) == LOOKED_UP + PLANNED + ["dismissal", "any-assets", *asset_steps(2, 2),
                                                     "hand-over-data", "tell-new-owners", "exit-checklist",
                                                     "last-day-ends", "time-to-revoke", *revoked_steps(5), *CLOSED]
    assert [e.element for e in desk.events(case, "service_call_succeeded")].count("revoke-access") == 5
    assert case.data["revoked_results"] == [{"system": s, "level": "elevated" if s == "crm" else "standard"}
                                            for s in STANDARD]
    assert desk.records("access")["alice"] == {"username": "alice", "grants": [],
                                               "revoked": revoked(STANDARD, elevated=("crm",))}
    assert desk.records("people")["alice"] == {**alice, "status": "left", "last_day": LAST_DAY}

    assert desk.who_did_what(case) == [("recover-asset", "ada", ["asset-team"]),
                                       ("recover-asset", "alan", ["asset-team"]),
                                       ("hand-over-data", "mona", ["manager"]),
                                       ("exit-checklist", "hana", ["hr"])]
    # Security are told what went; HR and the manager get the summary; the new owners were told.
    security = "OFF-000001: access of Alice Martin revoked"
    summary = "OFF-000001: Alice Martin has left, offboarding complete"
    assert desk.outbox("sven") == [security]
    assert "- crm (elevated)\n" in bodies("sven")[security]
    assert desk.outbox("hana") == desk.outbox("helen") == [summary]
    assert desk.outbox("mona") == ["OFF-000001: you take over data of Alice Martin, who leaves on 2026-01-09",
                                   summary]
    for name in ("max", "ada", "alan", "alice", "otto"):
        assert desk.outbox(name) == []
    assert bodies("hana")[summary] == (
        "Alice Martin (alice) left on 2026-01-09 (resignation). Offboarding OFF-000001 is complete.\n\n"
        "Access revoked (5):\n"
        "- email (standard), revoked on 2026-01-09\n- sso (standard), revoked on 2026-01-09\n"
        "- vpn (standard), revoked on 2026-01-09\n- file-share (standard), revoked on 2026-01-09\n"
        "- crm (elevated), revoked on 2026-01-09\n\n"
        "Assets returned (2):\n"
        "- LAP-0003 (laptop, Lenovo ThinkPad T14 Gen 4): returned in good condition, taken back by ada\n"
        "- MON-0007 (monitor, Dell P2422H 24\"): returned in damaged condition, sent for repair, taken back by alan\n\n"
        "Data handed over by mona: files to sam, mailbox to sam, shared drives to mona.\n\n"
        "Exit checklist by hana: exit interview held; every item done.")


# ---- fewer assets, assets not returned, grants added meanwhile -------------------

def test_with_nothing_on_loan_the_asset_team_is_not_asked_and_grants_added_meanwhile_are_revoked_too(
        desk, people, clock):
    # bob is in the people register but never signs in to Baton; he holds nothing on loan.
    bob = person("bob", "Bob Reyes", manager="mona")
    access("bob", ["email"])
    register = the_register()
    case = start(desk, people, leaver="bob", reason="end_of_contract")
    assert case.data["assets_on_loan"] == []
    assert inboxes(desk, people, case) == {"hana": ["exit-checklist"], "helen": ["exit-checklist"],
                                           "mona": ["hand-over-data"]}
    assert desk.path(case) == LOOKED_UP + PLANNED + ["dismissal", "any-assets", "assets-accounted-for"]
    case = desk.work(people.mona, case, "hand-over-data", HAND_OVER)
    case = desk.work(people.helen, case, "exit-checklist", {**CHECKLIST, "exit_interview": "declined",
                                                              "leaving_letter_sent": False,
                                                              "checklist_notes": "Letter goes out next week."})
    # During his notice he moves team, and security grant him the VPN: the move is kept, the VPN goes too.
    records.put("people", "bob", {**desk.records("people")["bob"], "department": "Support"})
    records.put("access", "bob", {**desk.records("access")["bob"], "grants": [
        *desk.records("access")["bob"]["grants"],
        {"system": "vpn", "level": "standard", "granted_on": "2026-01-06", "reference": "SWR-000003"}]})
    desk.advance(LAST_DAY_ENDS - clock.now())
    case = desk.reload(case)
    assert case.status == "completed"
    assert desk.path(case) == LOOKED_UP + PLANNED + ["dismissal", "any-assets", "assets-accounted-for",
                                                     "hand-over-data", "tell-new-owners", "exit-checklist",
                                                     "last-day-ends", "time-to-revoke", *revoked_steps(2), *CLOSED]
    assert case.data["systems_at_start"] == ["email"]
    assert desk.records("access")["bob"] == {"username": "bob", "grants": [], "revoked": revoked(["email", "vpn"])}
    assert desk.records("assets") == register
    assert custody(desk) == {}
    assert desk.records("people")["bob"] == {**bob, "department": "Support", "status": "left", "last_day": LAST_DAY}
    summary = "OFF-000001: Bob Reyes has left, offboarding complete"
    assert desk.outbox("hana") == [summary]
    assert bodies("hana")[summary].endswith(
        "Access revoked (2):\n- email (standard), revoked on 2026-01-09\n- vpn (standard), revoked on 2026-01-09\n\n"
        "Assets returned (0):\n- none\n\n"
        "Data handed over by mona: files to sam, mailbox to sam, shared drives to mona.\n\n"
        "Exit checklist by helen: exit interview declined by the leaver; not done: leaving letter sent.\n"
        "HR's notes: Letter goes out next week.")
    assert desk.outbox("ada") == desk.outbox("alan") == []


def test_one_asset_on_loan_not_returned_is_written_off_without_a_custody_record(desk, people, clock):
    person("carla", "Carla Diaz", manager="mona")
    access("carla", [])
    phone = asset("PHN-0003", "phone", "Samsung Galaxy S23", "carla")
    case = start(desk, people, leaver="carla", reason="retirement")
    assert [a["tag"] for a in case.data["assets_on_loan"]] == ["PHN-0003"]
    assert set(recoveries(desk, people.alan, case)) == {"PHN-0003"}
    case = take_back(desk, people.alan, case, "PHN-0003", "not_returned", "Says it was stolen on holiday.")
    assert desk.records("assets")["PHN-0003"] == {
        **phone, "status": "retired", "holder": None, "reference": None, "due": None,
        "note": "Not returned by carla on leaving (OFF-000001): Says it was stolen on holiday."}
    assert custody(desk) == {}
    assert case.data["hand_backs"] == []
    case = desk.work(people.mona, case, "hand-over-data", {**HAND_OVER, "hand_over_notes": None})
    case = desk.work(people.hana, case, "exit-checklist", CHECKLIST)
    desk.advance(LAST_DAY_ENDS - clock.now())
    case = desk.reload(case)
    assert case.status == "completed"
    assert desk.path(case) == LOOKED_UP + PLANNED + ["dismissal", "any-assets", *asset_steps(1, 0),
                                                     "hand-over-data", "tell-new-owners", "exit-checklist",
                                                     "last-day-ends", "time-to-revoke", *revoked_steps(0), *CLOSED]
    assert desk.records("access")["carla"] == {"username": "carla", "grants": [], "revoked": []}
    body = bodies("hana")["OFF-000001: Carla Diaz has left, offboarding complete"]
    assert "Access revoked (0):\n- none: the access register listed no grants\n" in body
    assert ("Assets returned (0):\n- none\n\nAssets not returned (1):\n"
            "- PHN-0003 (phone, Samsung Galaxy S23): NOT returned, written off, recorded by alan "
            "(Says it was stolen on holiday.)\n") in body
    assert "\n\nNotes:" not in bodies("sam")["OFF-000001: you take over data of Carla Diaz, who leaves on 2026-01-09"]
    assert bodies("sven")["OFF-000001: access of Carla Diaz revoked"].startswith(
        "The access of Carla Diaz (carla) was revoked at the end of their last day, 2026-01-09:\n\n"
        "- nothing: the access register lists no grants for them\n")


@pytest.mark.also_on_postgres
def test_several_assets_are_each_taken_back_and_each_gets_its_custody_record(desk, people, clock):
    """Five assets: each its own task, in parallel; the custody numbers follow on from the trail's."""
    person("dina", "Dina Osei", manager="mona")
    access("dina", ["email", "sso"])
    records.put("sequences", "asset-custody", {"last": 41})
    tags = ["LAP-0010", "MON-0001", "DOC-0001", "HDS-0002", "CAM-0001"]
    kinds = ["laptop", "monitor", "docking-station", "headset", "camera"]
    for tag, kind in zip(tags, kinds):
        asset(tag, kind, f"Model of {tag}", "dina")
    asset("MON-0002", "monitor", "Dell UltraSharp", "eve")            # someone else's: untouched
    case = start(desk, people, leaver="dina")
    assert sorted(recoveries(desk, people.ada, case)) == sorted(tags)
    conditions = ["fair", "new", "damaged", "not_returned", "good"]
    for i, (tag, condition) in enumerate(zip(tags, conditions)):
        case = take_back(desk, people.ada if i % 2 == 0 else people.alan, case, tag, condition)
        clock.advance(minutes=10)
    assets = desk.records("assets")
    assert {tag: (assets[tag]["status"], assets[tag]["condition"], assets[tag]["holder"]) for tag in tags} == {
        "LAP-0010": ("available", "fair", None), "MON-0001": ("available", "new", None),
        "DOC-0001": ("in_repair", "damaged", None), "HDS-0002": ("retired", "good", None),
        "CAM-0001": ("available", "good", None)}
    assert assets["MON-0002"]["holder"] == "eve" and assets["MON-0002"]["status"] == "on_loan"
    # One custody record per asset returned, numbered on from the trail; the time each was taken back.
    trail = custody(desk)
    assert list(trail) == ["CAM-0001/000045", "DOC-0001/000044", "LAP-0010/000042", "MON-0001/000043"]
    assert [(trail[k]["by"], trail[k]["condition"], trail[k]["at"]) for k in trail] == [
        ("ada", "good", "2026-01-05T09:40:00+00:00"), ("ada", "damaged", "2026-01-05T09:20:00+00:00"),
        ("ada", "fair", "2026-01-05T09:00:00+00:00"), ("alan", "new", "2026-01-05T09:10:00+00:00")]
    assert records.query("asset-custody", {"tag": "LAP-0010"})[0].value["reference"] == "OFF-000001"
    assert desk.path(case).count("recover-asset") == 6
    assert [e.element for e in desk.events(case, "service_call_succeeded")].count("update-asset-register") == 5
    assert [e.element for e in desk.events(case, "service_call_succeeded")].count("record-custody") == 4


# ---- dismissal, the manager fallback ----------------------------------------------

def test_a_dismissal_revokes_the_access_at_once(desk, people, clock):
    person("alice", "Alice Martin")
    access("alice", STANDARD)
    the_register()
    case = start(desk, people, reason="dismissal", last_day="2026-01-05")
    # Revoked before anyone did anything: no timer.
    assert desk.records("access")["alice"] == {"username": "alice", "grants": [],
                                               "revoked": revoked(STANDARD, on="2026-01-05")}
    assert desk.path(case) == LOOKED_UP + PLANNED + ["dismissal", "any-assets", "time-to-revoke",
                                                     *revoked_steps(5)]
    assert "last-day-ends" not in desk.path(case)
    assert desk.outbox("sven") == ["OFF-000001: access of Alice Martin revoked"]
    assert bodies("sven")["OFF-000001: access of Alice Martin revoked"].startswith(
        "The access of Alice Martin (alice) was revoked at once (dismissal):\n\n- email (standard)\n")
    detail = tasks.get_task(desk.task(people.mona, case, "hand-over-data").id, people.mona)
    assert "their access is revoked at once (dismissal)" in fill_template(detail.instructions, detail.data)
    assert inboxes(desk, people, case) == {"hana": ["exit-checklist"], "helen": ["exit-checklist"],
                                           "mona": ["hand-over-data"],
                                           "ada": ["recover-asset", "recover-asset"],
                                           "alan": ["recover-asset", "recover-asset"]}
    case = take_back(desk, people.ada, case, "LAP-0003", "good")
    case = take_back(desk, people.ada, case, "MON-0007", "good")
    case = desk.work(people.mona, case, "hand-over-data", HAND_OVER)
    case = desk.work(people.hana, case, "exit-checklist", {**CHECKLIST, "exit_interview": "not_held"})
    assert case.status == "completed"                    # on the day itself, before it ends
    assert clock.now() < datetime(2026, 1, 5, 17, 0, tzinfo=timezone.utc)
    assert desk.records("people")["alice"]["status"] == "left"
    assert "Alice Martin (alice) left on 2026-01-05 (dismissal)." in bodies("hana")[
        "OFF-000001: Alice Martin has left, offboarding complete"]


def test_without_a_manager_on_record_the_manager_group_hands_over_the_data(desk, people, clock):
    person("ivan", "Ivan Petrov", manager=None)
    access("ivan", ["email"])
    case = start(desk, people, leaver="ivan", reason="retirement")
    assert case.data["manager"] is None
    hand_over = desk.task(people.max, case, "hand-over-data")
    assert (hand_over.assignee, hand_over.candidate_groups) == (None, ["manager"])
    assert inboxes(desk, people, case) == {"hana": ["exit-checklist"], "helen": ["exit-checklist"],
                                           "mona": ["hand-over-data"], "max": ["hand-over-data"]}
    detail = tasks.get_task(hand_over.id, people.max)
    assert "No manager is on record for them, so the manager group is asked." in fill_template(
        detail.instructions, detail.data)
    case = desk.work(people.hana, case, "exit-checklist", CHECKLIST)
    # Not done by the end of the last day: the manager group is told too, as the step is theirs.
    desk.advance(LAST_DAY_ENDS - clock.now())
    chase = "OFF-000001: no one named yet to take over the data of Ivan Petrov"
    assert desk.outbox("max") == desk.outbox("mona") == desk.outbox("hana") == [chase]
    assert bodies("max")[chase].endswith("is with the manager group, as no manager is on record: please take it now.")
    case = desk.work(people.max, case, "hand-over-data", {**HAND_OVER, "drives_owner": "max"})
    assert case.data["handed_over_by"] == "max"
    case = desk.reload(case)
    assert case.status == "completed"
    assert desk.who_did_what(case) == [("exit-checklist", "hana", ["hr"]), ("hand-over-data", "max", ["manager"])]
    summary = "OFF-000001: Ivan Petrov has left, offboarding complete"
    assert desk.outbox("max") == [chase, "OFF-000001: you take over data of Ivan Petrov, who leaves on 2026-01-09",
                                  summary]
    assert desk.outbox("mona") == [chase]


def test_a_manager_on_record_who_does_not_sign_in_to_baton_leaves_the_step_to_an_admin(desk, people, clock,
                                                                                        make_user):
    """The people register may name a manager who has no Baton sign-in: the step
    is theirs all the same (no one else in the manager group may do it), HR are
    told when the last day ends, and an admin does it. Nothing fails meanwhile."""
    admin = make_user("root", role="admin")
    person("alice", "Alice Martin", manager="ghost")
    access("alice", ["email"])
    case = start(desk, people)
    hand_over = desk.task(admin, case, "hand-over-data")
    assert hand_over.assignee == "ghost"
    assert "hand-over-data" not in desk.inbox(people.mona, case)
    case = desk.work(people.hana, case, "exit-checklist", CHECKLIST)
    desk.advance(LAST_DAY_ENDS - clock.now())
    case = desk.reload(case)
    assert case.status == "running"                           # no incident: HR were told, the access went
    assert desk.records("access")["alice"]["grants"] == []
    assert bodies("hana")["OFF-000001: no one named yet to take over the data of Alice Martin"].endswith(
        "is with their manager, ghost: please follow it up with them.")
    tasks.complete(hand_over.id, HAND_OVER, admin)
    desk.run_worker()
    case = desk.reload(case)
    assert case.status == "completed"
    assert desk.outbox("root")[-1] == "OFF-000001: Alice Martin has left, offboarding complete"


def test_a_leaver_named_as_their_own_manager_falls_to_the_manager_group(desk, people):
    person("mona", "Mona Lindqvist", manager="mona")
    case = start(desk, people, leaver="mona")
    assert case.data["manager"] is None
    assert desk.task(people.max, case, "hand-over-data").assignee is None


# ---- the last day ends with work still open ---------------------------------------

def test_work_still_open_when_the_last_day_ends_is_chased_and_made_urgent_but_stays_open(desk, people, clock):
    person("alice", "Alice Martin")
    access("alice", STANDARD)
    the_register()
    case = start(desk, people)
    case = take_back(desk, people.ada, case, "LAP-0003", "good")
    desk.advance(LAST_DAY_ENDS - clock.now() - timedelta(seconds=1))
    assert desk.outbox("hana") == [] and desk.outbox("ada") == []
    desk.advance(seconds=1)
    case = desk.reload(case)
    # The access goes on time, whatever else is open.
    assert desk.records("access")["alice"]["grants"] == []
    assert case.status == "running"
    hand_over_chase = "OFF-000001: no one named yet to take over the data of Alice Martin"
    assets_chase = "OFF-000001: equipment of Alice Martin not all back"
    assert desk.outbox("mona") == desk.outbox("max") == []     # HR follow it up; it is urgent in mona's inbox
    assert bodies("hana")[hand_over_chase].endswith(
        "is with their manager, mona: please follow it up with them.")
    assert sorted(desk.outbox("hana")) == sorted(desk.outbox("helen")) == [assets_chase, hand_over_chase]
    assert desk.outbox("ada") == desk.outbox("alan") == [assets_chase]
    assert "On loan when the offboarding started: LAP-0003 (laptop, Lenovo ThinkPad T14 Gen 4), MON-0007 (monitor, " \
        in bodies("ada")[assets_chase]
    # The open steps are urgent now, and still open: the monitor, the hand-over, the checklist.
    assert inboxes(desk, people, case) == {"hana": ["exit-checklist"], "helen": ["exit-checklist"],
                                           "mona": ["hand-over-data"], "ada": ["recover-asset"],
                                           "alan": ["recover-asset"]}
    assert desk.task(people.mona, case, "hand-over-data").priority == 90
    assert desk.task(people.ada, case, "recover-asset").priority == 90
    assert desk.task(people.hana, case, "exit-checklist").priority < 90
    raised = desk.events(case, "task_priority_raised")
    assert sorted(e.element for e in raised) == ["hand-over-data", "recover-asset"]
    # Chased once only.
    desk.advance(days=3)
    assert sorted(desk.outbox("hana")) == [assets_chase, hand_over_chase]
    case = take_back(desk, people.alan, case, "MON-0007", "fair")
    case = desk.work(people.mona, case, "hand-over-data", HAND_OVER)
    case = desk.work(people.hana, case, "exit-checklist", CHECKLIST)
    assert case.status == "completed"
    for chase in ("chase-hand-over", "make-hand-over-urgent", "hand-over-chased", "chase-assets",
                  "make-recovery-urgent", "assets-chased"):
        assert desk.path(case).count(chase) == 1, chase


# ---- the leaver Baton cannot find ------------------------------------------------------

def test_an_unknown_leaver_goes_back_to_hr_until_the_name_is_right(desk, people, clock):
    person("alice", "Alice Martin")
    access("alice", ["email"])
    person("olga", "Olga Berg", status="left", last_day="2025-11-28")
    case = start(desk, people, leaver="alcie")
    assert inboxes(desk, people, case) == {"hana": ["correct-leaver"], "helen": ["correct-leaver"]}
    correction = desk.task(people.hana, case, "correct-leaver")
    assert (correction.lane, correction.due_at) == ("hr", clock.now() + timedelta(days=1))
    detail = tasks.get_task(correction.id, people.hana)
    assert "no one with that user name is in the people register" in fill_template(detail.instructions, detail.data)
    assert detail.data["leaver"] == "alcie"
    for outsider in (people.mona, people.ada, people.alice):
        with pytest.raises(Forbidden):
            tasks.claim(correction.id, outsider)
    # Twice more wrong: someone who already left, then a typo again.
    case = desk.work(people.hana, case, "correct-leaver", {"leaver": "olga", "next_step": "look_up_again"})
    detail = tasks.get_task(desk.task(people.hana, case, "correct-leaver").id, people.hana)
    assert "the people register says Olga Berg has already left (last day 2025-11-28)" in fill_template(
        detail.instructions, detail.data)
    case = desk.work(people.helen, case, "correct-leaver", {"leaver": "alice.m", "next_step": "look_up_again"})
    case = desk.work(people.hana, case, "correct-leaver", {"leaver": "alice", "next_step": "look_up_again",
                                                            "correction_notes": "Typed it wrong twice."})
    again = ["look-up-leaver", "leaver-known"]
    assert desk.path(case) == (LOOKED_UP + ["correct-leaver", "look-up-again", *again] * 3 + PLANNED
                               + ["dismissal", "any-assets", "assets-accounted-for"])
    assert desk.who_did_what(case) == [("correct-leaver", "hana", ["hr"]), ("correct-leaver", "helen", ["hr"]),
                                       ("correct-leaver", "hana", ["hr"])]
    assert (case.data["leaver"], case.data["leaver_name"], case.data["offboarding_ref"]) == (
        "alice", "Alice Martin", "OFF-000001")
    assert inboxes(desk, people, case) == {"hana": ["exit-checklist"], "helen": ["exit-checklist"],
                                           "mona": ["hand-over-data"]}
    # olga's record is untouched.
    assert desk.records("people")["olga"]["last_day"] == "2025-11-28"


def test_hr_may_withdraw_an_offboarding_nobody_can_be_found_for(desk, people):
    register = the_register()
    case = start(desk, people, leaver="zed")
    case = desk.work(people.helen, case, "correct-leaver", {"leaver": "zed", "next_step": "withdraw",
                                                             "correction_notes": "Started by mistake."})
    assert case.status == "completed"
    assert desk.path(case) == LOOKED_UP + ["correct-leaver", "look-up-again", "offboarding-withdrawn"]
    assert desk.records("people") == {} and desk.records("access") == {}
    assert desk.records("assets") == register
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


# ---- who may start it, the forms -------------------------------------------------------

def test_only_hr_may_offboard_someone(desk, people):
    person("alice", "Alice Martin")
    for outsider in (people.alice, people.mona, people.ada, people.sven):
        with pytest.raises(Forbidden):
            instances.start_instance(PROCESS, outsider, data={"leaver": "alice", "last_day": LAST_DAY,
                                                              "reason": "resignation"})
    assert instances.list_instances(people.hana) == []


BAD_STARTS = [
    ({"leaver": "alice martin", "reason": "fired"}, {"leaver", "reason"}),
    ({"leaver": "a", "last_day": "2026-01-04"}, {"leaver", "last_day"}),          # too short; yesterday
    ({"last_day": "9 January"}, {"last_day"}),
    ({"leaver": None, "leaving_notes": "x" * 2001}, {"leaver", "leaving_notes"}),
    ({"manager": "mona"}, {"manager"}),
]


def test_the_forms_refuse_bad_input(desk, people):
    person("alice", "Alice Martin")
    the_register()
    for changes, fields in BAD_STARTS:
        data = {k: v for k, v in {"leaver": "alice", "last_day": LAST_DAY, "reason": "resignation",
                                   **changes}.items() if v is not None}
        with pytest.raises(InvalidData) as refused:
            instances.start_instance(PROCESS, people.hana, data=data)
        assert set(refused.value.fields) == fields, changes
    assert instances.list_instances(people.hana) == []

    case = start(desk, people, last_day="2026-01-05")                 # today is fine
    case_id = case.id
    assert case.status == "running"
    hand_over = desk.task(people.mona, case, "hand-over-data")
    with pytest.raises(InvalidData) as refused:
        tasks.complete(hand_over.id, {"files_owner": "nobody", "mailbox_owner": "sam"}, people.mona)
    assert set(refused.value.fields) == {"files_owner", "drives_owner"}
    assert refused.value.fields["files_owner"] == [
        "No one called 'nobody' can sign in to Baton: check the user name."]
    task_id = recoveries(desk, people.ada, case)["LAP-0003"]
    tasks.claim(task_id, people.ada)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(task_id, {"condition_on_return": "lost", "recovery_notes": "x" * 2001}, people.ada)
    assert set(refused.value.fields) == {"condition_on_return", "recovery_notes"}
    checklist = desk.task(people.hana, case, "exit-checklist")
    with pytest.raises(InvalidData) as refused:
        tasks.complete(checklist.id, {"exit_interview": "maybe", "final_pay_notified": "yes"}, people.hana)
    assert set(refused.value.fields) == {"exit_interview", "final_pay_notified", "equipment_list_confirmed",
                                         "benefits_ended", "leaving_letter_sent"}
    case = desk.reload(case_id)
    assert desk.events(case, "task_completed") == []
    assert desk.records("assets")["LAP-0003"]["status"] == "on_loan"

    unknown = start(desk, people, leaver="nobody")
    correction = desk.task(people.hana, unknown, "correct-leaver")
    with pytest.raises(InvalidData) as refused:
        tasks.complete(correction.id, {"leaver": "no body", "next_step": "later"}, people.hana)
    assert set(refused.value.fields) == {"leaver", "next_step"}


# ---- the process and its diagram ---------------------------------------------------------

HUMAN_STEPS = {"correct-leaver": "hr", "exit-checklist": "hr", "hand-over-data": "manager",
               "recover-asset": "asset-team"}


def test_every_human_step_has_a_lane_documentation_instructions_and_a_form():
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name, model.category, model.startable) == (
        PROCESS, "Offboard an employee", "People", True)
    assert model.description.startswith("Offboard an employee who is leaving")
    assert (model.starter_groups, model.initiator, model.business_key_variable) == (
        ["hr"], "reported_by", "offboarding_ref")
    assert list(model.start_form.schema["properties"]) == ["leaver", "last_day", "reason", "leaving_notes"]
    assert model.start_form.schema["properties"]["last_day"]["notInPast"] is True
    assert {k: t.lane for k, t in model.tasks.items()} == HUMAN_STEPS
    hand_over = model.tasks["hand-over-data"]
    assert (hand_over.assignee, hand_over.completed_by_variable) == ("${manager}", "handed_over_by")
    assert model.tasks["recover-asset"].completed_by_variable == "recovered_by"
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form, task.bpmn_id
        assert "offboarding_ref" in shown_fields(task.form), task.bpmn_id
        assert undescribed_fields(task.form) == [], task.bpmn_id
    assert undescribed_fields(model.start_form) == [], "start form"


def test_the_diagram_is_documented_and_laid_out_left_to_right():
    assert diagram_problems(BPMN_FILE) == []
    process = etree.parse(str(BPMN_FILE)).getroot().find("bpmn:process", NS)
    assert [lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)] == [
        "hr", "manager", "security", "asset-team"]
    # The revocation waits for the end of the last day; the asset recovery is one task per asset.
    timer = process.find("bpmn:intermediateCatchEvent[@id='last-day-ends']/bpmn:timerEventDefinition/bpmn:timeDate",
                         NS)
    assert timer.text == "last_day_ends"
    loop = process.find("bpmn:userTask[@id='recover-asset']/bpmn:multiInstanceLoopCharacteristics", NS)
    assert (loop.get("isSequential"), loop.findtext("bpmn:loopDataInputRef", namespaces=NS)) == (
        "false", "assets_on_loan")
    revoke = process.find("bpmn:serviceTask[@id='revoke-access']/bpmn:multiInstanceLoopCharacteristics", NS)
    assert (revoke.get("isSequential"), revoke.findtext("bpmn:loopDataInputRef", namespaces=NS)) == (
        "true", "revocations")


def test_the_correction_loop_runs_many_times_with_a_flat_stored_state(desk, people):
    """HR get the name wrong 20 times: each round is in the audit trail, and the
    stored state stays the same size (history lives in the audit trail)."""
    from app.models import Instance
    person("alice", "Alice Martin")
    case = start(desk, people, leaver="wrong-0")
    case_id, sizes = case.id, {}
    for round_ in range(1, 21):
        case = desk.work(people.hana, case, "correct-leaver",
                    {"leaver": f"wrong-{round_}" if round_ < 20 else "alice", "next_step": "look_up_again"})
        if round_ in (2, 19):
            db.session.remove()
            sizes[round_] = len(db.session.get(Instance, case_id).state)
    assert sizes[19] <= 1.1 * sizes[2], sizes
    assert desk.path(case).count("correct-leaver") == 20
    assert desk.path(case).count("look-up-leaver") == 21
    assert [e.data["data"]["leaver"] for e in desk.events(case, "task_completed")] == [
        *(f"wrong-{n}" for n in range(1, 20)), "alice"]
    assert inboxes(desk, people, case) == {"hana": ["exit-checklist"], "helen": ["exit-checklist"],
                                           "mona": ["hand-over-data"]}
