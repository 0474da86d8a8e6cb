"""A training request followed in a real browser against a real ``baton serve``,
set up as scripts/run does it: alice asks for a course from the catalogue (and
puts two mistakes right); mona, her manager in the people register, asks a
question once; alice changes the request and answers; mona approves; the
cost is above the finance threshold, so fiona checks the budget (and may not
open mona's review); hana books the course. alice reads the booking on her
Messages page, and the case page says the request now waits for the morning
after the course ends: the real clock does not get there in a test."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, UNMARKED, complete, diagram_drawn, instructions, label, message,
    open_case_waiting_on, open_group_task, shown, sign_in, sign_out, start_from_catalogue, start_request, step,
    submit_start_form, unexpected_errors)

COURSE = "Kubernetes Fundamentals (LFS258)"
QUESTION = "Why the classroom course? The online one covers the same modules."


def field(page, text: str):
    return page.get_by_label(label(text))


def choose(page, question: str, answer: str) -> None:
    """Ticks the radio ``answer`` of the question (a fieldset) ``question``."""
    page.get_by_role("group", name=label(question)).get_by_label(answer, exact=True).check()


def test_a_training_request_asked_about_approved_checked_and_booked(desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve
    first_day = date.today() + timedelta(days=21)
    last_day = first_day + timedelta(days=2)
    # The people register names alice's manager (the demo seed does too; the test does not rely on it).
    served.server.baton("records", "put", "people", "alice", json.dumps({
        "username": "alice", "name": "Alice Martin", "email": "alice@example.org", "department": "Sales",
        "title": "Account manager", "manager": "mona", "status": "active", "start_date": "2024-03-01",
        "last_day": None}))

    # -- alice asks for the course from the catalogue; two mistakes are refused.
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    card = page.locator(".card", has_text="Request training")
    expect(card).to_contain_text("Ask the company to pay for a course, an online training or a conference.")
    start_from_catalogue(page, served, "Request training")
    field(page, "Course").fill(COURSE)
    field(page, "Provider").fill("The Linux Foundation")
    field(page, "First day").fill(first_day.isoformat())
    field(page, "Last day").fill(last_day.isoformat())
    field(page, "Cost").fill("-1450")
    field(page, "Business case").fill("Useful for work.")
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("2 problems")
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(field(page, "Cost")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Business case")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Course")).to_have_value(COURSE)
    expect(field(page, "First day")).to_have_value(first_day.isoformat())
    artifacts.screenshot(page, "training-request-1-form-with-errors")
    field(page, "Cost").fill("1450")
    field(page, "Business case").fill(
        "Our team moves the order service to Kubernetes this year; I will run its clusters.")
    case_url = start_request(page)
    sign_out(page)

    # -- mona, alice's manager, asks a question.
    sign_in(page, served, "mona")
    open_group_task(page, served, "Review the training request")
    review_url = page.url
    expect(instructions(page)).to_contain_text(f"Alice Martin asks to attend {COURSE}")
    expect(instructions(page)).to_contain_text("costing 1450 EUR")
    expect(shown(page, "Request")).to_have_text("TRN-000001")
    choose(page, "Your decision", "Ask for more information")
    field(page, "Note to the employee").fill(QUESTION)
    complete(page)
    sign_out(page)

    # -- alice answers, and changes the request to the cheaper online course.
    sign_in(page, served, "alice")
    open_group_task(page, served, "Answer the manager's question")
    expect(instructions(page)).to_contain_text(QUESTION)
    expect(shown(page, "The question")).to_have_text(QUESTION)
    expect(field(page, "Course")).to_have_value(COURSE)          # the request as it stands, to change
    expect(field(page, "Cost")).to_have_value("1450")
    choose(page, "Format", "Online: live or self-paced")
    field(page, "Cost").fill("1200")
    field(page, "Answer to the question").fill("You are right: I changed it to the online course. It costs 1200.")
    artifacts.screenshot(page, "training-request-2-answer-the-question")
    complete(page)
    sign_out(page)

    # -- mona sees the answer and approves.
    sign_in(page, served, "mona")
    open_group_task(page, served, "Review the training request")
    assert page.url != review_url                                  # a new round of the review
    expect(instructions(page)).to_contain_text("You have asked for more information 1 time(s).")
    expect(instructions(page)).to_contain_text("I changed it to the online course")
    expect(instructions(page)).to_contain_text("costing 1200 EUR")
    choose(page, "Your decision", "Approve")
    field(page, "Note to the employee").fill("Good choice; tell the team what you learnt.")
    complete(page)
    sign_out(page)

    # -- fiona: 1200 EUR is above the threshold for a course (1000 EUR). She may not open mona's review.
    sign_in(page, served, "fiona")
    answer = page.goto(review_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    open_group_task(page, served, "Check the training budget")
    expect(instructions(page)).to_contain_text("It costs 1200 EUR, above the finance threshold of 1000 EUR")
    choose(page, "Approve the budget?", "Yes")
    field(page, "Budget code").fill("TRN-2026-SALES")
    field(page, "Note").fill("From the sales team's training budget.")
    complete(page)
    sign_out(page)

    # -- hana books it; the dates come filled in as alice asked.
    sign_in(page, served, "hana")
    open_group_task(page, served, "Book the training")
    expect(instructions(page)).to_contain_text("on budget TRN-2026-SALES")
    expect(field(page, "First day, as booked")).to_have_value(first_day.isoformat())
    expect(field(page, "Last day, as booked")).to_have_value(last_day.isoformat())
    field(page, "Booking reference").fill("LF-2026-118734")
    field(page, "For the employee").fill("Join with the link the provider e-mails you the day before.")
    complete(page)
    sign_out(page)

    # -- alice reads the booking, and the case waits for the morning after the last day.
    sign_in(page, served, "alice")
    booked = message(page, served, f"TRN-000001 booked: {COURSE}, {first_day.isoformat()} to {last_day.isoformat()}")
    expect(booked).to_contain_text("Booking reference: LF-2026-118734.")
    expect(booked).to_contain_text("From HR: Join with the link the provider e-mails you the day before.")
    expect(booked).to_contain_text(f"On {(last_day + timedelta(days=1)).isoformat()} Alice Martin will be asked")
    artifacts.screenshot(page, "training-request-3-booked-message")

    expect(open_case_waiting_on(page, case_url, "Morning after the course ends")).to_have_text(
        "Nothing waits for a person now: the case is on an automatic step, a timer or a message "
        "(Morning after the course ends).")
    expect(page.locator(".page-header")).to_contain_text("TRN-000001")
    diagram_drawn(page)
    for done in ("review-request", "answer-question", "decide-finance-check", "check-budget", "schedule-training",
                 "announce-booking"):
        expect(step(page, done)).to_have_class(DONE)
    expect(step(page, "course-ended")).to_have_class(ACTIVE)
    expect(step(page, "flow-more-info")).to_have_class(re.compile(r"\bbaton-taken\b"))
    for untaken in ("confirm-completion", "request-closed", "remind-manager"):
        expect(step(page, untaken)).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "training-request-4-waiting-for-the-course-to-end")
    # The diagram is wide: zoomed in, the marks on the question loop and the waiting timer can be read.
    for _ in range(2):
        page.get_by_role("button", name="Zoom in").click()
    page.locator(".diagram").scroll_into_view_if_needed()
    artifacts.screenshot(page, "training-request-5-diagram-zoomed", full_page=False)
    # The start form answered 422 (the mistakes) and fiona's look 403 on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
