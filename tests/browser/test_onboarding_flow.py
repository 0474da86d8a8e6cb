"""An onboarding followed end to end in a real browser against a real
``baton serve``, set up as scripts/run does it (its people and asset
registers seeded): hana (HR) starts it from the catalogue, where alice does
not even see it (its start page tells her only HR may start it), and puts a user name with
a space right; the four departments then work in parallel: oscar creates the
accounts and picks the equipment (his first pick, alice's laptop, is refused:
it is on loan), mona approves the admin rights asked for, sven grants the
access, hana schedules the induction. When the last is done the case page
says Completed with its diagram marked, and mona reads the welcome on her
Messages page, though IT operations' steps are not hers to open (403). The start date lies weeks ahead, so the deadline's timer
(two working days before it) does not fire here."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.desk import (
    DONE, UNMARKED, complete, diagram_drawn, instructions, label, message, open_case_once_completed,
    open_case_waiting_for, open_group_task, shown, sign_in, sign_out, start_from_catalogue, start_request, step,
    submit_start_form, unexpected_errors)


def field(page, text: str):
    return page.get_by_label(label(text))


def tick(page, question: str, *answers: str) -> None:
    """Ticks the boxes ``answers`` of the question (a fieldset) ``question``."""
    group = page.get_by_role("group", name=label(question))
    for answer in answers:
        group.get_by_label(answer, exact=True).check()


def first_monday_after(day: date, days: int) -> date:
    day += timedelta(days=days)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def test_an_onboarding_from_hr_through_four_departments_to_the_welcome(desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve
    start_date = first_monday_after(date.today(), 21).isoformat()

    # -- alice may not start an onboarding: the catalogue does not offer it, its page refuses her.
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".card", has_text="Onboard a new employee")).to_have_count(0)
    page.goto(f"{served.url}/catalogue/onboarding")
    expect(page.get_by_role("heading", name="You can’t start this request")).to_be_visible()
    expect(page.locator("form.task-form, main")).to_contain_text("Only the hr group may start this.")
    expect(page.get_by_role("button", name="Start request")).to_have_count(0)
    sign_out(page)

    # -- hana starts it from the People section of the catalogue; a user name with a space is refused.
    sign_in(page, served, "hana")
    page.goto(f"{served.url}/catalogue")
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    expect(page.locator(".card", has_text="Onboard a new employee")).to_contain_text(
        "Tell IT, security and HR that someone new is joining")
    start_from_catalogue(page, served, "Onboard a new employee")
    field(page, "Full name").fill("Nora Lind")
    field(page, "User name").fill("Nora Lind")
    field(page, "Job title").fill("Account manager")
    field(page, "Department").fill("Sales")
    field(page, "Manager").fill("mona")
    field(page, "Start date").fill(start_date)
    # Email and single sign-on are ticked already; the CRM too, with admin rights on it.
    expect(page.get_by_role("group", name=label("Systems they need")).get_by_label("Email", exact=True)).to_be_checked()
    tick(page, "Systems they need", "CRM")
    tick(page, "Admin rights on", "CRM")
    field(page, "Why admin rights?").fill("Runs the CRM's sales territories and must change them.")
    tick(page, "Equipment they need", "Monitor")          # a laptop is ticked already
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary).to_contain_text("User name: Not in the expected form, for example nora.lind.")
    expect(field(page, "Full name")).to_have_value("Nora Lind")
    expect(page.get_by_role("group", name=label("Admin rights on")).get_by_label("CRM", exact=True)).to_be_checked()
    artifacts.screenshot(page, "onboarding-1-start-form-with-error")
    field(page, "User name").fill("nora.lind")
    case_url = start_request(page)
    open_case_waiting_for(page, case_url, "Schedule the induction")
    expect(page.locator(".page-header")).to_contain_text("ONB-000001")
    sign_out(page)

    # -- oscar (IT operations) creates the accounts...
    sign_in(page, served, "oscar")
    open_group_task(page, served, "Create the accounts")
    expect(shown(page, "Onboarding")).to_have_text("ONB-000001")
    expect(shown(page, "User name")).to_have_text("nora.lind")
    expect(instructions(page)).to_contain_text("Standard access to: Email, Single sign-on, CRM")
    accounts_url = page.url
    field(page, "Email address").fill("nora.lind@example.org")
    field(page, "Notes for the manager").fill("The first password waits at reception.")
    complete(page)

    # ...and picks the equipment: alice's laptop first, which is on loan to her.
    open_group_task(page, served, "Pick the equipment")
    expect(instructions(page)).to_contain_text("LAP-0001 (Lenovo ThinkPad T14 Gen 4, good)")
    expect(instructions(page)).not_to_contain_text("LAP-0003")
    field(page, "Asset tags").fill("LAP-0003\nMON-0001")
    complete(page)
    # Baton checks the pick against the register and sends it back, saying why.
    open_group_task(page, served, "Pick the equipment")
    expect(instructions(page)).to_contain_text("Your last pick cannot be handed out")
    expect(instructions(page)).to_contain_text("LAP-0003 is not available: it is on loan to alice.")
    expect(field(page, "Asset tags")).to_have_value("LAP-0003\nMON-0001")
    artifacts.screenshot(page, "onboarding-2-pick-refused")
    field(page, "Asset tags").fill("LAP-0001\nMON-0001")
    complete(page)
    sign_out(page)

    # -- mona approves the admin rights (only she may); then sven grants the access.
    sign_in(page, served, "mona")
    # IT operations' step is not hers to see.
    answer = page.goto(accounts_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    open_group_task(page, served, "Approve the admin rights")
    expect(instructions(page)).to_contain_text("HR asks for admin rights on CRM")
    page.get_by_role("group", name=label("Approve the admin rights?")).get_by_label("Yes", exact=True).check()
    field(page, "Comment").fill("Approved; review after three months.")
    complete(page)
    sign_out(page)

    sign_in(page, served, "sven")
    open_group_task(page, served, "Grant the access")
    expect(instructions(page)).to_contain_text("Admin rights on CRM: approved by mona. Grant them.")
    field(page, "What you set up").fill("Sales-users in SSO and the CRM, CRM administrators; multi-factor sign-in.")
    complete(page)
    sign_out(page)

    # -- hana schedules the induction: the last of the four.
    sign_in(page, served, "hana")
    open_group_task(page, served, "Schedule the induction")
    field(page, "Induction date").fill(start_date)
    field(page, "Where").fill("Room 2.14, head office")
    complete(page)

    # The case page: completed, the four departments' steps done, the deadline's escalation not taken.
    open_case_once_completed(page, case_url)
    diagram_drawn(page)
    for done in ("create-accounts", "pick-equipment", "hand-out-equipment", "approve-admin-rights",
                 "grant-access", "schedule-induction", "all-prepared", "prepared-in-time", "send-welcome",
                 "onboarded"):
        expect(step(page, done)).to_have_class(DONE)
    for untouched in ("correct-details", "deadline-reached", "make-steps-urgent", "warn-hr-and-manager"):
        expect(step(page, untouched)).not_to_have_class(UNMARKED)
    expect(page.locator(".timeline-text", has_text=re.compile(r"completed Pick the equipment$"))).to_have_count(2)
    artifacts.screenshot(page, "onboarding-3-case-completed")
    sign_out(page)

    # -- mona reads the welcome on her Messages page.
    sign_in(page, served, "mona")
    welcome = message(page, served, f"ONB-000001: everything is ready for Nora Lind, who starts on {start_date}")
    expect(welcome).to_contain_text("Accounts: user name nora.lind, email nora.lind@example.org.")
    expect(welcome).to_contain_text("Admin rights on CRM.")
    expect(welcome).to_contain_text("LAP-0001 (Lenovo ThinkPad T14 Gen 4); MON-0001")
    artifacts.screenshot(page, "onboarding-4-welcome-message")
    # The start form answered 422 (the user name) and alice's look 403 on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
