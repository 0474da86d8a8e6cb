"""A case followed end to end in a real browser against a real ``baton serve``,
set up as scripts/run does it: alice reports a case from the catalogue (and
puts a too-short title right); cora, the case manager, screens it from her
group inbox and from then on owns it: assessment, a high-risk assessment (the
managers are told: mona reads it on her Messages page, and may not open
cora's step), then planning, carrying out and following up three times, the
problem persisting twice, so the case goes back to planning twice; cora
evaluates the outcome, alice gives her feedback, and Baton files the report,
tells alice the case is closed and the case page says Completed."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, UNMARKED, complete, diagram_drawn, go_on_to, instructions, label, message,
    open_case_once_completed, open_group_task, shown, sign_in, sign_out, start_from_catalogue, start_request,
    step, submit_start_form, unexpected_errors)

TITLE = "Invoice sent twice to Müller GmbH"
ROUNDS = 3   # the problem persists after rounds 1 and 2


def field(page, text: str):
    return page.get_by_label(label(text))


def choose(page, question: str, answer: str) -> None:
    """Ticks the radio ``answer`` of the question (a fieldset) ``question``."""
    page.get_by_role("group", name=label(question)).get_by_label(answer, exact=True).check()


def test_a_case_from_report_through_two_more_planning_rounds_to_closure(desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve
    target = (date.today() + timedelta(days=7)).isoformat()

    # -- alice reports a case from the catalogue; too short a title is refused once.
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    card = page.locator(".card", has_text="Handle a case")
    expect(card).to_be_visible()
    start_from_catalogue(page, served, "Handle a case")
    field(page, "A complaint").check()
    field(page, "Title").fill("Bill")
    field(page, "What happened?").fill("The customer received invoice 2026-117 twice and paid both.")
    field(page, "Whom or what does it concern?").fill("Müller GmbH, customer 40711")
    field(page, "What outcome do you hope for?").fill("Refund the second payment.")
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_contain_text("Title")
    expect(field(page, "Title")).to_have_attribute("aria-invalid", "true")
    # What she typed is all still there.
    expect(field(page, "Whom or what does it concern?")).to_have_value("Müller GmbH, customer 40711")
    expect(field(page, "A complaint")).to_be_checked()
    artifacts.screenshot(page, "case-1-report-with-error")
    field(page, "Title").fill(TITLE)
    case_url = start_request(page)
    sign_out(page)

    # -- cora screens it from her group's inbox and opens a case: she owns it from here.
    sign_in(page, served, "cora")
    open_group_task(page, served, "Screen the case")
    expect(shown(page, "Title")).to_have_text(TITLE)
    expect(shown(page, "Case")).to_have_text("CASE-000001")
    choose(page, "Decision", "Open a case: assess, plan and follow it up")
    field(page, "Notes").fill("A real case: the customer paid twice and wants a refund.")
    complete(page)

    go_on_to(page, served, "Assess the case")
    choose(page, "Who is affected?", "Customers or the public")
    choose(page, "How often does it happen?", "It happened once")
    choose(page, "What harm can it do?", "Money or reputation")
    choose(page, "Is personal data involved?", "Yes")
    field(page, "What did you find out?").fill(
        "The invoice run of 2 January ran twice and sent invoices to old addresses.")
    complete(page)

    go_on_to(page, served, "Assess the risk")
    expect(shown(page, "Personal data involved")).to_have_text("Yes")
    choose(page, "Risk", "High: safety, legal, personal data or serious damage")
    choose(page, "Priority", "High")
    field(page, "Why?").fill("Invoices went to old addresses: a personal data breach.")
    complete(page)

    # High risk: escalated before planning (Baton's worker tells the managers).
    plan_url = go_on_to(page, served, "Plan actions and goals")
    expect(instructions(page)).to_contain_text("Plan round 1 of case CASE-000001")
    expect(instructions(page)).to_contain_text("escalated")
    sign_out(page)

    # -- mona (manager) reads the alert on her Messages page, but the step is cora's.
    sign_in(page, served, "mona")
    alert = message(page, served, "High-risk case CASE-000001: " + TITLE)
    expect(alert).to_contain_text("personal data breach")
    expect(alert.get_by_role("link", name=re.compile(r"Case \d+"))).to_be_visible()
    artifacts.screenshot(page, "case-2-manager-alert")
    answer = page.goto(plan_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    sign_out(page)

    # -- cora goes round: plan, carry out, follow up; twice the problem persists.
    sign_in(page, served, "cora")
    page.goto(f"{served.url}/inbox?view=mine")
    for round_ in range(1, ROUNDS + 1):
        persists = round_ < ROUNDS
        go_on_to(page, served, "Plan actions and goals")
        expect(instructions(page)).to_contain_text(f"Plan round {round_} of case CASE-000001")
        if round_ > 1:
            # The last follow-up's notes are what the next plan starts from.
            expect(instructions(page)).to_contain_text(f"Round {round_ - 1}: the run still doubles invoices.")
            expect(shown(page, "Planning round")).to_have_text(str(round_))
        if round_ == 2:
            artifacts.screenshot(page, "case-3-plan-round-2")
        field(page, "Goals").fill(f"Round {round_}: the customer has their money back.")
        field(page, "Actions").fill(
            f"Refund the second payment\nCheck the invoice run (round {round_})")
        field(page, "Target date").fill(target)
        complete(page)

        go_on_to(page, served, "Carry out the plan")
        expect(shown(page, "Goals")).to_have_text(f"Round {round_}: the customer has their money back.")
        field(page, "What was done").fill(f"Round {round_}: refunded and checked the run.")
        choose(page, "Were all planned actions done?", "Yes")
        complete(page)

        go_on_to(page, served, "Follow up")
        choose(page, "Does the problem persist?", "Yes" if persists else "No")
        field(page, "What did the follow-up find?").fill(
            f"Round {round_}: " + ("the run still doubles invoices." if persists
                                   else "refund received, invoices go out once."))
        complete(page)

    go_on_to(page, served, "Evaluate the outcome")
    expect(instructions(page)).to_contain_text(f"it took {ROUNDS} planning round(s)")
    field(page, "What was done").fill("Refunded the double payment and had the invoice run fixed.")
    choose(page, "Result", "Resolved")
    choose(page, "Quality of the handling", "Good")
    field(page, "Cost").fill("1240")
    field(page, "Effort (hours)").fill("6.5")
    complete(page)
    # The feedback is alice's alone: nothing more for cora in this case.
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")

    # The case page: the loop taken, the feedback waiting for alice.
    page.goto(case_url)
    diagram_drawn(page)
    for done in ("screen-case", "assess-case", "assess-risk", "raise-priority", "alert-managers",
                 "plan-actions", "carry-out-plan", "follow-up", "evaluate-outcome"):
        expect(step(page, done)).to_have_class(DONE)
    expect(step(page, "give-feedback")).to_have_class(ACTIVE)
    expect(step(page, "flow-persists")).to_have_class(re.compile(r"\bbaton-taken\b"))
    expect(step(page, "not-a-case")).not_to_have_class(UNMARKED)
    expect(step(page, "resolved-at-screening")).not_to_have_class(UNMARKED)
    expect(page.locator(".timeline-text", has_text=re.compile(r"completed Follow up$"))).to_have_count(ROUNDS)
    sign_out(page)

    # -- alice gives her feedback; Baton files the report and tells her.
    sign_in(page, served, "alice")
    open_group_task(page, served, "Give feedback")
    expect(instructions(page)).to_contain_text("Your case CASE-000001")
    expect(instructions(page)).to_contain_text(TITLE)
    expect(shown(page, "What was done")).to_have_text("Refunded the double payment and had the invoice run fixed.")
    choose(page, "How satisfied are you with how your case was handled?", "4: satisfied")
    choose(page, "Is the problem solved for you?", "Yes")
    field(page, "Anything else?").fill("Quick and friendly.")
    complete(page)

    closed = message(page, served, f"Your case CASE-000001 is closed: {TITLE}")
    expect(closed).to_contain_text(f"Planning rounds: {ROUNDS}")
    expect(closed).to_contain_text("Your satisfaction (1 to 5): 4")
    artifacts.screenshot(page, "case-4-closing-message")

    open_case_once_completed(page, case_url)
    expect(page.locator(".page-header .task-meta")).to_contain_text("Completed")
    expect(page.locator("#tasks-title + p")).to_have_text("None: the case is complete.")
    diagram_drawn(page)
    expect(step(page, "case-closed")).to_have_class(DONE)
    expect(step(page, "give-feedback")).to_have_class(DONE)
    expect(step(page, "announce-case-closed")).to_have_class(DONE)
    artifacts.screenshot(page, "case-5-case-completed")
    # The start form answered 422 (the short title) and mona's look 403 on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
