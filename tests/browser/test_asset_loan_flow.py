"""An asset loan followed end to end in a real browser against a real ``baton
serve``, set up as scripts/run does it: alice asks for a laptop from the
catalogue (a too-short reason is refused once); mona, her manager, approves
it (finance may not open the step); ada of the asset team hands out a
specific laptop, naming first one that is on loan to someone else (the
process sends the form back with the reason), then the right one; alice reads
on her Messages page which laptop she has and until when; the case page marks
the return step and the reminders running beside it; ada records the return,
the case page says Completed, and an auditor reads the laptop's chain of
custody (handed out, returned) on the reference data pages, as the CLI lists
it. The loan runs for a week from today: no reminder falls due during the
test (the server runs on the real clock)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, UNMARKED, complete, diagram_drawn, instructions, label, message, open_case_once_completed,
    open_case_waiting_for, open_group_task, shown, sign_in, sign_out, start_from_catalogue, start_request, step,
    submit_start_form, unexpected_errors)

# Laptops of the test's own, so that the flow does not depend on the demo register.
FREE = {"tag": "LAP-0901", "type": "laptop", "model": "Lenovo ThinkPad T14 Gen 5", "serial": "PF5T14X0901",
        "condition": "new", "status": "available", "holder": None, "reference": None, "due": None}
TAKEN = {"tag": "LAP-0902", "type": "laptop", "model": "Lenovo ThinkPad T14 Gen 5", "serial": "PF5T14X0902",
         "condition": "good", "status": "on_loan", "holder": "rita", "reference": None, "due": "2027-03-31"}


def field(page, text: str):
    return page.get_by_label(label(text))


def choose(page, question: str, answer: str) -> None:
    """Ticks the radio ``answer`` of the question (a fieldset) ``question``."""
    page.get_by_role("group", name=label(question)).get_by_label(answer, exact=True).check()


def hand_out(page, tag: str, serial: str) -> None:
    field(page, "Asset tag").fill(tag)
    field(page, "Serial number").fill(serial)
    choose(page, "Condition at hand-out", "Good: used, no marks")
    field(page, "Notes").fill("With charger.")
    complete(page)


def test_alice_borrows_a_laptop_mona_approves_ada_hands_it_out_and_takes_it_back(desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve
    for asset in (FREE, TAKEN):
        served.server.baton("records", "put", "assets", asset["tag"], json.dumps(asset))
    today = datetime.now(timezone.utc).date()
    until = (today + timedelta(days=7)).isoformat()

    # -- alice asks for a laptop from the catalogue; too short a reason is refused once.
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    expect(page.get_by_role("heading", name="Assets & software")).to_be_visible()
    card = page.locator(".card", has_text="Borrow an asset")
    expect(card).to_contain_text("Borrow a laptop, monitor, headset or other equipment from IT for a while")
    start_from_catalogue(page, served, "Borrow an asset")
    choose(page, "What do you want to borrow?", "Laptop")
    field(page, "From").fill(today.isoformat())
    field(page, "Until").fill(until)
    field(page, "What do you need it for?").fill("Lyon")
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_contain_text("What do you need it for?")
    expect(field(page, "Until")).to_have_value(until)
    artifacts.screenshot(page, "asset-loan-1-request-with-error")
    field(page, "What do you need it for?").fill("A spare laptop for the trade fair in Lyon next week.")
    case_url = start_request(page)
    sign_out(page)

    # -- mona, alice's manager, approves it.
    sign_in(page, served, "mona")
    open_group_task(page, served, "Approve the loan")
    approve_url = page.url
    expect(shown(page, "Borrower")).to_have_text("Alice Martin")
    expect(shown(page, "Asset")).to_have_text("Laptop")
    expect(instructions(page)).to_contain_text("asks to borrow a laptop")
    choose(page, "Approve the loan?", "Yes")
    field(page, "Reason").fill("Needed for the fair; bring it back the Monday after.")
    complete(page)
    sign_out(page)

    # -- finance has nothing to do with it.
    sign_in(page, served, "fiona")
    answer = page.goto(approve_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    sign_out(page)

    # -- ada names a laptop that is on loan to rita: the form comes back with the reason.
    sign_in(page, served, "ada")
    open_group_task(page, served, "Hand out the asset")
    expect(instructions(page)).to_contain_text(f"{FREE['tag']}: {FREE['model']}, serial {FREE['serial']}")
    expect(instructions(page)).not_to_contain_text(TAKEN["tag"])
    hand_out(page, TAKEN["tag"], TAKEN["serial"])
    open_group_task(page, served, "Hand out the asset")
    expect(instructions(page)).to_contain_text("Your last answer was refused")
    expect(instructions(page)).to_contain_text("LAP-0902 is not available: its status is on_loan.")
    artifacts.screenshot(page, "asset-loan-2-hand-out-refused")
    hand_out(page, FREE["tag"], FREE["serial"].lower())          # the label's case does not matter
    sign_out(page)

    # -- alice reads which laptop she has and until when.
    sign_in(page, served, "alice")
    handed = message(page, served, re.compile(rf"Loan LOAN-\d+: {FREE['tag']} is yours until {until}"))
    expect(handed).to_contain_text(f"ada of the asset team handed you {FREE['tag']}: {FREE['model']}")
    expect(handed).to_contain_text("We will remind you the day before")
    artifacts.screenshot(page, "asset-loan-3-borrower-message")

    # The case page: the return awaited, the reminders running beside it.
    open_case_waiting_for(page, case_url, "Record the return")
    diagram_drawn(page)
    expect(step(page, "hand-out-asset")).to_have_class(DONE)
    expect(step(page, "record-return")).to_have_class(ACTIVE)
    expect(step(page, "tell-rejected")).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "asset-loan-4-on-loan")
    # Inside "Remind the borrower" (the viewer drills into it), the first reminder's timer waits.
    page.locator(".diagram .bjs-drilldown").first.click()
    expect(step(page, "day-before-due")).to_have_class(ACTIVE)
    expect(step(page, "reminders-begin")).to_have_class(DONE)
    expect(step(page, "remind-overdue")).not_to_have_class(UNMARKED)
    sign_out(page)

    # -- the laptop comes back: ada records it.
    sign_in(page, served, "ada")
    open_group_task(page, served, "Record the return")
    expect(shown(page, "Asset tag")).to_have_text(FREE["tag"])
    expect(shown(page, "Due back on")).to_contain_text(until[:4])
    choose(page, "Condition now", "Good: used, no marks")
    complete(page)
    sign_out(page)

    sign_in(page, served, "alice")
    open_case_once_completed(page, case_url)
    diagram_drawn(page)
    expect(step(page, "loan-closed")).to_have_class(DONE)
    expect(step(page, "reminders-stopped")).to_have_class(DONE)
    message(page, served, re.compile(rf"Loan LOAN-\d+ is closed: {FREE['tag']} is back"))
    sign_out(page)

    # -- the chain of custody: both hand-overs, read by an auditor and by the CLI.
    sign_in(page, served, "auditor")
    page.goto(f"{served.url}/records/asset-custody?field=tag&value={FREE['tag']}")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("handed_out")
    expect(rows.nth(0)).to_contain_text("alice")
    expect(rows.nth(1)).to_contain_text("returned")
    artifacts.screenshot(page, "asset-loan-5-custody-trail")
    listed = [json.loads(line.split(None, 1)[1]) for line in served.server.baton(
        "records", "list", "asset-custody", "--limit", "1000").splitlines() if line.startswith(FREE["tag"] + "/")]
    assert [(r["event"], r["from"], r["to"], r["by"], r["condition"]) for r in listed] == [
        ("handed_out", "asset-team", "alice", "ada", "good"), ("returned", "alice", "asset-team", "ada", "good")]
    assert listed[0]["reference"] == listed[1]["reference"] and listed[0]["reference"].startswith("LOAN-")
    register = json.loads(served.server.baton("records", "get", "assets", FREE["tag"]))
    assert (register["status"], register["holder"], register["condition"]) == ("available", None, "good")
    # The pages answered 422 (the mistake) and 403 (finance) on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
