"""A software request followed end to end in a real browser against a real
``baton serve``, set up as scripts/run does it: alice asks for Tableau
Creator, which is not on the approved-software list and has no free seat
(the licence pool is seeded so here, through the served app's CLI), and puts
two mistakes right that the start form refuses; mona, her manager, approves
it; sven (security) approves it with conditions and puts it on the approved
list; priya (procurement) approves the purchase and orders a seat; oscar
(IT operations) schedules the installation (alice hears the appointment) and
installs it, while fiona (finance) may not open his step; alice finds it not
working once, oscar sorts it out, alice confirms, reads the closing message
on her Messages page, and the case page says Completed."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, UNMARKED, complete, diagram_drawn, instructions, label, message, open_case_once_completed,
    open_group_task, shown, sign_in, sign_out, start_from_catalogue, start_request, step,
    submit_start_form, unexpected_errors)

CARD = "Request software"
TABLEAU = {"product": "Tableau Creator", "vendor": "Salesforce", "kind": "installed", "approved": False,
           "seats": 2, "assigned": ["fiona", "mona"], "cost_per_seat": 900}


def field(page, text: str):
    return page.get_by_label(label(text))


def choose(page, question: str, answer: str) -> None:
    """Ticks the radio ``answer`` of the question (a fieldset) ``question``."""
    page.get_by_role("group", name=label(question)).get_by_label(answer, exact=True).check()


def licence(served) -> dict:
    return json.loads(served.server.baton("records", "get", "licences", "tableau"))


def test_unapproved_software_without_a_free_seat_is_approved_bought_installed_and_confirmed(
        desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve
    # Not approved, every seat taken; alice's manager is mona.
    served.server.baton("records", "put", "licences", "tableau", json.dumps(TABLEAU))
    served.server.baton("records", "put", "people", "alice", json.dumps(
        {"username": "alice", "name": "Alice Martin", "email": "alice@example.org", "department": "Sales",
         "title": "Account manager", "manager": "mona", "status": "active", "start_date": None, "last_day": None}))

    # ---- alice asks for Tableau from the catalogue; the form refuses two mistakes.
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    expect(page.get_by_role("heading", name="Assets & software")).to_be_visible()
    expect(page.locator(".card", has_text=CARD)).to_contain_text("Ask for software you need for your work")
    start_from_catalogue(page, served, CARD)
    field(page, "Software").select_option(label="Tableau Creator (Salesforce)")
    field(page, "Why do you need it?").fill("Dashboards")
    choose(page, "Platform", "Windows laptop or PC")
    field(page, "Device").fill("LAP-0003")
    field(page, "Needed by").fill((date.today() - timedelta(days=1)).isoformat())
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("2 problems")
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(field(page, "Needed by")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-needed_by-error")).to_have_text("Must not be in the past.")
    expect(page.locator("#f-reason-error")).to_have_text("At least 20 characters.")
    expect(field(page, "Device")).to_have_value("LAP-0003")
    artifacts.screenshot(page, "software-request-1-form-with-errors")
    field(page, "Why do you need it?").fill("I build the weekly sales dashboards for the regional managers.")
    field(page, "Needed by").fill((date.today() + timedelta(days=14)).isoformat())
    case_url = start_request(page)
    sign_out(page)

    # ---- mona, alice's manager, sees what the licence pool says and approves.
    sign_in(page, served, "mona")
    page.goto(f"{served.url}/inbox?view=group")
    row = page.locator("tr", has_text="Approve the request")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("SWR-000001")
    expect(row).to_contain_text("Due")          # the diagram gives the manager 2 days
    open_group_task(page, served, "Approve the request")
    expect(instructions(page)).to_contain_text("alice asks for Tableau Creator by Salesforce")
    expect(instructions(page)).to_contain_text(
        "not on the approved list and every seat is taken: security must review it and a seat must be bought")
    expect(shown(page, "Software")).to_have_text("Tableau Creator (Salesforce)")
    artifacts.screenshot(page, "software-request-2-manager-approval")
    choose(page, "Approve the request?", "Yes")
    complete(page)
    sign_out(page)

    # ---- sven approves it for use, on conditions, and puts it on the approved list.
    sign_in(page, served, "sven")
    open_group_task(page, served, "Review the software")
    expect(shown(page, "Why they need it")).to_have_text(
        "I build the weekly sales dashboards for the regional managers.")
    choose(page, "Approve the software?", "Yes")
    field(page, "Conditions, or why not").fill("Only company data sources; sign in with SSO.")
    field(page, "Put it on the approved list").check()
    complete(page)
    sign_out(page)

    # ---- priya approves the purchase and, straight after, orders a seat.
    sign_in(page, served, "priya")
    open_group_task(page, served, "Approve the purchase")
    expect(instructions(page)).to_contain_text("The pool has 2 seat(s), all assigned.")
    choose(page, "Approve the purchase?", "Yes")
    complete(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Order the seats")
    field(page, "Seats bought").fill("1")
    field(page, "Total cost").fill("900")
    field(page, "Order reference").fill("PO-2026-0042")
    choose(page, "Installed or online?", "Installed on the device")
    complete(page)
    sign_out(page)

    # ---- oscar schedules the installation on alice's laptop, then installs it.
    sign_in(page, served, "oscar")
    open_group_task(page, served, "Schedule the installation")
    expect(instructions(page)).to_contain_text("Security's conditions of use: Only company data sources")
    expect(field(page, "Device")).to_have_value("LAP-0003")
    start = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(second=0, microsecond=0)
    field(page, "Installation starts (UTC)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    field(page, "Minutes needed").fill("30")
    complete(page)
    # Baton tells alice the appointment first (in its worker); then the installation is oscar's group's.
    open_group_task(page, served, "Install the software")
    install_url = page.url
    sign_out(page)

    # The seat is alice's and the pool grew by the seat bought; fiona may not open oscar's step.
    assert licence(served) == {**TABLEAU, "approved": True, "seats": 3, "assigned": ["fiona", "mona", "alice"],
                               "cost_per_seat": 900}
    sign_in(page, served, "fiona")
    answer = page.goto(install_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    sign_out(page)

    sign_in(page, served, "alice")
    appointment = message(page, served, "SWR-000001: Tableau Creator will be installed on LAP-0003")
    expect(appointment).to_contain_text(f"on {start:%Y-%m-%d} at {start:%H:%M} UTC")
    page.goto(case_url)
    expect(page.locator(".page-header .case-key")).to_have_text("SWR-000001")
    diagram_drawn(page)
    for done in ("approve-request", "review-security", "decide-purchase", "order-seats", "update-pool",
                 "schedule-installation", "tell-appointment"):
        expect(step(page, done)).to_have_class(DONE)
    expect(step(page, "install-software")).to_have_class(ACTIVE)
    expect(step(page, "provision-account")).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "software-request-3-waiting-for-the-installation")
    sign_out(page)

    sign_in(page, served, "oscar")
    page.goto(install_url)
    field(page, "What you did").fill("Installed Tableau Desktop 2026.1 and activated it with the new seat.")
    complete(page)
    sign_out(page)

    # ---- alice finds it not working; oscar sorts it out; she confirms.
    sign_in(page, served, "alice")
    open_group_task(page, served, "Confirm it works")
    expect(instructions(page)).to_contain_text("It is installed on LAP-0003: Installed Tableau Desktop 2026.1")
    choose(page, "Does it work?", "Not working: something goes wrong")
    field(page, "What goes wrong").fill("It cannot connect to the sales database.")
    complete(page)
    sign_out(page)

    sign_in(page, served, "oscar")
    open_group_task(page, served, "Sort out the problem")
    expect(shown(page, "What goes wrong")).to_have_text("It cannot connect to the sales database.")
    field(page, "What you did").fill("Installed the PostgreSQL driver; the connection works now.")
    complete(page)
    sign_out(page)

    sign_in(page, served, "alice")
    open_group_task(page, served, "Confirm it works")
    expect(instructions(page)).to_contain_text(
        "IT operations looked at the problem you reported: Installed the PostgreSQL driver")
    choose(page, "Does it work?", "It works")
    complete(page)
    closing = message(page, served, "SWR-000001: Tableau Creator is yours, request closed")
    expect(closing).to_contain_text("You confirmed that Tableau Creator works.")
    artifacts.screenshot(page, "software-request-4-closing-message")
    open_case_once_completed(page, case_url)
    diagram_drawn(page)
    for done in ("install-software", "note-problem", "fix-problem", "confirm-works", "tell-requester",
                 "request-closed"):
        expect(step(page, done)).to_have_class(DONE)
    expect(step(page, "provision-account")).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "software-request-5-completed")
    # The pages answered 422 (the mistakes) and 403 (fiona) on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
