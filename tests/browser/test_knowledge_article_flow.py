"""A knowledge article followed end to end in a real browser against a real
``baton serve``, set up as scripts/run does it: alice reports missing
information from the catalogue (and puts a wrong article reference right);
kim, a knowledge owner, assigns rita as the expert; rita writes the article;
kim sends it back once for changes, rita reworks it, kim approves it and
Baton publishes it. Along the way: rita is told by message what to write,
the writer cannot open the review of her own text, the case page marks where
it stands, and at the end alice and the service desk are told by message.

The published article itself lives in the store (collection knowledge-base);
no page shows the store, so what a person sees of it is the case's reference
(KB-000001, the article's) and the messages, which carry the article's text.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, UNMARKED, complete, diagram_drawn, instructions, label, message, open_case_once_completed,
    open_group_task, open_my_task, shown, sign_in, sign_out, start_from_catalogue, start_request, step,
    submit_start_form, unexpected_errors)

TOPIC = "Connecting to the VPN from a hotel network"
TITLE = "Connect to the VPN from a hotel network"
BODY = "1. Open the VPN client.\n2. Choose *TCP 443* under Settings when the hotel blocks the VPN."
REWORKED = BODY + "\n3. If it still fails, call the service desk on 4321."


def test_a_reported_gap_is_written_reworked_once_approved_and_published(desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve

    # alice reports that the knowledge base says nothing about hotel VPNs.
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    expect(page.get_by_role("heading", name="Knowledge", exact=True)).to_be_visible()
    start_from_catalogue(page, served, "Knowledge article")
    page.get_by_label("What is it about?").fill(TOPIC)
    page.get_by_label("Missing: there is no article about it").check()
    page.get_by_label("Article", exact=True).fill("KB-42")          # not a reference
    page.get_by_label("What is missing or wrong?").fill("Hotel networks block the VPN and no article says what to do.")
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_contain_text("Article")
    expect(page.get_by_label("Article", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("What is it about?")).to_have_value(TOPIC)
    artifacts.screenshot(page, "knowledge-article-1-report-with-error")
    page.get_by_label("Article", exact=True).fill("")                 # no article covers it yet
    case_url = start_request(page)
    sign_out(page)

    # kim, a knowledge owner, finds the report in her group's inbox and names rita as the expert.
    sign_in(page, served, "kim")
    open_group_task(page, served, "Assign an expert")
    expect(page.locator(".task-meta")).to_contain_text("Unclaimed · knowledge-owner")
    expect(instructions(page)).to_contain_text(f"information about {TOPIC} is missing")
    expect(shown(page, "About")).to_contain_text(TOPIC)
    page.get_by_label(label("Expert")).fill("rita")
    page.get_by_label("Notes for the expert").fill("Ask the network team which port the hotels leave open.")
    complete(page)
    expect(page).to_have_url(re.compile(r"/inbox"))                  # nothing more for kim in this case yet
    sign_out(page)

    # rita is told by message, and the writing waits in her own inbox (assigned to her, not to the group).
    sign_in(page, served, "rita")
    asked = message(page, served, f"Please write the knowledge article: {TOPIC}")
    expect(asked).to_contain_text("kim, a knowledge owner, asks you to write")
    expect(asked).to_contain_text("Ask the network team which port the hotels leave open.")
    open_my_task(page, served, "Write or update the article")
    expect(page.locator(".task-meta")).to_contain_text("Assigned to you")
    expect(page.get_by_label(label("Title"))).to_have_value(TOPIC)   # starts from the topic
    page.get_by_label(label("Title")).fill(TITLE)
    page.get_by_label(label("Text")).fill(BODY)
    page.get_by_label("What changed").fill("New article: what to do when a hotel blocks the VPN.")
    complete(page)
    expect(page).to_have_url(re.compile(r"/inbox"))
    sign_out(page)

    # kim reads the text and sends it back once.
    sign_in(page, served, "kim")
    open_group_task(page, served, "Review the article")
    expect(page.locator(".task-meta")).to_contain_text("Unclaimed · knowledge-owner")
    expect(shown(page, "Text")).to_contain_text("TCP 443")
    expect(shown(page, "Expert")).to_contain_text("rita")
    page.get_by_label("Changes needed: back to the expert").check()
    page.get_by_label("Comments").fill("Say what to do when it still fails.")
    artifacts.screenshot(page, "knowledge-article-2-review")
    complete(page)
    # The case page: assignment and review done, the writing waiting again (for rita, not for kim).
    page.goto(case_url)
    expect(page.locator("table", has_text="Write or update the article")).to_contain_text("rita")
    diagram_drawn(page)
    expect(step(page, "assign-expert")).to_have_class(DONE)
    expect(step(page, "review-article")).to_have_class(DONE)
    expect(step(page, "write-article")).to_have_class(ACTIVE)
    expect(step(page, "publish-article")).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "knowledge-article-3-case-sent-back")
    sign_out(page)

    # rita reworks it: the reviewer's comments are on the task page, her text is kept.
    sign_in(page, served, "rita")
    open_my_task(page, served, "Write or update the article")
    expect(instructions(page)).to_contain_text("The reviewer asked for changes: Say what to do when it still fails.")
    expect(page.get_by_label(label("Text"))).to_have_value(BODY)
    page.get_by_label(label("Text")).fill(REWORKED)
    page.get_by_label("What changed").fill("New article; added what to do when it still fails.")
    complete(page)
    sign_out(page)

    # kim opens the second review ...
    sign_in(page, served, "kim")
    open_group_task(page, served, "Review the article")
    review_url = page.url
    sign_out(page)
    # ... which the writer cannot open: her own text is reviewed by a knowledge owner.
    sign_in(page, served, "rita")
    answer = page.goto(review_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    sign_out(page)
    sign_in(page, served, "kim")
    page.goto(review_url)
    expect(shown(page, "Text")).to_contain_text("call the service desk on 4321")
    page.get_by_label("Approve: publish it").check()
    expect(page.get_by_label("Next review in (days)")).to_have_value("90")
    complete(page)
    sign_out(page)

    # alice is told what came of her report, with the published text and its reference.
    sign_in(page, served, "alice")
    told = message(page, served, f"Your report is handled: New knowledge article KB-000001: {TITLE}")
    expect(told).to_contain_text("in the knowledge base as KB-000001")
    expect(told).to_contain_text("call the service desk on 4321")
    artifacts.screenshot(page, "knowledge-article-4-alice-messages")
    # Her case page says it is completed, every step done, and is named by the article's reference.
    open_case_once_completed(page, case_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Knowledge article KB-000001")
    expect(page.locator(".facts div", has=page.locator("dt", has_text="Reference"))).to_contain_text("KB-000001")
    expect(page.locator("section[aria-labelledby='tasks-title']")).to_contain_text("None: the case is complete.")
    diagram_drawn(page)
    for done in ("assign-expert", "write-article", "review-article", "number-article", "publish-article",
                 "schedule-next-review", "announce-article", "tell-reporter-published", "article-published"):
        expect(step(page, done)).to_have_class(DONE)
    expect(step(page, "not-published")).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "knowledge-article-5-case-completed")
    sign_out(page)

    # The service desk, who use the knowledge base at triage, get the announcement.
    sign_in(page, served, "dave")
    expect(message(page, served, f"New knowledge article KB-000001: {TITLE}")).to_contain_text(
        "call the service desk on 4321")

    # The pages answered 422 (the wrong reference) and 403 (rita on the review) on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
