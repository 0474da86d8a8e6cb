"""Asking for a service in a real browser: the catalogue, a start form sent
with two mistakes and then put right, and the first step of the new case."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from app.models import db
from app.services import deployments, users
from tests.support.catalogue import folder, message_started, service

FURNITURE = ("Order furniture for an office, a meeting room or a whole floor, from the company's catalogue of "
             "desks, chairs, screens, lamps and cupboards, delivered and assembled by facilities. Allow two weeks.")


def deploy_services(live_server) -> None:
    live_server.user("olga", role="owner")
    with live_server.app.app_context():
        olga = users.get_user("olga")
        for files in (folder("laptop"), folder("access"),
                      {**folder("expense"), **message_started("mailed_ticket"),
                       **service("furniture", "Office furniture", category="Facilities", documentation=FURNITURE),
                       **service("password", "Reset a password", category="People", documentation=(
                           "The service desk sets a new password when you are locked out. Have your badge ready.")),
                       **service("misc", "Anything else",
                                 documentation="For whatever the catalogue has no better place for.")}):
            deployments.deploy(files, olga, source="test")
        db.session.remove()


def test_request_a_service_from_the_catalogue(live_server, page, sign_in, artifacts):
    deploy_services(live_server)
    live_server.user("dave", display_name="Dave Daniels")
    sign_in("dave")
    expect(page).to_have_url(f"{live_server.url}/catalogue")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        ["People", "Assets & software", "Cases", "Facilities", "Other services"])
    expect(page.get_by_text("Mailed ticket")).to_have_count(0)
    artifacts.screenshot(page, "catalogue")

    page.get_by_label("Find a service").fill("access")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/catalogue\?q=access$"))
    expect(page.get_by_role("heading", level=3)).to_have_text(["Access to a system"])

    page.get_by_role("link", name="Request Access to a system").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access to a system")
    page.get_by_label("System").fill("ab")
    page.get_by_label("For how many days?").fill("two weeks")
    page.get_by_label("Why do you need it?").fill("Quarter close\nwith the auditors")
    page.get_by_role("button", name="Start request").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There are 2 problems")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["System: At least 3 characters.",
                                                      "For how many days? Must be a whole number."])
    expect(page.get_by_label("System")).to_have_accessible_description(re.compile("At least 3 characters"))
    expect(page.get_by_label("For how many days?")).to_have_accessible_description(
        re.compile("Must be a whole number"))
    expect(page.get_by_label("System")).to_have_value("ab")
    expect(page.get_by_label("For how many days?")).to_have_value("two weeks")
    expect(page.get_by_label("Why do you need it?")).to_have_value("Quarter close\nwith the auditors")
    artifacts.screenshot(page, "start-form-errors")

    page.get_by_label("System").fill("Finance share")
    page.get_by_label("For how many days?").fill("14")
    page.get_by_role("button", name="Start request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the access details")
    expect(page.get_by_role("status")).to_have_text(
        "Your request 'Access to a system' has started. Its next step is yours: 'Confirm the access details'.")
    artifacts.screenshot(page, "start-form-next-step")

    # The same catalogue on a phone: one column, nothing to scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/catalogue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Service catalogue")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    artifacts.screenshot(page, "catalogue-services-phone")

