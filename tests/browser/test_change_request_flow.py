"""A normal change followed end to end in a real browser against a real
``baton serve``, set up as scripts/run does it: the requester asks for a
change from the catalogue (and puts two mistakes right, one a window already
begun), with a window that ends before it starts, so IT operations complete the
request (the process's rework loop); IT operations assess it and the "Change risk" decision table makes it
high risk; the CAB approves it (scripts/run lists carl and cleo as its
members, so each has a vote of their own, in parallel; IT operations may not
vote); IT operations plan it, the window opens,
they implement it; quality assurance verify it; the case closes completed and
the requester reads the outcome on her messages page."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, UNMARKED, as_input, complete, diagram_drawn, open_case_once_completed,
    open_case_waiting_for, open_group_task, shown, sign_in, sign_out, start_from_catalogue, start_request,
    step, submit_start_form, unexpected_errors)

TITLE = "Upgrade the mail servers to 10.1"
# The window must start in the future when the request is checked (at once,
# when IT operations complete it), and the served app runs on the real clock:
# IT operations give a window that opens this many seconds later, so that by the
# time the plan is done it is open, or about to open, and the implementation
# task follows. (Seconds can be filled into the datetime-local input; a person
# picking a time in Chromium's widget gets whole minutes.)
WINDOW_OPENS_IN = timedelta(seconds=15)


def test_a_normal_change_from_catalogue_through_the_cab_to_closure(desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve
    now = datetime.now(timezone.utc)

    # ---- The requester asks for a change, with two mistakes: too short a title, a window already begun.
    sign_in(page, served, "alice")
    start_from_catalogue(page, served, "Request a change")
    page.get_by_label("What is to change?").fill("Mail")          # under 5 characters
    page.get_by_label("Normal (approved by the CAB)").check()
    page.get_by_label("Details").fill("Upgrade mail01 and mail02 from 9.4 to 10.1; the configuration stays.")
    page.get_by_label("Why?").fill("Version 9 is out of support at the end of the quarter.")
    page.get_by_label("Window starts").fill(as_input(now - timedelta(hours=1)))
    page.get_by_label("Window ends").fill(as_input(now + timedelta(hours=1)))
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("2 problems")
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(summary).to_contain_text("What is to change?")
    expect(summary).to_contain_text("Window starts: Must not be in the past.")
    expect(page.get_by_label("Details")).to_have_value(re.compile("mail01 and mail02"))
    artifacts.screenshot(page, "change-request-1-form-with-error")
    # Put right, except that now the window ends before it starts: the form cannot tell.
    page.get_by_label("What is to change?").fill(TITLE)
    page.get_by_label("Window starts").fill(as_input(now + timedelta(hours=3)))
    case_url = start_request(page)
    sign_out(page)

    # ---- IT operations: the window ends before it starts, so the request comes back to be completed.
    sign_in(page, served, "oscar")
    open_group_task(page, served, "Complete the change request")
    instructions = page.locator("section", has=page.get_by_role("heading", name="What to do"))
    expect(instructions).to_contain_text("The planned end is not after the planned start.")
    expect(instructions).to_contain_text("Agree the details with alice, who asked for it.")
    expect(page.get_by_label("What is to change?")).to_have_value(TITLE)
    window_opens = datetime.now(timezone.utc) + WINDOW_OPENS_IN
    page.get_by_label("Window starts").fill(as_input(window_opens))
    page.get_by_label("Window ends").fill(as_input(window_opens + timedelta(hours=2)))
    complete(page)

    # The request is complete now: it is IT operations' to assess.
    open_group_task(page, served, "Assess the technical impact")
    instructions = page.locator("section", has=page.get_by_role("heading", name="What to do"))
    expect(instructions).to_contain_text("The risk follows from these answers")
    expect(shown(page, "Change")).to_have_text(re.compile(r"CHG-\d{6}"))
    page.get_by_label("Affected services").fill("Mail (mail01, mail02), webmail")
    page.get_by_role("group", name="Impact if it goes wrong").get_by_label("Medium").check()
    page.get_by_role("group", name="Likelihood of failure").get_by_label("Low").check()
    # No tested way back: the risk table makes a change anyone would notice high risk.
    page.get_by_role("group", name="Can it be rolled back?").get_by_label("No").check()
    page.get_by_label("Expected downtime (minutes)").fill("30")
    page.get_by_label("Assessment").fill("Version 10 converts the mailbox store; there is no way back to 9.4.")
    complete(page)

    # The case page: the request was completed once, assessed, and waits for the CAB.
    open_case_waiting_for(page, case_url, "Vote on the change")
    votes = page.locator("tr", has_text="Vote on the change")
    expect(votes).to_have_count(2)                   # one for each member, at the same time
    diagram_drawn(page)
    expect(step(page, "complete-request")).to_have_class(DONE)
    expect(step(page, "assess-impact")).to_have_class(DONE)
    expect(step(page, "assess-risk")).to_have_class(DONE)
    expect(step(page, "cab-vote")).to_have_class(ACTIVE)
    expect(step(page, "approve-emergency")).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "change-request-2-waiting-for-the-cab")
    sign_out(page)

    # ---- The CAB: each member votes for themselves.
    sign_in(page, served, "cleo")
    open_group_task(page, served, "Vote on the change")
    vote_url = page.url
    instructions = page.locator("section", has=page.get_by_role("heading", name="What to do"))
    expect(instructions).to_contain_text("This is the vote of cleo")
    expect(instructions).to_contain_text("risk high")
    expect(shown(page, "Risk")).to_have_text("high")
    artifacts.screenshot(page, "change-request-3-cab-vote")
    page.get_by_role("group", name="Approve the change?").get_by_label("Yes").check()
    page.get_by_label("Comment").fill("Approved: take a full backup of the mailbox store first.")
    complete(page)
    sign_out(page)

    # IT operations, who assessed the change, may not vote on it; nor may a member cast another's vote.
    sign_in(page, served, "oscar")
    answer = page.goto(vote_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    sign_out(page)

    sign_in(page, served, "carl")
    open_group_task(page, served, "Vote on the change")
    assert page.url != vote_url
    expect(page.locator("section", has=page.get_by_role("heading", name="What to do"))).to_contain_text(
        "This is the vote of carl")
    page.get_by_role("group", name="Approve the change?").get_by_label("Yes").check()
    complete(page)
    sign_out(page)

    # ---- IT operations plan it; the implementation waits for the window to open.
    sign_in(page, served, "oscar")
    open_group_task(page, served, "Plan and schedule the change")
    page.get_by_label("Implementation plan").fill("Back up the store, upgrade mail02, move users, upgrade mail01.")
    page.get_by_label("Roll-back plan").fill("Restore the backup onto 9.4 (two hours).")
    page.get_by_label("How to verify it").fill("Send and receive mail from outside; open webmail.")
    page.get_by_label("What users are told").fill("Mail is unavailable for 30 minutes tonight.")
    complete(page)
    open_group_task(page, served, "Implement the change", timeout=60)
    page.get_by_label("What was done").fill("Both servers upgraded to 10.1 as planned.")
    complete(page)
    sign_out(page)

    # ---- Quality assurance verify it: passed, the change is closed.
    sign_in(page, served, "quinn")
    open_group_task(page, served, "Verify the change")
    page.get_by_label("Passed: it works as intended").check()
    page.get_by_label("What you checked").fill("Mail flows both ways; webmail works; the queue is empty.")
    complete(page)
    sign_out(page)

    # ---- The case page says it is over, and the requester has been told.
    sign_in(page, served, "alice")
    open_case_once_completed(page, case_url)
    expect(page.get_by_text("None: the case is complete.")).to_be_visible()
    diagram_drawn(page)
    for done in ("complete-request", "assess-impact", "cab-vote", "plan-change", "window-opens",
                 "implement-change", "verify-change", "change-closed"):
        expect(step(page, done)).to_have_class(DONE)
    for untaken in ("approve-emergency", "approve-exception", "roll-back-change", "tell-problem"):
        expect(step(page, untaken)).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "change-request-4-completed")
    page.get_by_role("link", name=re.compile("Messages")).click()
    message = page.locator(".message", has_text=re.compile(rf"CHG-\d{{6}} implemented: {TITLE}"))
    expect(message).to_be_visible()
    expect(message).to_contain_text("passed verification: Mail flows both ways")
    artifacts.screenshot(page, "change-request-5-messages")
    # The pages answered 422 (the mistake) and 403 (IT operations and the vote) on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
