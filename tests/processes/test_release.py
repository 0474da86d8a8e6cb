"""The shipped process ``release`` ("Release a new version").

Driven through Baton's services the way its users drive it: development (or
the release team) say a release is done; quality assurance review it (a
failure goes back to development, once or many times); the stakeholders
validate it (a rejection goes back to development too); the release team plan
the deployment window; nothing is deployed until the injected clock reaches
the window's start; the person named deploys it (a window that closes first is
escalated); quality assurance verify it in production, after which it is
registered and announced, or rolled back, fixed, and taken round again. One
test per path, each checking the path taken (the audit trail), who was asked
to do what, what people were told (the outbox), the release register and the
data at the end; then the forms, who may start a release, and the diagram.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from app.engine.bundle import load_bundle
from app.models import Instance, db
from app.services import catalogue, instances, tasks
from app.services.errors import Forbidden, InvalidData
from app.web.pages.rich_text import fill_template

from .conftest import REPO, bundle_of
from .diagram_checks import NS, diagram_problems
from .driver import Desk
from .form_checks import shown_fields, undescribed_fields

PROCESS = "release"
BPMN_FILE = REPO / "bpmn" / PROCESS / "release.bpmn"

# The clock starts on Monday 2026-01-05 09:00 UTC; the window is Saturday night.
OPENS = datetime(2026, 1, 10, 22, 0, tzinfo=timezone.utc)
CLOSES = datetime(2026, 1, 11, 0, 0, tzinfo=timezone.utc)
RELEASE = {"release_name": "Spring billing release", "application": "Billing", "version": "2.4.0",
           "changes": "Invoices in PDF/A; VAT rates per country; fixes the rounding of discounts.",
           "build_link": "https://git.example.org/billing/-/tags/v2.4.0",
           "risk_notes": "Migrates the invoice table (about 10 minutes)."}
PASSED = {"review_result": "passed", "review_findings": "Regression suite and the new VAT cases pass."}
ACCEPTED = {"validation_result": "accepted", "validation_comments": "The finance team tried the new invoices."}
PLAN = {"window_start": "2026-01-10T22:00:00Z", "window_end": "2026-01-11T00:00:00Z", "deployer": "rhea",
        "rollback_plan": "Redeploy 2.3.2 and restore the invoice table from the backup (20 minutes).",
        "announcement": "Billing is unavailable on Saturday from 22:00 to 22:30 UTC."}
DEPLOYED = {"deployment_notes": "Deployed at 22:05; the migration took 8 minutes."}
WORKS = {"verification_result": "passed", "verification_notes": "Three invoices sent; VAT right for DE, AT, FR."}
WINDOW_TEXT = "Sat 10 Jan 2026, 22:00 to Sun 11 Jan 2026, 00:00 UTC"

# The diagram's steps on each part of a path, in the order they are taken.
OPENED = ["development-done", "number-release", "register-release"]
REVIEWED = ["review-release", "review-passed"]
SENT_BACK = ["note-findings", "fix-findings"]
VALIDATED = ["validate-release", "release-accepted"]
PLANNED = ["plan-deployment", "check-window", "window-usable", "announce-window"]
DEPLOYED_AND_VERIFIED = ["window-opens", "deploy-release", "verify-release", "works-in-production"]
ROLLED_BACK = ["roll-back-release", "report-rollback"]
RELEASED = ["register-outcome", "announce-release", "release-deployed"]
ESCALATED = ["window-closed", "escalate-missed-window", "make-deployment-urgent", "missed-window-escalated"]
ONE_ROUND = REVIEWED + VALIDATED + PLANNED + DEPLOYED_AND_VERIFIED


@dataclass
class People:
    devon: object        # development
    rhea: object         # release-team
    quinn: object        # qa
    sam: object          # stakeholder
    oscar: object        # it-ops
    ivan: object         # it-director
    otto: object         # none of these: finance

    def everyone(self):
        return [self.devon, self.rhea, self.quinn, self.sam, self.oscar, self.ivan, self.otto]


@pytest.fixture
def people(make_user) -> People:
    return People(devon=make_user("devon", "development"), rhea=make_user("rhea", "release-team"),
                  quinn=make_user("quinn", "qa"), sam=make_user("sam", "stakeholder"),
                  oscar=make_user("oscar", "it-ops"), ivan=make_user("ivan", "it-director"),
                  otto=make_user("otto", "finance"))


@pytest.fixture
def desk(deployed_desk) -> Desk:
    return deployed_desk(PROCESS, "Release a new version")


# ---- helpers -----------------------------------------------------------------

def start(desk, people, user=None, **changes):
    return desk.start(user or people.devon, {**RELEASE, **changes})


def inboxes(desk, people, case) -> dict[str, list[str]]:
    """Who may work on what in this case now (only people with something to do)."""
    found = {user.username: desk.inbox(user, case) for user in people.everyone()}
    return {name: steps for name, steps in found.items() if steps}


def fail_review(desk, people, case, findings: str):
    return desk.work(people.quinn, case, "review-release", {"review_result": "failed", "review_findings": findings})


def fix(desk, people, case, notes: str, **changes):
    data = {"fix_notes": notes, "build_link": case.data["build_link"], "version": case.data["version"], **changes}
    return desk.work(people.devon, case, "fix-findings", data)


def reviewed_and_accepted(desk, people, case):
    case = desk.work(people.quinn, case, "review-release", PASSED)
    assert inboxes(desk, people, case) == {"sam": ["validate-release"]}
    return desk.work(people.sam, case, "validate-release", ACCEPTED)


def plan_and_wait_for_the_window(desk, people, case, plan: dict = PLAN, opens: datetime = OPENS):
    """Plan the deployment; nothing can be deployed until the window opens."""
    case = desk.work(people.rhea, case, "plan-deployment", plan)
    assert case.status == "running"
    assert inboxes(desk, people, case) == {}
    desk.advance(opens - desk.clock.now() - timedelta(seconds=1))
    assert inboxes(desk, people, case) == {}
    assert desk.path(case)[-1] == "announce-window"
    desk.advance(seconds=1)                 # the window opens: exactly at its start
    deployer = plan["deployer"]
    assert inboxes(desk, people, case) == {deployer: ["deploy-release"]}
    return desk.reload(case)


def deploy_and_verify(desk, people, case, verification: dict = WORKS, deployer=None):
    case = desk.work(deployer or people.rhea, case, "deploy-release", DEPLOYED)
    assert inboxes(desk, people, case) == {"quinn": ["verify-release"]}
    return desk.work(people.quinn, case, "verify-release", verification)


def the_release(desk, ref: str = "REL-000001") -> dict:
    return desk.records("releases")[ref]


def released_subject(version: str = "2.4.0") -> str:
    return f"REL-000001 released: Billing {version}"


# ---- the straight path ------------------------------------------------------------

@pytest.mark.also_on_postgres
def test_a_release_reviewed_validated_deployed_in_its_window_verified_and_registered(desk, people, clock):
    case = start(desk, people)
    assert case.status == "running"
    assert case.data["release_ref"] == case.business_key == "REL-000001"
    assert case.data["submitted_by"] == "devon"            # noted by the start event
    assert desk.records("sequences") == {"release": {"last": 1}}
    assert (case.data["qa_failures"], case.data["rejections"], case.data["rollbacks"]) == (0, 0, 0)

    # Only quality assurance are asked to review it, within three days.
    assert inboxes(desk, people, case) == {"quinn": ["review-release"]}
    review = desk.task(people.quinn, case, "review-release")
    assert (review.lane, review.candidate_groups, review.due_at) == ("qa", ["qa"], clock.now() + timedelta(days=3))
    for outsider in (people.devon, people.rhea, people.sam, people.otto):
        with pytest.raises(Forbidden):
            tasks.claim(review.id, outsider)
    told = desk.instructions(people.quinn, case, "review-release")
    assert told.startswith("Review **REL-000001**: Billing **2.4.0** (Spring billing release).")
    assert "came back from development" not in told

    case = desk.work(people.quinn, case, "review-release", PASSED)
    assert inboxes(desk, people, case) == {"sam": ["validate-release"]}
    validation = tasks.get_task(desk.task(people.sam, case, "validate-release").id, people.sam)
    assert (validation.task.lane, validation.task.candidate_groups) == ("stakeholder", ["stakeholder"])
    assert validation.data["review_findings"] == PASSED["review_findings"]       # QA's report is shown
    case = desk.work(people.sam, case, "validate-release", ACCEPTED)

    # The release team plan it; the window is announced to the stakeholders, development and the deployer.
    assert inboxes(desk, people, case) == {"rhea": ["plan-deployment"]}
    told = desk.instructions(people.rhea, case, "plan-deployment")
    assert "was accepted by sam" in told and "time(s) before" not in told and "cannot be used" not in told
    case = plan_and_wait_for_the_window(desk, people, case)
    assert case.data["window_text"] == WINDOW_TEXT
    announced = f"REL-000001 Billing 2.4.0: deployment {WINDOW_TEXT}"
    for name in ("sam", "devon", "rhea"):
        assert desk.outbox(name) == [announced]
    for name in ("quinn", "oscar", "ivan", "otto"):
        assert desk.outbox(name) == []

    # The deployment is the deployer's alone, due when the window closes.
    deployment = desk.task(people.rhea, case, "deploy-release")
    assert (deployment.assignee, deployment.lane, deployment.due_at, deployment.priority) == (
        "rhea", "release-team", CLOSES, 70)
    case = deploy_and_verify(desk, people, case)

    assert case.status == "completed"
    assert desk.path(case) == OPENED + ONE_ROUND + RELEASED
    assert desk.who_did_what(case) == [
        ("review-release", "quinn", ["qa"]), ("validate-release", "sam", ["stakeholder"]),
        ("plan-deployment", "rhea", ["release-team"]), ("deploy-release", "rhea", ["release-team"]),
        ("verify-release", "quinn", ["qa"])]
    # The release register holds the release with its version, window and outcome.
    assert the_release(desk) == {
        "release_ref": "REL-000001", "name": "Spring billing release", "application": "Billing",
        "version": "2.4.0", "build_link": RELEASE["build_link"], "window_start": PLAN["window_start"],
        "window_end": PLAN["window_end"], "deployed_by": "rhea", "verified_by": "quinn", "outcome": "released",
        "deployment_notes": DEPLOYED["deployment_notes"], "verification_notes": WORKS["verification_notes"],
        "qa_failures": 0, "rejections": 0, "rollbacks": 0, "submitted_by": "devon",
        "released_at": clock.now().isoformat()}
    # The stakeholders and development (and whoever started it) are told; the window closed without escalation.
    assert desk.outbox("sam") == desk.outbox("devon") == [announced, released_subject()]
    assert desk.outbox("rhea") == [announced]
    desk.advance(days=1)
    assert desk.outbox("ivan") == []


# ---- quality assurance fails it ---------------------------------------------------

def test_a_failed_review_goes_back_to_development_and_is_reviewed_again(desk, people):
    case = start(desk, people)
    case = fail_review(desk, people, case, "The German VAT rate is applied to Austrian customers.")

    # Development fix what QA found; nobody else has anything to do.
    assert inboxes(desk, people, case) == {"devon": ["fix-findings"]}
    fixing = tasks.get_task(desk.task(people.devon, case, "fix-findings").id, people.devon)
    assert (fixing.task.lane, fixing.task.candidate_groups) == ("development", ["development"])
    assert (fixing.data["returned_from"], fixing.data["findings"]) == (
        "review", "The German VAT rate is applied to Austrian customers.")
    assert (fixing.data["qa_failures"], fixing.data["times_returned"], fixing.data["review_result"]) == (1, 1, None)
    assert fixing.data["build_link"] == RELEASE["build_link"]                # prefilled, to be changed
    assert "quality assurance failed it. This is return number 1." in fill_template(fixing.instructions,
                                                                                   fixing.data)
    case = fix(desk, people, case, "VAT rate now looked up by the customer's country.", version="2.4.1",
               build_link="https://git.example.org/billing/-/tags/v2.4.1")

    # Back to quality assurance, who see what was fixed.
    assert inboxes(desk, people, case) == {"quinn": ["review-release"]}
    told = desk.instructions(people.quinn, case, "review-release")
    assert "Billing **2.4.1**" in told
    assert "it went back 1 time(s)). What they fixed: VAT rate now looked up by the customer's country." in told
    case = reviewed_and_accepted(desk, people, case)
    assert inboxes(desk, people, case) == {"rhea": ["plan-deployment"]}
    assert desk.path(case) == OPENED + REVIEWED + SENT_BACK + REVIEWED + VALIDATED
    assert desk.who_did_what(case) == [
        ("review-release", "quinn", ["qa"]), ("fix-findings", "devon", ["development"]),
        ("review-release", "quinn", ["qa"]), ("validate-release", "sam", ["stakeholder"])]
    case = plan_and_wait_for_the_window(desk, people, case)
    case = deploy_and_verify(desk, people, case)
    assert case.status == "completed"
    assert {k: the_release(desk)[k] for k in ("version", "build_link", "qa_failures", "rejections", "rollbacks")} == {
        "version": "2.4.1", "build_link": "https://git.example.org/billing/-/tags/v2.4.1", "qa_failures": 1,
        "rejections": 0, "rollbacks": 0}
    assert desk.outbox("sam")[-1] == released_subject("2.4.1")


def test_a_review_failed_three_times_goes_round_three_times(desk, people):
    case = start(desk, people)
    for round_ in range(1, 4):
        case = fail_review(desk, people, case, f"Finding of review {round_}.")
        assert inboxes(desk, people, case) == {"devon": ["fix-findings"]}
        assert (case.data["findings"], case.data["qa_failures"], case.data["times_returned"]) == (
            f"Finding of review {round_}.", round_, round_)
        case = fix(desk, people, case, f"Fixed finding {round_}.")
        assert inboxes(desk, people, case) == {"quinn": ["review-release"]}
        assert f"What they fixed: Fixed finding {round_}." in desk.instructions(people.quinn, case,
                                                                           "review-release")
    case = reviewed_and_accepted(desk, people, case)
    assert desk.path(case) == OPENED + (REVIEWED + SENT_BACK) * 3 + REVIEWED + VALIDATED
    # Every round's findings and fixes are in the audit trail; the case keeps the latest.
    completed = [(e.element, e.data["data"]) for e in desk.events(case, "task_completed")]
    assert [d["review_findings"] for step, d in completed if step == "review-release"] == [
        "Finding of review 1.", "Finding of review 2.", "Finding of review 3.", PASSED["review_findings"]]
    assert [d["fix_notes"] for step, d in completed if step == "fix-findings"] == [
        "Fixed finding 1.", "Fixed finding 2.", "Fixed finding 3."]
    assert (case.data["qa_failures"], case.data["rejections"], case.data["findings"]) == (
        3, 0, "Finding of review 3.")
    # No one is told anything by mail while the release goes round: the fix step is in development's inbox.
    assert all(desk.outbox(user.username) == [] for user in people.everyone())


def test_twenty_five_rounds_keep_the_stored_state_flat(desk, people):
    """The review loop driven through the services directly (no hooks in the loop):
    the live state does not grow with the rounds; history is in the audit trail."""
    case = start(desk, people)
    sizes = {}

    def do(user, step: str, data: dict):
        (task,) = [t for t in case.open_tasks if t.bpmn_id == step]
        return tasks.complete(task.id, data, user)

    for round_ in range(1, 26):
        case = do(people.quinn, "review-release", {"review_result": "failed", "review_findings": f"Finding {round_}."})
        case = do(people.devon, "fix-findings", {"fix_notes": f"Fix {round_}.", "build_link": RELEASE["build_link"],
                                                 "version": "2.4.0"})
        if round_ in (5, 25):
            sizes[round_] = len(db.session.get(Instance, case.id).state)
    assert sizes[25] <= 1.1 * sizes[5], sizes
    assert case.data["qa_failures"] == case.data["times_returned"] == 25
    assert [t.bpmn_id for t in case.open_tasks] == ["review-release"]
    assert desk.path(desk.reload(case)) == OPENED + (REVIEWED + SENT_BACK) * 25


# ---- the stakeholders reject it ----------------------------------------------------

def test_a_release_the_stakeholders_reject_goes_back_to_development_and_through_qa_again(desk, people):
    case = start(desk, people)
    case = desk.work(people.quinn, case, "review-release", PASSED)
    case = desk.work(people.sam, case, "validate-release", {
        "validation_result": "rejected", "validation_comments": "Invoices must still show the old customer number."})

    assert inboxes(desk, people, case) == {"devon": ["fix-findings"]}
    fixing = tasks.get_task(desk.task(people.devon, case, "fix-findings").id, people.devon)
    assert (fixing.data["returned_from"], fixing.data["findings"]) == (
        "stakeholders", "Invoices must still show the old customer number.")
    assert (fixing.data["rejections"], fixing.data["qa_failures"], fixing.data["validation_result"]) == (1, 0, None)
    assert "the stakeholders rejected it" in fill_template(fixing.instructions, fixing.data)
    case = fix(desk, people, case, "The old customer number is back on the invoice.", version="2.4.1")

    # The fixed release is reviewed again before the stakeholders see it again.
    assert inboxes(desk, people, case) == {"quinn": ["review-release"]}
    case = reviewed_and_accepted(desk, people, case)
    assert desk.path(case) == OPENED + REVIEWED + VALIDATED + SENT_BACK + REVIEWED + VALIDATED
    assert desk.who_did_what(case) == [
        ("review-release", "quinn", ["qa"]), ("validate-release", "sam", ["stakeholder"]),
        ("fix-findings", "devon", ["development"]), ("review-release", "quinn", ["qa"]),
        ("validate-release", "sam", ["stakeholder"])]
    assert inboxes(desk, people, case) == {"rhea": ["plan-deployment"]}
    case = plan_and_wait_for_the_window(desk, people, case)
    case = deploy_and_verify(desk, people, case)
    assert case.status == "completed"
    assert {k: the_release(desk)[k] for k in ("version", "qa_failures", "rejections", "rollbacks")} == {
        "version": "2.4.1", "qa_failures": 0, "rejections": 1, "rollbacks": 0}


# ---- it fails in production --------------------------------------------------------

def test_a_release_failing_in_production_is_rolled_back_fixed_and_goes_round_again(desk, people, clock):
    case = start(desk, people)
    case = reviewed_and_accepted(desk, people, case)
    case = plan_and_wait_for_the_window(desk, people, case)
    case = deploy_and_verify(desk, people, case, {
        "verification_result": "failed", "verification_notes": "Invoices to Austria are rejected by the portal."})

    # The release team roll it back, urgently, within two hours; quality assurance and development wait.
    assert inboxes(desk, people, case) == {"rhea": ["roll-back-release"]}
    rollback = desk.task(people.rhea, case, "roll-back-release")
    assert (rollback.priority, rollback.due_at, rollback.lane) == (90, clock.now() + timedelta(hours=2),
                                                                   "release-team")
    desk.advance(hours=1)
    assert "Redeploy 2.3.2 and restore the invoice table" in desk.instructions(people.rhea, case,
                                                                         "roll-back-release")
    case = desk.work(people.rhea, case, "roll-back-release", {
        "rollback_notes": "Redeployed 2.3.2 at 23:10; invoice table restored.", "service_restored": True})

    # Development, the stakeholders and the release team are told; development fix it.
    rolled_back = "REL-000001 rolled back: Billing 2.4.0"
    assert desk.outbox("devon")[-1] == desk.outbox("sam")[-1] == desk.outbox("rhea")[-1] == rolled_back
    assert desk.outbox("quinn") == desk.outbox("ivan") == []
    assert inboxes(desk, people, case) == {"devon": ["fix-findings"]}
    fixing = tasks.get_task(desk.task(people.devon, case, "fix-findings").id, people.devon)
    assert fixing.data["returned_from"] == "verification"
    assert fixing.data["findings"] == (
        "Verification in production failed: Invoices to Austria are rejected by the portal.\n\n"
        "Rolled back (the service is back as it was): Redeployed 2.3.2 at 23:10; invoice table restored.")
    assert "it failed in production and was rolled back" in fill_template(fixing.instructions, fixing.data)
    case = fix(desk, people, case, "Austrian invoices carry the UID number now.", version="2.4.1")

    # The second round: review, validation, a new plan (the old window has passed), the window, deployment.
    case = reviewed_and_accepted(desk, people, case)
    plan = tasks.get_task(desk.task(people.rhea, case, "plan-deployment").id, people.rhea)
    assert plan.data["window_start"] == PLAN["window_start"]              # last round's, shown to be changed
    assert "It was rolled back 1 time(s) before: agree a new window" in fill_template(plan.instructions, plan.data)
    tasks.claim(plan.task.id, people.rhea)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(plan.task.id, PLAN, people.rhea)
    assert refused.value.fields == {"window_start": ["Must not be in the past."]}
    second = {**PLAN, "window_start": "2026-01-17T22:00:00Z", "window_end": "2026-01-17T23:00:00Z",
              "deployer": "oscar"}
    case = plan_and_wait_for_the_window(desk, people, case, second, datetime(2026, 1, 17, 22, tzinfo=timezone.utc))
    case = deploy_and_verify(desk, people, case, deployer=people.oscar)

    assert case.status == "completed"
    assert desk.path(case) == (OPENED + ONE_ROUND + ROLLED_BACK + SENT_BACK + ONE_ROUND + RELEASED)
    assert desk.who_did_what(case) == [
        ("review-release", "quinn", ["qa"]), ("validate-release", "sam", ["stakeholder"]),
        ("plan-deployment", "rhea", ["release-team"]), ("deploy-release", "rhea", ["release-team"]),
        ("verify-release", "quinn", ["qa"]), ("roll-back-release", "rhea", ["release-team"]),
        ("fix-findings", "devon", ["development"]), ("review-release", "quinn", ["qa"]),
        ("validate-release", "sam", ["stakeholder"]), ("plan-deployment", "rhea", ["release-team"]),
        ("deploy-release", "oscar", ["release-team"]), ("verify-release", "quinn", ["qa"])]
    record = the_release(desk)
    assert {k: record[k] for k in ("version", "window_start", "window_end", "deployed_by", "outcome",
                                   "qa_failures", "rejections", "rollbacks")} == {
        "version": "2.4.1", "window_start": "2026-01-17T22:00:00Z", "window_end": "2026-01-17T23:00:00Z",
        "deployed_by": "oscar", "outcome": "released", "qa_failures": 0, "rejections": 0, "rollbacks": 1}
    second_window = "REL-000001 Billing 2.4.1: deployment Sat 17 Jan 2026, 22:00 to Sat 17 Jan 2026, 23:00 UTC"
    assert desk.outbox("sam") == [f"REL-000001 Billing 2.4.0: deployment {WINDOW_TEXT}", rolled_back,
                                  second_window, released_subject("2.4.1")]
    assert desk.outbox("oscar") == [second_window]             # told as the deployer, not as a stakeholder


# ---- the window ------------------------------------------------------------------

def test_a_window_that_ends_before_it_starts_is_planned_again(desk, people):
    case = start(desk, people)
    case = reviewed_and_accepted(desk, people, case)
    case = desk.work(people.rhea, case, "plan-deployment",
                {**PLAN, "window_start": "2026-01-10T22:00:00Z", "window_end": "2026-01-10T21:00:00Z"})
    assert case.data["window_problems"] == [
        "The window ends before it starts, or when it starts: it must end after it starts."]
    assert inboxes(desk, people, case) == {"rhea": ["plan-deployment"]}
    assert "- The window ends before it starts" in desk.instructions(people.rhea, case, "plan-deployment")
    assert desk.outbox("sam") == []                          # nothing announced yet
    case = plan_and_wait_for_the_window(desk, people, case)
    assert case.data["window_problems"] == []
    assert desk.path(case) == (OPENED + REVIEWED + VALIDATED + ["plan-deployment", "check-window", "window-usable"]
                               + PLANNED + ["window-opens"])
    assert desk.outbox("sam") == [f"REL-000001 Billing 2.4.0: deployment {WINDOW_TEXT}"]


def test_a_window_that_closes_before_the_deployment_is_escalated_and_the_deployment_stays_open(desk, people):
    case = start(desk, people)
    case = reviewed_and_accepted(desk, people, case)
    case = plan_and_wait_for_the_window(desk, people, case, {**PLAN, "deployer": "oscar"})
    case_id = case.id          # (a refused completion leaves the loaded case behind)
    # The deployer may hand the task back; then the release team may take it (and nobody else).
    deployment = desk.task(people.oscar, case, "deploy-release")
    for other in (people.rhea, people.devon):
        with pytest.raises(Forbidden):
            tasks.complete(deployment.id, DEPLOYED, other)

    desk.advance(CLOSES - desk.clock.now() - timedelta(seconds=1))
    assert desk.outbox("ivan") == []
    desk.advance(seconds=1)                  # the window closes, still not deployed
    missed = "REL-000001: window closed, Billing 2.4.0 not deployed"
    assert desk.outbox("ivan") == desk.outbox("rhea") == [missed]
    assert desk.outbox("sam")[-1] != missed and desk.outbox("devon")[-1] != missed
    case = desk.reload(case_id)
    assert desk.path(case)[-4:] == ESCALATED
    # Not taken away: still oscar's, now the most urgent.
    assert inboxes(desk, people, case) == {"oscar": ["deploy-release"]}
    deployment = desk.task(people.oscar, case, "deploy-release")
    assert (deployment.assignee, deployment.priority) == ("oscar", 100)
    assert [e.data["to"] for e in desk.events(case, "task_priority_raised")] == [100]
    # Once only.
    desk.advance(days=2)
    assert desk.outbox("ivan") == [missed]

    tasks.unclaim(deployment.id, people.oscar)
    case = desk.reload(case_id)
    assert inboxes(desk, people, case) == {"rhea": ["deploy-release"]}
    case = deploy_and_verify(desk, people, case, deployer=people.rhea)
    assert case.status == "completed"
    assert desk.path(case) == (OPENED + REVIEWED + VALIDATED + PLANNED + ["window-opens"] + ESCALATED
                               + ["deploy-release", "verify-release", "works-in-production"] + RELEASED)
    assert the_release(desk)["deployed_by"] == "rhea"


# ---- who may start it, and the forms ---------------------------------------------

def test_only_development_and_the_release_team_may_start_a_release(desk, people):
    for outsider in (people.otto, people.quinn, people.sam):
        with pytest.raises(Forbidden):
            instances.start_instance(PROCESS, outsider, data=RELEASE)
        assert PROCESS not in [s.key for c in catalogue.services_for(outsider).categories for s in c.services]
    assert instances.list_instances(people.otto) == []
    for starter in (people.devon, people.rhea):
        shown = [s for c in catalogue.services_for(starter).categories for s in c.services if s.key == PROCESS]
        assert [(s.name, s.category) for s in shown] == [("Release a new version", "Changes & releases")]
    case = start(desk, people, people.rhea)
    assert (case.data["submitted_by"], case.business_key) == ("rhea", "REL-000001")


BAD_STARTS = [
    ({"version": "2.4"}, {"version"}),
    ({"version": "v2.4.0", "build_link": "not a link"}, {"version", "build_link"}),
    ({"changes": "Fixes", "release_name": "R"}, {"changes", "release_name"}),
    ({"application": None, "build_link": None}, {"application", "build_link"}),
    ({"risk_notes": "x" * 2001, "owner": "me"}, {"risk_notes", "owner"}),
]


def test_the_forms_refuse_bad_input(desk, people):
    for changes, fields in BAD_STARTS:
        data = {k: v for k, v in {**RELEASE, **changes}.items() if v is not None}
        with pytest.raises(InvalidData) as refused:
            instances.start_instance(PROCESS, people.devon, data=data)
        assert set(refused.value.fields) == fields, changes
    assert instances.list_instances(people.devon) == []

    case = start(desk, people, risk_notes=None)
    assert case.data["risk_notes"] == ""
    review = desk.task(people.quinn, case, "review-release")
    tasks.claim(review.id, people.quinn)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(review.id, {"review_result": "maybe"}, people.quinn)
    assert set(refused.value.fields) == {"review_result", "review_findings"}
    with pytest.raises(InvalidData) as refused:
        tasks.complete(review.id, {**PASSED, "release_ref": "REL-000999"}, people.quinn)
    assert set(refused.value.fields) == {"release_ref"}
    case = fail_review(desk, people, case, "The totals are wrong.")

    fixing = desk.task(people.devon, case, "fix-findings")
    tasks.claim(fixing.id, people.devon)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(fixing.id, {"fix_notes": "ok", "build_link": "ftp is not", "version": "2.4.1-rc1",
                                   "returned_from": "stakeholders"}, people.devon)
    assert set(refused.value.fields) == {"fix_notes", "build_link", "version", "returned_from"}
    case = fix(desk, people, case, "Totals add the VAT once.")
    case = reviewed_and_accepted(desk, people, case)

    plan = desk.task(people.rhea, case, "plan-deployment")
    tasks.claim(plan.id, people.rhea)
    with pytest.raises(InvalidData) as refused:
        tasks.complete(plan.id, {"window_start": "2026-01-05T08:00:00Z", "window_end": "tomorrow",
                                 "deployer": "nobody", "rollback_plan": "undo"}, people.rhea)
    assert refused.value.fields == {"window_start": ["Must not be in the past."],
                                    "window_end": ["Must be a date and time (YYYY-MM-DDTHH:MM:SSZ)."],
                                    "deployer": refused.value.fields["deployer"],
                                    "rollback_plan": refused.value.fields["rollback_plan"]}
    assert desk.task(people.rhea, case, "plan-deployment").state == "open"
    assert desk.path(case)[-1] == "release-accepted"


# ---- the diagram ---------------------------------------------------------------

HUMAN_STEPS = {"review-release": "qa", "fix-findings": "development", "validate-release": "stakeholder",
               "plan-deployment": "release-team", "deploy-release": "release-team", "verify-release": "qa",
               "roll-back-release": "release-team"}


def test_every_human_step_has_a_lane_documentation_instructions_and_a_form():
    (model,) = load_bundle(bundle_of(PROCESS)).processes
    assert (model.key, model.name, model.category, model.startable) == (
        PROCESS, "Release a new version", "Changes & releases", True)
    assert model.description.startswith("Ship a new version of an application or service")
    assert (model.initiator, model.business_key_variable) == ("submitted_by", "release_ref")
    assert (model.starter_groups, model.starter_users) == (["development", "release-team"], [])
    assert list(model.start_form.schema["properties"]) == [
        "release_name", "application", "version", "changes", "build_link", "risk_notes"]
    assert {k: t.lane for k, t in model.tasks.items()} == HUMAN_STEPS
    assert model.tasks["deploy-release"].assignee == "${deployer}"
    for task in model.tasks.values():
        assert task.documentation and task.instructions and task.form and task.completed_by_variable, task.bpmn_id
        assert "release_ref" in shown_fields(task.form), task.bpmn_id
        assert undescribed_fields(task.form) == [], task.bpmn_id


def test_the_diagram_is_documented_and_laid_out_left_to_right():
    assert diagram_problems(BPMN_FILE) == []
    process = etree.parse(str(BPMN_FILE)).getroot().find("bpmn:process", NS)
    assert [lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)] == [
        "development", "qa", "stakeholder", "release-team"]

