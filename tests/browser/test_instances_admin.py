"""The Instances page in a real browser, as an admin: filter the cases of a
small process, run the migration dry run (one case can move, one can't and
says why), move the one that can, watch the progress bar fill as the worker
works, and find the moved case on version 2 with the move in its history."""
from __future__ import annotations

from playwright.sync_api import expect

from app.models import db
from app.services import deployments, instances, jobs, tasks, users
from tests.support.bpmn import linear_process, user


def _two_versions_and_two_cases(live_server) -> tuple[int, int]:
    """Errand v1 (a → b) with one case at a and one at b, then v2 (a → c):
    the case at b cannot move, its step is gone."""
    live_server.user("adam", role="admin", display_name="Adam Admin")
    live_server.user("dave")
    with live_server.app.app_context():
        olga, dave = users.add_user("olga", role="owner")[0], users.get_user("dave")
        deployments.deploy({"errand.bpmn": linear_process("errand", user("a", "Ask"), user("b", "Buy"),
                                                          name="Errand")}, olga)
        at_a = instances.start_instance("errand", dave, business_key="ERR-1").id
        at_b = instances.start_instance("errand", dave, business_key="ERR-2")
        tasks.complete(at_b.open_tasks[0].id, {}, dave)
        deployments.deploy({"errand.bpmn": linear_process("errand", user("a", "Ask"), user("c", "Check"),
                                                          name="Errand")}, olga)
        instances.start_instance("errand", dave, business_key="ERR-3")     # on v2 already
        db.session.remove()
    return at_a, at_b.id


def test_an_admin_moves_the_cases_that_can_move(live_server, page, sign_in, artifacts):
    at_a, at_b = _two_versions_and_two_cases(live_server)
    sign_in("adam")
    page.goto("/instances")
    page.get_by_label("Process").select_option("errand")
    page.get_by_label("Version", exact=True).fill("1")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator(".instances-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("heading", name="All 2 matching cases")).to_be_visible()
    page.get_by_text("Actions on case", exact=False).first.click()      # one case's actions open
    expect(rows.first.get_by_role("button", name="Terminate")).to_be_visible()
    artifacts.screenshot(page, "instances-admin-list")

    page.get_by_label("Move to version").select_option("2")
    page.get_by_role("button", name="Check which can move…").click()
    expect(page.get_by_role("heading", name="1 of 2 can move to version 2")).to_be_visible()
    cannot = page.locator("tr.dry-run-no")
    expect(cannot).to_have_count(1)
    expect(cannot.get_by_role("link")).to_have_text(f"#{at_b}")
    expect(cannot.locator(".dry-run-reasons")).to_contain_text("b")
    artifacts.screenshot(page, "instances-admin-dry-run")

    page.get_by_role("button", name="Move the 1 that can").click()
    progress = page.locator("#bulk-progress")
    expect(progress).to_have_attribute("data-state", "running")
    expect(progress.locator(".bulk-done")).to_have_text("0 / 1")
    artifacts.screenshot(page, "instances-admin-progress-running")
    with live_server.app.app_context():
        assert jobs.run_due("browser-test") == 1
        db.session.remove()
    # htmx polls the fragment and swaps in the finished one, which stops polling.
    expect(progress).to_have_attribute("data-state", "finished", timeout=5_000)
    expect(page.locator("#bulk-progress .bulk-done")).to_have_text("1 / 1")
    expect(page.locator("progress.bulk-bar")).to_have_attribute("value", "1")
    artifacts.screenshot(page, "instances-admin-progress")

    page.goto(f"/instances/{at_a}")
    expect(page.locator(".facts")).to_contain_text("v2")
    expect(page.locator(".timeline")).to_contain_text("moved the case from version 1 to version 2")
    artifacts.screenshot(page, "instances-admin-moved-case")
