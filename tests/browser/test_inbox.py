"""The inbox in a browser: filter it, see a new matching task arrive through
the list's own refresh while the filter stays, and claim from the list."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from app.models import db
from app.services import deployments, instances, tasks, users
from tests.support.bpmn import linear_process, user

PROCESSES = {
    "r.bpmn": linear_process("repair", user("fix", "Fix laptop", camunda_candidateGroups="desk",
                                            camunda_dueDate="${due}", camunda_priority="${urgency}"),
                             name="Laptop repair"),
    "a.bpmn": linear_process("access", user("grant", "Grant VPN access", camunda_candidateGroups="desk",
                                            camunda_dueDate="P2D"), name="Access request"),
}


def start(app, key: str, business_key: str, **data) -> str:
    """Starts a case as Olga (not the person at the browser); its open task's id."""
    with app.app_context():
        data = {"due": "P1D", "urgency": 50, **data}
        task_id = instances.start_instance(key, users.get_user("olga"), business_key=business_key,
                                           data=data).open_tasks[0].id
        db.session.remove()
    return task_id


def test_filter_refresh_and_claim(live_server, page, sign_in, artifacts):
    app, clock = live_server.app, live_server.clock
    app.config["BATON_INBOX_REFRESH_SECONDS"] = 1
    live_server.user("ann", "desk", display_name="Ann Agent")
    live_server.user("olga", role="owner", display_name="Olga Owner")
    with app.app_context():
        deployments.deploy(PROCESSES, users.get_user("olga"))
        db.session.remove()
    start(app, "repair", "LAP-101", due="PT2H", urgency=90)
    mine = start(app, "repair", "LAP-102", due="P3D", urgency=20)
    start(app, "access", "VPN-7")
    with app.app_context():
        tasks.claim(mine, users.get_user("ann"))
        db.session.remove()
    clock.advance(hours=3)   # LAP-101 is now overdue

    sign_in("ann")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    tabs = page.get_by_role("navigation", name="Inbox views")
    expect(tabs.get_by_role("link", name="Assigned to me (1)")).to_have_attribute("aria-current", "page")
    tabs.get_by_role("link", name="For my groups (2)").click()
    rows = page.locator("#inbox-list tbody tr")
    expect(rows).to_have_count(2)

    page.get_by_label("Search").fill("laptop")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/inbox\?view=group&q=laptop&process=&sort=due$"))   # the form, as sent
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_class(re.compile("inbox-overdue"))
    expect(rows.first).to_contain_text("Overdue by 1 hour")

    # A new laptop case and a new access case arrive; the refresh brings the
    # first (it matches the filter) and not the second, and the search stays.
    new = start(app, "repair", "LAP-103", due="P5D")
    start(app, "access", "VPN-8")
    expect(page.locator(f"#task-{new}")).to_be_visible()
    expect(rows).to_have_count(2)
    expect(page.get_by_label("Search")).to_have_value("laptop")
    expect(tabs.get_by_role("link", name="For my groups (4)")).to_be_visible()
    # And keeps refreshing.
    newer = start(app, "repair", "LAP-104", urgency=80)
    expect(page.locator(f"#task-{newer}")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/inbox\?view=group&q=laptop&process=&sort=due$"))   # no reload

    page.locator(f"#task-{new}").get_by_role("button", name="Claim").click()
    expect(page.locator(".flashes")).to_contain_text("You claimed 'Fix laptop'")
    expect(page).to_have_url(re.compile(r"/inbox\?view=group&q=laptop$"))
    expect(page.locator(f"#task-{new}")).to_have_count(0)
    expect(tabs.get_by_role("link", name="Assigned to me (2)")).to_be_visible()
    expect(page.get_by_label("Search")).to_have_value("laptop")
    artifacts.screenshot(page, "inbox")

    tabs.get_by_role("link", name="Assigned to me (2)").click()
    expect(page).to_have_url(re.compile(r"/inbox\?q=laptop$"))
    expect(rows).to_have_count(2)
    expect(page.get_by_role("button", name="Release Fix laptop")).to_have_count(2)
    page.set_viewport_size({"width": 390, "height": 844})
    artifacts.screenshot(page, "inbox-phone")
