"""An offboarding followed in a real browser against a real ``baton serve``,
set up as scripts/run does it (the demo seed: alice works for mona, has
standard access to five systems and LAP-0003 and MON-0007 on loan): hana (HR)
offboards alice from the catalogue, first with a last day already past (the
form refuses it) and a mistyped user name, so the offboarding comes back to
her to correct (the process's correction loop); ada (asset team) takes back
both assets, the monitor damaged; mona (alice's manager) hands over alice's
data and reads on her Messages page that she takes over the shared drives;
sven (security) may not open mona's step; hana works through the exit
checklist. The access is revoked only when the last day ends, a week ahead,
so the case page ends waiting on that timer, with the register and the chain
of custody already written and every grant still in place."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, UNMARKED, complete, diagram_drawn, instructions, label, message, open_case_waiting_on,
    open_group_task, open_my_task, shown, sign_in, sign_out, start_from_catalogue, start_request, step, submit_start_form,
    unexpected_errors)

SERVICE = "Offboard an employee"


def field(page, text: str):
    return page.get_by_label(label(text))


def choose(page, question: str, answer: str) -> None:
    """Ticks the radio ``answer`` of the question (a fieldset) ``question``."""
    page.get_by_role("group", name=label(question)).get_by_label(answer, exact=True).check()


def record(served, collection: str, key: str) -> dict:
    return json.loads(served.server.baton("records", "get", collection, key))


def test_hana_offboards_alice_and_the_access_waits_for_the_last_day(desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve
    last_day = (date.today() + timedelta(days=7)).isoformat()
    grants_before = record(served, "access", "alice")["grants"]
    assert [g["system"] for g in grants_before] == ["email", "sso", "vpn", "file-share", "crm"]

    # -- Only HR may offboard someone: alice does not see the service.
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    expect(page.locator(".card", has_text=SERVICE)).to_have_count(0)
    sign_out(page)

    # -- hana starts it from the catalogue: a last day already past is refused; the user name is mistyped.
    sign_in(page, served, "hana")
    page.goto(f"{served.url}/catalogue")
    card = page.locator(".card", has_text=SERVICE)
    expect(card).to_contain_text("Offboard an employee who is leaving")
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    start_from_catalogue(page, served, SERVICE)
    start_url = page.url
    field(page, "Who is leaving?").fill("alcie")
    field(page, "Last working day").fill((date.today() - timedelta(days=1)).isoformat())
    field(page, "Resignation").check()
    field(page, "Notes").fill("Moves to the Lisbon office of a customer.")
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Last working day: Must not be in the past.")
    expect(field(page, "Last working day")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Notes")).to_have_value("Moves to the Lisbon office of a customer.")
    artifacts.screenshot(page, "offboarding-1-start-with-error")
    field(page, "Last working day").fill(last_day)
    case_url = start_request(page)

    # Baton cannot find "alcie": the offboarding comes back to HR.
    open_group_task(page, served, "Correct the leaver")
    expect(instructions(page)).to_contain_text("no one with that user name is in the people register")
    expect(shown(page, "Offboarding")).to_have_text(re.compile(r"^OFF-\d{6}$"))
    ref = shown(page, "Offboarding").text_content().strip()
    expect(field(page, "Who is leaving?")).to_have_value("alcie")
    field(page, "Who is leaving?").fill("alice")
    choose(page, "What next?", "Look the leaver up again")
    complete(page)
    open_group_task(page, served, "Complete the exit checklist")   # found her: the four branches are open
    sign_out(page)

    # -- alice may read the start page, but not start it.
    sign_in(page, served, "alice")
    page.goto(start_url)
    expect(page.get_by_text("Only the hr group may start this.")).to_be_visible()
    expect(page.get_by_role("button", name="Start request")).to_have_count(0)
    sign_out(page)

    # -- ada takes back both assets on loan to alice, one task each: the monitor is damaged.
    sign_in(page, served, "ada")
    for _ in range(2):
        open_group_task(page, served, "Take back the asset")
        expect(shown(page, "Leaver")).to_have_text("Alice Martin")
        text = instructions(page).text_content()
        tag = re.search(r"Take back (\S+) from", text).group(1)
        assert tag in ("LAP-0003", "MON-0007"), text
        if tag == "MON-0007":
            expect(instructions(page)).to_contain_text("Dell P2422H")
            choose(page, "Condition on return", "Damaged: needs repair")
            field(page, "Notes").fill("The stand is cracked.")
            artifacts.screenshot(page, "offboarding-2-take-back-damaged-monitor")
        else:
            expect(instructions(page)).to_contain_text("Lenovo ThinkPad T14 Gen 4")
            choose(page, "Condition on return", "Good: fully working, normal signs of use")
        complete(page)
    sign_out(page)

    # -- mona, alice's manager, hands over the data: the step is hers alone.
    sign_in(page, served, "mona")
    open_my_task(page, served, "Hand over the leaver's data")
    hand_over_url = page.url
    expect(instructions(page)).to_contain_text("You are named as their manager.")
    expect(instructions(page)).to_contain_text("email, sso, vpn, file-share, crm")
    field(page, "Files go to").fill("sam")
    field(page, "Mailbox goes to").fill("sam")
    field(page, "Shared drives go to").fill("mona")
    field(page, "Notes for the new owners").fill("The customer folders under Sales/Accounts matter most.")
    complete(page)
    told = message(page, served, f"{ref}: you take over data of Alice Martin, who leaves on {last_day}")
    expect(told).to_contain_text("- Shared drives: mona")
    expect(told).to_contain_text("The customer folders under Sales/Accounts matter most.")
    artifacts.screenshot(page, "offboarding-3-manager-message")
    sign_out(page)

    # -- sven (security) may not open mona's step.
    sign_in(page, served, "sven")
    assert page.goto(hand_over_url).status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    sign_out(page)

    # -- hana works through the exit checklist.
    sign_in(page, served, "hana")
    open_group_task(page, served, "Complete the exit checklist")
    expect(instructions(page)).to_contain_text("LAP-0003 (laptop, Lenovo ThinkPad T14 Gen 4)")
    choose(page, "Exit interview", "Held")
    for item in ("Equipment list checked with the leaver", "Payroll told the final pay",
                 "Benefits and pension providers told"):
        field(page, item).check()
    field(page, "Notes").fill("The leaving letter goes out with the last payslip.")
    complete(page)

    # -- The case page: every person's step done, the access waiting for the end of the last day.
    open_case_waiting_on(page, case_url, "Last day ends (17:00 UTC)")
    expect(page.locator(".page-header .badge", has_text="Completed")).to_have_count(0)
    diagram_drawn(page)
    for done in ("correct-leaver", "recover-asset", "update-asset-register", "record-custody", "hand-over-data",
                 "tell-new-owners", "exit-checklist"):
        expect(step(page, done)).to_have_class(DONE)
    expect(step(page, "last-day-ends")).to_have_class(ACTIVE)
    expect(step(page, "revoke-access")).not_to_have_class(UNMARKED)
    expect(step(page, "offboarding-withdrawn")).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "offboarding-4-case-waiting-for-the-last-day")
    sign_out(page)

    # -- Behind the pages: the register and the chain of custody are written; no grant is revoked yet.
    laptop, monitor = record(served, "assets", "LAP-0003"), record(served, "assets", "MON-0007")
    assert (laptop["status"], laptop["holder"], laptop["condition"]) == ("available", None, "good")
    assert (monitor["status"], monitor["holder"], monitor["condition"]) == ("in_repair", None, "damaged")
    assert record(served, "assets", "LAP-0005")["holder"] == "rita"          # someone else's loan: untouched
    trail = [json.loads(line.split(None, 1)[1])
             for line in served.server.baton("records", "list", "asset-custody", "--limit", "1000").splitlines()]
    assert sorted((r["tag"], r["event"], r["from"], r["to"], r["by"], r["condition"]) for r in trail
                  if r["reference"] == ref) == [("LAP-0003", "recovered", "alice", "asset-team", "ada", "good"),
                                                ("MON-0007", "recovered", "alice", "asset-team", "ada", "damaged")]
    assert record(served, "access", "alice")["grants"] == grants_before
    assert record(served, "people", "alice")["status"] == "active"
    # The pages answered 422 (the past last day) and 403 (sven) on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
