"""A release followed end to end in a real browser against a real ``baton
serve``, set up as scripts/run does it: rhea (development and the release
team) says a release is done, from the catalogue, and puts a version number
right that the form refuses; alice, who is neither, may not start one; quinn
(quality assurance) fails the review once; rhea fixes the findings; quinn
passes it; sam (a stakeholder) accepts it; rhea plans the deployment in a
window that opens a few seconds later, and the case page names the timer it
waits on until then; the deployment task comes to rhea when the window opens;
quinn verifies it in production; the case page says Completed and sam reads
the release notice on the Messages page."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, UNMARKED, as_input, complete, diagram_drawn, instructions, label, message,
    open_case_once_completed, open_case_waiting_on, open_group_task, open_my_task, shown, sign_in, sign_out, start_from_catalogue,
    start_request, step, submit_start_form, unexpected_errors)

CARD = "Release a new version"
# The window must start in the future when the plan is sent (the form refuses
# one that has begun), and the served app runs on the real clock: rhea gives a
# window that opens this long after she starts filling the plan in, so that the
# case is seen waiting for it, and the deployment task follows within a minute.
WINDOW_OPENS_IN = timedelta(seconds=40)


def field(page, text: str):
    return page.get_by_label(label(text))


def choose(page, question: str, answer: str) -> None:
    """Ticks the radio ``answer`` of the question (a fieldset) ``question``."""
    page.get_by_role("group", name=label(question)).get_by_label(answer, exact=True).check()


def test_a_release_failed_once_by_qa_then_accepted_deployed_in_its_window_and_verified(
        desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve

    # ---- alice is not in development or the release team: she may read the form, not start it.
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    expect(page.locator(".card", has_text=CARD)).to_have_count(0)
    page.goto(f"{served.url}/catalogue/release")
    expect(page.get_by_role("heading", name="You can’t start this request")).to_be_visible()
    expect(page.get_by_text("Only the development group or the release-team group may start this.")).to_be_visible()
    sign_out(page)

    # ---- rhea says development is done; the form refuses a version that is not major.minor.patch.
    sign_in(page, served, "rhea")
    start_from_catalogue(page, served, CARD)
    expect(page.locator(".service-description")).to_contain_text("Ship a new version of an application")
    field(page, "Release name").fill("Spring billing release")
    field(page, "Application or service").fill("Billing")
    field(page, "Version").fill("2.4")
    field(page, "Scope and notable changes").fill("Invoices in PDF/A; VAT rates per country.")
    field(page, "Build or tag").fill("https://git.example.org/billing/-/tags/v2.4.0")
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Not in the expected form, for example 2.4.0.")
    expect(field(page, "Version")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Scope and notable changes")).to_have_value("Invoices in PDF/A; VAT rates per country.")
    artifacts.screenshot(page, "release-1-start-form-with-error")
    field(page, "Version").fill("2.4.0")
    case_url = start_request(page)
    # The review is quality assurance's: nothing in rhea's inbox.
    page.goto(f"{served.url}/inbox?view=group")
    expect(page.get_by_role("link", name="Review the release", exact=True)).to_have_count(0)
    sign_out(page)

    # ---- quinn fails the review.
    sign_in(page, served, "quinn")
    open_group_task(page, served, "Review the release")
    expect(instructions(page)).to_contain_text("Billing 2.4.0 (Spring billing release)")
    expect(shown(page, "Release")).to_have_text(re.compile(r"REL-\d{6}"))
    choose(page, "Result", "Failed: back to development")
    field(page, "What you tested and found").fill("The German VAT rate is applied to Austrian customers.")
    complete(page)
    sign_out(page)

    # ---- rhea (in development too) fixes the finding.
    sign_in(page, served, "rhea")
    open_group_task(page, served, "Fix the findings")
    expect(instructions(page)).to_contain_text("quality assurance failed it")
    expect(shown(page, "Sent back by")).to_have_text("Quality assurance failed the review")
    expect(shown(page, "What was found")).to_have_text("The German VAT rate is applied to Austrian customers.")
    field(page, "What you fixed").fill("The VAT rate is looked up by the customer's country.")
    field(page, "Fixed build or tag").fill("https://git.example.org/billing/-/tags/v2.4.1")
    field(page, "Version").fill("2.4.1")
    complete(page)
    sign_out(page)

    # ---- quinn reviews it again (and sees what was fixed), and passes it.
    sign_in(page, served, "quinn")
    open_group_task(page, served, "Review the release")
    expect(instructions(page)).to_contain_text("What they fixed: The VAT rate is looked up by the customer's country.")
    choose(page, "Result", "Passed: ready for the stakeholders")
    field(page, "What you tested and found").fill("Regression suite and the VAT cases for DE, AT, FR pass.")
    complete(page)
    sign_out(page)

    # ---- sam accepts it; alice may not open sam's step.
    sign_in(page, served, "sam")
    open_group_task(page, served, "Validate the release")
    validation_url = page.url
    expect(shown(page, "Version")).to_have_text("2.4.1")
    expect(shown(page, "Quality assurance's report")).to_have_text(
        "Regression suite and the VAT cases for DE, AT, FR pass.")
    artifacts.screenshot(page, "release-2-validation")
    choose(page, "Your decision", "Accept: it may be deployed")
    field(page, "What you checked, and why").fill("The finance team tried the new invoices.")
    complete(page)
    sign_out(page)

    sign_in(page, served, "alice")
    answer = page.goto(validation_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    sign_out(page)

    # ---- rhea plans the deployment in a window that opens shortly; it names her as the deployer.
    sign_in(page, served, "rhea")
    open_group_task(page, served, "Plan and schedule the deployment")
    expect(instructions(page)).to_contain_text("was accepted by sam")
    opens = datetime.now(timezone.utc) + WINDOW_OPENS_IN
    field(page, "Window starts").fill(as_input(opens))
    field(page, "Window ends").fill(as_input(opens + timedelta(hours=2)))
    field(page, "Who deploys").fill("rhea")
    field(page, "Roll-back plan").fill("Redeploy 2.3.2 and restore the invoice table from the backup.")
    field(page, "What users are told").fill("Billing is unavailable for 30 minutes tonight.")
    complete(page)

    # Nothing can be deployed before the window opens: the case page names the timer it waits on.
    open_case_waiting_on(page, case_url, "Window opens")
    expect(page.locator(".page-header .case-key")).to_have_text(re.compile(r"REL-\d{6}"))
    diagram_drawn(page)
    for done in ("review-release", "fix-findings", "validate-release", "plan-deployment", "announce-window"):
        expect(step(page, done)).to_have_class(DONE)
    expect(step(page, "window-opens")).to_have_class(ACTIVE)
    expect(step(page, "deploy-release")).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "release-3-waiting-for-the-window")

    # When the window opens, the deployment is rhea's (assigned to her, not her groups).
    open_my_task(page, served, "Deploy the release", timeout=WINDOW_OPENS_IN.total_seconds() + 30)
    expect(page.locator(".task-meta")).to_contain_text("Assigned to you")
    field(page, "How it went").fill("Deployed 2.4.1 at the start of the window; the migration took 8 minutes.")
    complete(page)
    sign_out(page)

    # ---- quinn verifies it in production.
    sign_in(page, served, "quinn")
    open_group_task(page, served, "Verify the release in production")
    expect(instructions(page)).to_contain_text("was deployed by rhea")
    choose(page, "Result", "Passed: it works in production")
    field(page, "What you checked").fill("Three invoices sent in production; VAT right for DE, AT and FR.")
    complete(page)
    sign_out(page)

    # ---- sam, a stakeholder: the window was announced, and the release is live.
    sign_in(page, served, "sam")
    open_case_once_completed(page, case_url)
    expect(page.get_by_text("None: the case is complete.")).to_be_visible()
    diagram_drawn(page)
    for done in ("review-release", "note-findings", "fix-findings", "validate-release", "plan-deployment",
                 "window-opens", "deploy-release", "verify-release", "register-outcome", "announce-release",
                 "release-deployed"):
        expect(step(page, done)).to_have_class(DONE)
    for untaken in ("roll-back-release", "report-rollback", "escalate-missed-window"):
        expect(step(page, untaken)).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "release-4-completed")
    notice = message(page, served, re.compile(r"REL-\d{6} released: Billing 2\.4\.1"))
    expect(notice).to_contain_text("verified in production by quinn")
    expect(message(page, served, re.compile(r"REL-\d{6} Billing 2\.4\.1: deployment "))).to_contain_text(
        "Billing is unavailable for 30 minutes tonight.")
    artifacts.screenshot(page, "release-5-messages")
    # The pages answered 422 (the version) and 403 (alice on sam's step) on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
