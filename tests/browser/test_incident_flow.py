"""An incident followed end to end in a real browser against a real
``baton serve``, set up as scripts/run does it: the requester reports it from
the catalogue (and puts a mistake right); the service desk triages it with
the priority the priority matrix (incident-priority.dmn) gave it; a resolver
resolves it and marks the cause as recurring, which reports a problem to
problem management, where the problem manager finds it in his group inbox;
the requester says "not fixed" once, so it goes back to the same resolver, and
then confirms the fix; the case page says the incident is completed."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, complete, diagram_drawn, message, open_case_once_completed, open_group_task, shown,
    sign_in, sign_out, start_from_catalogue, start_request, step, submit_start_form, unexpected_errors)

REPORT = "Report an incident"
SUMMARY = "Outlook cannot connect to the server"
SERVICE = "E-mail and calendar"


def resolve_as_recurring(page, notes: str) -> None:
    """The resolver's form: resolved, what was done, and the cause marked recurring."""
    page.get_by_label("Resolved: the service works again").check()
    page.get_by_label("What you did, or why you return it").fill(notes)
    page.get_by_label("Recurring cause").check()
    complete(page)


def test_an_incident_from_report_through_a_problem_to_confirmation(desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve

    # ---- The requester reports the incident from the catalogue. ------------------------
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    expect(page.locator(".card", has_text=REPORT)).to_contain_text("Report something in IT")
    start_from_catalogue(page, served, REPORT)
    page.get_by_label("Service").select_option(SERVICE)
    page.get_by_label("A team or a group of people").check()                        # impact medium
    page.get_by_label("Work has stopped, and there is no way around it").check()    # urgency high
    page.get_by_label("What is wrong, in one line").fill("Mail")                    # too short: 5 at least
    page.get_by_label("What happens").fill("Since 9:00 Outlook says \"Trying to connect...\". Webmail works.")
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_contain_text("What is wrong, in one line")
    expect(page.get_by_label("What happens")).to_have_value(re.compile("Webmail works"))
    artifacts.screenshot(page, "incident-1-report-with-error")
    page.get_by_label("What is wrong, in one line").fill(SUMMARY)
    case_url = start_request(page)

    # Baton numbered it and the priority matrix made medium impact x high urgency a P2.
    received = message(page, served, re.compile(r"Your incident INC-\d{6} is received: priority P2"))
    expect(received.get_by_role("heading")).to_have_text(re.compile(r"Your incident INC-\d{6} is received: priority P2"))
    incident_ref = re.search(r"INC-\d{6}", received.get_by_role("heading").inner_text()).group(0)
    expect(received).to_contain_text("within 4 hours")
    sign_out(page)

    # ---- The service desk triages it: no known fix, to the resolvers. ------------------
    sign_in(page, served, "dave")
    open_group_task(page, served, "Triage the incident")
    expect(shown(page, "Incident")).to_contain_text(incident_ref)
    expect(shown(page, "Priority")).to_contain_text("P2")
    expect(shown(page, "Summary")).to_contain_text(SUMMARY)
    expect(shown(page, "Reported by")).to_contain_text("alice")
    artifacts.screenshot(page, "incident-2-triage-shows-priority")
    page.get_by_label("Assign to the resolver group: no known fix").check()
    page.get_by_label("What you did or found").fill("Webmail works, Outlook does not: the mail gateway, not the laptop.")
    complete(page)
    expect(page).to_have_url(re.compile(r"/inbox"))    # the next step is not the service desk's
    sign_out(page)

    # ---- A resolver resolves it and marks the cause as recurring. ----------------------
    sign_in(page, served, "rita")
    open_group_task(page, served, "Resolve the incident")
    expect(shown(page, "Incident")).to_contain_text(incident_ref)
    expect(shown(page, "The service desk's notes")).to_contain_text("mail gateway")
    resolve_as_recurring(page, "The mail gateway's certificate had expired; renewed it and restarted the gateway.")
    sign_out(page)

    # ---- Problem management got the problem_reported message: a problem case waits. ---
    sign_in(page, served, "pete")
    open_group_task(page, served, "Review reported problem")
    review_url = page.url
    expect(shown(page, "Reported by incident")).to_contain_text(incident_ref)
    expect(shown(page, "Affected service")).to_contain_text(SERVICE)
    expect(page.locator("main")).to_contain_text(f"(last one: {incident_ref})")
    page.goto(f"{served.url}/inbox?view=group")
    row = page.locator("tr", has_text="Review reported problem")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Manage a problem")
    artifacts.screenshot(page, "incident-3-problem-manager-inbox")
    page.goto(review_url)
    artifacts.screenshot(page, "incident-4-problem-review-task")
    sign_out(page)

    # ---- The requester is asked to confirm; says "not fixed" once. ---------------------
    sign_in(page, served, "alice")
    expect(message(page, served, f"Your incident {incident_ref} is resolved: please confirm the fix")) \
        .to_contain_text("certificate had expired")
    open_group_task(page, served, "Confirm the fix")
    expect(shown(page, "What was done")).to_contain_text("certificate had expired")
    page.get_by_label("Not fixed: it still goes wrong").check()
    page.get_by_label("Comment").fill("Outlook connects, but the calendar still does not update.")
    complete(page)
    page.goto(case_url)
    diagram_drawn(page)
    expect(step(page, "triage-incident")).to_have_class(DONE)
    expect(step(page, "report-problem")).to_have_class(DONE)
    expect(step(page, "reopen-incident")).to_have_class(DONE)
    expect(step(page, "resolve-incident")).to_have_class(ACTIVE)
    expect(step(page, "keep-stakeholders-informed")).not_to_have_class(re.compile(r"\bbaton-"))  # not a P1
    sign_out(page)

    # The service desk may not open the problem manager's step.
    sign_in(page, served, "dave")
    answer = page.goto(review_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    sign_out(page)

    # ---- Back to the resolver who resolved it (assigned to her by name). ----------------
    sign_in(page, served, "rita")
    page.goto(f"{served.url}/inbox")
    row = page.locator("tr", has_text="Resolve the incident")
    expect(row).to_contain_text("You")
    row.get_by_role("link", name="Resolve the incident").click()
    expect(shown(page, "Reopened by the requester (times)")).to_contain_text("1")
    expect(shown(page, "The requester's last comment")).to_contain_text("calendar still does not update")
    resolve_as_recurring(page, "Rebuilt the calendar sync after the certificate change; the calendar updates again.")
    sign_out(page)

    # ---- The requester confirms the fix: the incident is completed. --------------------
    sign_in(page, served, "alice")
    open_group_task(page, served, "Confirm the fix")
    expect(shown(page, "What was done")).to_contain_text("Rebuilt the calendar sync")
    page.get_by_label("Fixed: it works again").check()
    complete(page)
    open_case_once_completed(page, case_url)
    diagram_drawn(page)
    expect(step(page, "confirm-fix")).to_have_class(DONE)
    expect(step(page, "incident-closed")).to_have_class(DONE)
    artifacts.screenshot(page, "incident-5-case-completed")
    expect(message(page, served, f"Your incident {incident_ref} is closed: you confirmed the fix")).to_be_visible()
    expect(page.locator(".message", has_text=f"Your incident {incident_ref} is closed")).to_have_count(1)
    sign_out(page)

    # The second resolution did not report the problem twice.
    sign_in(page, served, "pete")
    page.goto(f"{served.url}/inbox?view=group")
    expect(page.locator("tr", has_text="Review reported problem")).to_have_count(1)

    # The pages answered 422 (the mistake) and 403 (strangers) on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
