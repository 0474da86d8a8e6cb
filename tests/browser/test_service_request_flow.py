"""A service request followed end to end in a real browser against a real
``baton serve``, set up as scripts/run does it: the requester starts it from
the catalogue and puts two mistakes right; the service desk finds it in the
inbox and works it; the case page marks where it is; someone of another
group may not touch it."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.desk import (
    ACTIVE, DONE, UNMARKED, diagram_drawn, sign_in, sign_out, start_request, step, submit_start_form,
    unexpected_errors)


def test_a_service_request_from_catalogue_to_fulfilment(desk_page, baton_serve, artifacts):
    page, served = desk_page, baton_serve
    # The requester starts a service from the catalogue.
    sign_in(page, served, "alice")
    page.goto(f"{served.url}/catalogue")
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    card = page.locator(".card", has_text="Request a service")
    expect(card).to_contain_text("The general IT service request")
    artifacts.screenshot(page, "service-request-1-catalogue")
    card.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request a service")

    # Two mistakes: too short a summary, a cost that is not a number.
    page.get_by_label("What do you need?").fill("VPN")
    page.get_by_label("Details").fill("For the finance share, from home.")
    page.get_by_label("Expected cost").fill("a few euros")
    submit_start_form(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("2 problems")
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(page.get_by_label("What do you need?")).to_have_value("VPN")
    expect(page.get_by_label("Expected cost")).to_have_value("a few euros")
    expect(page.get_by_label("Details")).to_have_value("For the finance share, from home.")
    artifacts.screenshot(page, "service-request-2-form-with-errors")

    page.get_by_label("What do you need?").fill("VPN access to the finance share")
    page.get_by_label("Expected cost").fill("0")
    # Nothing for the requester to do next: the case page, with a confirmation.
    case_url = start_request(page)
    sign_out(page)

    # The service desk finds the triage in the inbox and works it.
    sign_in(page, served, "dave")
    page.goto(f"{served.url}/inbox")
    page.get_by_role("link", name=re.compile("For my groups")).click()
    row = page.locator("tr", has_text="Triage request").first
    expect(row).to_be_visible()
    expect(row).to_contain_text("Due")   # the diagram gives triage a day
    artifacts.screenshot(page, "service-request-3-inbox")
    row.get_by_role("link", name="Triage request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage request")
    expect(page.locator("dl.field-readonly, .field-readonly").first).to_contain_text(
        "VPN access to the finance share")
    page.get_by_label("Accept: the service desk will do it").check()
    page.get_by_label("Notes").fill("Will set it up today.")
    page.get_by_role("button", name="Complete task").click()
    # The next step is the service desk's too: straight to it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Fulfil request")
    fulfil_url = page.url

    # The case page marks the steps done and the one waiting.
    page.goto(case_url)
    diagram_drawn(page)
    expect(step(page, "triage-request")).to_have_class(DONE)
    expect(step(page, "fulfil-request")).to_have_class(ACTIVE)
    expect(step(page, "approve-cost")).not_to_have_class(UNMARKED)
    artifacts.screenshot(page, "service-request-4-instance-page")
    sign_out(page)

    # Finance has nothing to do with it.
    sign_in(page, served, "fiona")
    answer = page.goto(fulfil_url)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t open this page")
    # The pages answered 422 (the mistakes) and 403 (finance) on purpose; nothing else failed.
    assert not unexpected_errors(page, "status of 422", "status of 403"), page.errors
